"""The builtin-op layers of the TFLite export compute what TensorFlow's own ops compute, in
graph mode too (where grappler rewrites arithmetic), on the cases that once differed."""

import numpy as np
import tensorflow as tf

from mrcnn.export.portable_layers import (pyramid_crop_and_resize,
                                          rank_nms_with_degenerate_boxes)


def edge_boxes(count, seed):
    """[count, (y1, x1, y2, x2)] normalised float32 boxes, most reaching the right or bottom edge
    (where crop_and_resize's last sample lands on the edge or a rounding error past it)."""
    rng = np.random.default_rng(seed)
    starts = rng.uniform(0.0, 1.0, (count, 2))
    ends = np.minimum(1.0, starts + rng.uniform(0.0, 0.5, (count, 2)))
    ends[: count * 2 // 3] = 1.0
    boxes = np.concatenate([starts, ends], axis=1).astype(np.float32)
    boxes[:10] = 0.0                      # padded ROIs
    return boxes


def test_crop_matches_crop_and_resize_in_graph_mode_at_the_maps_edge():
    rng = np.random.default_rng(0)
    feature_map = tf.constant(rng.normal(size=(1, 32, 24, 4)).astype(np.float32))
    boxes = tf.constant(edge_boxes(2000, seed=1))
    zeros = tf.zeros([2000], tf.int32)
    expected = tf.image.crop_and_resize(feature_map, boxes, zeros, (7, 7)).numpy()
    # Grappler rewrote a division by a constant into a multiplication: the last column of a
    # box reaching the edge then read 0 in graph mode only.
    graph_crop = tf.function(
        lambda fm, b: pyramid_crop_and_resize([fm], b, zeros, zeros, (7, 7)))
    for got in (graph_crop(feature_map, boxes).numpy(),
                pyramid_crop_and_resize([feature_map], boxes, zeros, zeros, (7, 7)).numpy()):
        np.testing.assert_allclose(got, expected, atol=1e-5)
    # The case exists in these boxes: crop_and_resize reads 0 past the edge for some of them.
    assert (expected[:, :, -1, :] == 0).all(axis=(1, 2)).sum() > 20


def test_crop_reads_each_box_from_its_own_level():
    rng = np.random.default_rng(2)
    maps = [tf.constant(rng.normal(size=(2, size, size, 3)).astype(np.float32))
            for size in (32, 16, 8, 4)]
    boxes = edge_boxes(80, seed=3)
    levels = rng.integers(0, 4, 80).astype(np.int32)
    batch = rng.integers(0, 2, 80).astype(np.int32)
    got = tf.function(pyramid_crop_and_resize)(maps, tf.constant(boxes), tf.constant(batch),
                                               tf.constant(levels), (5, 5)).numpy()
    for level in range(4):
        rows = levels == level
        expected = tf.image.crop_and_resize(maps[level], boxes[rows], batch[rows], (5, 5))
        np.testing.assert_allclose(got[rows], expected.numpy(), atol=1e-5)


def reference_nms(boxes, max_output_size, iou_threshold):
    """TensorFlow's NMS visiting the boxes in their order (scores strictly decreasing)."""
    scores = np.linspace(1.0, 0.5, len(boxes)).astype(np.float32)
    return tf.image.non_max_suppression(boxes, scores, max_output_size, iou_threshold).numpy()


def test_rank_nms_is_tensorflows_nms_with_ties_and_degenerate_boxes():
    rng = np.random.default_rng(4)
    corners = rng.uniform(0.0, 0.8, (300, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(0.0, 0.3, (300, 2))], axis=1)
    boxes = np.clip(boxes, 0.0, 1.0).astype(np.float32)
    boxes[::7, 2] = boxes[::7, 0]         # zero height: kept in place whatever overlaps them
    boxes[5::11] = boxes[5]               # copies of one box
    got = tf.function(rank_nms_with_degenerate_boxes)(tf.constant(boxes), 100, 0.5).numpy()
    np.testing.assert_array_equal(got, reference_nms(boxes, 100, 0.5))
    assert len(got) == 100


def test_rank_nms_of_no_boxes_is_empty():
    got = tf.function(rank_nms_with_degenerate_boxes)(tf.zeros([0, 4]), 10, 0.5).numpy()
    assert got.shape == (0,)
