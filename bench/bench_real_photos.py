"""Real-photo benchmark: what the eraser does to the logos of real photos, and to the rest.

Usage (any eraser options after the benchmark's own are passed to `logo-eraser` unchanged):

    python bench/bench_real_photos.py                                  # the shipped model
    python bench/bench_real_photos.py --weights W.h5 --min-confidence 0.9 --style blur
    python bench/bench_real_photos.py --report report.json --keep-outputs /tmp/erased
    python bench/bench_real_photos.py --self-check                     # the hidden criterion
    python bench/bench_real_photos.py --split calibration --min-confidence 0.9   # choosing
    python bench/bench_real_photos.py --dataset real/toplogo10 real/car-logos ...  # real test set

With ``--dataset``, the photos are those of datasets imported by ``logo-data import``: their
test split is "report" and their validation photos (train/val_list.txt) "calibration"; the boxes
are the sources' own (no ignore regions), and the figures are given per source as well.

The photos are split in two (each photo's "split"): choices (thresholds, sizes, checkpoints)
are made on "calibration", figures are reported on "report" (the default), so that no figure
comes from the photos it was tuned on.

The photos and their hand annotations are in bench/real_photos.json (every visible brand logo of
the real photos of images/: a box per logo, a polygon where it helped; "ignore" regions for
what is neither a logo to count nor a false alarm: unreadable prints, watermarks, advertising
copy). The eraser runs once over a folder holding all of them, as a user runs it.

Figures:

* logos hidden: a logo counts as hidden when its fine detail is gone: the normalised
  cross-correlation (NCC) of the high-passed grey logo box (inside its polygon when it has
  one) before and after is below HIDDEN_NCC (0.5). `--self-check` shows what the criterion gives
  for the eraser's own styles applied to every annotated logo: about 0 for a mosaic, 0.1-0.4 for
  a blur, about 0.7 for a logo half hidden, 1 for an untouched one.
* other pixels changed: of the pixels outside every logo box and ignore region, the share whose
  value changed (any channel), over all photos.
* false alarms per logo-free photo: hidden detections (and hidden text regions, with --text
  brands or all) in the photos without logos (detections
  lying mostly, >= 50% of their box, inside ignore regions do not count), per such photo; and
  the false alarms of all photos (hidden detections touching no logo box and no ignore region).
* time: the eraser's wall time for the whole folder (model load included) and per photo.
"""

import argparse
import json
import os
import pathlib
import shutil
import sys
import tempfile
import time

import cv2
import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_ANNOTATIONS = REPO_ROOT / "bench" / "real_photos.json"
# A logo whose high-passed NCC before/after falls below this is hidden.
HIDDEN_NCC = 0.5
# The high-pass keeps detail finer than this share of the logo's shorter side (at least 1 px).
HIGH_PASS_FRACTION = 0.1
# A detection lying at least this much inside ignore regions is neither a hit nor a false alarm.
IGNORED_SHARE = 0.5
SPLITS = ("calibration", "report")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


############################################################
#  Annotations
############################################################

def load_annotations(path, split="all"):
    """The annotation file's photos of ``split`` ("calibration", "report" or "all"):
    [{"file": absolute path, "split", "height", "width", "logos": [{"brand", "box" [y1, x1, y2,
    x2] px, "polygon" [[x, y], ...] or None}], "ignore": [{"box", "what"}]}]. Raises ValueError
    naming the photo of a box outside its photo or of an unknown split."""
    from mrcnn.image_io import read_image

    with open(path, encoding="utf-8") as handle:
        photos = json.load(handle)["photos"]
    for photo in photos:
        if photo.get("split") not in SPLITS:
            raise ValueError(f"{photo['file']}: split must be one of {SPLITS}, got "
                             f"{photo.get('split')!r}")
    photos = [photo for photo in photos if split == "all" or photo["split"] == split]
    for photo in photos:
        photo["file"] = str(REPO_ROOT / photo["file"])
        height, width = read_image(photo["file"]).shape[:2]
        photo["height"], photo["width"] = height, width
        for item in photo["logos"] + photo["ignore"]:
            y1, x1, y2, x2 = item["box"]
            if not (0 <= y1 < y2 <= height and 0 <= x1 < x2 <= width):
                raise ValueError(f"{photo['file']}: box {item['box']} is outside the "
                                 f"{width}x{height} photo")
        for logo in photo["logos"]:
            logo.setdefault("polygon", None)
    return photos


def load_dataset_photos(folders, split="report", limit_per_source=0, seed=0):
    """Photos of imported datasets (``logo-data import``) in the format of `load_annotations`,
    with each photo's "source". split: "report" (the test split), "calibration" (the
    validation photos) or "all". limit_per_source: at most that many photos per source and
    split, a seeded sample (0: all)."""
    from logo_eraser import flickrlogos
    from logo_eraser.realdata.importing import VAL_LIST_FILE, read_provenance

    photos = []
    for folder in folders:
        provenance = read_provenance(folder)
        lists = []
        if split in ("report", "all"):
            lists.append(("report", "test", os.path.join(folder, "test", "filelist.txt")))
        if split in ("calibration", "all"):
            lists.append(("calibration", "train", os.path.join(folder, "train", VAL_LIST_FILE)))
        for name, layout_split, list_path in lists:
            chosen = []
            for _, entry in flickrlogos.read_file_list(list_path):
                record = provenance["photos"].get(f"{layout_split}/{entry}", {})
                path = os.path.join(folder, layout_split, entry)
                gt_path = flickrlogos.gt_data_path(path)
                boxes = (flickrlogos.read_gt_data(gt_path, num_classes=1)
                         if os.path.exists(gt_path) else [])
                chosen.append({"file": os.path.abspath(path), "split": name,
                               "source": record.get("source") or provenance.get(
                                   "default_source", os.path.basename(folder)),
                               "ignore": [], "logos": [
                                   {"brand": "logo", "box": [b.y1, b.x1, b.y2 + 1, b.x2 + 1],
                                    "polygon": None} for b in boxes]})
            by_source = {}
            for photo in chosen:
                by_source.setdefault(photo["source"], []).append(photo)
            for group in by_source.values():
                if limit_per_source and len(group) > limit_per_source:
                    order = np.random.default_rng(seed).permutation(len(group))
                    group = [group[i] for i in sorted(order[:limit_per_source])]
                photos.extend(group)
    for photo in photos:
        # From the header (EXIF orientation applied, as read_image does): no decoding.
        photo["height"], photo["width"] = flickrlogos.image_size(photo["file"])
    return photos


def boxes_mask(shape, items):
    """[H, W] bool: the union of the items' boxes [y1, x1, y2, x2]."""
    mask = np.zeros(shape[:2], dtype=bool)
    for item in items:
        y1, x1, y2, x2 = item["box"]
        mask[y1:y2, x1:x2] = True
    return mask


def logo_region(logo):
    """(rows, cols, [h, w] bool) of a logo: its box, and the pixels inside its polygon (all of
    the box when it has none)."""
    y1, x1, y2, x2 = logo["box"]
    inside = np.ones((y2 - y1, x2 - x1), dtype=bool)
    if logo.get("polygon"):
        points = np.round(np.asarray(logo["polygon"], dtype=np.float64)
                          - [x1, y1]).astype(np.int32)
        inside = np.zeros((y2 - y1, x2 - x1), dtype=np.uint8)
        cv2.fillPoly(inside, [points], 1)
        inside = inside.astype(bool)
    return slice(y1, y2), slice(x1, x2), inside


############################################################
#  The hidden criterion
############################################################

def high_passed_grey(pixels, sigma):
    """[h, w] float64: the grey image minus its Gaussian blur (sigma px): the fine detail."""
    grey = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY).astype(np.float64)
    return grey - cv2.GaussianBlur(grey, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT)


def detail_correlation(before, after, logo):
    """NCC of the high-passed grey logo region before and after: 1 untouched, about 0 when its
    detail is gone. before, after: [H, W, 3] uint8 RGB photos of the same size."""
    rows, cols, inside = logo_region(logo)
    sigma = max(1.0, HIGH_PASS_FRACTION * min(inside.shape))
    a = high_passed_grey(before[rows, cols], sigma)[inside]
    b = high_passed_grey(after[rows, cols], sigma)[inside]
    a, b = a - a.mean(), b - b.mean()
    denominator = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


def self_check(photos):
    """Mean detail correlation of every annotated logo after the eraser's own hiding styles,
    applied to its box: {name: mean NCC}."""
    from logo_eraser import hiding
    from mrcnn.image_io import read_image

    scores = {"untouched": [], "mosaic": [], "blur": [], "left half mosaic": []}
    rng = np.random.default_rng(0)
    for photo in photos:
        before = read_image(photo["file"])
        for logo in photo["logos"]:
            y1, x1, y2, x2 = logo["box"]
            box = (y1, x1, y2, x2)
            mosaic = before.copy()
            mosaic[y1:y2, x1:x2] = hiding.pixelate(before[y1:y2, x1:x2],
                                                   hiding.mosaic_block_size(box), rng)
            blur = before.copy()
            sigma = hiding.blur_sigma(box)
            blur[y1:y2, x1:x2] = cv2.GaussianBlur(before, (0, 0), sigmaX=sigma)[y1:y2, x1:x2]
            half = before.copy()
            middle = x1 + (x2 - x1) // 2
            half[y1:y2, x1:middle] = mosaic[y1:y2, x1:middle]
            for name, after in (("untouched", before), ("mosaic", mosaic), ("blur", blur),
                                ("left half mosaic", half)):
                scores[name].append(detail_correlation(before, after, logo))
    return {name: float(np.mean(values)) for name, values in scores.items()}


############################################################
#  Running the eraser and scoring it
############################################################

def run_eraser(photos, eraser_args, keep_outputs=None):
    """Run `logo-eraser` on a folder holding every photo. Returns (outputs {photo file: output
    path}, detections {photo file: [detection dicts]}, seconds, the temporary work folder to
    remove once the outputs are read)."""
    from logo_eraser import cli

    work = pathlib.Path(tempfile.mkdtemp(prefix="bench_real_photos_"))
    try:
        inputs, outputs = work / "photos", pathlib.Path(keep_outputs or work / "erased")
        inputs.mkdir()
        # Numbered names: photos of several datasets may share a file name.
        names = {photo["file"]: f"{index:05d}_{os.path.basename(photo['file'])}"
                 for index, photo in enumerate(photos)}
        for photo in photos:
            shutil.copy2(photo["file"], inputs / names[photo["file"]])
        report = work / "eraser.json"
        start = time.perf_counter()
        status = cli.main(["-i", str(inputs), "-o", str(outputs), "--json", str(report),
                           *eraser_args])
        seconds = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"the eraser failed (exit status {status})")
        records = json.loads(report.read_text())["images"]
        by_name = {os.path.basename(record["image"]): record for record in records}
        output_paths = {photo["file"]: by_name[names[photo["file"]]]["output"]
                        for photo in photos}
        # Hidden text regions (--text brands / all) count as detections: hits or false alarms.
        detections = {photo["file"]: (by_name[names[photo["file"]]]["detections"]
                                      + by_name[names[photo["file"]]]
                                      .get("text", {}).get("regions", []))
                      for photo in photos}
        return output_paths, detections, seconds, work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def score_photo(photo, after, detections):
    """Per-photo figures: NCC per logo, changed and counted outside pixels, false alarms."""
    from mrcnn.image_io import read_image

    before = read_image(photo["file"])
    correlations = [detail_correlation(before, after, logo) for logo in photo["logos"]]
    logos = boxes_mask(before.shape, photo["logos"])
    ignored = boxes_mask(before.shape, photo["ignore"])
    outside = ~logos & ~ignored
    changed = (before != after).any(axis=2)
    false_alarms = 0
    for detection in detections:
        if not detection["hidden"]:
            continue
        y1, x1, y2, x2 = detection["box"]
        area = max(1, (y2 - y1) * (x2 - x1))
        if logos[y1:y2, x1:x2].any():
            continue
        if ignored[y1:y2, x1:x2].sum() >= IGNORED_SHARE * area:
            continue
        false_alarms += 1
    return {"file": os.path.relpath(photo["file"], REPO_ROOT),
            "source": photo.get("source", "images/"),
            "logos": len(photo["logos"]),
            "hidden": int(sum(c < HIDDEN_NCC for c in correlations)),
            "correlations": [round(c, 3) for c in correlations],
            "changed_outside": int((changed & outside).sum()), "outside": int(outside.sum()),
            "false_alarms": false_alarms}


def summarise(rows, seconds):
    """The benchmark's figures from the per-photo rows."""
    logos = sum(row["logos"] for row in rows)
    logo_free = [row for row in rows if not row["logos"]]
    return {
        "photos": len(rows), "logos": logos, "logo_free_photos": len(logo_free),
        "logos_hidden": sum(row["hidden"] for row in rows),
        "logos_hidden_share": sum(row["hidden"] for row in rows) / max(1, logos),
        "other_pixels_changed": (sum(row["changed_outside"] for row in rows)
                                 / max(1, sum(row["outside"] for row in rows))),
        "false_alarms_per_logo_free_photo": (sum(row["false_alarms"] for row in logo_free)
                                             / max(1, len(logo_free))),
        "false_alarms_all_photos": sum(row["false_alarms"] for row in rows),
        "seconds": seconds, "seconds_per_photo": seconds / max(1, len(rows)),
    }


def summarise_by_source(rows, seconds):
    """{source: summary} when the photos come from several sources (imported datasets)."""
    sources = sorted({row["source"] for row in rows})
    if len(sources) < 2:
        return {}
    return {source: summarise([row for row in rows if row["source"] == source],
                              seconds * sum(row["source"] == source for row in rows)
                              / max(1, len(rows)))
            for source in sources}


def print_report(rows, summary):
    for row in rows:
        share = row["changed_outside"] / max(1, row["outside"])
        print(f"{row['file']:42} logos hidden {row['hidden']}/{row['logos']}  "
              f"changed {share:6.4f}  false alarms {row['false_alarms']}  "
              f"NCC {row['correlations']}")
    print(f"\nlogos hidden: {summary['logos_hidden']} of {summary['logos']} = "
          f"{summary['logos_hidden_share']:.3f} (NCC < {HIDDEN_NCC})")
    print(f"other pixels changed: {summary['other_pixels_changed']:.4f}")
    print(f"false alarms per logo-free photo: {summary['false_alarms_per_logo_free_photo']:.2f} "
          f"({summary['logo_free_photos']} photos); in all photos: "
          f"{summary['false_alarms_all_photos']}")
    print(f"time: {summary['seconds']:.1f} s for {summary['photos']} photos, model load "
          f"included ({summary['seconds_per_photo']:.2f} s per photo)")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Options not listed here are passed to logo-eraser (e.g. --weights, "
        "--min-confidence, --style, --region, --image-sizes).")
    parser.add_argument("--annotations", default=str(DEFAULT_ANNOTATIONS),
                        help="the annotation file (default: bench/real_photos.json)")
    parser.add_argument("--split", choices=SPLITS + ("all",), default="report",
                        help="the photos to run on: report (the default: the figures to "
                        "publish), calibration (to choose thresholds and models on) or all")
    parser.add_argument("--dataset", nargs="+", metavar="DIR",
                        help="score datasets imported by logo-data instead of the annotation "
                        "file: report = their test split, calibration = their validation "
                        "photos")
    parser.add_argument("--limit-per-source", type=int, default=0, metavar="N",
                        help="with --dataset: a seeded sample of at most N photos per source "
                        "(default: all)")
    parser.add_argument("--quiet", action="store_true", help="no line per photo")
    parser.add_argument("--report", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--keep-outputs", metavar="DIR",
                        help="write the erased photos there (default: a temporary folder)")
    parser.add_argument("--self-check", action="store_true",
                        help="only show what the hidden criterion gives for mosaic, blur and a "
                        "half-hidden logo on every annotated logo")
    args, eraser_args = parser.parse_known_args(argv)
    if args.dataset:
        photos = load_dataset_photos(args.dataset, args.split, args.limit_per_source)
    else:
        photos = load_annotations(args.annotations, args.split)
    if args.self_check:
        for name, value in self_check(photos).items():
            print(f"{name:18} mean NCC {value:.3f}")
        return 0
    outputs, detections, seconds, work = run_eraser(photos, eraser_args, args.keep_outputs)
    try:
        from mrcnn.image_io import read_image

        rows = [score_photo(photo, read_image(outputs[photo["file"]]), detections[photo["file"]])
                for photo in photos]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = summarise(rows, seconds)
    print_report([] if args.quiet else rows, summary)
    by_source = summarise_by_source(rows, seconds)
    for source, figures in by_source.items():
        print(f"  {source:16} logos hidden {figures['logos_hidden']:4} of {figures['logos']:4} "
              f"= {figures['logos_hidden_share']:.3f}  other pixels changed "
              f"{figures['other_pixels_changed']:.4f}  false alarms per logo-free photo "
              f"{figures['false_alarms_per_logo_free_photo']:.2f} "
              f"({figures['logo_free_photos']} photos)")
    print(f"split: {args.split}")
    if args.report:
        from mrcnn.atomic import write_json_atomic

        write_json_atomic(args.report, {"eraser_args": eraser_args, "split": args.split,
                                        "summary": summary, "by_source": by_source,
                                        "photos": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
