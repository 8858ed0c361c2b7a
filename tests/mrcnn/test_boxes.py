"""Tests of mrcnn.boxes: hand-computed IoU, NMS, box deltas, normalised boxes and trimmed padding."""
import numpy as np
import pytest

from mrcnn.boxes import (apply_box_deltas, box_refinement, compute_iou, compute_overlaps,
                         denorm_boxes, non_max_suppression, norm_boxes, trim_zeros)


def test_compute_iou_hand_computed():
    box = np.array([0, 0, 10, 10])
    boxes = np.array([[5, 5, 15, 15], [0, 0, 10, 10], [20, 20, 30, 30], [0, 0, 5, 10]])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    iou = compute_iou(box, boxes, 100, areas)
    # 25 / (100 + 100 - 25); identical; disjoint; half of it.
    np.testing.assert_allclose(iou, [25 / 175, 1.0, 0.0, 0.5])


def test_compute_overlaps_matrix():
    boxes1 = np.array([[0, 0, 10, 10], [0, 0, 5, 5]])
    boxes2 = np.array([[0, 0, 10, 10], [5, 5, 15, 15], [0, 0, 10, 20]])
    overlaps = compute_overlaps(boxes1, boxes2)
    assert overlaps.shape == (2, 3) and overlaps.dtype == np.float64
    np.testing.assert_allclose(overlaps, [[1.0, 1 / 7, 0.5], [0.25, 0.0, 0.125]])
    assert compute_overlaps(boxes1, np.zeros((0, 4))).shape == (2, 0)


def test_non_max_suppression_greedy_order():
    boxes = np.array([[0, 0, 10, 10],     # A, IoU with D 0.9
                      [1, 1, 11, 11],     # B, IoU with D 72/118
                      [20, 20, 30, 30],   # C, disjoint
                      [0, 0, 10, 9]])     # D, best score
    scores = np.array([0.9, 0.8, 0.7, 0.95])
    kept = non_max_suppression(boxes, scores, 0.5)
    assert kept.dtype == np.int32
    assert kept.tolist() == [3, 2]
    # A high threshold keeps everything, best score first.
    assert non_max_suppression(boxes, scores, 0.95).tolist() == [3, 0, 1, 2]
    # IoU(D, B) = 72 / 118 = 0.61: a threshold just above keeps B, still drops A (0.9).
    assert non_max_suppression(boxes, scores, 0.62).tolist() == [3, 1, 2]
    with pytest.raises(ValueError):
        non_max_suppression(np.zeros((0, 4)), np.zeros(0), 0.5)


def test_box_refinement_hand_computed_and_round_trip():
    box = np.array([[0, 0, 10, 10]])
    gt_box = np.array([[5, 5, 15, 25]])
    deltas = box_refinement(box, gt_box)
    assert deltas.dtype == np.float32
    # Centres (5, 5) -> (10, 15); size 10x10 -> 10x20.
    np.testing.assert_allclose(deltas, [[0.5, 1.0, 0.0, np.log(2.0)]], rtol=1e-6)

    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 500, (50, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(5, 200, (50, 2))], axis=1)
    gt_corners = rng.uniform(0, 500, (50, 2))
    gt_boxes = np.concatenate([gt_corners, gt_corners + rng.uniform(5, 200, (50, 2))], axis=1)
    recovered = apply_box_deltas(boxes, box_refinement(boxes, gt_boxes))
    assert recovered.dtype == np.float32
    np.testing.assert_allclose(recovered, gt_boxes, atol=1e-3)


def test_norm_denorm_boxes():
    boxes = np.array([[10, 20, 30, 40], [0, 0, 101, 201]])
    normalised = norm_boxes(boxes, (101, 201))
    assert normalised.dtype == np.float32
    # (boxes - [0, 0, 1, 1]) / [100, 200, 100, 200]
    np.testing.assert_allclose(normalised, [[0.1, 0.1, 0.29, 0.195], [0, 0, 1, 1]], rtol=1e-6)
    restored = denorm_boxes(normalised, (101, 201))
    assert restored.dtype == np.int32
    np.testing.assert_array_equal(restored, boxes)
    # Image shapes with a channel count are accepted too.
    np.testing.assert_array_equal(norm_boxes(boxes, (101, 201, 3)), normalised)


def test_trim_zeros():
    x = np.array([[1, 2, 3, 4], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    assert trim_zeros(x).tolist() == [[1, 2, 3, 4], [0, 0, 0, 1]]
    with pytest.raises(ValueError):
        trim_zeros(np.zeros(3))
