"""Choose a logo model's checkpoint, input sizes and score threshold on the real-photo benchmark's
calibration photos (never on the report photos the published figures come from).

Each checkpoint detects once per input size at a low score; every (sizes, threshold) pair is then
scored from those detections: the detections of each size scoring at least the threshold are
merged as ``MaskRCNN.detect_multiscale`` merges them, hidden as the eraser hides them, and scored
as ``bench_real_photos.py`` scores the eraser's outputs. Prints one line per checkpoint, sizes and
threshold; ``--report`` writes them as JSON. The chosen setting's figures are then confirmed with
``bench_real_photos.py --split calibration --weights ... --min-confidence ... --image-sizes ...``.

    python bench/sweep_real_photos.py --weights logs/logo_lite0*/mask_rcnn_logo_lite0_00{40,60,80}.h5
"""

import argparse
import itertools
import os
import pathlib
import sys

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

DEFAULT_SIZES = (192, 256, 320, 384)
DEFAULT_THRESHOLDS = (0.9, 0.95, 0.97, 0.975, 0.98, 0.985, 0.99, 0.995)
# The lowest score detected at; every threshold swept must be at least this.
DETECT_MIN_CONFIDENCE = 0.85


def _bench():
    """bench_real_photos as a module (bench/ is not a package)."""
    from mrcnn.testing import load_script_module

    return load_script_module(REPO_ROOT / "bench" / "bench_real_photos.py")


def _above(result, threshold):
    keep = result["scores"] >= threshold
    return {"rois": result["rois"][keep], "class_ids": result["class_ids"][keep],
            "scores": result["scores"][keep], "masks": result["masks"][..., keep]}


def sweep(weights_paths, photos, sizes, thresholds, max_sizes):
    """Yield one figures dict per (weights, sizes combination, threshold)."""
    from logo_eraser.models.weights import eraser_config_for, load_eraser_model
    from logo_eraser.photos import erase_detections
    from mrcnn.image_io import read_image
    from mrcnn.model import merge_detections

    bench = _bench()
    config = eraser_config_for(weights_paths[0])
    config.DETECTION_MIN_CONFIDENCE = DETECT_MIN_CONFIDENCE
    model = load_eraser_model(weights_paths[0], config)
    images = [read_image(photo["file"]) for photo in photos]
    combos = [combo for count in range(1, max_sizes + 1)
              for combo in itertools.combinations(sizes, count)]
    for path in weights_paths:
        model.load_weights(path, by_name=True)
        per_size = {size: [model.detect([image], image_size=size)[0] for image in images]
                    for size in sizes}
        for combo, threshold in itertools.product(combos, thresholds):
            rows = []
            for index, (photo, image) in enumerate(zip(photos, images)):
                merged = merge_detections([_above(per_size[size][index], threshold)
                                           for size in combo])
                after, detections, _ = erase_detections(image, merged, model.config)
                rows.append(bench.score_photo(photo, after, detections))
            summary = bench.summarise(rows, 0.0)
            yield {"weights": str(path), "sizes": list(combo), "threshold": threshold,
                   "hidden": summary["logos_hidden"], "logos": summary["logos"],
                   "changed": round(summary["other_pixels_changed"], 4),
                   "false_alarms": round(summary["false_alarms_per_logo_free_photo"], 3)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", nargs="+", required=True, help="checkpoints to compare")
    parser.add_argument("--split", default="calibration", choices=("calibration", "report", "all"),
                        help="photos to sweep on (default: calibration; choosing on report "
                             "photos would make the published figures optimistic)")
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES,
                        help="input sizes to combine (default: %(default)s)")
    parser.add_argument("--max-sizes", type=int, default=3,
                        help="at most this many sizes per combination (default: %(default)s)")
    parser.add_argument("--thresholds", type=float, nargs="+", default=DEFAULT_THRESHOLDS)
    parser.add_argument("--dataset", nargs="+", metavar="DIR",
                        help="sweep on datasets imported by logo-data (calibration = their "
                        "validation photos) instead of bench/real_photos.json")
    parser.add_argument("--limit-per-source", type=int, default=0, metavar="N",
                        help="with --dataset: a seeded sample of at most N photos per source")
    parser.add_argument("--report", metavar="PATH", help="also write every line as JSON")
    args = parser.parse_args(argv)
    if min(args.thresholds) < DETECT_MIN_CONFIDENCE:
        parser.error(f"thresholds must be at least {DETECT_MIN_CONFIDENCE}")
    missing = [path for path in args.weights if not os.path.isfile(path)]
    if missing:
        parser.error(f"no such weights file: {missing[0]}")

    bench = _bench()
    if args.dataset:
        photos = bench.load_dataset_photos(args.dataset, args.split, args.limit_per_source)
    else:
        photos = bench.load_annotations(bench.DEFAULT_ANNOTATIONS, args.split)
    lines = []
    for line in sweep(args.weights, photos, args.sizes, args.thresholds, args.max_sizes):
        lines.append(line)
        print(f"{os.path.basename(line['weights'])}  sizes {','.join(map(str, line['sizes'])):15}"
              f" score {line['threshold']:.3f}  hidden {line['hidden']}/{line['logos']}  "
              f"changed {line['changed']:.4f}  false alarms {line['false_alarms']:.2f}",
              flush=True)
    if args.report:
        from mrcnn.atomic import write_json_atomic

        write_json_atomic(args.report, lines, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
