"""Molding and unmolding one photo with TensorFlow ops, so that an exported model takes a photo
and returns detections at photo resolution with no NumPy around it.

These functions do in the graph what ``mrcnn.modeling.transform.mold_inputs`` and
``unmold_detections`` do in NumPy/OpenCV for ``MaskRCNN.detect()``, with the same arithmetic:

* molding (``mold_photo``): the scale of matterport's ``resize_image`` ("square" mode), the
  bilinear resize of ``mrcnn.resizing.resize`` (skimage's: half-pixel centres, edge pixels
  replicated, outermost upscaled rows and columns blended towards 0, then clipped to the
  photo's value range), uint8 truncation, zero padding, mean pixel subtracted;
* unmolding (``unmold_detections``): boxes mapped from the molded image to the photo and
  rounded, zero-area boxes dropped, each 28x28 (MASK_SHAPE) mask resized bilinearly to its box
  as ``mrcnn.masks.unmold_mask`` does (same blending and clipping), thresholded at
  DETECTION_MASK_THRESHOLD and pasted at the box, for all detections at once (two batched
  matrix products with interpolation matrices).

Differences from the NumPy path: the photo and masks are resized in float32 here, in float64
there (the mean pixel is subtracted in float64, except for TFLite), so a resized pixel that lands within float32 rounding of a whole number may be truncated
to the next uint8 value (a few photo pixels in ten thousand, by 1); boxes are rounded from
float32 products. Only ops that TFLite (with TF Select) and tf2onnx convert are used.
"""

import numpy as np
import tensorflow as tf

from ..modeling.anchors import pyramid_anchors
from .exportable import check_exportable  # noqa: F401  (re-exported: graph's precondition)


def _axis_sampling(size_in, size_out):
    """Half-pixel bilinear sampling of one axis, as skimage / ``mrcnn.resizing.resize``.

    size_in, size_out: int32 scalars (pixels). Returns (lower [size_out] int32, upper
    [size_out] int32, fraction [size_out] float32, border [size_out] float32): output sample i
    is ``in[lower] + (in[upper] - in[lower]) * fraction``, times ``border``, the weight of the
    image against the constant 0 outside it (below 1 only where upscaling samples past the
    outermost pixel).
    """
    size_in_f = tf.cast(size_in, tf.float64)
    zoom = size_in_f / tf.cast(size_out, tf.float64)
    coordinates = (tf.range(tf.cast(size_out, tf.float64)) + 0.5) * zoom - 0.5
    floor = tf.floor(coordinates)
    last = size_in - 1
    lower = tf.clip_by_value(tf.cast(floor, tf.int32), 0, last)
    upper = tf.clip_by_value(tf.cast(floor, tf.int32) + 1, 0, last)
    fraction = tf.cast(coordinates - floor, tf.float32)
    border = tf.where(coordinates < 0.0, 1.0 + coordinates,
                      tf.where(coordinates > size_in_f - 1.0, size_in_f - coordinates,
                               tf.ones_like(coordinates)))
    return lower, upper, fraction, tf.cast(border, tf.float32)


def resize_photo(image, out_height, out_width):
    """Bilinear resize of a float32 [H, W, C] photo as ``mrcnn.resizing.resize(image, (h, w),
    preserve_range=True)`` does it (mode "constant", clipped to the input's range).

    out_height, out_width: int32 scalars. Returns float32 [out_height, out_width, C].
    """
    shape = tf.shape(image)
    rows_lower, rows_upper, rows_fraction, rows_border = _axis_sampling(shape[0], out_height)
    cols_lower, cols_upper, cols_fraction, cols_border = _axis_sampling(shape[1], out_width)
    top = tf.gather(image, rows_lower, axis=0)
    rows = top + (tf.gather(image, rows_upper, axis=0) - top) * rows_fraction[:, None, None]
    left = tf.gather(rows, cols_lower, axis=1)
    resized = left + (tf.gather(rows, cols_upper, axis=1) - left) * cols_fraction[None, :, None]
    resized = resized * rows_border[:, None, None] * cols_border[None, :, None]
    return tf.clip_by_value(resized, tf.reduce_min(image), tf.reduce_max(image))


def molding_scale(height, width, config):
    """matterport's ``resize_image`` scale for a photo (float64 scalar, as Python computes it).

    height, width: int32 scalars (photo pixels). "square" mode: scale up so the shorter side
    reaches IMAGE_MIN_DIM (never down), at least IMAGE_MIN_SCALE, then down so that the longer
    side fits IMAGE_MAX_DIM.
    """
    h = tf.cast(height, tf.float64)
    w = tf.cast(width, tf.float64)
    scale = tf.constant(1.0, tf.float64)
    if config.IMAGE_MIN_DIM:
        scale = tf.maximum(scale, float(config.IMAGE_MIN_DIM) / tf.minimum(h, w))
    if config.IMAGE_MIN_SCALE:
        scale = tf.maximum(scale, float(config.IMAGE_MIN_SCALE))
    longest = tf.maximum(h, w)
    max_dim = float(config.IMAGE_MAX_DIM)
    return tf.where(tf.round(longest * scale) > max_dim, max_dim / longest, scale)


def mold_photo(image, config, float64_mean=True):
    """One uint8 [H, W, 3] photo -> the network's inputs, as ``mold_inputs`` makes them.

    float64_mean: subtract the mean pixel in float64 and round once to float32, as NumPy does
    (bit for bit); False subtracts in float32 (within 1 float32 ulp; for TFLite, whose
    builtin kernels take no float64).
    Returns (molded [1, D, D, 3] float32 (mean pixel subtracted; D = IMAGE_MAX_DIM),
    image_meta [1, IMAGE_META_SIZE] float32, window [4] int32 (y1, x1, y2, x2): where the
    resized photo lies in the molded image, pixels).
    """
    side = int(config.IMAGE_MAX_DIM)
    shape = tf.shape(image)
    height, width = shape[0], shape[1]
    scale = molding_scale(height, width, config)
    # Python's round() and tf.round both round half to even.
    new_height = tf.cast(tf.round(tf.cast(height, tf.float64) * scale), tf.int32)
    new_width = tf.cast(tf.round(tf.cast(width, tf.float64) * scale), tf.int32)
    resized = resize_photo(tf.cast(image, tf.float32), new_height, new_width)
    # resize_image returns uint8: the bilinear values truncated (they are >= 0).
    resized = tf.floor(resized)
    top, left = (side - new_height) // 2, (side - new_width) // 2
    padded = tf.pad(resized, [[top, side - new_height - top], [left, side - new_width - left],
                              [0, 0]])
    if float64_mean:
        molded = tf.cast(tf.cast(padded, tf.float64)
                         - tf.constant(np.asarray(config.MEAN_PIXEL, np.float64)), tf.float32)
    else:
        molded = padded - tf.constant(np.asarray(config.MEAN_PIXEL, np.float32))
    window = tf.stack([top, left, top + new_height, left + new_width])
    meta = tf.concat([
        tf.zeros([1], tf.float32),                                          # image_id
        tf.cast(tf.stack([height, width, 3]), tf.float32),                  # original shape
        tf.constant([side, side, 3], tf.float32),                           # molded shape
        tf.cast(window, tf.float32),
        tf.reshape(tf.cast(scale, tf.float32), [1]),
        tf.zeros([int(config.NUM_CLASSES)], tf.float32),                    # active classes
    ], axis=0)
    return molded[None], meta[None], window


def network_anchors(config):
    """The anchors of the molded input (fixed in "square" mode): [1, anchors, 4] float32,
    normalised (y1, x1, y2, x2), as ``MaskRCNN.get_anchors`` gives them."""
    side = int(config.IMAGE_MAX_DIM)
    return tf.constant(pyramid_anchors(config, (side, side, 3))[None], tf.float32)


def _paste_weights(starts, ends, size, mask_side):
    """Interpolation matrices that resize mask rows (or columns) to each box and place them.

    starts, ends: [N] float32 box edges along one axis (photo pixels, ends excluded);
    size: int32 scalar, the photo's size along that axis; mask_side: the network mask's side.
    Returns ([N, size, mask_side] float32 weights: row y of box i reads
    ``sum_k weights[i, y, k] * mask[i, k]``, skimage's bilinear sampling with its border
    blending; [N, size] bool: y inside box i).
    """
    positions = tf.cast(tf.range(size), tf.float32)[None, :]                 # [1, size]
    lengths = (ends - starts)[:, None]                                       # [N, 1]
    inside = (positions >= starts[:, None]) & (positions < ends[:, None])
    coordinates = (positions - starts[:, None] + 0.5) * (mask_side / tf.maximum(lengths, 1.0)) \
        - 0.5
    floor = tf.floor(coordinates)
    fraction = coordinates - floor
    lower = tf.clip_by_value(floor, 0.0, mask_side - 1.0)
    upper = tf.clip_by_value(floor + 1.0, 0.0, mask_side - 1.0)
    border = tf.where(coordinates < 0.0, 1.0 + coordinates,
                      tf.where(coordinates > mask_side - 1.0, mask_side - coordinates,
                               tf.ones_like(coordinates)))
    taps = tf.range(mask_side, dtype=tf.float32)[None, None, :]              # [1, 1, S]
    weights = (tf.cast(tf.equal(taps, lower[:, :, None]), tf.float32)
               * (1.0 - fraction)[:, :, None]
               + tf.cast(tf.equal(taps, upper[:, :, None]), tf.float32) * fraction[:, :, None])
    weights = weights * (border * tf.cast(inside, tf.float32))[:, :, None]
    return weights, inside


def paste_masks(masks, boxes, height, width, threshold):
    """Network masks -> full-photo binary masks, as ``mrcnn.masks.unmold_mask`` per instance.

    masks: [N, S, S] float32 probabilities; boxes: [N, 4] float32 (y1, x1, y2, x2) whole photo
    pixels; height, width: int32 scalars; threshold: probability at and above which a pixel is
    in. Returns uint8 [N, height, width] of 0/1.
    """
    mask_side = float(masks.shape[1]) if masks.shape[1] is not None else \
        tf.cast(tf.shape(masks)[1], tf.float32)
    row_weights, rows_inside = _paste_weights(boxes[:, 0], boxes[:, 2], height, mask_side)
    col_weights, cols_inside = _paste_weights(boxes[:, 1], boxes[:, 3], width, mask_side)
    probabilities = tf.matmul(tf.matmul(row_weights, masks), col_weights, transpose_b=True)
    # skimage clips the resized mask to the range of the network mask.
    probabilities = tf.clip_by_value(probabilities,
                                     tf.reduce_min(masks, axis=[1, 2])[:, None, None],
                                     tf.reduce_max(masks, axis=[1, 2])[:, None, None])
    inside = rows_inside[:, :, None] & cols_inside[:, None, :]
    return tf.cast((probabilities >= threshold) & inside, tf.uint8)


def unmold_detections(detections, mrcnn_mask, window, height, width, config, pad_empty=False):
    """One photo's raw network outputs -> its detections in photo pixels.

    detections: [DETECTION_MAX_INSTANCES, (y1, x1, y2, x2, class_id, score)] normalised to the
    molded image, zero-padded; mrcnn_mask: [DETECTION_MAX_INSTANCES, S, S, NUM_CLASSES];
    window: [4] int32 pixels of the photo in the molded image; height, width: int32 scalars.
    Returns a dict: boxes [N, 4] float32 (y1, x1, y2, x2) whole photo pixels (y2, x2 excluded),
    class_ids [N] int32, scores [N] float32, masks [N, H, W] uint8 0/1.
    pad_empty: never return zero rows (the TFLite interpreter crashes on empty tensors): with
    no detection, one all-zero row; the dict then also has ``num_detections`` (int32 scalar),
    the number of leading rows that are detections.
    """
    side = float(config.IMAGE_MAX_DIM)
    class_ids = tf.cast(detections[:, 4], tf.int32)
    # The first class id 0 ends the detections (the rest is padding).
    ends = tf.cast(tf.equal(class_ids, 0), tf.float32)
    count = tf.cast(tf.argmax(tf.concat([ends, [1.0]], axis=0)), tf.int32)
    if pad_empty:       # every row kept until the end (no slice can be empty)
        in_count = tf.range(tf.shape(class_ids)[0]) < count
        boxes, scores = detections[:, :4], detections[:, 5]
    else:
        boxes, class_ids, scores = detections[:count, :4], class_ids[:count], detections[:count, 5]
        mrcnn_mask = mrcnn_mask[:count]
    # One mask per detection, of its class (a one-hot sum keeps it to converter-friendly ops).
    one_hot = tf.one_hot(class_ids, int(config.NUM_CLASSES), dtype=tf.float32)
    masks = tf.reduce_sum(mrcnn_mask * one_hot[:, None, None, :], axis=-1)

    # Normalised molded-image coordinates -> normalised window coordinates -> photo pixels.
    window_f = tf.cast(window, tf.float32)
    window_norm = (window_f - tf.constant([0.0, 0.0, 1.0, 1.0])) / (side - 1.0)
    shift = tf.stack([window_norm[0], window_norm[1], window_norm[0], window_norm[1]])
    extent = tf.stack([window_norm[2] - window_norm[0], window_norm[3] - window_norm[1]])
    boxes = (boxes - shift) / tf.concat([extent, extent], axis=0)
    h = tf.cast(height, tf.float32)
    w = tf.cast(width, tf.float32)
    boxes = tf.round(boxes * tf.stack([h - 1.0, w - 1.0, h - 1.0, w - 1.0])
                     + tf.constant([0.0, 0.0, 1.0, 1.0]))
    keep = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) > 0.0
    if pad_empty:
        return _unmold_padded(boxes, class_ids, scores, masks, keep & in_count, height, width,
                              config)
    boxes = tf.boolean_mask(boxes, keep)
    class_ids = tf.boolean_mask(class_ids, keep)
    scores = tf.boolean_mask(scores, keep)
    masks = tf.boolean_mask(masks, keep)
    full_masks = paste_masks(masks, boxes, height, width,
                             float(config.DETECTION_MASK_THRESHOLD))
    return {"boxes": boxes, "class_ids": class_ids, "scores": scores, "masks": full_masks}


def _unmold_padded(boxes, class_ids, scores, masks, keep, height, width, config):
    """unmold_detections' end with pad_empty, on all DETECTION_MAX_INSTANCES rows: the kept
    rows first (in order), then at least one row, all zero past ``num_detections``. No op sees
    an empty tensor."""
    kept = tf.cast(keep, tf.int32)
    num_detections = tf.reduce_sum(kept)
    rows = tf.maximum(num_detections, 1)
    # Compaction without boolean_mask (its result may be empty): sort the kept rows first by
    # a key that keeps their order; a padding row (key 0) follows them.
    available = tf.shape(keep)[0]
    key = kept * (available + 1 - tf.range(available))
    padding = tf.zeros([1], tf.int32)
    order = tf.math.top_k(tf.concat([key, padding], axis=0), k=rows).indices
    real = tf.cast(tf.range(rows) < num_detections, tf.float32)
    boxes = tf.gather(tf.concat([boxes, tf.zeros([1, 4])], axis=0), order) * real[:, None]
    class_ids = tf.gather(tf.concat([class_ids, padding], axis=0), order) * tf.cast(
        real, tf.int32)
    scores = tf.gather(tf.concat([scores, tf.zeros([1])], axis=0), order) * real
    masks = tf.gather(tf.concat([masks, tf.zeros_like(masks[:1])], axis=0), order) \
        * real[:, None, None]
    full_masks = paste_masks(masks, boxes, height, width,
                             float(config.DETECTION_MASK_THRESHOLD))
    return {"boxes": boxes, "class_ids": class_ids, "scores": scores, "masks": full_masks,
            "num_detections": num_detections}


def detect_photo(keras_model, config, anchors, image, float64_mean=True, pad_empty=False):
    """The whole detection of one photo in the graph: mold, run the network, unmold.

    keras_model: the inference ``keras.Model`` of ``MaskRCNN``; anchors: ``network_anchors``;
    image: uint8 [H, W, 3]; float64_mean: see ``mold_photo``; pad_empty: see
    ``unmold_detections``. Returns ``unmold_detections``' dict.
    """
    molded, meta, window = mold_photo(image, config, float64_mean=float64_mean)
    outputs = keras_model([molded, meta, anchors], training=False)
    detections, mrcnn_mask = outputs[0][0], outputs[3][0]
    shape = tf.shape(image)
    return unmold_detections(detections, mrcnn_mask, window, shape[0], shape[1], config,
                             pad_empty=pad_empty)
