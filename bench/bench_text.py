"""Time the eraser's text hiding: what --text brands adds per photo, at 640 px and at 1080p.

Usage:

    python bench/bench_text.py                       # the photos of images/, 640 px and 1080p
    python bench/bench_text.py --sizes 640 --repeat 3 --threads 2

For each photo of images/ (about 640 px on the longer side) and each size asked (the longer
side in px: 640, and 1080p = the photo stretched to 1920 x 1080), after one warm-up read:

* read: `TextReader.read` (RapidOCR: PP-OCRv6 detection and recognition, ONNX Runtime);
* match: matching the lines read against the brand lexicon and placing the regions
  (`TextFinder.regions_of`);
* hide: turning the regions to hide into masks and hiding them (mosaic), as the eraser does
  (in the eraser this is one pass with the logos');
* total: read + match + hide = the time --text brands adds to a photo.

The lexicon's load (once per run of the command) and the reader's model load (once) are
reported apart. Figures: mean and median per photo, and the lines and brand regions found.
"""

import argparse
import glob
import os
import pathlib
import statistics
import sys
import time

import cv2
import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


def sized(image, size):
    """The photo at ``size``: 640 -> longer side 640 px; 1080 -> 1920 x 1080 (stretched)."""
    if size == 1080:
        return cv2.resize(image, (1920, 1080), interpolation=cv2.INTER_LINEAR)
    height, width = image.shape[:2]
    scale = size / float(max(height, width))
    return cv2.resize(image, (round(width * scale), round(height * scale)),
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", default=str(REPO_ROOT / "images"),
                        help="folder of photos (default: images/)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[640, 1080],
                        help="640 (longer side) and/or 1080 (1920 x 1080)")
    parser.add_argument("--mode", choices=("brands", "all"), default="brands")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per photo (median)")
    parser.add_argument("--threads", type=int, default=-1,
                        help="ONNX Runtime threads (default: all cores)")
    args = parser.parse_args(argv)

    from logo_eraser import brand_names, hiding, text_hiding, text_reading
    from mrcnn.image_io import read_image

    start = time.perf_counter()
    lexicon = brand_names.default_lexicon()
    lexicon_seconds = time.perf_counter() - start
    reader = text_reading.TextReader(threads=args.threads)
    finder = text_hiding.TextFinder(args.mode, lexicon, reader=reader)
    paths = sorted(glob.glob(os.path.join(args.images, "*.jpg")))
    start = time.perf_counter()
    reader.read(sized(read_image(paths[0]), 640))  # loads the models; warm-up
    load_seconds = time.perf_counter() - start
    print(f"lexicon: {len(lexicon)} names, loaded in {lexicon_seconds:.3f} s; reader models "
          f"loaded (and a first read) in {load_seconds:.2f} s; {len(paths)} photos; "
          f"threads {args.threads}")
    for size in args.sizes:
        rows = []
        for path in paths:
            image = sized(read_image(path), size)
            timings = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                lines = reader.read(image)
                t1 = time.perf_counter()
                regions = finder.regions_of(lines)
                t2 = time.perf_counter()
                text = text_hiding.text_detections(regions, image.shape)
                if len(text["rois"]):
                    hiding.hide_instances(image, text["rois"], text["masks"],
                                          dilate=hiding.default_dilation(image.shape, 256))
                t3 = time.perf_counter()
                timings.append((t1 - t0, t2 - t1, t3 - t2))
            read, match, hide = (statistics.median(values) for values in zip(*timings))
            rows.append({"read": read, "match": match, "hide": hide,
                         "total": read + match + hide, "lines": len(lines),
                         "regions": sum(r.hidden for r in regions)})
        label = "1920 x 1080" if size == 1080 else f"{size} px"
        print(f"\n{label}: {len(rows)} photos, {sum(r['lines'] for r in rows)} lines read, "
              f"{sum(r['regions'] for r in rows)} regions hidden (--text {args.mode})")
        for key in ("read", "match", "hide", "total"):
            values = [row[key] for row in rows]
            print(f"  {key:6} mean {statistics.mean(values):7.3f} s  median "
                  f"{statistics.median(values):7.3f} s  max {max(values):7.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
