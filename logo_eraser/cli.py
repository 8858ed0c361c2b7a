"""The ``logo-eraser`` command: find brand logos in photos and videos with Mask R-CNN and hide
them.

    logo-eraser -i photo.jpg                        # ./eraser.png, with the shipped model
    logo-eraser -i photo.jpg -o hidden.jpg --style blur
    logo-eraser -i clip.mp4                         # ./eraser.mp4, sound kept
    logo-eraser -i clip.mov -o hidden.mkv --detect-every 1 --json tracks.json
    logo-eraser -i holiday/ -o holiday_erased/ --keep google,apple

(``python block/final_project.py`` runs the same command, with the original's ``-gpu N``.)

The photo is shrunk to the model's input for detection; the instance masks come back at full
resolution and the output keeps the input's size. Every detected logo (of every class but those
in --keep) is hidden inside its mask's convex hull (or the mask itself, --region mask) grown by
--dilate pixels; nothing else changes. With no detection the photo is written unchanged.

A video (recognised by its content, else by its extension: .mp4, .m4v, .mov, .mkv, .webm,
.avi) is read and written frame by frame (logo_eraser.videos): the detector runs every
--detect-every frames, each logo is tracked between them and stays hidden --hold frames after
the detector last saw it; the output keeps the frame count, timestamps, size, rotation and sound
(copied unchanged); its format follows -o's extension (default eraser.mp4, H.264 at --crf).

Text naming a brand is hidden too (--text brands, the default): the words of the photo (of a
video's key frames) are read (logo_eraser.text_reading) and those naming a brand of the
lexicon (logo_eraser.brand_names: simple-icons, FlickrLogos-47 and --brands-file names) are
hidden with the same style; --text all hides every word read, --text off reads nothing.

A folder input writes one output per photo, <output folder>/<stem>.png, and per video,
<output folder>/<stem>.mp4, with one model load.

Exit status: 0 success, 2 bad arguments or input files (one line on stderr, nothing written;
for a folder: unreadable photos are reported and skipped, and the status is 2 at the end),
1 unexpected internal error (rerun with --debug for the traceback).
"""

import argparse
import os
import signal
import sys

from mrcnn.atomic import write_json_atomic
from mrcnn.cli import (EXIT_OK, EXIT_USAGE_ERROR, OneLineArgumentParser, UsageError,
                       check_output_picture, check_writable_folder, image_size,
                       import_tensorflow_quietly, non_negative_int, one_line, positive_int,
                       run_main, same_path, unit_interval)
from mrcnn.image_io import IMAGE_EXTENSIONS, list_images

from . import brand_names, hiding, models, photos, text_hiding, text_reading, video_io, videos

DEFAULT_OUTPUT_FILE = "eraser.png"
DEFAULT_VIDEO_OUTPUT_FILE = "eraser.mp4"
DEFAULT_OUTPUT_FOLDER = "eraser"


def build_parser(prog=None):
    """The command's argparse parser (``prog``: the name shown in --help)."""
    defaults = models.default_weights_paths()
    parser = OneLineArgumentParser(
        prog=prog,
        description="Find brand logos in a photo or a video (or a folder of them) with Mask "
        "R-CNN and hide them: mosaic (default), blur, solid colour or inpainting, inside each "
        "logo's mask; a video keeps its frames, timing and sound.",
        epilog=f"The model is never downloaded: without --weights the eraser uses "
        f"{models.weights.BRANDS_WEIGHTS_FILENAME} trained with {models.weights.TRAIN_COMMAND} "
        f"({' or '.join(defaults[:-1])}), else the class-agnostic logo model shipped with the "
        "package.")
    parser.add_argument("-i", "--image", required=True,
                        help="the photo, the video, or a folder of photos and videos (PNG, "
                        "JPEG, BMP, TIFF, WebP...; grayscale, RGBA and 16-bit are converted to "
                        f"8-bit RGB; videos: {', '.join(video_io.VIDEO_EXTENSIONS)} or any "
                        "file FFmpeg reads)")
    parser.add_argument("-o", "--output",
                        help=f"picture to write (default: {DEFAULT_OUTPUT_FILE} in the current "
                        f"folder; extension {', '.join(photos.OUTPUT_EXTENSIONS)}), or video "
                        f"(default: {DEFAULT_VIDEO_OUTPUT_FILE}; extension "
                        f"{', '.join(video_io.OUTPUT_VIDEO_EXTENSIONS)}: H.264, VP9 for .webm); "
                        f"for a folder input, the folder to write <stem>.png and <stem>.mp4 "
                        f"files into (default: ./{DEFAULT_OUTPUT_FOLDER}/, created if needed)")
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
                        help="leave logos of these classes, and text naming these brands, "
                        "visible (case-insensitive; may be repeated)")
    parser.add_argument("--text", choices=text_hiding.TEXT_MODES, default=None,
                        help="text read in the photo to hide as well: brands = words naming a "
                        "brand (default; simple-icons and FlickrLogos-47 names, and "
                        "--brands-file), all = every word read, off = none (logos only)")
    parser.add_argument("--brands-file", metavar="FILE",
                        help="more brand names whose text is hidden: a UTF-8 text file, one "
                        "name a line (# comments)")
    parser.add_argument("--dilate", type=non_negative_int, metavar="PX",
                        help="grow each mask by PX pixels so its edges do not peek out "
                        "(default: one pixel of the model's input in photo pixels, at least 2: "
                        "8 for a 1000-px photo)")
    parser.add_argument("--seed", type=int, default=hiding.DEFAULT_SEED,
                        help="seed of the mosaic's random colour picks (default: "
                        f"{hiding.DEFAULT_SEED}: same photo, same output)")
    parser.add_argument("--json", metavar="PATH",
                        help="also write the detections as JSON: box [y1, x1, y2, x2] in pixels "
                        "of the photo, class, score, hidden or kept; for a video its tracks: "
                        "id, class, hidden or kept, first and last frame, box per frame")
    video = parser.add_argument_group("videos")
    video.add_argument("--detect-every", type=positive_int, metavar="N",
                       default=videos.DEFAULT_DETECT_EVERY,
                       help="run the detector on every Nth frame and track each logo between "
                       f"them (default: {videos.DEFAULT_DETECT_EVERY}; 1: every frame, slower)")
    video.add_argument("--hold", type=non_negative_int, metavar="FRAMES",
                       help="keep a logo hidden, following its track, for this many frames "
                       "after the detector last found it (and at least until its next run), "
                       "so a missed frame never shows it (default: "
                       f"{videos.HOLD_SECONDS:g} s of frames, e.g. "
                       f"{videos.default_hold(25)} at 25 fps)")
    video.add_argument("--text-every", type=positive_int, metavar="N",
                       default=videos.DEFAULT_TEXT_EVERY,
                       help="read a video's text on every Nth key frame only (and the first of "
                       "each shot): reading is slower than detecting logos; text that appears "
                       "between two reads is hidden from the later one on (default: "
                       f"{videos.DEFAULT_TEXT_EVERY}; 1: every key frame)")
    video.add_argument("--crf", type=crf_value, default=video_io.DEFAULT_CRF,
                       help="video quality, 0 (lossless) to 51, lower is better and larger "
                       f"(default: {video_io.DEFAULT_CRF}, no visible loss)")
    parser.add_argument("-gpu", "--gpu", "--GPU", dest="gpu", type=int, metavar="N",
                        help="use only GPU number N (sets CUDA_VISIBLE_DEVICES; -1 forces the "
                        "CPU); default: TensorFlow's default device")
    parser.add_argument("--debug", action="store_true",
                        help="show TensorFlow's log and the traceback of internal errors")
    return parser


def crf_value(text):
    """argparse type: an H.264 constant rate factor, 0..51."""
    value = non_negative_int(text)
    if value > 51:
        raise argparse.ArgumentTypeError(f"must be between 0 and 51, got {value}")
    return value


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
        if os.path.splitext(output_folder)[1].lower() in (photos.OUTPUT_EXTENSIONS
                                                          + video_io.OUTPUT_VIDEO_EXTENSIONS):
            raise UsageError(f"output {output_folder} looks like a file, but the input "
                             f"{input_folder} is a folder: -o must name a folder")
        check_writable_folder(os.path.dirname(os.path.abspath(output_folder)), output_folder)
    elif not os.access(output_folder, os.W_OK):
        raise UsageError(f"output folder is not writable: {output_folder}")


def list_photos(folder):
    """The photo and video files directly in ``folder`` (by extension, hidden files skipped),
    sorted; UsageError when there is none."""
    extensions = IMAGE_EXTENSIONS + video_io.VIDEO_EXTENSIONS
    paths = list_images(folder, extensions=extensions)
    if not paths:
        raise UsageError(f"no photos or videos in folder {folder} (looked for "
                         f"{', '.join(extensions)})")
    return paths


def output_names(photo_paths):
    """Output file name per photo or video: <stem>.png (<stem>.mp4 for a video, by content),
    or <stem>_<ext>.png / .mp4 where stems collide."""
    stems = [os.path.splitext(os.path.basename(path))[0] for path in photo_paths]
    names = []
    for path, stem in zip(photo_paths, stems):
        if stems.count(stem) > 1:
            stem = f"{stem}_{os.path.splitext(path)[1].lstrip('.').lower()}"
        names.append(stem + (".mp4" if video_io.is_video(path) else ".png"))
    return names


def check_output_video(output_path, input_path):
    """UsageError unless ``output_path`` is a writable video path (extension in
    video_io.OUTPUT_VIDEO_EXTENSIONS) that is not the input video ``input_path``."""
    if same_path(output_path, input_path):
        raise UsageError(f"output {output_path} is the input video; refusing to overwrite it "
                         f"(choose another -o/--output)")
    extension = os.path.splitext(output_path)[1].lower()
    if extension not in video_io.OUTPUT_VIDEO_EXTENSIONS:
        raise UsageError(f"output {output_path}: the input {input_path} is a video; use a video "
                         f"extension ({', '.join(video_io.OUTPUT_VIDEO_EXTENSIONS)}), not "
                         f"{extension or '(none)'!r}")
    if os.path.isdir(output_path):
        raise UsageError(f"output {output_path} is a folder; give a file name such as "
                         f"{DEFAULT_VIDEO_OUTPUT_FILE}")
    check_writable_folder(os.path.dirname(os.path.abspath(output_path)), output_path)


def check_json_path(json_path, protected):
    """Refuse a --json path that is a folder, one of the ``protected`` files, or unwritable."""
    if os.path.isdir(json_path):
        raise UsageError(f"--json {json_path} is a folder; give a file name")
    for path in protected:
        if same_path(json_path, path):
            raise UsageError(f"--json {json_path} is the same file as {path}; refusing to "
                             f"overwrite it")
    check_writable_folder(os.path.dirname(os.path.abspath(json_path)), json_path)


def text_finder_for(args, keep_names):
    """The text_hiding.TextFinder that --text, --brands-file and --keep ask for, or None (--text
    off; or the text reader's package missing while --text was not given: a one-line warning
    says so). UsageError for a bad --brands-file, or --text given without the package."""
    mode = args.text if args.text is not None else text_hiding.DEFAULT_TEXT_MODE
    if mode == "off":
        if args.brands_file is not None:
            raise UsageError("--brands-file needs --text brands or all, not --text off")
        return None
    lexicon = brand_names.default_lexicon()
    if args.brands_file is not None:
        try:
            lexicon.add(brand_names.read_brands_file(args.brands_file), brand_names.SOURCE_USER)
        except brand_names.BrandsFileError as error:
            raise UsageError(str(error)) from None
    try:
        text_reading.check_available()
    except text_reading.TextReaderMissing as error:
        if args.text is not None:
            raise UsageError(f"--text {args.text}: {error}") from None
        print(f"warning: text not hidden: {error}; --text off hides logos only",
              file=sys.stderr)
        return None
    return text_hiding.TextFinder(mode, lexicon, keep_names=text_keep_names(keep_names))


def text_keep_names(keep_names):
    """--keep names as brand names: a FlickrLogos-47 class without _symbol / _text."""
    suffixes = ("_symbol", "_text")
    return [next((name[:-len(s)] for s in suffixes if name.lower().endswith(s)), name)
            for name in keep_names]


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
            + (f", {kept} kept" if kept else "") + text_summary(record)
            + f"; wrote {record['output']}")


def text_summary(record):
    """", N text regions hidden (M kept)" for a record with text regions, else ""."""
    regions = record.get("text", {}).get("regions", [])
    hidden = sum(region["hidden"] for region in regions)
    kept = len(regions) - hidden
    if not regions:
        return ""
    return (f", {hidden} text region{'s' if hidden != 1 else ''} hidden"
            + (f" ({kept} kept)" if kept else ""))


def video_summary_line(record):
    """One line saying what was done to a video (text regions are tracks of class "text")."""
    logos = [track for track in record["tracks"] if track["class_name"] != "text"]
    hidden = sum(track["hidden"] for track in logos)
    kept = len(logos) - hidden
    text = len(record["tracks"]) - len(logos)
    return (f"{record['video']}: {hidden} logo track{'s' if hidden != 1 else ''} hidden"
            + (f", {kept} kept" if kept else "")
            + (f", {text} text track{'s' if text != 1 else ''} hidden" if text else "")
            + f" in {record['frames']} frames; wrote {record['output']}")


def _interrupt(signum, frame):
    """SIGTERM as Ctrl-C: the atomic writers remove their temporary files on the way out."""
    raise KeyboardInterrupt


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
    video_mode = not folder_mode and video_io.is_video(image_path)
    if folder_mode:
        output = args.output if args.output is not None else DEFAULT_OUTPUT_FOLDER
        check_output_folder(output, image_path)
        photo_paths = list_photos(image_path)
    elif video_mode:
        output = args.output if args.output is not None else DEFAULT_VIDEO_OUTPUT_FILE
        check_output_video(output, image_path)
        photo_paths = [image_path]
    else:
        output = args.output if args.output is not None else DEFAULT_OUTPUT_FILE
        check_output_picture(output, image_path, photos.OUTPUT_EXTENSIONS, flag="-o/--output")
        photo_paths = [image_path]
    if args.json is not None:
        check_json_path(args.json, photo_paths + ([] if folder_mode else [output]))
    keep_names = split_keep(args.keep)
    text_finder = text_finder_for(args, keep_names)
    # A bad video fails here, before the weights are read and the slow model build.
    reader = video_io.open_video(image_path) if video_mode else None
    previous_handler = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _erase(args, image_path, output, folder_mode, reader, photo_paths, keep_names,
                      text_finder)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        if reader is not None:
            reader.close()


def _erase(args, image_path, output, folder_mode, reader, photo_paths, keep_names, text_finder):
    """Load the model once and process the photo, video (``reader``: it open) or folder,
    hiding text too with ``text_finder`` (None: logos only)."""
    weights_path = models.resolve_weights(args.weights)
    config = models.eraser_config_for(weights_path, args.min_confidence)
    keep_ids = photos.resolve_keep(keep_names, config.CLASS_NAMES,
                                   text_finder.lexicon if text_finder is not None else None)
    print(f"Model: {weights_path} ({config.NUM_CLASSES - 1} "
          f"class{'es' if config.NUM_CLASSES > 2 else ''}, detecting at "
          f"{'/'.join(map(str, photos.detection_sizes(config, args.image_sizes)))} px)")
    options = dict(style=args.style, keep_class_ids=keep_ids, dilate=args.dilate,
                   seed=args.seed, region=args.region, image_sizes=args.image_sizes,
                   text_finder=text_finder)
    video_options = dict(options, detect_every=args.detect_every, hold=args.hold, crf=args.crf,
                         text_every=args.text_every)

    if reader is not None:
        model = load_model(weights_path, config, args.debug)
        record = videos.erase_video(model, image_path, output, reader=reader, **video_options)
        if args.json is not None:
            write_json_atomic(args.json, record)
        print(video_summary_line(record))
        return EXIT_OK

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
            if video_io.is_video(photo_path):
                reader = video_io.open_video(photo_path)
                os.makedirs(output, exist_ok=True)
                records.append(videos.erase_video(model, photo_path, os.path.join(output, name),
                                                  reader=reader, **video_options))
                continue
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
    print(f"{done} of {len(photo_paths)} photos and videos written to {output}"
          + (f"; {failures} skipped (see the errors above)" if failures else ""))
    return EXIT_USAGE_ERROR if failures else EXIT_OK


def main(argv=None, prog=None):
    """Command line entry point. Returns the exit status (see the module docstring)."""
    args = build_parser(prog).parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())
