"""Bounding boxes in NumPy: IoU/overlaps, non-maximum suppression, box deltas, normalisation.

Boxes are ``[N, (y1, x1, y2, x2)]`` in pixels with (y2, x2) just outside the box, unless a
function says they are normalised (``norm_boxes``: (y2, x2) inside, coordinates in [0, 1]).
Deltas are ``[N, (dy, dx, log(dh), log(dw))]``. Same names and numbers as matterport's
``mrcnn.utils``.

Related code elsewhere: boxes of instance masks (``extract_bboxes``) and mask IoU
(``compute_overlaps_masks``) are in ``mrcnn.masks``; the TensorFlow versions of these
operations, used inside the network, are in ``mrcnn.modeling.box_ops``.
"""

import numpy as np


def compute_iou(box, boxes, box_area, boxes_area):
    """IoU of one box with each of a set of boxes.

    box: [(y1, x1, y2, x2)]; boxes: [N, (y1, x1, y2, x2)].
    box_area: area of `box`; boxes_area: [N] areas of `boxes` (passed in so callers
        compute them once).
    Returns: [N] IoU values.
    """
    y1 = np.maximum(box[0], boxes[:, 0])
    y2 = np.minimum(box[2], boxes[:, 2])
    x1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[3], boxes[:, 3])
    intersection = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    union = box_area + boxes_area[:] - intersection[:]
    return intersection / union


def compute_overlaps(boxes1, boxes2):
    """IoU of every box of boxes1 with every box of boxes2.

    boxes1: [N1, (y1, x1, y2, x2)]; boxes2: [N2, (y1, x1, y2, x2)].
    Returns: float64 [N1, N2] IoU matrix.
    """
    boxes1 = np.asarray(boxes1)
    boxes2 = np.asarray(boxes2)
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    # Same arithmetic as compute_iou, broadcast to [N1, N2].
    y1 = np.maximum(boxes2[None, :, 0], boxes1[:, None, 0])
    y2 = np.minimum(boxes2[None, :, 2], boxes1[:, None, 2])
    x1 = np.maximum(boxes2[None, :, 1], boxes1[:, None, 1])
    x2 = np.minimum(boxes2[None, :, 3], boxes1[:, None, 3])
    intersection = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    union = area2[None, :] + area1[:, None] - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        overlaps = intersection / union
    return np.asarray(overlaps, dtype=np.float64).reshape(boxes1.shape[0], boxes2.shape[0])


def non_max_suppression(boxes, scores, threshold):
    """Greedy non-maximum suppression.

    boxes: [N, (y1, x1, y2, x2)], N > 0; scores: [N]; threshold: boxes whose IoU with a
        kept, higher-scoring box is above this are dropped.
    Returns: int32 indices of the kept boxes, highest score first.
    """
    if boxes.shape[0] == 0:
        raise ValueError("non_max_suppression needs at least one box")
    if boxes.dtype.kind != "f":
        boxes = boxes.astype(np.float32)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    # Same (unstable) sort as matterport so ties resolve identically.
    remaining = scores.argsort()[::-1]
    kept = []
    while len(remaining) > 0:
        best = remaining[0]
        kept.append(best)
        iou = compute_iou(boxes[best], boxes[remaining[1:]], area[best], area[remaining[1:]])
        remaining = remaining[1:][~(iou > threshold)]
    return np.array(kept, dtype=np.int32)


def apply_box_deltas(boxes, deltas):
    """Apply refinement deltas to boxes.

    boxes: [N, (y1, x1, y2, x2)] pixels; deltas: [N, (dy, dx, log(dh), log(dw))].
    Returns: float32 [N, (y1, x1, y2, x2)].
    """
    boxes = boxes.astype(np.float32)
    height = boxes[:, 2] - boxes[:, 0]
    width = boxes[:, 3] - boxes[:, 1]
    center_y = boxes[:, 0] + 0.5 * height
    center_x = boxes[:, 1] + 0.5 * width
    center_y += deltas[:, 0] * height
    center_x += deltas[:, 1] * width
    height *= np.exp(deltas[:, 2])
    width *= np.exp(deltas[:, 3])
    y1 = center_y - 0.5 * height
    x1 = center_x - 0.5 * width
    return np.stack([y1, x1, y1 + height, x1 + width], axis=1)


def box_refinement(box, gt_box):
    """Deltas that turn `box` into `gt_box` (the inverse of apply_box_deltas).

    box, gt_box: [N, (y1, x1, y2, x2)] pixels, (y2, x2) outside the box.
    Returns: float32 [N, (dy, dx, log(dh), log(dw))].
    """
    box = box.astype(np.float32)
    gt_box = gt_box.astype(np.float32)
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
    dh = np.log(gt_height / height)
    dw = np.log(gt_width / width)
    return np.stack([dy, dx, dh, dw], axis=1)


def norm_boxes(boxes, shape):
    """Pixel boxes -> normalised boxes.

    boxes: [N, (y1, x1, y2, x2)] pixels, (y2, x2) outside the box.
    shape: (height, width[, ...]) of the image.
    Returns: float32 [N, (y1, x1, y2, x2)] normalised, (y2, x2) inside the box:
        (boxes - [0, 0, 1, 1]) / [h - 1, w - 1, h - 1, w - 1].
    """
    h, w = shape[:2]
    scale = np.array([h - 1, w - 1, h - 1, w - 1])
    shift = np.array([0, 0, 1, 1])
    return np.divide((boxes - shift), scale).astype(np.float32)


def denorm_boxes(boxes, shape):
    """Normalised boxes -> pixel boxes (inverse of norm_boxes).

    boxes: [N, (y1, x1, y2, x2)] normalised; shape: (height, width[, ...]).
    Returns: int32 [N, (y1, x1, y2, x2)] pixels, rounded, (y2, x2) outside the box.
    """
    h, w = shape[:2]
    scale = np.array([h - 1, w - 1, h - 1, w - 1])
    shift = np.array([0, 0, 1, 1])
    return np.around(np.multiply(boxes, scale) + shift).astype(np.int32)


def trim_zeros(x):
    """Drop all-zero rows (padding) of a 2-D array, e.g. boxes [N, 4]."""
    if len(x.shape) != 2:
        raise ValueError(f"trim_zeros expects a 2-D array, got shape {x.shape}")
    return x[~np.all(x == 0, axis=1)]
