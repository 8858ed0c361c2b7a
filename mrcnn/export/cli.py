"""The ``mrcnn-export`` command (also ``python -m mrcnn.export``): a Keras-2 HDF5 weights file
-> a SavedModel folder, a TFLite file or an ONNX file that detects in one photo.

    mrcnn-export --weights W.h5 --config coco|brands|logo|MODULE:CLASS \\
                 --format saved_model|tflite|onnx -o PATH

Exit status: 0 written; 1 an internal error, or a TFLite conversion that does not reproduce
TensorFlow's detections (checked on a test photo; nothing written); 2 a user error (unknown
--config, a weights file that does not fit the configuration, an existing output path,
tf2onnx missing for --format onnx...), reported on one line before anything is written. The
output is written under a temporary name beside PATH and renamed at the end, so PATH only
ever holds a whole export.
"""

import argparse
import importlib
import importlib.util
import os
import shutil
import sys
import tempfile

from ..cli import (EXIT_INTERNAL_ERROR, EXIT_OK, OneLineArgumentParser, UsageError, check_weights_file,
                   check_writable_folder, import_tensorflow_quietly, one_line, run_main)

FORMATS = ("saved_model", "tflite", "onnx")


class ExportFailed(Exception):
    """A converter gave a model that does not reproduce TensorFlow's detections (exit 1)."""
CONFIG_CHOICES = "coco, brands, logo or MODULE:CLASS"


def _positive_multiple_of_64(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0 or value % 64:
        raise argparse.ArgumentTypeError(f"must be a positive multiple of 64, got {value}")
    return value


def _photo_size(text):
    """HEIGHTxWIDTH in pixels, e.g. 768x1024."""
    parts = text.lower().split("x")
    try:
        height, width = (int(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 768x1024, got "
                                         f"{text!r}") from None
    if height <= 0 or width <= 0:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return height, width


def _unit_interval(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value:g}")
    return value


def build_parser(prog=None):
    """The argument parser (``--help`` describes every option)."""
    parser = OneLineArgumentParser(
        prog=prog, description="Export a Mask R-CNN model (Keras-2 HDF5 weights) to a "
        "TensorFlow SavedModel, TFLite or ONNX model that takes one uint8 RGB photo [H, W, 3] "
        "and returns boxes [N, 4] (y1, x1, y2, x2 photo pixels), class_ids [N], scores [N] and "
        "masks [N, H, W] (0/1), as MaskRCNN.detect() does.",
        epilog="Exit status: 0 written, 2 bad input (nothing written), 1 internal error.")
    parser.add_argument("--weights", required=True, metavar="W.h5",
                        help="Keras-2 HDF5 weights file (matterport's format)")
    parser.add_argument("--config", required=True, metavar="CONFIG",
                        help="the model: coco (ResNet101, 81 classes), brands (FlickrLogos-47, "
                        "48 classes), logo (the class-agnostic logo model; its backbone, "
                        "small or EfficientNet-Lite0, is read from the weights file) or "
                        "MODULE:CLASS, a Config subclass of yours (e.g. mypkg.cfg:MyConfig)")
    parser.add_argument("--format", required=True, choices=FORMATS,
                        help="saved_model: a folder for tf.saved_model.load and TensorFlow "
                        "Serving (any photo size); tflite: a .tflite file for one photo size "
                        "(--input-size), builtin ops only; onnx: a .onnx file for ONNX Runtime "
                        "(any photo size; needs the export extra: tf2onnx)")
    parser.add_argument("-o", "--output", required=True, metavar="PATH",
                        help="where to write the export; must not exist yet")
    parser.add_argument("--input-size", type=_photo_size, metavar="HxW",
                        help="tflite only: the photo size the model takes, HEIGHTxWIDTH "
                        "pixels (default: the network input, IMAGE_MAX_DIM square)")
    parser.add_argument("--no-check", action="store_true",
                        help="tflite only: write the model even when its detections on a test "
                        "photo differ from TensorFlow's (checked by default; a network whose "
                        "outputs change with the order of float additions differs between "
                        "TensorFlow's own CPU kernels just as much)")
    parser.add_argument("--image-size", type=_positive_multiple_of_64, metavar="N",
                        help="network input side in pixels (a multiple of 64) instead of the "
                        "config's IMAGE_MAX_DIM, as detect(image_size=N)")
    parser.add_argument("--min-confidence", type=_unit_interval, metavar="S",
                        help="score threshold 0..1 (default: the config's "
                        "DETECTION_MIN_CONFIDENCE)")
    parser.add_argument("--debug", action="store_true",
                        help="show TensorFlow's logs and the traceback of internal errors")
    return parser


def check_output_path(path):
    """UsageError unless ``path`` does not exist and its folder is writable."""
    if os.path.lexists(path):
        raise UsageError(f"output {path} already exists; remove it or choose another -o")
    check_writable_folder(os.path.dirname(os.path.abspath(path)) or ".", path)


def _one_image(config):
    """The configuration for one photo at a time."""
    return config.with_overrides(GPU_COUNT=1, IMAGES_PER_GPU=1)


def _user_config(spec):
    """An instance of the Config subclass named MODULE:CLASS."""
    from ..config import Config

    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise UsageError(f"--config {spec!r}: use {CONFIG_CHOICES}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise UsageError(f"--config {spec}: cannot import {module_name}: "
                         f"{one_line(error)}") from None
    config_class = getattr(module, class_name, None)
    if not (isinstance(config_class, type) and issubclass(config_class, Config)):
        raise UsageError(f"--config {spec}: {module_name} has no Config subclass "
                         f"{class_name!r}")
    return config_class()


def resolve_config(spec, weights_path):
    """The inference configuration --config names (one image per batch).

    coco: ``mrcnn.coco.CocoConfig``; brands: ``BrandsInferenceConfig``; logo: the logo
    configuration that fits the weights file (``logo_eraser.models.eraser_config_for``:
    small backbone or EfficientNet-Lite0, 2 classes); MODULE:CLASS: that Config subclass.
    Raises UsageError (one line) for an unknown name or a logo file that does not fit.
    """
    choice = spec.strip()
    if choice.lower() == "coco":
        from ..coco import CocoConfig

        return _one_image(CocoConfig())
    if choice.lower() == "brands":
        from logo_eraser.models import BrandsInferenceConfig

        return _one_image(BrandsInferenceConfig())
    if choice.lower() == "logo":
        from logo_eraser.models import eraser_config_for

        config = eraser_config_for(weights_path)
        if config.NUM_CLASSES != 2:
            raise UsageError(f"weights file {weights_path} is not a class-agnostic logo model "
                             f"({config.NUM_CLASSES} classes); use --config brands")
        return _one_image(config)
    if ":" not in choice:
        raise UsageError(f"unknown --config {spec!r}: use {CONFIG_CHOICES}")
    return _one_image(_user_config(choice))


def apply_options(config, args):
    """The configuration with --image-size and --min-confidence applied, checked exportable."""
    from .exportable import check_exportable

    overrides = {}
    if args.image_size is not None:
        overrides.update(IMAGE_MIN_DIM=args.image_size, IMAGE_MAX_DIM=args.image_size)
    if args.min_confidence is not None:
        overrides["DETECTION_MIN_CONFIDENCE"] = args.min_confidence
    if overrides:
        config = config.with_overrides(**overrides)
    try:
        check_exportable(config)
    except ValueError as error:
        raise UsageError(f"--config {args.config}: {one_line(error)}") from None
    return config


def load_model(config, weights_path, config_name):
    """Build the inference model and load the weights by layer name; UsageError when the file
    does not fit (a shape differs, or a layer with weights is missing from the file)."""
    from .. import model as modellib
    from ..weights_io import WeightsFormatError, WeightsMismatchError, read_weights_table

    with tempfile.TemporaryDirectory(prefix="mrcnn-export-logs-") as logs:
        model = modellib.MaskRCNN(mode="inference", config=config, model_dir=logs)
    try:
        model.load_weights(weights_path, by_name=True)
        in_file = {layer for layer, _, _ in read_weights_table(weights_path)}
    except (WeightsMismatchError, WeightsFormatError, OSError, KeyError, ValueError) as error:
        detail = one_line(error).removeprefix(f"{weights_path}: ")
        raise UsageError(f"weights file {weights_path} does not fit --config {config_name}: "
                         f"{detail}") from None
    missing = [layer.name for layer in model.keras_model.layers
               if layer.weights and layer.name not in in_file]
    if missing:
        raise UsageError(f"weights file {weights_path} does not fit --config {config_name}: "
                         f"{len(missing)} of the model's layers are missing from it, e.g. "
                         f"{', '.join(missing[:3])}")
    return model


def write_export(model, args, temporary_path):
    """Write the export in the chosen format at ``temporary_path``."""
    if args.format == "saved_model":
        from .saved_model import export_saved_model

        export_saved_model(model, temporary_path)
    elif args.format == "tflite":
        from .tflite import TFLiteMismatchError, export_tflite

        side = int(model.config.IMAGE_MAX_DIM)
        height, width = args.input_size or (side, side)
        try:
            export_tflite(model, temporary_path, height, width, check=not args.no_check)
        except TFLiteMismatchError as error:
            raise ExportFailed(str(error)) from None
    else:
        from .onnx import export_onnx

        export_onnx(model, temporary_path)


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def run(args):
    """Validate everything cheap, build and load the model, export, rename into place."""
    check_output_path(args.output)
    if args.input_size is not None and args.format != "tflite":
        raise UsageError("--input-size applies to --format tflite only (the SavedModel and "
                         "ONNX models take photos of any size)")
    if args.no_check and args.format != "tflite":
        raise UsageError("--no-check applies to --format tflite only")
    if args.format == "onnx" and importlib.util.find_spec("tf2onnx") is None:
        raise UsageError('--format onnx needs tf2onnx: pip install "mrcnn[export]" (in a '
                         'checkout: .venv/bin/pip install -e ".[export]")')
    check_weights_file(args.weights)
    config = apply_options(resolve_config(args.config, args.weights), args)
    if not args.debug:
        import_tensorflow_quietly()
    model = load_model(config, args.weights, args.config)

    output = os.path.abspath(args.output)
    folder, name = os.path.split(output)
    temporary = tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=folder)
    try:
        target = os.path.join(temporary, name)
        write_export(model, args, target)
        if os.path.lexists(output):
            raise UsageError(f"output {args.output} appeared while exporting; left it alone")
        os.rename(target, output)
    finally:
        _remove(temporary)
    side = int(config.IMAGE_MAX_DIM)
    size = ("photos of any size" if args.format != "tflite" else
            "photos of {}x{} pixels".format(*(args.input_size or (side, side))))
    print(f"wrote {args.format} {args.output}: {type(config).__name__}, {config.NUM_CLASSES} "
          f"classes, {side}x{side} network input, {size}; input image uint8 [H, W, 3] -> "
          f"boxes, class_ids, scores, masks")
    return EXIT_OK


def main(argv=None, prog=None):
    """Command line entry point; returns the exit status."""
    args = build_parser(prog).parse_args(argv)
    return run_main(_run_reporting_converter_failures, args)


def _run_reporting_converter_failures(args):
    try:
        return run(args)
    except ExportFailed as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
