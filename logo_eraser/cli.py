"""The ``logo-eraser`` command: find brand logos in photos with Mask R-CNN and hide them.

    logo-eraser -i photo.jpg                        # ./eraser.png, with the shipped model
    logo-eraser -i photo.jpg -o hidden.jpg --style blur
    logo-eraser -i holiday/ -o holiday_erased/ --keep google,apple

(``python block/final_project.py`` runs the same command, with the original's ``-gpu N``.)

The photo is shrunk to the model's input for detection; the instance masks come back at full
resolution and the output keeps the input's size. Every detected logo (of every class but those
in --keep) is hidden inside its mask's convex hull (or the mask itself, --region mask) grown by
--dilate pixels; nothing else changes. With no detection the photo is written unchanged.

A folder input writes one output per photo, <output folder>/<stem>.png, with one model load.

Exit status: 0 success, 2 bad arguments or input files (one line on stderr, nothing written;
for a folder: unreadable photos are reported and skipped, and the status is 2 at the end),
1 unexpected internal error (rerun with --debug for the traceback).
"""

import os
import sys

from mrcnn.atomic import write_json_atomic
from mrcnn.cli import (EXIT_OK, EXIT_USAGE_ERROR, OneLineArgumentParser, UsageError,
                       check_output_picture, check_writable_folder, image_size,
                       import_tensorflow_quietly, non_negative_int, one_line, run_main, same_path,
                       unit_interval)
from mrcnn.image_io import IMAGE_EXTENSIONS, list_images

from . import hiding, models, photos

DEFAULT_OUTPUT_FILE = "eraser.png"
DEFAULT_OUTPUT_FOLDER = "eraser"


def build_parser(prog=None):
    """The command's argparse parser (``prog``: the name shown in --help)."""
    defaults = models.default_weights_paths()
    parser = OneLineArgumentParser(
        prog=prog,
        description="Find brand logos in a photo (or a folder of photos) with Mask R-CNN and "
        "hide them: mosaic (default), blur, solid colour or inpainting, inside each logo's mask.",
        epilog=f"The model is never downloaded: without --weights the eraser uses "
        f"{models.weights.BRANDS_WEIGHTS_FILENAME} trained with {models.weights.TRAIN_COMMAND} "
        f"({' or '.join(defaults[:-1])}), else the class-agnostic logo model shipped with the "
        "package.")
    parser.add_argument("-i", "--image", required=True,
                        help="the photo, or a folder of photos (PNG, JPEG, BMP, TIFF, WebP...; "
                        "grayscale, RGBA and 16-bit are converted to 8-bit RGB)")
    parser.add_argument("-o", "--output",
                        help=f"picture to write (default: {DEFAULT_OUTPUT_FILE} in the current "
                        f"folder; extension {', '.join(photos.OUTPUT_EXTENSIONS)}); for a folder "
                        f"input, the folder to write <stem>.png files into (default: "
                        f"./{DEFAULT_OUTPUT_FOLDER}/, created if needed)")
    parser.add_argument("--weights",
                        help=f"model weights, Keras HDF5 (default: {' then '.join(defaults)}, "
                        "the last being the class-agnostic logo model shipped with the "
                        "package); 48 classes (brands) or 2 (class-agnostic logo model)")
    parser.add_argument("--min-confidence", type=unit_interval, default=None,
                        help="ignore detections scoring below this, 0..1 (default: "
                        f"{photos.DEFAULT_MIN_CONFIDENCE} for a brands model, as the "
                        "original; for the shipped logo model its own, "
                        f"{models.LogoInferenceConfig.DETECTION_MIN_CONFIDENCE})")
    parser.add_argument("--image-sizes", type=image_size, nargs="+", metavar="PX",
                        help="detect at these input sizes (multiples of 64) and hide what any "
                        "of them finds (default: the model's own: "
                        f"{'/'.join(map(str, models.LogoInferenceConfig.TEST_IMAGE_SIZES))}"
                        " px for the shipped logo model, its single input size for a brands "
                        "model); one size is faster and finds less")
    parser.add_argument("--style", choices=hiding.STYLES, default=hiding.DEFAULT_STYLE,
                        help="how logos are hidden (default: mosaic, blocks scaled to each logo)")
    parser.add_argument("--region", choices=hiding.REGIONS, default=hiding.DEFAULT_REGION,
                        help="what of each logo is hidden: hull = its mask's convex hull "
                        "(default; hides the silhouette of a wordmark's letters too), mask = the "
                        "mask pixels only, as the original eraser, box = the whole detected box")
    parser.add_argument("--keep", action="append", default=[], metavar="NAME[,NAME]",
                        help="leave logos of these classes visible (case-insensitive; may be "
                        "repeated)")
    parser.add_argument("--dilate", type=non_negative_int, metavar="PX",
                        help="grow each mask by PX pixels so its edges do not peek out "
                        "(default: one pixel of the model's input in photo pixels, at least 2: "
                        "8 for a 1000-px photo)")
    parser.add_argument("--seed", type=int, default=hiding.DEFAULT_SEED,
                        help="seed of the mosaic's random colour picks (default: "
                        f"{hiding.DEFAULT_SEED}: same photo, same output)")
    parser.add_argument("--json", metavar="PATH",
                        help="also write the detections as JSON: box [y1, x1, y2, x2] in pixels "
                        "of the photo, class, score, hidden or kept")
    parser.add_argument("-gpu", "--gpu", "--GPU", dest="gpu", type=int, metavar="N",
                        help="use only GPU number N (sets CUDA_VISIBLE_DEVICES; -1 forces the "
                        "CPU); default: TensorFlow's default device")
    parser.add_argument("--debug", action="store_true",
                        help="show TensorFlow's log and the traceback of internal errors")
    return parser


############################################################
#  Argument checks (before TensorFlow is imported)
############################################################

def check_output_folder(output_folder, input_folder):
    """Refuse an output folder that is the input folder, a file, or cannot be created."""
    if same_path(output_folder, input_folder):
        raise UsageError(f"output folder {output_folder} is the input folder; refusing to write "
                         f"over its photos (choose another -o/--output)")
    if os.path.exists(output_folder) and not os.path.isdir(output_folder):
        raise UsageError(f"output {output_folder} is a file; for a folder of photos -o names a "
                         f"folder")
    if not os.path.exists(output_folder):
        if os.path.splitext(output_folder)[1].lower() in photos.OUTPUT_EXTENSIONS:
            raise UsageError(f"output {output_folder} looks like a picture, but the input "
                             f"{input_folder} is a folder: -o must name a folder")
        check_writable_folder(os.path.dirname(os.path.abspath(output_folder)), output_folder)
    elif not os.access(output_folder, os.W_OK):
        raise UsageError(f"output folder is not writable: {output_folder}")


def list_photos(folder):
    """The photo files directly in ``folder`` (by extension, hidden files skipped), sorted;
    UsageError when there is none."""
    paths = list_images(folder)
    if not paths:
        raise UsageError(f"no photos in folder {folder} (looked for "
                         f"{', '.join(IMAGE_EXTENSIONS)})")
    return paths


def output_names(photo_paths):
    """Output file name per photo: <stem>.png, or <stem>_<ext>.png where stems collide."""
    stems = [os.path.splitext(os.path.basename(path))[0] for path in photo_paths]
    names = []
    for path, stem in zip(photo_paths, stems):
        if stems.count(stem) > 1:
            stem = f"{stem}_{os.path.splitext(path)[1].lstrip('.').lower()}"
        names.append(stem + ".png")
    return names


def check_json_path(json_path, protected):
    """Refuse a --json path that is a folder, one of the ``protected`` files, or unwritable."""
    if os.path.isdir(json_path):
        raise UsageError(f"--json {json_path} is a folder; give a file name")
    for path in protected:
        if same_path(json_path, path):
            raise UsageError(f"--json {json_path} is the same file as {path}; refusing to "
                             f"overwrite it")
    check_writable_folder(os.path.dirname(os.path.abspath(json_path)), json_path)


def split_keep(values):
    """--keep values ("a,b", repeated) -> list of names."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


############################################################
#  Work
############################################################

def summary_line(record):
    """One line saying what was done to a photo."""
    hidden = sum(d["hidden"] for d in record["detections"])
    kept = len(record["detections"]) - hidden
    return (f"{record['image']}: {hidden} logo{'s' if hidden != 1 else ''} hidden"
            + (f", {kept} kept" if kept else "") + f"; wrote {record['output']}")


def load_model(weights_path, config, debug):
    """The inference model (TensorFlow's start-up log hidden unless ``debug``)."""
    if not debug:
        import_tensorflow_quietly()
    return models.load_eraser_model(weights_path, config)


def run(args):
    """Validate everything cheap, then load the model once and process the photo(s)."""
    image_path = args.image
    if not os.path.exists(image_path):
        raise UsageError(f"cannot read image '{image_path}': no such file or folder")
    folder_mode = os.path.isdir(image_path)
    if folder_mode:
        output = args.output if args.output is not None else DEFAULT_OUTPUT_FOLDER
        check_output_folder(output, image_path)
        photo_paths = list_photos(image_path)
    else:
        output = args.output if args.output is not None else DEFAULT_OUTPUT_FILE
        check_output_picture(output, image_path, photos.OUTPUT_EXTENSIONS, flag="-o/--output")
        photo_paths = [image_path]
    if args.json is not None:
        check_json_path(args.json, photo_paths + ([] if folder_mode else [output]))

    weights_path = models.resolve_weights(args.weights)
    config = models.eraser_config_for(weights_path, args.min_confidence)
    keep_ids = photos.resolve_keep(split_keep(args.keep), config.CLASS_NAMES)
    print(f"Model: {weights_path} ({config.NUM_CLASSES - 1} "
          f"class{'es' if config.NUM_CLASSES > 2 else ''}, detecting at "
          f"{'/'.join(map(str, photos.detection_sizes(config, args.image_sizes)))} px)")
    options = dict(style=args.style, keep_class_ids=keep_ids, dilate=args.dilate,
                   seed=args.seed, region=args.region, image_sizes=args.image_sizes)

    if not folder_mode:
        image = photos.read_photo(image_path)  # a bad photo fails before the slow model build
        model = load_model(weights_path, config, args.debug)
        record = photos.erase_photo(model, image_path, output, image=image, **options)
        if args.json is not None:
            write_json_atomic(args.json, record)
        print(summary_line(record))
        return EXIT_OK

    from tqdm import tqdm

    model = load_model(weights_path, config, args.debug)
    records, failures = [], 0
    for photo_path, name in tqdm(list(zip(photo_paths, output_names(photo_paths))),
                                 desc="Erasing logos", unit="photo", file=sys.stderr):
        try:
            image = photos.read_photo(photo_path)
            os.makedirs(output, exist_ok=True)
            records.append(photos.erase_photo(model, photo_path, os.path.join(output, name),
                                              image=image, **options))
        except UsageError as error:
            failures += 1
            tqdm.write(f"error: {one_line(error)}; skipped", file=sys.stderr)
            records.append({"image": photo_path, "error": one_line(error)})
    if args.json is not None:
        write_json_atomic(args.json, {"images": records})
    done = len(photo_paths) - failures
    print(f"{done} of {len(photo_paths)} photos written to {output}"
          + (f"; {failures} skipped (see the errors above)" if failures else ""))
    return EXIT_USAGE_ERROR if failures else EXIT_OK


def main(argv=None, prog=None):
    """Command line entry point. Returns the exit status (see the module docstring)."""
    args = build_parser(prog).parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())
