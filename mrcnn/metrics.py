"""Detection metrics in NumPy: matching predictions to ground truth, AP (one IoU threshold or
averaged over a range), recall.

Matterport's functions with the same numbers: matches and AP use mask IoU
(``mrcnn.masks.compute_overlaps_masks``), recall uses box IoU (``mrcnn.boxes.compute_overlaps``).
Boxes are ``[N, (y1, x1, y2, x2)]`` pixels (all-zero rows are padding and dropped), masks
``[H, W, N]``. Whole-dataset evaluation (mAP@0.5, COCO metrics) is ``mrcnn.evaluation``.
"""

import numpy as np

from .boxes import compute_overlaps, trim_zeros
from .masks import compute_overlaps_masks


def compute_matches(gt_boxes, gt_class_ids, gt_masks,
                    pred_boxes, pred_class_ids, pred_scores, pred_masks,
                    iou_threshold=0.5, score_threshold=0.0):
    """Match predictions to ground truth by mask IoU, highest score first.

    gt_boxes: [G, 4] (zero rows are padding and dropped); gt_class_ids: [G];
    gt_masks: [H, W, G]; pred_boxes: [P, 4]; pred_class_ids, pred_scores: [P];
    pred_masks: [H, W, P].
    iou_threshold: minimum mask IoU of a match; score_threshold: candidate ground truths
        with an IoU below this are not considered.
    Returns:
        gt_match: [G] index of the matched prediction (in score order) or -1.
        pred_match: [P] index of the matched ground truth, in score order, or -1.
        overlaps: [P, G] mask IoUs, predictions in score order.
    """
    gt_boxes = trim_zeros(gt_boxes)
    gt_masks = gt_masks[..., :gt_boxes.shape[0]]
    pred_boxes = trim_zeros(pred_boxes)
    pred_scores = pred_scores[:pred_boxes.shape[0]]
    order = np.argsort(pred_scores)[::-1]
    pred_boxes = pred_boxes[order]
    pred_class_ids = pred_class_ids[order]
    pred_scores = pred_scores[order]
    pred_masks = pred_masks[..., order]

    overlaps = compute_overlaps_masks(pred_masks, gt_masks)

    pred_match = -1 * np.ones([pred_boxes.shape[0]])
    gt_match = -1 * np.ones([gt_boxes.shape[0]])
    for i in range(len(pred_boxes)):
        # Candidate ground truths, best IoU first, cut at the first one below score_threshold.
        candidates = np.argsort(overlaps[i])[::-1]
        too_low = np.where(overlaps[i, candidates] < score_threshold)[0]
        if too_low.size > 0:
            candidates = candidates[:too_low[0]]
        for j in candidates:
            if gt_match[j] > -1:
                continue  # already taken by a higher-scoring prediction
            if overlaps[i, j] < iou_threshold:
                break
            if pred_class_ids[i] == gt_class_ids[j]:
                gt_match[j] = i
                pred_match[i] = j
                break
    return gt_match, pred_match, overlaps


def compute_ap(gt_boxes, gt_class_ids, gt_masks,
               pred_boxes, pred_class_ids, pred_scores, pred_masks,
               iou_threshold=0.5):
    """Average precision at one mask-IoU threshold (VOC-style, all points interpolated).

    Arguments as compute_matches.
    Returns:
        mAP: the area under the interpolated precision/recall curve.
        precisions: [P + 2] interpolated precisions (padded with 0 at both ends).
        recalls: [P + 2] recalls (padded with 0 and 1).
        overlaps: [P, G] mask IoUs.
    """
    gt_match, pred_match, overlaps = compute_matches(
        gt_boxes, gt_class_ids, gt_masks, pred_boxes, pred_class_ids, pred_scores, pred_masks,
        iou_threshold)
    true_positives = np.cumsum(pred_match > -1)
    precisions = true_positives / (np.arange(len(pred_match)) + 1)
    # float32 division as matterport, so the returned numbers are identical.
    recalls = true_positives.astype(np.float32) / len(gt_match)
    precisions = np.concatenate([[0], precisions, [0]])
    recalls = np.concatenate([[0], recalls, [1]])
    # Each precision becomes the best precision at this or any higher recall.
    precisions = np.maximum.accumulate(precisions[::-1])[::-1]
    steps = np.where(recalls[:-1] != recalls[1:])[0] + 1
    mAP = np.sum((recalls[steps] - recalls[steps - 1]) * precisions[steps])
    return mAP, precisions, recalls, overlaps


def compute_ap_range(gt_box, gt_class_id, gt_mask,
                     pred_box, pred_class_id, pred_score, pred_mask,
                     iou_thresholds=None, verbose=1):
    """AP averaged over IoU thresholds (default 0.5:0.95 in steps of 0.05, COCO style).

    Arguments as compute_ap; verbose prints each AP. Returns the mean AP (float).
    """
    if iou_thresholds is None:
        iou_thresholds = np.arange(0.5, 1.0, 0.05)
    ap_values = []
    for iou_threshold in iou_thresholds:
        ap, _, _, _ = compute_ap(gt_box, gt_class_id, gt_mask, pred_box, pred_class_id,
                                 pred_score, pred_mask, iou_threshold=iou_threshold)
        if verbose:
            print(f"AP @{iou_threshold:.2f}:\t {ap:.3f}")
        ap_values.append(ap)
    mean_ap = np.array(ap_values).mean()
    if verbose:
        print(f"AP @{iou_thresholds[0]:.2f}-{iou_thresholds[-1]:.2f}:\t {mean_ap:.3f}")
    return mean_ap


def compute_recall(pred_boxes, gt_boxes, iou):
    """Recall of ground-truth boxes by predicted boxes.

    pred_boxes: [P, (y1, x1, y2, x2)]; gt_boxes: [G, (y1, x1, y2, x2)]; iou: threshold.
    Returns:
        recall: fraction of ground-truth boxes that are the best match (IoU >= iou) of at
            least one prediction.
        positive_ids: indices of the predictions with IoU >= iou with some ground truth.
    """
    overlaps = compute_overlaps(pred_boxes, gt_boxes)
    iou_max = np.max(overlaps, axis=1)
    iou_argmax = np.argmax(overlaps, axis=1)
    positive_ids = np.where(iou_max >= iou)[0]
    matched_gt_boxes = iou_argmax[positive_ids]
    recall = len(set(matched_gt_boxes)) / gt_boxes.shape[0]
    return recall, positive_ids
