"""Logo model benchmark: detection quality and what the eraser hides, on held-out brands.

Usage (after `logo-synth --output DIR ...` or samples/brands/synth.py, whose test split holds
only brands and fonts that training never saw):

    python bench/bench_logo_model.py --dataset DIR                    # the shipped model
    python bench/bench_logo_model.py --dataset DIR --weights W.h5 --limit 100
    python bench/bench_logo_model.py --dataset DIR --skip-map --min-confidence 0.5 0.7 --region box
    python bench/bench_logo_model.py --dataset DIR --skip-map --mask-threshold 0.3 0.5

Figures:

* mAP@0.5: matterport's compute_ap per photo (mask IoU), averaged over the test photos with
  logos, detections kept from score 0 (as COCO evaluation expects); COCO mask/box AP50 too.
* logo pixels hidden: of all ground-truth logo pixels of the test photos (negatives included),
  the share inside the region the eraser repaints (`logo_eraser.hiding.hidden_region`: each
  detection's convex hull grown by the default dilation), at the eraser's default settings
  (score >= 0.7, `--region hull`). A region pixel counts as hidden even where the mosaic happens to give it its
  own colour back.
* other pixels changed: of all pixels outside the logos, the share whose value the eraser's
  output (`--style mosaic`) changes. Inside a hull this includes the holes of letters and marks,
  which the ground truth counts as background.
* per photo: the mean over photos with logos of the hidden share, and the share of photos where
  at least 95% of the logo pixels are hidden.
* where the misses and changes come from: the share of logo pixels in no detected box (grown by
  the dilation; the rest of the missed ones lie in a box but outside its hull), and the share of
  other pixels changed by false alarms (detections whose region holds no logo pixel; the rest
  of the changed ones surround or fill the logos that were found).
"""

import argparse
import os
import pathlib
import time

from logo_eraser.models import SHIPPED_WEIGHTS_PATH

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_WEIGHTS = pathlib.Path(SHIPPED_WEIGHTS_PATH)


def load_test(dataset_dir, limit, with_negatives):
    from logo_eraser.flickrlogos.dataset import BrandsDataset

    dataset = BrandsDataset()
    dataset.load_brands(str(dataset_dir), "test",
                        file_list="all" if with_negatives else "logosonly",
                        include_negatives=with_negatives, limit=limit or None)
    dataset.prepare()
    return dataset


def keep_scores(result, min_confidence):
    """The detections of a detect() result dict scoring at least ``min_confidence``."""
    keep = result["scores"] >= min_confidence
    return {"rois": result["rois"][keep], "class_ids": result["class_ids"][keep],
            "scores": result["scores"][keep], "masks": result["masks"][:, :, keep]}


def hidden_and_false_alarm_regions(result, truth, dilate, region):
    """([H, W] bool, [H, W] bool): what the eraser repaints for the detections in ``result``
    (as ``logo_eraser.hiding.hidden_region``), and the part of it from false alarms: detections
    whose own region holds no ground-truth logo pixel of ``truth`` [H, W] bool."""
    import numpy as np

    from logo_eraser import hiding

    hidden = np.zeros(truth.shape, bool)
    false_alarms = np.zeros(truth.shape, bool)
    for index in range(len(result["rois"])):
        own = hiding.hidden_region(truth.shape, result["rois"], result["masks"], dilate,
                                        region=region, instances=[index])
        hidden |= own
        if not (own & truth).any():
            false_alarms |= own
    return hidden, false_alarms


def eraser_shares(model, dataset, style, region, min_confidences, image_sizes):
    """Pixel counts of the eraser on every photo of ``dataset``, once per score threshold.

    ``model`` detects from score 0, once per size of ``image_sizes`` (None: the config's
    size); each threshold of ``min_confidences`` keeps the detections scoring at least that
    (the same detections as a model built with that threshold, NMS being greedy by score,
    unless more than DETECTION_MAX_INSTANCES score above it), then the sizes are merged as
    ``MaskRCNN.detect_multiscale`` merges them.
    Returns {threshold: dict of figures}.
    """
    import numpy as np
    from tqdm import tqdm

    from logo_eraser import hiding, photos
    from mrcnn.modeling.test_time_augmentation import merge_detections

    counts = {t: dict(logo_total=0, logo_hidden=0, other_total=0, other_changed=0, per_photo=[],
                      missed_no_box=0, other_false_alarm=0)
              for t in min_confidences}
    for image_id in tqdm(dataset.image_ids, desc="eraser", unit="photo"):
        image = dataset.load_image(image_id)
        masks, _ = dataset.load_mask(image_id)
        truth = masks.any(axis=2) if masks.size else np.zeros(image.shape[:2], bool)
        per_size = [model.detect([image], verbose=0, image_size=size)[0] for size in image_sizes]
        for min_confidence, count in counts.items():
            result = merge_detections([keep_scores(detections, min_confidence)
                                       for detections in per_size])
            output, _, dilate = photos.erase_detections(image, result, model.config,
                                                             style=style, region=region)
            hidden, false_alarms = hidden_and_false_alarm_regions(result, truth, dilate, region)
            changed = np.any(output != image, axis=2)
            count["logo_total"] += int(truth.sum())
            count["logo_hidden"] += int((truth & hidden).sum())
            count["other_total"] += int((~truth).sum())
            count["other_changed"] += int((changed & ~truth).sum())
            in_boxes = hiding.hidden_region(image.shape, result["rois"], result["masks"],
                                                 dilate, region="box")
            count["missed_no_box"] += int((truth & ~in_boxes).sum())
            count["other_false_alarm"] += int((changed & ~truth & false_alarms).sum())
            if truth.any():
                count["per_photo"].append((truth & hidden).sum() / truth.sum())
    figures = {}
    for min_confidence, count in counts.items():
        per_photo = np.array(count["per_photo"])
        figures[min_confidence] = {
            "photos": len(dataset.image_ids),
            "logo_pixels_hidden": count["logo_hidden"] / max(count["logo_total"], 1),
            "other_pixels_changed": count["other_changed"] / max(count["other_total"], 1),
            "mean_hidden_per_photo": float(per_photo.mean()) if per_photo.size else float("nan"),
            "photos_95_hidden": (float((per_photo >= 0.95).mean()) if per_photo.size
                                 else float("nan")),
            "logo_pixels_missed_no_box": count["missed_no_box"] / max(count["logo_total"], 1),
            "other_pixels_false_alarms": (count["other_false_alarm"]
                                          / max(count["other_total"], 1)),
        }
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True, type=pathlib.Path,
                        help="a logo-synth dataset (its test split holds the held-out brands)")
    parser.add_argument("--weights", type=pathlib.Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--limit", type=int, default=0, help="at most N test photos (0: all)")
    parser.add_argument("--style", default="mosaic")
    parser.add_argument("--skip-map", action="store_true", help="only the eraser's pixel shares")
    parser.add_argument("--region", default="hull", help="hull (the eraser's default), mask or box")
    parser.add_argument("--min-confidence", type=float, nargs="+", default=[None],
                        help="eraser score thresholds to measure (default: the eraser's); "
                        "one detection pass serves them all")
    parser.add_argument("--image-sizes", type=int, nargs="+", default=None,
                        help="input sizes the eraser detects at and merges (default: the model "
                        "config's TEST_IMAGE_SIZES); mAP is always at the config's own size")
    parser.add_argument("--mask-threshold", type=float, nargs="+", default=None,
                        help="mask probability thresholds to measure (default: the model "
                        "config's DETECTION_MASK_THRESHOLD); one detection pass each")
    args = parser.parse_args()

    from logo_eraser import models
    from mrcnn import evaluation

    started = time.perf_counter()
    # One model, detecting from score 0: mAP needs every score, the eraser's thresholds filter.
    config = models.eraser_config_for(str(args.weights), min_confidence=0.0)
    model = models.load_eraser_model(str(args.weights), config)
    if not args.skip_map:
        logos = load_test(args.dataset, args.limit, with_negatives=False)
        result = evaluation.evaluate(model, logos, verbose=1)
        print(f"weights {args.weights} ({args.weights.stat().st_size / 1e6:.1f} MB), "
              f"{result['num_images']} held-out photos with logos, {result['num_gt']} logos")
        print(f"mAP@0.5 (mask IoU, compute_ap): {result['mAP50']:.3f}; COCO mask AP50 "
              f"{result['segm']['AP50']:.3f}, AP {result['segm']['AP']:.3f}; box AP50 "
              f"{result['bbox']['AP50']:.3f}, AP {result['bbox']['AP']:.3f}; "
              f"{result['seconds_per_image'] * 1000:.0f} ms/photo")

    everything = load_test(args.dataset, args.limit, with_negatives=True)
    default_confidence = models.eraser_config_for(str(args.weights)).DETECTION_MIN_CONFIDENCE
    min_confidences = [default_confidence if value is None else value
                       for value in args.min_confidence]
    image_sizes = args.image_sizes or config.TEST_IMAGE_SIZES or [None]
    sizes_text = "/".join(str(size or config.IMAGE_MAX_DIM) for size in image_sizes)
    for mask_threshold in args.mask_threshold or [config.DETECTION_MASK_THRESHOLD]:
        model.config.DETECTION_MASK_THRESHOLD = mask_threshold
        started_eraser = time.perf_counter()
        figures = eraser_shares(model, everything, args.style, args.region,
                                min_confidences, image_sizes)
        seconds_per_photo = (time.perf_counter() - started_eraser) / len(everything.image_ids)
        for min_confidence, shares in figures.items():
            print(f"eraser (sizes {sizes_text}, score >= {min_confidence}, mask >= "
                  f"{mask_threshold}, {args.style}, {args.region}) on "
                  f"{shares['photos']} photos: logo pixels hidden "
                  f"{shares['logo_pixels_hidden']:.3f}, other pixels changed "
                  f"{shares['other_pixels_changed']:.4f}; per photo: mean hidden "
                  f"{shares['mean_hidden_per_photo']:.3f}, photos with >= 95% hidden "
                  f"{shares['photos_95_hidden']:.3f}; logo pixels in no detected box "
                  f"{shares['logo_pixels_missed_no_box']:.3f}, other pixels changed by "
                  f"detections of no logo {shares['other_pixels_false_alarms']:.4f}")
        print(f"eraser pass: {seconds_per_photo * 1000:.0f} ms/photo (detection at every size, "
              f"hiding at every threshold)")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
