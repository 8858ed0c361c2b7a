#!/usr/bin/env python3
"""Logo eraser: find brand logos in photos with Mask R-CNN and hide them.

    cd block && python final_project.py -gpu 0 -i ../images/sample_image_0.jpg  # ./eraser.png
    python block/final_project.py -i photo.jpg -o hidden.jpg --style blur
    python block/final_project.py -i holiday/ -o holiday_erased/ --keep google,apple

The photo is shrunk to the model's input (128 px) for detection; the instance masks come back
at full resolution and the output keeps the input's size. Every detected logo (of every class
but those in --keep) is hidden inside its mask's convex hull (or the mask itself, --region mask)
grown by --dilate pixels; nothing else changes. With no detection the photo is written
unchanged. See block/README.md for the details.

A folder input writes one output per photo, <output folder>/<stem>.png, with one model load.

Exit status: 0 success, 2 bad arguments or input files (one line on stderr, nothing written;
for a folder: unreadable photos are reported and skipped, and the status is 2 at the end),
1 unexpected internal error (rerun with --debug for the traceback).
"""

import json
import os
import sys
import tempfile

# Import the library and logo_eraser from this checkout, whatever the current folder is.
BLOCK_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BLOCK_DIR)
for _path in (BLOCK_DIR, REPO_ROOT):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import logo_eraser  # noqa: E402
from mrcnn.cli import (EXIT_OK, EXIT_USAGE_ERROR, OneLineArgumentParser,  # noqa: E402
                       UsageError, check_output_picture, check_writable_folder,
                       image_size, import_tensorflow_quietly, non_negative_int, one_line,
                       run_main, same_path, unit_interval)

WEIGHTS_FILENAME = "mask_rcnn_brands.h5"
# Looked up in this order when --weights is not given.
# The class-agnostic logo model shipped in the repository (trained on synthetic logos).
SHIPPED_WEIGHTS_PATH = os.path.join(BLOCK_DIR, "mask_rcnn_logo.h5")
DEFAULT_WEIGHTS_PATHS = (os.path.join(REPO_ROOT, WEIGHTS_FILENAME),
                         os.path.join(BLOCK_DIR, WEIGHTS_FILENAME), SHIPPED_WEIGHTS_PATH)
TRAIN_SCRIPT = os.path.join("samples", "brands", "fine_tune_brands.py")
DEFAULT_OUTPUT_FILE = "eraser.png"
DEFAULT_OUTPUT_FOLDER = "eraser"
OUTPUT_EXTENSIONS = (".png", ".jpg", ".jpeg")
# Files of a folder input that are read as photos (others are ignored).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm",
                    ".pgm", ".pnm")




def build_parser():
    parser = OneLineArgumentParser(
        description="Find brand logos in a photo (or a folder of photos) with Mask R-CNN and "
        "hide them: mosaic (default), blur, solid colour or inpainting, inside each logo's mask.",
        epilog=f"The model is never downloaded: train {WEIGHTS_FILENAME} with {TRAIN_SCRIPT} "
        f"and leave it at the repository root ({DEFAULT_WEIGHTS_PATHS[0]}) or in block/.")
    parser.add_argument("-i", "--image", required=True,
                        help="the photo, or a folder of photos (PNG, JPEG, BMP, TIFF, WebP...; "
                        "grayscale, RGBA and 16-bit are converted to 8-bit RGB)")
    parser.add_argument("-o", "--output",
                        help=f"picture to write (default: {DEFAULT_OUTPUT_FILE} in the current "
                        f"folder; extension {', '.join(OUTPUT_EXTENSIONS)}); for a folder input, "
                        f"the folder to write <stem>.png files into (default: "
                        f"./{DEFAULT_OUTPUT_FOLDER}/, created if needed)")
    parser.add_argument("--weights",
                        help=f"model weights, Keras HDF5 (default: "
                        f"{' then '.join(DEFAULT_WEIGHTS_PATHS)}, the last being the "
                        "class-agnostic logo model shipped in block/); 48 classes (brands) or "
                        "2 (class-agnostic logo model)")
    parser.add_argument("--min-confidence", type=unit_interval,
                        default=None,
                        help="ignore detections scoring below this, 0..1 (default: "
                        f"{logo_eraser.DEFAULT_MIN_CONFIDENCE} for a brands model, as the "
                        "original; for the shipped logo model its own, "
                        f"{logo_eraser.brands.LogoInferenceConfig.DETECTION_MIN_CONFIDENCE})")
    parser.add_argument("--image-sizes", type=image_size, nargs="+", metavar="PX",
                        help="detect at these input sizes (multiples of 64) and hide what any "
                        "of them finds (default: the model's own: "
                        f"{'/'.join(map(str, logo_eraser.brands.LogoInferenceConfig.TEST_IMAGE_SIZES))}"
                        " px for the shipped logo model, its single input size for a brands "
                        "model); one size is faster and finds less")
    parser.add_argument("--style", choices=logo_eraser.STYLES, default=logo_eraser.DEFAULT_STYLE,
                        help="how logos are hidden (default: mosaic, blocks scaled to each logo)")
    parser.add_argument("--region", choices=logo_eraser.REGIONS,
                        default=logo_eraser.DEFAULT_REGION,
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
    parser.add_argument("--seed", type=int, default=logo_eraser.DEFAULT_SEED,
                        help="seed of the mosaic's random colour picks (default: "
                        f"{logo_eraser.DEFAULT_SEED}: same photo, same output)")
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
        if os.path.splitext(output_folder)[1].lower() in OUTPUT_EXTENSIONS:
            raise UsageError(f"output {output_folder} looks like a picture, but the input "
                             f"{input_folder} is a folder: -o must name a folder")
        check_writable_folder(os.path.dirname(os.path.abspath(output_folder)), output_folder)
    elif not os.access(output_folder, os.W_OK):
        raise UsageError(f"output folder is not writable: {output_folder}")


def list_photos(folder):
    """The photo files directly in ``folder`` (by extension, hidden files skipped), sorted."""
    names = sorted(name for name in os.listdir(folder)
                   if not name.startswith(".")
                   and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
                   and os.path.isfile(os.path.join(folder, name)))
    if not names:
        raise UsageError(f"no photos in folder {folder} (looked for "
                         f"{', '.join(IMAGE_EXTENSIONS)})")
    return [os.path.join(folder, name) for name in names]


def output_names(photo_paths):
    """Output file name per photo: <stem>.png, or <stem>_<ext>.png where stems collide."""
    stems = [os.path.splitext(os.path.basename(path))[0] for path in photo_paths]
    names = []
    for path, stem in zip(photo_paths, stems):
        if stems.count(stem) > 1:
            stem = f"{stem}_{os.path.splitext(path)[1].lstrip('.').lower()}"
        names.append(stem + ".png")
    return names


def resolve_weights(weights_arg):
    """The weights file to use; UsageError (saying how to train one) when there is none."""
    if weights_arg is not None:
        if not os.path.exists(weights_arg):
            raise UsageError(f"weights file not found: {weights_arg}; nothing is downloaded: "
                             f"train it with {TRAIN_SCRIPT}")
        return weights_arg
    for path in DEFAULT_WEIGHTS_PATHS:
        if os.path.exists(path):
            return path
    raise UsageError(f"weights file not found: {DEFAULT_WEIGHTS_PATHS[0]} (nor "
                     f"{', '.join(DEFAULT_WEIGHTS_PATHS[1:])}); nothing is downloaded: train "
                     f"it with {TRAIN_SCRIPT} (--model logo for the class-agnostic model) or "
                     "pass --weights PATH")


def check_json_path(json_path, protected):
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

def read_photo(path):
    """[H, W, 3] uint8 RGB; UsageError naming the file when it cannot be read."""
    from mrcnn import image_io

    try:
        return image_io.read_image(path)
    except image_io.ImageReadError as error:
        raise UsageError(one_line(error)) from None


def write_picture(path, pixels, protect):
    from mrcnn import image_io

    try:
        image_io.write_image_atomic(path, pixels, protect=protect)
    except image_io.ImageWriteError as error:  # already names the file
        raise UsageError(one_line(error)) from None


def write_json_atomic(path, data):
    """Write ``data`` as JSON to a temporary file beside ``path``, then rename it over."""
    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def erase_one(model, image, args, keep_ids, image_path, output_path):
    """Detect, hide and write one photo; returns its JSON record."""
    pixels, detections, dilate = logo_eraser.erase_logos(
        model, image, style=args.style, keep_class_ids=keep_ids, dilate=args.dilate,
        seed=args.seed, region=args.region, image_sizes=args.image_sizes)
    write_picture(output_path, pixels, protect=image_path)
    return {"image": image_path, "output": output_path,
            "height": int(image.shape[0]), "width": int(image.shape[1]),
            "style": args.style, "region": args.region, "dilate_px": int(dilate),
            "image_sizes": list(args.detection_sizes),
            "min_confidence": args.min_confidence, "detections": detections}


def summary_line(record):
    hidden = sum(d["hidden"] for d in record["detections"])
    kept = len(record["detections"]) - hidden
    return (f"{record['image']}: {hidden} logo{'s' if hidden != 1 else ''} hidden"
            + (f", {kept} kept" if kept else "") + f"; wrote {record['output']}")


def load_model(weights_path, config, debug):
    if not debug:
        import_tensorflow_quietly()
    return logo_eraser.load_eraser_model(weights_path, config)


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
        check_output_picture(output, image_path, OUTPUT_EXTENSIONS, flag="-o/--output")
        photo_paths = [image_path]
    if args.json is not None:
        check_json_path(args.json, photo_paths + ([] if folder_mode else [output]))

    weights_path = resolve_weights(args.weights)
    config = logo_eraser.eraser_config_for(weights_path, args.min_confidence)
    args.min_confidence = float(config.DETECTION_MIN_CONFIDENCE)  # the model's default if unset
    # What is detected at: the sizes asked, else the model's own (None tells detect_multiscale
    # to use them, whatever the config's resize mode).
    args.detection_sizes = [int(size) for size in (args.image_sizes or config.TEST_IMAGE_SIZES
                                                   or [config.IMAGE_MAX_DIM])]
    keep_ids = logo_eraser.resolve_keep(split_keep(args.keep), config.CLASS_NAMES)
    print(f"Model: {weights_path} ({config.NUM_CLASSES - 1} "
          f"class{'es' if config.NUM_CLASSES > 2 else ''}, detecting at "
          f"{'/'.join(map(str, args.detection_sizes))} px)")

    if not folder_mode:
        image = read_photo(image_path)
        model = load_model(weights_path, config, args.debug)
        record = erase_one(model, image, args, keep_ids, image_path, output)
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
            image = read_photo(photo_path)
            os.makedirs(output, exist_ok=True)
            records.append(erase_one(model, image, args, keep_ids, photo_path,
                                     os.path.join(output, name)))
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


def main(argv=None):
    """Command line entry point. Returns the exit status (see the module docstring)."""
    args = build_parser().parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())
