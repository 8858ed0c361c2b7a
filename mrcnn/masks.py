"""Instance masks in NumPy: their boxes and IoU, and resizing them with the image and the network.

Masks are ``[height, width, instances]`` (bool or 0/1) in image pixels; mini masks are
``[mini_height, mini_width, instances]`` cropped to each instance's box; network masks are small
``[h, w]`` float probabilities (e.g. 28x28) covering one box. Boxes are
``[N, (y1, x1, y2, x2)]`` in pixels, (y2, x2) just outside the box. Same names and numbers as
matterport's ``mrcnn.utils``.

The bilinear resizing these functions use is ``mrcnn.resizing.resize`` (skimage's resize);
``resize_mask`` follows ``mrcnn.resizing.resize_image``'s scale, padding and crop.
"""

import numpy as np

from .resizing import resize


def extract_bboxes(mask):
    """Bounding boxes of instance masks.

    mask: [height, width, num_instances], bool or 0/1.
    Returns: int32 [num_instances, (y1, x1, y2, x2)] pixels, y2/x2 one past the last mask
        row/column. Instances with an empty mask get all-zero boxes.
    """
    mask = np.asarray(mask)
    height, width = mask.shape[:2]
    rows_used = np.any(mask, axis=1)  # [height, N]
    cols_used = np.any(mask, axis=0)  # [width, N]
    y1 = np.argmax(rows_used, axis=0)
    y2 = height - np.argmax(rows_used[::-1], axis=0)
    x1 = np.argmax(cols_used, axis=0)
    x2 = width - np.argmax(cols_used[::-1], axis=0)
    boxes = np.stack([y1, x1, y2, x2], axis=1).astype(np.int32).reshape(-1, 4)
    boxes[~rows_used.any(axis=0)] = 0
    return boxes


def compute_overlaps_masks(masks1, masks2):
    """IoU of every mask of masks1 with every mask of masks2.

    masks1: [height, width, N1]; masks2: [height, width, N2]; values > 0.5 count as inside.
    Returns: [N1, N2] IoU (float32; float64 zeros when either set is empty). Two empty
        masks have IoU nan (0 / 0), as in matterport.
    """
    if masks1.shape[-1] == 0 or masks2.shape[-1] == 0:
        return np.zeros((masks1.shape[-1], masks2.shape[-1]))
    flat1 = np.reshape(masks1 > 0.5, (-1, masks1.shape[-1])).astype(np.float32)
    flat2 = np.reshape(masks2 > 0.5, (-1, masks2.shape[-1])).astype(np.float32)
    area1 = np.sum(flat1, axis=0)
    area2 = np.sum(flat2, axis=0)
    intersections = np.dot(flat1.T, flat2)
    union = area1[:, None] + area2[None, :] - intersections
    with np.errstate(divide="ignore", invalid="ignore"):
        return intersections / union


def _zoom_nearest_indices(size_in, scale):
    """Output size and source index (-1 = outside, i.e. 0) of each output sample of
    scipy.ndimage.zoom(order=0, grid_mode=False, mode='constant') along one axis.

    Corner-aligned grid: sample i reads input coordinate i * (size_in - 1) / (size_out - 1).
    Float rounding can put the last coordinate a hair past the last pixel; scipy then
    returns the constant 0, so the last row/column of a zoomed mask is sometimes empty.
    matterport's masks had this quirk; it is reproduced here.
    """
    size_out = int(round(size_in * scale))
    zoom = (size_in - 1) / (size_out - 1) if size_out > 1 else 1.0
    coordinates = np.arange(size_out) * zoom
    indices = np.clip(np.floor(coordinates + 0.5).astype(np.intp), 0, max(size_in - 1, 0))
    indices[coordinates > size_in - 1] = -1
    return indices


def resize_mask(mask, scale, padding, crop=None):
    """Resize and pad (or crop) instance masks the way resize_image did the image.

    mask: [height, width, instances] (bool or numbers); scale, padding, crop: from
        resize_image.
    Returns: [new height, new width, instances], same dtype. Identical to matterport's
        scipy.ndimage.zoom(mask, [scale, scale, 1], order=0) + np.pad (or crop), done with
        index arithmetic.
    """
    mask = np.asarray(mask)
    row_indices = _zoom_nearest_indices(mask.shape[0], scale)
    col_indices = _zoom_nearest_indices(mask.shape[1], scale)
    zoomed = mask[np.maximum(row_indices, 0)][:, np.maximum(col_indices, 0)]
    zoomed[row_indices < 0] = 0
    zoomed[:, col_indices < 0] = 0
    if crop is not None:
        y, x, h, w = crop
        return zoomed[y:y + h, x:x + w]
    return np.pad(zoomed, padding[:zoomed.ndim], mode="constant", constant_values=0)


def minimize_mask(bbox, mask, mini_shape):
    """Crop each instance mask to its box and resize it to mini_shape (saves memory).

    bbox: [instances, (y1, x1, y2, x2)] pixels; mask: [height, width, instances];
    mini_shape: (height, width) of the mini masks, e.g. (56, 56).
    Returns: bool [mini_height, mini_width, instances]. Undo with expand_mask().
    """
    mini_mask = np.zeros(tuple(mini_shape) + (mask.shape[-1],), dtype=bool)
    for i in range(mask.shape[-1]):
        y1, x1, y2, x2 = bbox[i][:4]
        instance = mask[y1:y2, x1:x2, i].astype(bool)
        if instance.size == 0:
            raise ValueError(f"Invalid bounding box with area of zero: instance {i}, "
                             f"box {tuple(int(v) for v in bbox[i][:4])}")
        # Bilinear on 0/1 values, then rounded: the majority vote of the covered pixels.
        mini_mask[:, :, i] = np.around(resize(instance, mini_shape)).astype(bool)
    return mini_mask


def expand_mask(bbox, mini_mask, image_shape):
    """Paste mini masks back at their boxes in full-image masks (inverse of minimize_mask).

    bbox: [instances, (y1, x1, y2, x2)] pixels; mini_mask: [mini_h, mini_w, instances];
    image_shape: (height, width[, channels]).
    Returns: bool [height, width, instances].
    """
    mask = np.zeros(tuple(image_shape[:2]) + (mini_mask.shape[-1],), dtype=bool)
    for i in range(mask.shape[-1]):
        y1, x1, y2, x2 = bbox[i][:4]
        resized = resize(mini_mask[:, :, i], (y2 - y1, x2 - x1))
        mask[y1:y2, x1:x2, i] = np.around(resized).astype(bool)
    return mask


def mold_mask(mask, config):
    """Resize a box-cropped instance mask to the network's mask size (config.MASK_SHAPE).

    matterport left this as an empty stub that returned None; this is the natural
    inverse of unmold_mask, done as the training targets are made.
    mask: [h, w] bool or float mask already cropped to its box.
    Returns: float32 [MASK_SHAPE] of 0.0/1.0 (bilinear resize, then rounded).
    """
    resized = resize(np.asarray(mask).astype(np.float32), tuple(config.MASK_SHAPE))
    return np.round(resized).astype(np.float32)


def unmold_mask(mask, bbox, image_shape, out=None, threshold=0.5):
    """Turn a small network mask into a full-image binary mask.

    mask: [height, width] float, e.g. 28x28 probabilities.
    bbox: (y1, x1, y2, x2) pixels, the box the mask covers.
    image_shape: (height, width[, channels]) of the image.
    out: optional all-False bool [image height, image width] array (or view, e.g. one
        instance of an [H, W, N] stack) to paste into; only the box region is written.
    threshold: probability at and above which a pixel is inside (matterport: 0.5).
    Returns: bool [image height, image width] (``out`` when given): the mask resized to the
        box (bilinear), thresholded at ``threshold`` and pasted at the box. Parts of the box
        outside the image are dropped; an empty box gives an all-False mask.
    """
    y1, x1, y2, x2 = (int(value) for value in bbox[:4])
    full_mask = np.zeros(tuple(image_shape[:2]), dtype=bool) if out is None else out
    if y2 <= y1 or x2 <= x1:
        return full_mask
    box_mask = resize(mask, (y2 - y1, x2 - x1)) >= threshold
    # Clip to the image (matterport assumed boxes inside it).
    height, width = full_mask.shape
    top, left = max(y1, 0), max(x1, 0)
    bottom, right = min(y2, height), min(x2, width)
    if bottom > top and right > left:
        full_mask[top:bottom, left:right] = box_mask[top - y1:bottom - y1, left - x1:right - x1]
    return full_mask
