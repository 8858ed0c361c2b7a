"""Tests of mrcnn.metrics: hand-computed matches, AP, AP over IoU ranges and recall."""
import numpy as np
import pytest

from mrcnn.metrics import compute_ap, compute_ap_range, compute_matches, compute_recall


def _boxes_and_masks(boxes, shape=(60, 60)):
    masks = np.zeros(shape + (len(boxes),), bool)
    for i, (y1, x1, y2, x2) in enumerate(boxes):
        masks[y1:y2, x1:x2, i] = True
    return np.array(boxes, dtype=np.int32).reshape(-1, 4), masks


def test_compute_ap_perfect_predictions():
    gt_boxes, gt_masks = _boxes_and_masks([(0, 0, 10, 10), (20, 20, 40, 40)])
    class_ids = np.array([1, 2])
    mAP, precisions, recalls, overlaps = compute_ap(
        gt_boxes, class_ids, gt_masks, gt_boxes, class_ids, np.array([0.9, 0.8]), gt_masks)
    assert mAP == 1.0
    np.testing.assert_allclose(precisions, [1, 1, 1, 0])
    np.testing.assert_allclose(recalls, [0, 0.5, 1, 1])
    np.testing.assert_allclose(overlaps, np.eye(2))
    assert compute_ap_range(gt_boxes, class_ids, gt_masks, gt_boxes, class_ids,
                            np.array([0.9, 0.8]), gt_masks, verbose=0) == 1.0


def test_compute_ap_false_positive_scored_above_true_positive():
    gt_boxes, gt_masks = _boxes_and_masks([(0, 0, 10, 10)])
    pred_boxes, pred_masks = _boxes_and_masks([(30, 30, 40, 40), (0, 0, 10, 10)])
    mAP, precisions, recalls, _ = compute_ap(
        gt_boxes, np.array([1]), gt_masks,
        pred_boxes, np.array([1, 1]), np.array([0.9, 0.8]), pred_masks)
    # Ranked FP, TP: precision 0 then 1/2 at recall 1 -> AP = 1 * 0.5.
    assert mAP == pytest.approx(0.5)
    np.testing.assert_allclose(precisions, [0.5, 0.5, 0.5, 0])
    np.testing.assert_allclose(recalls, [0, 0, 1, 1])


def test_compute_ap_two_objects_with_a_false_positive_between():
    gt_boxes, gt_masks = _boxes_and_masks([(0, 0, 10, 10), (20, 20, 40, 40)])
    pred_boxes, pred_masks = _boxes_and_masks([(0, 0, 10, 10), (45, 45, 55, 55), (20, 20, 40, 40)])
    mAP, precisions, recalls, _ = compute_ap(
        gt_boxes, np.array([1, 1]), gt_masks,
        pred_boxes, np.array([1, 1, 1]), np.array([0.95, 0.9, 0.8]), pred_masks)
    # TP, FP, TP: precisions 1, 1/2, 2/3 at recalls 1/2, 1/2, 1 -> 0.5 * 1 + 0.5 * 2/3.
    assert mAP == pytest.approx(5 / 6)
    np.testing.assert_allclose(precisions, [1, 1, 2 / 3, 2 / 3, 0])
    # Wrong class: nothing matches.
    mAP, _, _, _ = compute_ap(
        gt_boxes, np.array([1, 1]), gt_masks,
        pred_boxes, np.array([2, 2, 2]), np.array([0.95, 0.9, 0.8]), pred_masks)
    assert mAP == 0.0


def test_compute_matches_and_ap_range_threshold_dependence(capsys):
    gt_boxes, gt_masks = _boxes_and_masks([(0, 0, 10, 25)])
    pred_boxes, pred_masks = _boxes_and_masks([(0, 0, 10, 18)])  # IoU 180 / 250 = 0.72
    gt_match, pred_match, overlaps = compute_matches(
        gt_boxes, np.array([1]), gt_masks, pred_boxes, np.array([1]), np.array([0.9]), pred_masks)
    assert gt_match.tolist() == [0] and pred_match.tolist() == [0]
    np.testing.assert_allclose(overlaps, [[0.72]])
    # Matched at 0.50 ... 0.70 (5 thresholds), missed at 0.75 ... 0.95 (5): mean 0.5.
    mean_ap = compute_ap_range(gt_boxes, np.array([1]), gt_masks, pred_boxes,
                               np.array([1]), np.array([0.9]), pred_masks, verbose=1)
    assert mean_ap == pytest.approx(0.5)
    printed = capsys.readouterr().out
    assert "AP @0.50:\t 1.000" in printed and "AP @0.50-0.95:\t 0.500" in printed


def test_compute_recall():
    pred_boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [50, 50, 60, 60]])
    gt_boxes = np.array([[0, 0, 10, 10], [20, 20, 30, 30]])
    recall, positive_ids = compute_recall(pred_boxes, gt_boxes, 0.5)
    assert recall == 0.5
    assert positive_ids.tolist() == [0, 1]
