"""Test-time multi-scale detection: the same photo detected at several input sizes, the results
merged into one set of instances (detectron2's TEST.AUG does this for its models). Not in
matterport. NumPy only.

A small model misses logos that are small or large for its training size; detecting again at
a larger size finds small ones, at a smaller size large ones. Merging keeps every instance
found at any size and folds the copies of one instance into one.
"""

import numpy as np

from ..boxes import compute_overlaps

# Two detections of one class whose boxes overlap this much (IoU) are the same instance.
DEFAULT_MERGE_IOU = 0.5


def empty_result(image_shape):
    """A detect() result dict with no instances, for a photo of (H, W[, C]) pixels."""
    height, width = (int(d) for d in image_shape[:2])
    return {"rois": np.zeros((0, 4), np.int32), "class_ids": np.zeros((0,), np.int32),
            "scores": np.zeros((0,), np.float32),
            "masks": np.zeros((height, width, 0), bool)}


def merge_detections(results, iou_threshold=DEFAULT_MERGE_IOU):
    """Merge detect() results of one photo (e.g. one per input size) into one result.

    results: list of dicts with rois [N, (y1, x1, y2, x2)] int pixels, class_ids [N],
        scores [N], masks [H, W, N] bool; all for the same photo.
    Greedy by score: a detection whose box overlaps an already kept detection of the same
    class with IoU >= ``iou_threshold`` is folded into it (mask OR-ed, box grown to enclose
    both; the kept score is the higher one); any other detection is kept as it is. So every
    pixel of any input mask is in the merged masks.
    Returns one dict of the same form, by descending score.
    """
    results = list(results)
    if not results:
        raise ValueError("merge_detections needs at least one result")
    boxes = np.concatenate([np.asarray(r["rois"], np.int32).reshape(-1, 4) for r in results])
    class_ids = np.concatenate([np.asarray(r["class_ids"], np.int32) for r in results])
    scores = np.concatenate([np.asarray(r["scores"], np.float32) for r in results])
    masks = np.concatenate([np.asarray(r["masks"], bool) for r in results], axis=2)
    if not len(scores):
        return empty_result(masks.shape)
    order = np.argsort(-scores, kind="stable")
    overlaps = compute_overlaps(boxes.astype(np.float64), boxes.astype(np.float64))
    kept = []            # indices (into the concatenation) of the kept detections
    merged_into = {}     # kept index -> the indices folded into it, itself included
    for index in order:
        for keeper in kept:
            if class_ids[keeper] == class_ids[index] and \
                    overlaps[keeper, index] >= iou_threshold:
                merged_into[keeper].append(index)
                break
        else:
            kept.append(index)
            merged_into[index] = [index]
    out_boxes = np.stack([np.concatenate([boxes[merged_into[k], :2].min(axis=0),
                                          boxes[merged_into[k], 2:].max(axis=0)])
                          for k in kept]).astype(np.int32)
    out_masks = np.stack([masks[:, :, merged_into[k]].any(axis=2) for k in kept], axis=2)
    return {"rois": out_boxes, "class_ids": class_ids[kept], "scores": scores[kept],
            "masks": out_masks}
