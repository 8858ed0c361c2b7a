"""Logo eraser benchmark: end-to-end time for one 1000x1000 photo, with and without the model load.

Usage:
    python bench/bench_eraser.py                  # mosaic, 3 CLI runs + 5 in-process runs
    python bench/bench_eraser.py --cli-runs 5 --runs 10 --style blur
    python bench/bench_eraser.py --cli-runs 0 --photo images/X_z.jpg \
        --weights logo_eraser/models/mask_rcnn_logo.h5 new.h5     # real models, a 640-px photo

"load included": the median wall time of the command line as a user runs it
(`python block/final_project.py -i photo.png -o out.png --weights W`, a fresh process each time:
Python and TensorFlow start-up, ResNet101 build, weights load, detection, hiding, PNG write),
after one untimed warm-up run (disk cache).
"load excluded": the same work with the model already loaded, in-process: read the photo,
`erase_logos` (detect + hide), write the PNG; median after one warm-up call. `detect()` is also
timed alone; hiding = erase_logos - detect().

Weights: random values in the exact 48-class brands layout (mrcnn.testing). With random weights
every one of the 100 detection slots is a detection (the mask head's and the hiding's worst
case); the detection count is printed with the timings.
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
ERASER_SCRIPT = REPO_ROOT / "block" / "final_project.py"
SOURCE_PHOTO = REPO_ROOT / "images" / "sample_image_0.jpg"
PHOTO_SIDE = 1000
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def make_photo(path):
    """The sample photo resized to PHOTO_SIDE x PHOTO_SIDE, saved as PNG."""
    import cv2

    from mrcnn.image_io import read_image, write_image_atomic

    photo = cv2.resize(read_image(SOURCE_PHOTO), (PHOTO_SIDE, PHOTO_SIDE),
                       interpolation=cv2.INTER_AREA)
    write_image_atomic(path, photo)


def time_cli(photo, weights, output, style, runs):
    """Wall times (s) of `runs` CLI runs after one warm-up run."""
    command = [sys.executable, str(ERASER_SCRIPT), "-i", str(photo), "-o", str(output),
               "--weights", str(weights), "--style", style]
    times = []
    for index in range(runs + 1):
        start = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if completed.returncode != 0:
            raise RuntimeError(f"eraser failed: {completed.stderr.strip()}")
        if index:
            times.append(elapsed)
    return times, completed.stdout.strip()


def time_in_process(photo, weights, output, style, runs):
    """Per-step times over `runs` calls after a warm-up call, the model loaded once.

    Returns (steps: dict of lists of seconds for read, erase, write, total and detect,
    detection count, build + load seconds).
    """
    import numpy as np

    from logo_eraser import models, photos
    from mrcnn.cli import import_tensorflow_quietly
    from mrcnn.image_io import read_image, write_image_atomic

    import_tensorflow_quietly()
    start = time.perf_counter()
    config = models.eraser_config_for(str(weights))
    model = models.load_eraser_model(str(weights), config)
    build_load = time.perf_counter() - start
    steps = {"read": [], "erase": [], "write": [], "total": [], "detect": []}
    for index in range(runs + 1):
        start = time.perf_counter()
        image = read_image(photo)
        read_done = time.perf_counter()
        pixels, detections, _ = photos.erase_logos(model, image, style=style)
        erase_done = time.perf_counter()
        write_image_atomic(output, pixels, protect=photo)
        write_done = time.perf_counter()
        # detect() alone, to split erase_logos into detection and hiding.
        model.detect([image])
        detect_done = time.perf_counter()
        assert np.any(pixels != image) == bool(detections)
        if index:
            steps["read"].append(read_done - start)
            steps["erase"].append(erase_done - read_done)
            steps["write"].append(write_done - erase_done)
            steps["total"].append(write_done - start)
            steps["detect"].append(detect_done - write_done)
    return steps, len(detections), build_load


def compare_weights(args):
    """In-process times of several weights files on one photo (each in its own process, so
    that one model's threads and caches do not slow the next)."""
    if args.photo is None:
        raise SystemExit("--weights needs --photo")
    for weights in args.weights:
        code = ("import statistics, pathlib; from mrcnn.testing import load_script_module; "
                "b = load_script_module(pathlib.Path('bench/bench_eraser.py')); "
                f"steps, count, load = b.time_in_process({args.photo!r}, {weights!r}, "
                f"pathlib.Path({tempfile.gettempdir()!r}) / 'bench_eraser_out.png', "
                f"{args.style!r}, {args.runs}); "
                "m = {k: statistics.median(v) for k, v in steps.items()}; "
                "print(f\"{m['total'] * 1000:.0f} ms per photo (erase {m['erase'] * 1000:.0f}"
                " ms, detect() alone {m['detect'] * 1000:.0f} ms), {count} detections\")")
        completed = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT,
                                   capture_output=True, text=True, check=True)
        print(f"{weights}: {completed.stdout.strip().splitlines()[-1]}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli-runs", type=int, default=3,
                        help="timed command-line runs (model load included), after a warm-up")
    parser.add_argument("--runs", type=int, default=5,
                        help="timed in-process runs (model loaded once), after a warm-up")
    parser.add_argument("--style", default="mosaic", choices=("mosaic", "blur", "solid",
                                                              "inpaint"))
    parser.add_argument("--weights", nargs="+", metavar="PATH",
                        help="time these weights files, each at its own eraser defaults, "
                        "in-process (default: random weights in the brands layout)")
    parser.add_argument("--photo", metavar="PATH",
                        help="the photo to erase (default: a 1000x1000 one made from "
                        "images/sample_image_0.jpg)")
    args = parser.parse_args()
    if args.weights:
        return compare_weights(args)

    from mrcnn.testing import write_coco_layout_weights

    with tempfile.TemporaryDirectory() as tmp:
        weights = pathlib.Path(tmp) / "mask_rcnn_brands_random.h5"
        write_coco_layout_weights(str(weights), num_classes=48, seed=0)
        photo = pathlib.Path(tmp) / "photo.png"
        make_photo(photo)
        output = pathlib.Path(tmp) / "erased.png"

        cli_times, cli_summary = time_cli(photo, weights, output, args.style, args.cli_runs)
        steps, count, build_load = time_in_process(photo, weights, output, args.style,
                                                   args.runs)

    median = {name: statistics.median(values) for name, values in steps.items()}
    hiding = max(0.0, median["erase"] - median["detect"])
    with_load = statistics.median(cli_times)
    print(f"photo {PHOTO_SIDE}x{PHOTO_SIDE}, style {args.style}, {count} detections "
          f"(CLI: {cli_summary.split(': ', 1)[-1]})")
    print(f"  load included (CLI, fresh process) : {with_load:6.2f} s  median of "
          f"{len(cli_times)}: {', '.join(f'{t:.2f}' for t in cli_times)}")
    print(f"  model build + load (in-process)    : {build_load:6.2f} s")
    print(f"  load excluded (read+erase+write)   : {median['total']:6.2f} s  median of "
          f"{len(steps['total'])}")
    print(f"    read photo                       : {median['read']:6.2f} s")
    print(f"    erase_logos (detect + hide)      : {median['erase']:6.2f} s")
    print(f"      detect() alone                 : {median['detect']:6.2f} s")
    print(f"    write PNG                        : {median['write']:6.2f} s")
    print()
    print("| photo | style | detections | load included (CLI) | build + load | load excluded "
          "| detect() | hiding | read + write |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {PHOTO_SIDE}x{PHOTO_SIDE} | {args.style} | {count} | {with_load:.1f} s | "
          f"{build_load:.1f} s | {median['total'] * 1000:.0f} ms | "
          f"{median['detect'] * 1000:.0f} ms | {hiding * 1000:.0f} ms | "
          f"{(median['read'] + median['write']) * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
