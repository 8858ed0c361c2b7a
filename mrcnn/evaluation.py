"""Evaluation of a Mask R-CNN model on a Dataset: mAP@0.5 as matterport and COCO metrics.

``evaluate(model, dataset)`` runs ``model.detect`` on the original images of a prepared
``mrcnn.dataset.Dataset`` and reports

* ``mAP50``: the mean over images of ``mrcnn.metrics.compute_ap`` (mask IoU, one IoU
  threshold), as in matterport's shapes/balloon notebooks;
* COCO ``bbox`` and ``segm`` AP@[.5:.95], AP50, AP75, per-size APs and ARs, through pycocotools'
  ``COCOeval`` on ground truth built in memory from the dataset's masks (or on the dataset's own
  COCO annotations when ``coco_gt`` is given);
* a per-class table: number of ground-truth instances and COCO bbox/segm AP per class.

``format_report(result)`` turns the returned dict into a readable text table.

The COCO helpers (``masks_to_rle``, ``detections_to_coco``, ``ground_truth_annotations``,
``build_coco_ground_truth``, ``run_coco_eval``, ``coco_stats``, ``per_category_ap``) are public
so that samples (e.g. ``samples/coco/coco.py``) can reuse them.
"""

import contextlib
import io
import math
import time

import numpy as np

from mrcnn.masks import extract_bboxes
from mrcnn.metrics import compute_ap

# The twelve numbers of COCOeval.summarize(), in its order (ARn: at most n detections/image).
COCO_STAT_NAMES = ("AP", "AP50", "AP75", "APs", "APm", "APl",
                   "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")
IOU_TYPES = ("bbox", "segm")


def _quiet(verbose):
    """pycocotools prints progress to stdout; keep it only when verbose > 1."""
    if verbose and verbose > 1:
        return contextlib.nullcontext()
    return contextlib.redirect_stdout(io.StringIO())


def _finite_or_nan(value):
    """COCOeval marks 'no ground truth' with -1; report that as NaN (undefined)."""
    value = float(value)
    return float("nan") if value < 0 else value


############################################################
#  COCO format helpers
############################################################

def masks_to_rle(masks):
    """Instance masks -> COCO compressed RLEs.

    masks: [H, W, N] bool or 0/1.
    Returns: list of N dicts {"size": [H, W], "counts": bytes}.
    """
    from pycocotools import mask as mask_utils

    masks = np.asarray(masks)
    if masks.ndim != 3 or masks.shape[-1] == 0:
        return []
    return mask_utils.encode(np.asfortranarray(masks.astype(np.uint8)))


def boxes_to_xywh(boxes):
    """[N, (y1, x1, y2, x2)] pixels -> list of N [x, y, width, height] float lists (COCO)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    xywh = np.stack([boxes[:, 1], boxes[:, 0], boxes[:, 3] - boxes[:, 1],
                     boxes[:, 2] - boxes[:, 0]], axis=1)
    return [[float(v) for v in row] for row in xywh]


def detections_to_coco(coco_image_id, rois, class_ids, scores, masks, category_map=None):
    """One image's detections -> COCO result dicts (bbox, segmentation and score).

    coco_image_id: the image id in the COCO ground truth.
    rois: [N, (y1, x1, y2, x2)] pixels; class_ids: [N] internal class ids; scores: [N];
    masks: [H, W, N] bool, in the original image's pixels.
    category_map: dict internal class id -> COCO category id (default: identity).
        Detections of a class missing from the map are dropped.
    Returns: list of dicts {"image_id", "category_id", "bbox": [x, y, w, h], "score",
        "segmentation": RLE}.
    """
    rois = np.asarray(rois).reshape(-1, 4)
    if rois.shape[0] == 0:
        return []
    rles = masks_to_rle(masks)
    boxes = boxes_to_xywh(rois)
    results = []
    for index, class_id in enumerate(np.asarray(class_ids).tolist()):
        class_id = int(class_id)
        if category_map is None:
            category_id = class_id
        elif class_id in category_map:
            category_id = category_map[class_id]
        else:
            continue
        results.append({"image_id": coco_image_id, "category_id": int(category_id),
                        "bbox": boxes[index], "score": float(scores[index]),
                        "segmentation": rles[index]})
    return results


def _results_for(results, iou_type):
    """Result dicts as loadRes wants them for one IoU type.

    For "segm" the bbox is left out: with a bbox present, loadRes takes the detection's area
    from the box instead of the mask (this only matters for the small/medium/large ranges).
    """
    if iou_type == "segm":
        return [{k: v for k, v in r.items() if k != "bbox"} for r in results]
    return [{k: v for k, v in r.items() if k != "segmentation"} for r in results]


def _empty_results(coco_gt):
    """A results COCO object with no detection (loadRes cannot take an empty list)."""
    from pycocotools.coco import COCO

    results = COCO()
    results.dataset = {"info": dict(coco_gt.dataset.get("info", {})),
                       "images": list(coco_gt.dataset["images"]),
                       "categories": list(coco_gt.dataset.get("categories", [])),
                       "annotations": []}
    results.createIndex()
    return results


def run_coco_eval(coco_gt, results, iou_type, image_ids=None, verbose=0, category_ids=None):
    """Run COCOeval (evaluate + accumulate + summarize) on detection results.

    coco_gt: a pycocotools COCO object with the ground truth.
    results: COCO result dicts (``detections_to_coco``); may be empty (every AP is then 0
        where there is ground truth).
    iou_type: "bbox" or "segm".
    image_ids: the COCO image ids evaluated (default: all of coco_gt's images).
    category_ids: the COCO category ids evaluated (default: all of coco_gt's categories).
    verbose: 0 silent, 1 print the summary table, 2 also pycocotools' progress lines.
    Returns: the COCOeval object (``.stats``, ``.eval['precision']`` ...).
    """
    from pycocotools.cocoeval import COCOeval

    if iou_type not in IOU_TYPES:
        raise ValueError(f"iou_type must be one of {IOU_TYPES}, not {iou_type!r}")
    with _quiet(verbose):
        if results:
            coco_dt = coco_gt.loadRes(_results_for(results, iou_type))
        else:
            coco_dt = _empty_results(coco_gt)
        coco_eval = COCOeval(coco_gt, coco_dt, iou_type)
        if image_ids is not None:
            coco_eval.params.imgIds = [int(i) for i in image_ids]
        if category_ids is not None:
            coco_eval.params.catIds = sorted(int(i) for i in category_ids)
        coco_eval.evaluate()
        coco_eval.accumulate()
    with _quiet(2 if verbose else 0):
        coco_eval.summarize()
    return coco_eval


def coco_stats(coco_eval):
    """COCOeval.stats as a dict name -> float (COCO_STAT_NAMES; NaN where undefined)."""
    return {name: _finite_or_nan(value) for name, value in zip(COCO_STAT_NAMES, coco_eval.stats)}


def per_category_ap(coco_eval, iou_threshold=None):
    """AP of each category from COCOeval's accumulated precision (area "all", 100 dets).

    iou_threshold: None for the mean over the IoU thresholds (AP@[.5:.95]), or one of
        coco_eval.params.iouThrs, e.g. 0.5.
    Returns: dict COCO category id -> AP (float; NaN when the category has no ground truth).
    """
    precision = coco_eval.eval["precision"]  # [T iou, R recall, K category, A area, M maxDets]
    if iou_threshold is not None:
        matches = np.where(np.isclose(coco_eval.params.iouThrs, iou_threshold))[0]
        if matches.size == 0:
            raise ValueError(f"IoU threshold {iou_threshold} is not one of "
                             f"{list(coco_eval.params.iouThrs)}")
        precision = precision[matches[:1]]
    area_all = list(coco_eval.params.areaRngLbl).index("all")
    max_dets = len(coco_eval.params.maxDets) - 1
    ap = {}
    for k, category_id in enumerate(coco_eval.params.catIds):
        values = precision[:, :, k, area_all, max_dets]
        values = values[values > -1]
        ap[int(category_id)] = float(np.mean(values)) if values.size else float("nan")
    return ap


############################################################
#  Ground truth
############################################################

def load_ground_truth(dataset, image_id, image_shape):
    """A dataset image's instances, cleaned for evaluation.

    Returns (masks [H, W, G] bool, class_ids [G] int32, boxes [G, (y1, x1, y2, x2)] int32,
    empty_count): instances with an empty mask are dropped (they cannot be matched; matterport
    would have kept them with all-zero boxes) and counted. Negative class ids (COCO crowds, as
    matterport's CocoDataset marks them) are kept.
    """
    masks, class_ids = dataset.load_mask(image_id)
    masks = np.asarray(masks).astype(bool)
    class_ids = np.asarray(class_ids, dtype=np.int32).reshape(-1)
    height, width = image_shape[:2]
    if masks.ndim != 3 or masks.shape[-1] == 0:
        if class_ids.size:
            raise ValueError(f"load_mask({image_id}) returned {class_ids.size} class ids but "
                             f"masks of shape {masks.shape} ({dataset.image_reference(image_id)})")
        masks = np.zeros((height, width, 0), dtype=bool)
    if masks.shape[:2] != (height, width) or masks.shape[-1] != class_ids.size:
        raise ValueError(f"load_mask({image_id}) returned masks {masks.shape} and "
                         f"{class_ids.size} class ids for an image of shape {tuple(image_shape)} "
                         f"({dataset.image_reference(image_id)})")
    non_empty = masks.any(axis=(0, 1))
    masks, class_ids = masks[..., non_empty], class_ids[non_empty]
    return masks, class_ids, extract_bboxes(masks), int(np.sum(~non_empty))


def ground_truth_annotations(coco_image_id, masks, class_ids):
    """COCO annotation dicts (without "id") of one image's instances.

    masks: [H, W, G] bool; class_ids: [G], negative for crowd regions of class -id.
    Masks become compressed RLEs right away, so that a whole dataset fits in memory.
    """
    from pycocotools import mask as mask_utils

    rles = masks_to_rle(masks)
    if not rles:
        return []
    boxes = boxes_to_xywh(extract_bboxes(masks))
    areas = mask_utils.area(rles)
    return [{"image_id": coco_image_id, "category_id": abs(int(class_id)),
             "segmentation": rle, "area": float(area), "bbox": box,
             "iscrowd": int(class_id < 0)}
            for rle, box, area, class_id in zip(rles, boxes, areas, class_ids.tolist())]


def build_coco_ground_truth(images, annotations, categories):
    """A pycocotools COCO object built in memory.

    images: list of {"id", "height", "width"}; annotations: dicts from
    ground_truth_annotations (ids are assigned here, from 1: COCOeval uses 0 for
    "unmatched"); categories: list of {"id", "name"}.
    """
    from pycocotools.coco import COCO

    annotations = [dict(annotation, id=index)
                   for index, annotation in enumerate(annotations, start=1)]
    coco = COCO()
    coco.dataset = {"info": {"description": "ground truth built by mrcnn.evaluation"},
                    "licenses": [], "images": images, "annotations": annotations,
                    "categories": categories}
    with _quiet(0):
        coco.createIndex()
    return coco


############################################################
#  Evaluation
############################################################

def _batches(sequence, size):
    for start in range(0, len(sequence), size):
        yield sequence[start:start + size]


def _image_ap(gt, result, iou_threshold):
    """matterport's per-image AP at one mask-IoU threshold, or None when there is nothing to
    score (no ground truth and no detection). Crowd regions are not ground truth here."""
    masks, class_ids, boxes, _ = gt
    keep = class_ids > 0
    num_predictions = len(result["class_ids"])
    if not keep.any():
        # Without ground truth compute_ap divides by zero; any detection is a false positive.
        return None if num_predictions == 0 else 0.0
    ap, _, _, _ = compute_ap(
        boxes[keep], class_ids[keep], masks[..., keep],
        np.asarray(result["rois"]).reshape(-1, 4), np.asarray(result["class_ids"]),
        np.asarray(result["scores"]), np.asarray(result["masks"]).astype(bool),
        iou_threshold=iou_threshold)
    return float(ap)


def evaluate(model, dataset, image_ids=None, limit=None, iou_threshold=0.5, verbose=1,
             coco_gt=None):
    """Evaluate an inference-mode model on a prepared Dataset.

    model: ``mrcnn.model.MaskRCNN`` in inference mode, or any object with ``config.BATCH_SIZE``
        and ``detect(images) -> [{"rois", "class_ids", "scores", "masks"}]``. Images are sent
        in batches of BATCH_SIZE (the last batch is padded with copies of its last image).
    dataset: prepared ``mrcnn.dataset.Dataset``; ``load_image`` gives the original image that is
        detected on, ``load_mask`` the ground truth (negative class ids are crowd regions).
    image_ids: internal image ids to evaluate (default: all); limit: keep only the first
        ``limit`` of them (None or 0: all).
    iou_threshold: mask IoU threshold of ``mAP50`` (matterport's compute_ap).
    verbose: 0 silent, 1 progress bar, 2 also pycocotools' output.
    coco_gt: optional pycocotools COCO object holding the dataset's own annotations (e.g. from
        ``CocoDataset.load_coco(..., return_coco=True)``). The COCO metrics then use it, with
        ``image_info[i]["id"]`` as image ids and the classes' source ids as category ids, as
        matterport's evaluate_coco did. By default the COCO ground truth is built from
        ``load_mask`` (category id = internal class id, area = mask pixel count).

    Returns a dict of plain Python types:
        num_images, image_ids (list), iou_threshold,
        mAP50: mean of the per-image APs; an image with neither ground truth nor detection is
            skipped (it has nothing to score; compute_ap would give NaN), an image with no
            ground truth but with detections scores 0; NaN if every image was skipped,
        ap_per_image: list (None for skipped images), num_images_in_map,
        bbox, segm: dicts COCO_STAT_NAMES -> float (AP@[.5:.95], AP50, AP75, ...; NaN when no
            image has ground truth),
        per_class: list of {"class_id", "name", "num_gt", "bbox_AP", "segm_AP", "bbox_AP50",
            "segm_AP50"} for internal class ids 1..N-1 (AP NaN for a class without ground truth;
            num_gt counts load_mask's non-crowd instances),
        num_gt, num_crowd, num_empty_gt_masks (dropped), num_detections (all classes, the
            padding of the last batch excluded),
        detect_seconds (time in model.detect), seconds_per_image.
    """
    from tqdm.auto import tqdm

    if image_ids is None:
        image_ids = dataset.image_ids
    image_ids = [int(i) for i in np.asarray(image_ids).reshape(-1)]
    if limit:
        image_ids = image_ids[:int(limit)]
    if not image_ids:
        raise ValueError("evaluate: no images to evaluate (empty dataset or image_ids)")
    batch_size = int(model.config.BATCH_SIZE)

    class_ids_all = list(range(1, dataset.num_classes))
    build_gt = coco_gt is None
    if coco_gt is None:
        category_map = {c: c for c in class_ids_all}
        coco_image_id = {i: i for i in image_ids}
    else:
        category_map = {c: int(dataset.class_info[c]["id"]) for c in class_ids_all}
        coco_image_id = {i: int(dataset.image_info[i]["id"]) for i in image_ids}

    gt_images, gt_annotations, results, ap_per_image = [], [], [], []
    num_gt = {c: 0 for c in class_ids_all}
    num_crowd = num_empty = num_detections = 0
    detect_seconds = 0.0
    progress = tqdm(total=len(image_ids), desc="Evaluating", unit="image",
                    disable=not verbose)
    try:
        for batch_ids in _batches(image_ids, batch_size):
            images = [dataset.load_image(i) for i in batch_ids]
            padded = images + [images[-1]] * (batch_size - len(images))
            start = time.perf_counter()
            detections = model.detect(padded)
            detect_seconds += time.perf_counter() - start
            for image_id, image, result in zip(batch_ids, images, detections):
                gt = load_ground_truth(dataset, image_id, image.shape)
                masks, class_ids, _, empty = gt
                num_empty += empty
                num_crowd += int(np.sum(class_ids < 0))
                for c in class_ids[class_ids > 0].tolist():
                    num_gt[c] = num_gt.get(c, 0) + 1
                ap_per_image.append(_image_ap(gt, result, iou_threshold))
                if build_gt:
                    gt_images.append({"id": coco_image_id[image_id],
                                      "height": int(image.shape[0]),
                                      "width": int(image.shape[1])})
                    gt_annotations.extend(ground_truth_annotations(coco_image_id[image_id],
                                                                   masks, class_ids))
                num_detections += len(result["class_ids"])
                results.extend(detections_to_coco(
                    coco_image_id[image_id], result["rois"], result["class_ids"],
                    result["scores"], result["masks"], category_map))
                progress.update(1)
    finally:
        progress.close()

    if build_gt:
        categories = [{"id": c, "name": dataset.class_names[c]} for c in class_ids_all]
        coco_gt = build_coco_ground_truth(gt_images, gt_annotations, categories)

    evaluated_ids = [coco_image_id[i] for i in image_ids]
    report = {}
    class_ap = {}
    for iou_type in IOU_TYPES:
        # Only the dataset's classes: a COCO file may hold categories the model never saw.
        coco_eval = run_coco_eval(coco_gt, results, iou_type, evaluated_ids,
                                  verbose=2 if verbose and verbose > 1 else 0,
                                  category_ids=category_map.values())
        report[iou_type] = coco_stats(coco_eval)
        class_ap[iou_type] = (per_category_ap(coco_eval), per_category_ap(coco_eval, 0.5))

    scored = [ap for ap in ap_per_image if ap is not None]
    per_class = []
    for c in class_ids_all:
        category_id = category_map[c]
        row = {"class_id": c, "name": dataset.class_names[c], "num_gt": int(num_gt.get(c, 0))}
        for iou_type in IOU_TYPES:
            mean_ap, ap50 = class_ap[iou_type]
            row[f"{iou_type}_AP"] = mean_ap.get(category_id, float("nan"))
            row[f"{iou_type}_AP50"] = ap50.get(category_id, float("nan"))
        per_class.append(row)

    return {
        "num_images": len(image_ids),
        "image_ids": image_ids,
        "iou_threshold": float(iou_threshold),
        "mAP50": float(np.mean(scored)) if scored else float("nan"),
        "ap_per_image": ap_per_image,
        "num_images_in_map": len(scored),
        "bbox": report["bbox"],
        "segm": report["segm"],
        "per_class": per_class,
        "num_gt": int(sum(num_gt.values())),
        "num_crowd": int(num_crowd),
        "num_empty_gt_masks": int(num_empty),
        "num_detections": int(num_detections),
        "detect_seconds": float(detect_seconds),
        "seconds_per_image": float(detect_seconds / len(image_ids)),
    }


############################################################
#  Report
############################################################

def _number(value, width=7):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a".rjust(width)
    return f"{value:{width}.3f}"


def format_report(result):
    """A readable multi-line table of an ``evaluate`` result (str, no trailing newline)."""
    lines = []
    skipped = result["num_images"] - result["num_images_in_map"]
    lines.append(f"Evaluated {result['num_images']} images: {result['num_gt']} ground-truth "
                 f"instances ({result['num_crowd']} crowd regions), "
                 f"{result['num_detections']} detections, "
                 f"{result['seconds_per_image']:.3f} s/image in detect")
    map_line = (f"mAP@{result['iou_threshold']:g} (mask IoU, mean of per-image compute_ap): "
                f"{_number(result['mAP50'], 0).strip()}")
    if skipped:
        map_line += f" ({skipped} images without ground truth or detections skipped)"
    lines.append(map_line)
    if result.get("num_empty_gt_masks"):
        lines.append(f"{result['num_empty_gt_masks']} ground-truth instances with an empty mask "
                     f"were left out")
    lines.append("")
    stat_columns = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR100")
    # AP is AP@[.5:.95]; AR100 is the recall with at most 100 detections per image.
    lines.append("COCO  " + "".join(f"{name:>8}" for name in stat_columns))
    for iou_type in IOU_TYPES:
        stats = result[iou_type]
        lines.append(f"{iou_type:<6}" + "".join(f" {_number(stats[name])}"
                                                for name in stat_columns))
    lines.append("")
    name_width = max([5] + [len(str(row["name"])) for row in result["per_class"]])
    header = (f"{'class':<{name_width}}  {'id':>3}  {'GT':>5}  {'bbox AP':>8}  {'segm AP':>8}  "
              f"{'bbox AP50':>9}  {'segm AP50':>9}")
    lines.append(header)
    lines.append("-" * len(header))
    for row in result["per_class"]:
        lines.append(f"{str(row['name']):<{name_width}}  {row['class_id']:>3}  "
                     f"{row['num_gt']:>5}  {_number(row['bbox_AP'], 8)}  "
                     f"{_number(row['segm_AP'], 8)}  {_number(row['bbox_AP50'], 9)}  "
                     f"{_number(row['segm_AP50'], 9)}")
    return "\n".join(lines)
