"""The ``mrcnn-demo`` command: detect the 80 COCO object classes in one photo and write a picture
of the result.

The teaching demo of matterport's Mask R-CNN as a command line program: it builds the COCO model
in inference mode, loads `mask_rcnn_coco.h5` by layer name, runs `detect` on the photo and draws
the instance masks, boxes, class names and scores over it.

    mrcnn-demo -i images/sample_image_0.jpg -o output.png
    mrcnn-demo -i photo.jpg --weights /data/mask_rcnn_coco.h5 --min-confidence 0.5

(``python samples/demo.py`` runs the same command, its default weights at the checkout's root.)
The weights are never downloaded: get `mask_rcnn_coco.h5` by hand (see README.md); without
--weights the demo reads $MRCNN_COCO_WEIGHTS, else ./mask_rcnn_coco.h5.

Exit status: 0 success, 2 bad arguments or input files (one line on stderr, no output written),
1 unexpected internal error (rerun with --debug for the traceback).
"""

import os
import sys

from mrcnn.cli import (EXIT_OK, WEIGHTS_RELEASES_URL, OneLineArgumentParser, UsageError,
                       add_device_flags, check_output_picture, import_tensorflow_quietly,
                       one_line, run_main, unit_interval)
from mrcnn.image_io import WRITE_EXTENSIONS

WEIGHTS_FILENAME = "mask_rcnn_coco.h5"
# Where the weights are looked for without --weights (besides the current folder).
COCO_WEIGHTS_ENV = "MRCNN_COCO_WEIGHTS"
DEFAULT_LOGS_DIR = "logs"
DEFAULT_MIN_CONFIDENCE = 0.7

# Extensions the output picture may have (the formats mrcnn.image_io.write_image_atomic writes).
OUTPUT_EXTENSIONS = WRITE_EXTENSIONS


class DemoError(UsageError):
    """A problem with the user's arguments or files; its message is printed as one line."""




def default_weights_path():
    """The weights read without --weights: $MRCNN_COCO_WEIGHTS, else ./mask_rcnn_coco.h5."""
    return os.environ.get(COCO_WEIGHTS_ENV) or WEIGHTS_FILENAME


def build_parser(default_weights=None, prog=None):
    """The command's parser. default_weights: the --weights default (None:
    `default_weights_path`); prog: the name shown in --help."""
    default_weights = default_weights or default_weights_path()
    parser = OneLineArgumentParser(
        prog=prog,
        description="Detect COCO objects (80 classes) in a photo with Mask R-CNN and write the "
        "photo with instance masks, boxes, class names and scores drawn over it.",
        epilog=f"The COCO weights are not downloaded: get mask_rcnn_coco.h5 (release v2.0) by hand "
        f"from {WEIGHTS_RELEASES_URL} and save it as {default_weights} or pass --weights.",
    )
    parser.add_argument("-i", "--image", required=True, help="the photo to analyse (any format "
                        "OpenCV/Pillow reads; grayscale and RGBA are converted to RGB)")
    parser.add_argument("-o", "--output", default="output.png",
                        help="picture to write (default: output.png in the current folder); "
                        f"extension one of {', '.join(OUTPUT_EXTENSIONS)}")
    parser.add_argument("--weights", default=default_weights,
                        help=f"COCO weights file, Keras HDF5 (default: {default_weights})")
    parser.add_argument("--min-confidence", type=unit_interval, default=DEFAULT_MIN_CONFIDENCE,
                        help="drop detections scoring below this, 0..1 (default: "
                        f"{DEFAULT_MIN_CONFIDENCE})")
    add_device_flags(parser,
                     debug_help="show TensorFlow's log and the traceback of internal errors")
    parser.set_defaults(default_weights=default_weights)
    return parser


def check_weights_path(weights_path, default_weights):
    """Fail fast, before the slow model build, on a missing or non-HDF5 weights file."""
    if not os.path.isfile(weights_path):
        raise DemoError(
            f"weights file not found: {weights_path}. Nothing is downloaded: get "
            f"mask_rcnn_coco.h5 (release v2.0) by hand from {WEIGHTS_RELEASES_URL} and save it "
            f"as {weights_path}" + ("" if weights_path == default_weights
                                    else f" (or drop --weights to use {default_weights})"))
    import h5py

    if not h5py.is_hdf5(weights_path):
        raise DemoError(f"weights file {weights_path} is not an HDF5 file; expected the Keras "
                        f"weights mask_rcnn_coco.h5 from {WEIGHTS_RELEASES_URL}")


def read_photo(image_path):
    """The photo as uint8 RGB pixels [H, W, 3]; DemoError naming the file when unreadable."""
    from mrcnn import image_io

    try:
        return image_io.read_image(image_path)
    except image_io.ImageReadError as error:
        raise DemoError(one_line(error)) from None


def build_inference_config(min_confidence):
    """The COCO configuration for one image at a time with the given score threshold."""
    from mrcnn.coco import CocoConfig

    class InferenceConfig(CocoConfig):
        # One image per batch: detect() is called with a single photo.
        GPU_COUNT = 1
        IMAGES_PER_GPU = 1
        DETECTION_MIN_CONFIDENCE = min_confidence

    return InferenceConfig()


def load_coco_model(config, weights_path):
    """Build the inference model and load the weights by layer name (slow: tens of seconds)."""
    import mrcnn.model as modellib
    from mrcnn.weights_io import WeightsFormatError, WeightsMismatchError

    model = modellib.MaskRCNN(mode="inference", model_dir=DEFAULT_LOGS_DIR, config=config)
    try:
        model.load_weights(weights_path, by_name=True)
    except (WeightsMismatchError, WeightsFormatError) as error:
        detail = one_line(error)
        # weights_io names the file first; it is already at the start of this message.
        detail = detail.removeprefix(f"{weights_path}: ")
        raise DemoError(f"weights file {weights_path} does not fit the COCO model "
                        f"(ResNet101, 81 classes; use mask_rcnn_coco.h5): {detail}") from None
    return model


def describe_detections(result, class_names):
    """One line per detection: class name, score and box (y1, x1, y2, x2) in pixels."""
    lines = []
    for box, class_id, score in zip(result["rois"], result["class_ids"], result["scores"]):
        y1, x1, y2, x2 = (int(v) for v in box)
        lines.append(f"{class_names[int(class_id)]:<16} score {float(score):.3f}  "
                     f"box (y1, x1, y2, x2) = ({y1}, {x1}, {y2}, {x2})")
    return lines


def run(args):
    """Validate the arguments, detect, draw and write the picture. Returns the exit status."""
    check_output_picture(args.output, args.image, OUTPUT_EXTENSIONS)
    check_weights_path(args.weights, args.default_weights)
    image = read_photo(args.image)

    from mrcnn.coco import COCO_CLASS_NAMES

    if not args.debug:
        import_tensorflow_quietly()
    config = build_inference_config(args.min_confidence)
    model = load_coco_model(config, args.weights)
    result = model.detect([image], verbose=0)[0]

    from mrcnn import image_io, visualize

    pixels = visualize.draw_instances(image, result["rois"], result["masks"], result["class_ids"],
                                      COCO_CLASS_NAMES, result["scores"])
    try:
        image_io.write_image_atomic(args.output, pixels, protect=args.image)
    except image_io.ImageWriteError as error:  # already names the file
        raise DemoError(one_line(error)) from None
    except OSError as error:
        raise DemoError(f"cannot write {args.output}: {one_line(error)}") from None

    for line in describe_detections(result, COCO_CLASS_NAMES):
        print(line)
    count = len(result["class_ids"])
    print(f"{count} detection{'s' if count != 1 else ''} at confidence >= "
          f"{args.min_confidence:g}; wrote {args.output}")
    return EXIT_OK


def main(argv=None, default_weights=None, prog=None):
    """Command line entry point. Returns the exit status (see the module docstring).
    default_weights, prog: as build_parser."""
    args = build_parser(default_weights, prog).parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())
