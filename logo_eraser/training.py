"""The ``logo-train`` command: fine-tune Mask R-CNN on FlickrLogos-47 (47 logo classes) or train
the class-agnostic logo model on synthetic photos, or evaluate the result.

    logo-train --gpu 0                                    # train (the default command)
    logo-train evaluate --gpu 0                           # mAP@0.5 and COCO AP on test/
    logo-train --model logo --dataset synth_logos         # the eraser's shipped model

(``python samples/brands/fine_tune_brands.py`` runs the same command, with the same flags.)

`train` starts from the COCO weights (``--weights coco``: mask_rcnn_coco.h5 at the checkout's
root (the current folder for an installed package), or where MRCNN_COCO_WEIGHTS points; the
four class-dependent layers are left out), trains the ResNet stages 3 and up with the heads
(``--layers 3+``) to epoch 50 on the photos of train/filelist-logosonly.txt, validating on a
fixed part of them, writes a checkpoint per epoch under ``--logs`` and at the end the fine-tuned
weights to ``--output`` (default ``<checkout>/mask_rcnn_brands.h5``, Keras-2 layout, written
atomically; ``--model logo``: the package's shipped ``logo_eraser/models/mask_rcnn_logo.h5`` in
a checkout, else ``./mask_rcnn_logo.h5``).

`evaluate` runs the fine-tuned model (default: the ``--output`` file) on the test split and
prints mAP@0.5 (mask IoU) and COCO box/mask AP, overall and per class.

The dataset (``--dataset``, default ``FlickrLogos_47`` beside the checkout, else inside it; the
current folder's for an installed package) is checked before TensorFlow is imported: with
``--strict`` (the default) the first problem stops the run with one line naming the file and
line; ``--lenient`` skips and counts.

The original script's flags are accepted as aliases: ``--dir`` = ``--dataset``, ``--load`` =
``--weights``, ``--infer`` = the ``evaluate`` command.

Exit status: 0 success, 2 bad arguments or files (one line on stderr, nothing written),
1 unexpected internal error (rerun with --debug for the traceback).
"""

import logging
import os
import re
import sys
import time

from mrcnn.cli import (EXIT_OK, OneLineArgumentParser, WEIGHTS_RELEASES_URL, UsageError,
                       add_device_flags, check_weights_choice, check_writable_folder,
                       import_tensorflow_quietly, load_starting_weights, non_negative_int, one_line,
                       open_unit_interval, positive_float, positive_int, run_main, same_path,
                       unit_interval)

from . import paths
from .flickrlogos.dataset import DEFAULT_VAL_FRACTION, BrandsDataError, BrandsDataset
from .models import (SHIPPED_WEIGHTS_PATH, BrandsConfig, BrandsInferenceConfig, LogoConfig,
                     LogoInferenceConfig, LogoLiteConfig, LogoLiteInferenceConfig)

DATASET_FOLDER_NAME = "FlickrLogos_47"
# Where the dataset is looked for without --dataset, in this order.
DEFAULT_DATASET_DIRS = ((os.path.join(os.path.dirname(paths.CHECKOUT_ROOT), DATASET_FOLDER_NAME),
                         os.path.join(paths.CHECKOUT_ROOT, DATASET_FOLDER_NAME))
                        if paths.CHECKOUT_ROOT is not None
                        else (os.path.join(os.getcwd(), DATASET_FOLDER_NAME),))
DEFAULT_COCO_WEIGHTS = os.path.join(paths.work_folder(), "mask_rcnn_coco.h5")
COCO_WEIGHTS_ENV = "MRCNN_COCO_WEIGHTS"
DEFAULT_OUTPUT = os.path.join(paths.work_folder(), "mask_rcnn_brands.h5")
# The class-agnostic logo model the eraser uses when no brands model is present: retraining it
# in a checkout replaces the shipped file; an installed package is never written to.
DEFAULT_LOGO_OUTPUT = (SHIPPED_WEIGHTS_PATH if paths.CHECKOUT_ROOT is not None
                       else os.path.join(os.getcwd(), "mask_rcnn_logo.h5"))
# --model: (training config, inference config) and the defaults that differ.
MODELS = {
    "brands": dict(configs=(BrandsConfig, BrandsInferenceConfig), weights="coco", layers="3+",
                   output=DEFAULT_OUTPUT, val_subset="val"),
    # From scratch (no pretrained backbone has its layers), validated on the test split:
    # logo-synth puts only held-out brands there.
    "logo": dict(configs=(LogoConfig, LogoInferenceConfig), weights="none", layers="all",
                 output=DEFAULT_LOGO_OUTPUT, val_subset="test"),
    # The same on an ImageNet-pretrained EfficientNet-Lite0 (the train extra's checkpoint).
    "logo-lite0": dict(configs=(LogoLiteConfig, LogoLiteInferenceConfig), weights="imagenet",
                       layers="all", output=os.path.join(paths.work_folder(),
                                                         "mask_rcnn_logo_lite0.h5"),
                       val_subset="test"),
}
DEFAULT_LOGS_DIR = os.path.join(paths.work_folder(), "logs")
DATASET_URL = ("https://www.uni-augsburg.de/de/fakultaet/fai/informatik/prof/mmc/research/"
               "datensatze/flickrlogos/")
LAYER_PRESETS = ("heads", "3+", "4+", "5+", "all")
# A BrandsDataError raised by load_mask inside the tf.data pipeline reaches model.train as a
# TensorFlow error whose message quotes it, followed by tracebacks.
_PIPELINE_DATA_ERROR = re.compile(r"FlickrLogosError: (.+?, line \d+: .+?)(?= Traceback|$)")


class BrandsError(UsageError):
    """A problem with the user's arguments or files; its message is printed as one line."""


def coco_weights_path():
    """The file ``--weights coco`` reads: $MRCNN_COCO_WEIGHTS, else DEFAULT_COCO_WEIGHTS."""
    return os.environ.get(COCO_WEIGHTS_ENV) or DEFAULT_COCO_WEIGHTS


def build_parser(prog=None):
    """The command's parser (``prog``: the name shown in --help)."""
    parser = OneLineArgumentParser(
        prog=prog,
        description="Fine-tune Mask R-CNN on FlickrLogos-47 (train, the default) or report "
        "mAP@0.5 and COCO AP per class on its test split (evaluate).",
        epilog=f"Nothing is downloaded: FlickrLogos-47 is distributed by the University of "
        f"Augsburg after registration ({DATASET_URL}); mask_rcnn_coco.h5 is on "
        f"{WEIGHTS_RELEASES_URL}. The original script's --dir, --load and --infer are "
        "aliases of --dataset, --weights and the evaluate command.")
    parser.add_argument("command", nargs="?", choices=("train", "evaluate"), default=None,
                        help="train (default): fine-tune and write --output; evaluate: "
                        "mAP@0.5 and COCO AP on the test split")
    parser.add_argument("--dataset", "--dir", dest="dataset", metavar="DIR",
                        help=f"the {DATASET_FOLDER_NAME} folder (train/, test/, "
                        f"className2ClassID.txt); default: the first of "
                        f"{' and '.join(DEFAULT_DATASET_DIRS)} that exists")
    parser.add_argument("--weights", "--load", dest="weights",
                        metavar="coco|imagenet|last|none|PATH",
                        help=f"starting weights (train) or weights to evaluate: coco "
                        f"({DEFAULT_COCO_WEIGHTS} or ${COCO_WEIGHTS_ENV}; its class-dependent "
                        "layers are not loaded), imagenet, last (newest checkpoint under "
                        "--logs), none (random) or a .h5 path; default: coco (--model "
                        "brands) or none (--model logo) for train, the "
                        "--output file for evaluate")
    parser.add_argument("--infer", action="store_true",
                        help="same as the evaluate command (the original script's flag)")
    parser.add_argument("--epochs", type=positive_int, default=50,
                        help="epoch to reach, counted from the checkpoint being resumed "
                        "(matterport's meaning; default: 50)")
    parser.add_argument("--layers", default=None,
                        help="layers to train: heads, 3+, 4+, 5+, all or a regex of layer "
                        "names (default: 3+ for --model brands, all for --model logo)")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help=f"learning rate (default: {BrandsConfig.LEARNING_RATE} for --model "
                        f"brands, {LogoConfig.LEARNING_RATE} for logo)")
    parser.add_argument("--steps-per-epoch", type=positive_int, default=None,
                        help=f"training steps per epoch (default: "
                        f"{BrandsConfig.STEPS_PER_EPOCH})")
    parser.add_argument("--validation-steps", type=positive_int, default=None,
                        help=f"validation steps per epoch (default: "
                        f"{BrandsConfig.VALIDATION_STEPS})")
    parser.add_argument("--images-per-gpu", type=positive_int, default=None,
                        help=f"training batch per GPU (default: {BrandsConfig.IMAGES_PER_GPU} "
                        f"for --model brands, {LogoConfig.IMAGES_PER_GPU} for logo)")
    parser.add_argument("--augment", action="store_true",
                        help="augment training photos: horizontal flips, mild scale, "
                        "brightness/contrast and colour changes (albumentations)")
    parser.add_argument("--logs", default=DEFAULT_LOGS_DIR, metavar="DIR",
                        help=f"checkpoints and TensorBoard logs (default: {DEFAULT_LOGS_DIR})")
    parser.add_argument("--output", default=None, metavar="PATH",
                        help=f"fine-tuned weights written at the end of train (default: "
                        f"{DEFAULT_OUTPUT}, or {DEFAULT_LOGO_OUTPUT} for --model logo); "
                        "evaluate reads it when --weights is not given")
    parser.add_argument("--model", choices=tuple(MODELS), default="brands",
                        help="brands (default): the 48-class FlickrLogos-47 model (ResNet101, "
                        "BrandsConfig); logo: the class-agnostic logo detector the eraser "
                        "ships with (LogoConfig, small backbone, trained from scratch on "
                        "logo-synth --labels logo data); logo-lite0: the same detector on an "
                        "ImageNet-pretrained EfficientNet-Lite0 (LogoLiteConfig, --weights "
                        "imagenet, needs the train extra)")
    parser.add_argument("--val-subset", choices=("val", "test"), default=None,
                        help="validation photos during training: val (a part of train/, "
                        "the default for brands) or test (the test split: synthetic data "
                        "keeps its held-out brands there; the default for logo)")
    parser.add_argument("--mixed-precision", choices=("float16", "bfloat16"), default=None,
                        help="train with 16-bit compute (weights stay float32): bfloat16 is "
                        "about 1.4x faster on CPUs with AMX / AVX512-BF16 (slower on others), "
                        "float16 on GPUs with tensor cores (default: the config's, float32)")
    parser.add_argument("--crop", action="store_true",
                        help="train on random square crops of the training size cut from the "
                             "photos at their own resolution (IMAGE_RESIZE_MODE \"crop\") "
                             "instead of whole photos shrunk to it: logos keep the pixel sizes "
                             "they have in a full-size photo, so the model can then detect at "
                             "larger input sizes")
    parser.add_argument("--backbone-bn", choices=("train", "frozen"), default=None,
                        help="the backbone's BatchNorm: train its statistics on the data, or "
                        "keep the pretrained ones (default: as the heads' TRAIN_BN)")
    parser.add_argument("--time-limit", type=positive_float, default=None, metavar="MINUTES",
                        help="train: stop after the last epoch that ends within this many "
                        "minutes of training; a cosine learning-rate schedule then ends "
                        "there if that comes before --epochs")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--strict", dest="strict", action="store_true", default=True,
                      help="stop at the first annotation problem, naming file and line "
                      "(default)")
    mode.add_argument("--lenient", dest="strict", action="store_false",
                      help="skip bad instances/photos with a warning, and count them")
    parser.add_argument("--val-fraction", type=open_unit_interval, default=DEFAULT_VAL_FRACTION,
                        help=f"part of the train list used for validation, chosen by a hash "
                        f"of each path (default: {DEFAULT_VAL_FRACTION})")
    parser.add_argument("--val-list", metavar="PATH",
                        help="list file of validation photos (paths relative to train/), "
                        "instead of --val-fraction")
    parser.add_argument("--limit", type=non_negative_int, default=0,
                        help="use at most this many photos per subset, 0 for all (default: 0)")
    parser.add_argument("--include-negatives", action="store_true",
                        help="evaluate: also run on the test split's no-logo photos "
                        "(filelist.txt); detections there count as false positives")
    parser.add_argument("--min-confidence", type=unit_interval, default=0.0,
                        help="evaluate: detection score threshold (default: 0, as COCO "
                        "evaluation expects)")
    add_device_flags(parser)
    return parser


############################################################
#  Checks (before TensorFlow)
############################################################

def resolve_command(args):
    """train | evaluate, from the positional command and the --infer alias."""
    if args.infer:
        if args.command == "train":
            raise BrandsError("--infer means evaluate; it cannot be used with train")
        return "evaluate"
    return args.command or "train"


def resolve_dataset(args):
    """The dataset folder: --dataset, else the first default location that exists."""
    if args.dataset is not None:
        if not args.dataset.strip():
            raise BrandsError("--dataset is empty")
        if not os.path.isdir(args.dataset):
            raise BrandsError(f"FlickrLogos-47 folder not found: {args.dataset}")
        return args.dataset
    for candidate in DEFAULT_DATASET_DIRS:
        if os.path.isdir(candidate):
            return candidate
    raise BrandsError(f"FlickrLogos-47 not found at {' or '.join(DEFAULT_DATASET_DIRS)}; "
                      f"pass --dataset DIR (nothing is downloaded: get it from {DATASET_URL})")


def check_layers(layers):
    if not layers.strip():
        raise BrandsError(f"--layers is empty; use {', '.join(LAYER_PRESETS)} or a regex")
    if layers not in LAYER_PRESETS:
        try:
            re.compile(layers)
        except re.error as error:
            raise BrandsError(f"--layers {layers!r} is neither a preset "
                              f"({', '.join(LAYER_PRESETS)}) nor a valid regex: {error}") \
                from None


def check_output(output, weights_path):
    """The output file can be written and is not the input weights file."""
    folder = os.path.dirname(os.path.abspath(output))
    if not output.strip():
        raise BrandsError("--output is empty")
    if os.path.isdir(output):
        raise BrandsError(f"--output {output} is a folder; give a .h5 file path")
    check_writable_folder(folder, f"--output {output}")
    if weights_path is not None and same_path(output, weights_path):
        raise BrandsError(f"--output {output} is the --weights file; the input is never "
                          "overwritten: choose another --output")


def check_weights(args, command, output):
    """Validate --weights; returns (choice, file path or None, coco path)."""
    coco_path = coco_weights_path()
    choice = args.weights
    if choice is None:
        choice = MODELS[args.model]["weights"] if command == "train" else output
    try:
        path = check_weights_choice(choice, coco_path)
    except UsageError as error:
        if command == "evaluate" and args.weights is None:
            raise BrandsError(f"{one_line(error)} (the fine-tuned model: run train first, or "
                              "pass --weights)") from None
        raise
    if command == "evaluate" and choice.lower() in ("none", "coco", "imagenet"):
        print(f"warning: evaluating --weights {choice}: the class-dependent layers are random; "
              "expect mAP near 0", file=sys.stderr)
    return choice, path, coco_path


def load_subset(dataset_dir, subset, args, file_list="logosonly", include_negatives=False):
    """A prepared BrandsDataset of one subset; data problems become one-line errors."""
    dataset = BrandsDataset()
    try:
        dataset.load_brands(dataset_dir, subset, file_list=file_list,
                            include_negatives=include_negatives, strict=args.strict,
                            val_fraction=args.val_fraction, val_list=args.val_list,
                            limit=args.limit or None)
    except (FileNotFoundError, ValueError) as error:
        raise BrandsError(one_line(error)) from None
    dataset.prepare()
    expected = MODELS[args.model]["configs"][0].NUM_CLASSES
    if dataset.num_classes != expected:
        raise BrandsError(f"{os.path.join(dataset_dir, 'className2ClassID.txt')} lists "
                          f"{dataset.num_classes - 1} classes; the {args.model} model has "
                          f"{expected - 1} (--model brands: FlickrLogos-47's 47; --model "
                          "logo: the single class of logo-synth --labels logo)")
    if not len(dataset.image_ids):
        raise BrandsError(f"no usable photo in the {subset} subset of {dataset_dir}")
    skipped = ""
    if dataset.num_skipped_instances or dataset.num_skipped_images:
        skipped = (f"; skipped {dataset.num_skipped_instances} instances and "
                   f"{dataset.num_skipped_images} photos (--lenient)")
    print(f"{subset}: {len(dataset.image_ids)} photos, {dataset.instance_count()} logos, "
          f"{dataset.num_negatives} without logos{skipped}")
    return dataset


def make_config(args, training):
    """The --model's training or inference config (BrandsConfig / BrandsInferenceConfig, or
    LogoConfig / LogoInferenceConfig) with the overrides."""
    train_base, inference_base = MODELS[args.model]["configs"]
    overrides = {}
    if training:
        if args.lr is not None:
            overrides["LEARNING_RATE"] = args.lr
        if args.steps_per_epoch:
            overrides["STEPS_PER_EPOCH"] = args.steps_per_epoch
        if args.validation_steps:
            overrides["VALIDATION_STEPS"] = args.validation_steps
        if args.images_per_gpu:
            overrides["IMAGES_PER_GPU"] = args.images_per_gpu
        if args.mixed_precision:
            overrides["MIXED_PRECISION"] = args.mixed_precision
        if args.crop:
            overrides["IMAGE_RESIZE_MODE"] = "crop"
        if args.backbone_bn is not None:
            overrides["BACKBONE_TRAIN_BN"] = args.backbone_bn == "train"
        return train_base().with_overrides(**overrides)
    overrides["DETECTION_MIN_CONFIDENCE"] = args.min_confidence
    return inference_base().with_overrides(**overrides)


def build_augmentation():
    """Horizontal flips and mild scale / colour changes (albumentations, applied to the
    resized photo and its masks together)."""
    try:
        import albumentations as A
    except ImportError:
        raise BrandsError("--augment needs albumentations, a training extra: pip install "
                          "'mrcnn[train]' (or leave out --augment)") from None

    return A.Compose([
        A.HorizontalFlip(p=0.5),
        A.Affine(scale=(0.85, 1.15), p=0.5),
        A.RandomBrightnessContrast(brightness_limit=0.15, contrast_limit=0.15, p=0.5),
        A.HueSaturationValue(hue_shift_limit=5, sat_shift_limit=15, val_shift_limit=10, p=0.3),
    ])


############################################################
#  Commands
############################################################

def run(args):
    """Validate everything, read the annotations, then train or evaluate. Returns 0."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    command = resolve_command(args)
    defaults = MODELS[args.model]
    if args.layers is None:
        args.layers = defaults["layers"]
    if command == "train" and args.include_negatives:
        raise BrandsError("--include-negatives applies to evaluate: training skips photos "
                          "without logos")
    check_layers(args.layers)
    dataset_dir = resolve_dataset(args)
    output = args.output if args.output is not None else defaults["output"]
    weights_choice, weights_path, coco_path = check_weights(args, command, output)
    if command == "train":
        check_output(output, weights_path)
    if os.path.exists(args.logs) and not os.path.isdir(args.logs):
        raise BrandsError(f"--logs {args.logs} is a file, not a folder")
    if args.val_list is not None and not args.val_list.strip():
        raise BrandsError("--val-list is empty")
    print(f"Command: {command}\nDataset: {dataset_dir}\nWeights: {weights_choice}\n"
          f"Logs: {args.logs}")

    # The annotations are parsed before TensorFlow is imported: a bad file fails fast.
    if command == "train":
        val_subset = args.val_subset or defaults["val_subset"]
        # Validating on test/ leaves the whole train split for training.
        dataset_train = load_subset(dataset_dir, "train" if val_subset == "val" else "trainval",
                                    args)
        dataset_val = load_subset(dataset_dir, val_subset, args)
    else:
        dataset_test = load_subset(dataset_dir, "test", args,
                                   file_list="all" if args.include_negatives else "logosonly",
                                   include_negatives=args.include_negatives)
    augmentation = build_augmentation() if command == "train" and args.augment else None

    if not args.debug:
        import_tensorflow_quietly()
    import mrcnn.model as modellib

    if command == "train":
        config = make_config(args, training=True)
        config.display()
        model = modellib.MaskRCNN(mode="training", config=config, model_dir=args.logs)
        load_starting_weights(model, weights_choice, weights_path, coco_path, "brands",
                              exclude_coco_heads=True)
        print(f"Fine-tuning layers {args.layers} to epoch {args.epochs}")
        callbacks = []
        if args.time_limit:
            from mrcnn.training import TimeLimit
            callbacks.append(TimeLimit(args.time_limit * 60))
        started = time.perf_counter()
        try:
            model.train(dataset_train, dataset_val, learning_rate=config.LEARNING_RATE,
                        epochs=args.epochs, layers=args.layers, augmentation=augmentation,
                        custom_callbacks=callbacks)
        except Exception as error:
            # Masks are decoded lazily: a corrupt one surfaces here, in strict mode.
            match = _PIPELINE_DATA_ERROR.search(one_line(error))
            if match is None:
                raise
            raise BrandsError(f"{match.group(1)} (--lenient skips such instances)") from None
        lazy_skips = dataset_train.num_skipped_instances + dataset_val.num_skipped_instances
        if lazy_skips:
            print(f"{lazy_skips} instances skipped in all (--lenient; see the warnings)")
        print(f"Trained to epoch {model.epoch} in {(time.perf_counter() - started) / 60:.1f} "
              "minutes" + (" (time limit)" if callbacks and callbacks[0].stopped_early else ""))
        model.save_weights(output)
        print(f"Saved the fine-tuned weights to {output}")
    else:
        from mrcnn import evaluation

        config = make_config(args, training=False)
        model = modellib.MaskRCNN(mode="inference", config=config, model_dir=args.logs)
        load_starting_weights(model, weights_choice, weights_path, coco_path, "brands",
                              exclude_coco_heads=True)
        print(f"Evaluating on {len(dataset_test.image_ids)} test photos")
        try:
            result = evaluation.evaluate(model, dataset_test, verbose=1)
        except BrandsDataError as error:
            raise BrandsError(f"{error} (--lenient skips such instances)") from None
        print(evaluation.format_report(result))
    return EXIT_OK


def main(argv=None, prog=None):
    """Command line entry point. Returns the exit status (see the module docstring)."""
    args = build_parser(prog).parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())
