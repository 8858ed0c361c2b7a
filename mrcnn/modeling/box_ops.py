"""Box arithmetic as TensorFlow ops, for use inside layers.

Boxes are ``[..., (y1, x1, y2, x2)]``; deltas are ``[..., (dy, dx, log(dh), log(dw))]``.
"""

import tensorflow as tf


def apply_box_deltas_graph(boxes, deltas):
    """Apply refinement deltas to boxes.

    boxes: [..., (y1, x1, y2, x2)]; deltas: [..., (dy, dx, log(dh), log(dw))], same leading
    shape. Returns refined boxes of the same shape and units as ``boxes``.
    """
    height = boxes[..., 2] - boxes[..., 0]
    width = boxes[..., 3] - boxes[..., 1]
    center_y = boxes[..., 0] + 0.5 * height
    center_x = boxes[..., 1] + 0.5 * width
    center_y += deltas[..., 0] * height
    center_x += deltas[..., 1] * width
    height *= tf.exp(deltas[..., 2])
    width *= tf.exp(deltas[..., 3])
    y1 = center_y - 0.5 * height
    x1 = center_x - 0.5 * width
    y2 = y1 + height
    x2 = x1 + width
    return tf.stack([y1, x1, y2, x2], axis=-1, name="apply_box_deltas_out")


def non_max_suppression_graph(boxes, scores, max_output_size, iou_threshold, name=None):
    """Indices of the boxes that greedy non-max suppression keeps, best score first.

    boxes: [N, (y1, x1, y2, x2)]; scores: [N]; max_output_size: int; iou_threshold: float.
    Returns int32 [K], K <= max_output_size: what ``tf.image.non_max_suppression`` returns,
    computed as the padded op (NonMaxSuppressionV4) cut to its count of valid indices. The
    explicit cut matters to the TFLite converter, which turns the unpadded op into its padded
    kernel without the cut: the exported model would then keep copies of the first box.
    """
    selected, valid = tf.raw_ops.NonMaxSuppressionV4(
        boxes=boxes, scores=scores, max_output_size=max_output_size,
        iou_threshold=iou_threshold, score_threshold=float("-inf"),
        pad_to_max_output_size=True, name=name)
    return selected[:valid]


def clip_boxes_graph(boxes, window):
    """Clip boxes [..., (y1, x1, y2, x2)] to ``window`` [4] = (y1, x1, y2, x2), same units."""
    wy1, wx1, wy2, wx2 = tf.unstack(tf.cast(window, boxes.dtype), num=4)
    y1 = tf.maximum(tf.minimum(boxes[..., 0], wy2), wy1)
    x1 = tf.maximum(tf.minimum(boxes[..., 1], wx2), wx1)
    y2 = tf.maximum(tf.minimum(boxes[..., 2], wy2), wy1)
    x2 = tf.maximum(tf.minimum(boxes[..., 3], wx2), wx1)
    return tf.stack([y1, x1, y2, x2], axis=-1, name="clipped_boxes")


def norm_boxes_graph(boxes, shape):
    """Pixel boxes [..., (y1, x1, y2, x2)] to normalised coordinates.

    shape: (height, width) in pixels. (y2, x2) are exclusive in pixels and inclusive once
    normalised, hence the shift, as in matterport's ``norm_boxes``.
    """
    h, w = tf.split(tf.cast(shape, tf.float32), 2)
    scale = tf.concat([h, w, h, w], axis=-1) - tf.constant(1.0)
    shift = tf.constant([0., 0., 1., 1.])
    return tf.divide(boxes - shift, scale)


def denorm_boxes_graph(boxes, shape):
    """Normalised boxes [..., (y1, x1, y2, x2)] to int32 pixel boxes; inverse of norm_boxes_graph."""
    h, w = tf.split(tf.cast(shape, tf.float32), 2)
    scale = tf.concat([h, w, h, w], axis=-1) - tf.constant(1.0)
    shift = tf.constant([0., 0., 1., 1.])
    return tf.cast(tf.round(tf.multiply(boxes, scale) + shift), tf.int32)


def overlaps_graph(boxes1, boxes2):
    """IoU matrix [N1, N2] between boxes1 [N1, 4] and boxes2 [N2, 4] (y1, x1, y2, x2)."""
    b1 = boxes1[:, tf.newaxis, :]
    b2 = boxes2[tf.newaxis, :, :]
    y1 = tf.maximum(b1[..., 0], b2[..., 0])
    x1 = tf.maximum(b1[..., 1], b2[..., 1])
    y2 = tf.minimum(b1[..., 2], b2[..., 2])
    x2 = tf.minimum(b1[..., 3], b2[..., 3])
    intersection = tf.maximum(x2 - x1, 0) * tf.maximum(y2 - y1, 0)
    area1 = (b1[..., 2] - b1[..., 0]) * (b1[..., 3] - b1[..., 1])
    area2 = (b2[..., 2] - b2[..., 0]) * (b2[..., 3] - b2[..., 1])
    union = area1 + area2 - intersection
    return intersection / union


def box_refinement_graph(box, gt_box):
    """Deltas [N, (dy, dx, log(dh), log(dw))] that turn ``box`` [N, 4] into ``gt_box`` [N, 4]."""
    box = tf.cast(box, tf.float32)
    gt_box = tf.cast(gt_box, tf.float32)
    height = box[:, 2] - box[:, 0]
    width = box[:, 3] - box[:, 1]
    center_y = box[:, 0] + 0.5 * height
    center_x = box[:, 1] + 0.5 * width
    gt_height = gt_box[:, 2] - gt_box[:, 0]
    gt_width = gt_box[:, 3] - gt_box[:, 1]
    gt_center_y = gt_box[:, 0] + 0.5 * gt_height
    gt_center_x = gt_box[:, 1] + 0.5 * gt_width
    dy = (gt_center_y - center_y) / height
    dx = (gt_center_x - center_x) / width
    dh = tf.math.log(gt_height / height)
    dw = tf.math.log(gt_width / width)
    return tf.stack([dy, dx, dh, dw], axis=1)


def trim_zeros_graph(boxes, name="trim_zeros"):
    """Drop all-zero rows of ``boxes`` [N, 4] (padding). Returns (boxes, non_zero bool [N])."""
    non_zeros = tf.cast(tf.reduce_sum(tf.abs(boxes), axis=1), tf.bool)
    boxes = tf.boolean_mask(boxes, non_zeros, name=name)
    return boxes, non_zeros


def zero_non_finite(boxes):
    """Replace non-finite coordinates by 0.

    Huge deltas from an untrained head overflow exp() and give inf/NaN boxes, which
    TensorFlow 2's crop_and_resize rejects (TF 1 did not check). Zero boxes have no area:
    the ROI heads see empty crops and ``unmold_detections`` drops such detections.
    """
    return tf.where(tf.math.is_finite(boxes), boxes, tf.zeros_like(boxes))
