"""Layers computed with TFLite builtin ops only, swapped into a model for the TFLite export.

ROIAlign from gathers only, for a runtime that lacks TensorFlow's own kernels:

``PyramidROIAlign`` (``mrcnn.modeling.roi_align``) splits the boxes by pyramid level with
``tf.dynamic_partition`` / ``tf.dynamic_stitch`` and samples with ``tf.image.crop_and_resize``:
three ops that TFLite has no builtin kernel for (they would need TF Select, whose Flex
delegate the TFLite interpreter of the TensorFlow 2.21 pip package does not include).
``PortablePyramidROIAlign`` computes the same values with builtin ops: the four levels'
feature maps are flattened into one table, each box reads its own level's rows with
``tf.gather``, and the bilinear sampling repeats ``crop_and_resize``'s arithmetic (same sample
coordinates, same interpolation order, 0 outside the map). ``with_portable_roi_align`` swaps
it into a built inference model, sharing every weight, together with
``PortableGatherRows``: ``GatherRows`` without its ``tf.cond`` (after a TFLite ``IF`` the
shape of the mask head's rows is unknown, even their rank, and the converter cannot lower the
mask head's ``Conv2D`` to a builtin), same rows out, and ``PortableTimeDistributed``, whose
reshapes give the converter the items' static shape, and ``PortableDetectionLayer``: one
non-max suppression over all classes (boxes shifted apart by class) instead of a ``tf.map_fn``
of per-class ones, which the converter mistranslates, and ``PortableProposalLayer``, the
same without its ``tf.map_fn`` over the batch. Both suppress with
``rank_nms_with_degenerate_boxes``, which gives TensorFlow's result from TFLite's kernel.

Everything here is also written so that TFLite computes the same floats as TensorFlow's ops
(graph optimisers must not rewrite it: see ``_sample_coordinates``) and never meets an empty
tensor (its kernels crash on one).
"""

import keras
import tensorflow as tf

from ..modeling.box_ops import (apply_box_deltas_graph, clip_boxes_graph, norm_boxes_graph,
                                zero_non_finite)
from ..modeling.detection import DetectionLayer, score_and_refine, top_detections
from ..modeling.rpn import ProposalLayer
from ..modeling.image_meta import parse_image_meta_graph
from ..modeling.layers import GatherRows, TimeDistributed
from ..modeling.roi_align import PyramidROIAlign, roi_pyramid_levels


def _sample_coordinates(starts, ends, size, samples):
    """crop_and_resize's sample positions along one axis.

    starts, ends: [n] float32 normalised box edges; size: [n] float32 feature-map size
    (cells) of each box's level; samples: the pooled size (Python int).
    Returns [n, samples] float32 positions in cells (may fall outside [0, size - 1]).
    """
    if samples > 1:
        # crop_and_resize divides by (samples - 1); whether the last sample of a box at the
        # map's edge lands on it or a rounding error past it (and reads 0) depends on that
        # exact division. A constant divisor would be rewritten by graph optimisers (division
        # by its reciprocal, constants folded together), so it is derived from the boxes.
        divisor = starts * 0.0 + float(samples - 1)
        step = (ends - starts) * (size - 1.0) / divisor
        return (starts * (size - 1.0))[:, None] + \
            tf.range(samples, dtype=tf.float32)[None, :] * step[:, None]
    return (0.5 * (starts + ends) * (size - 1.0))[:, None]


def pyramid_crop_and_resize(feature_maps, boxes, batch_index, level_index, pool_shape):
    """Bilinear crops of each box from its own pyramid level, as ``tf.image.crop_and_resize``.

    feature_maps: list of L [batch, H_l, W_l, C] float32; boxes: [n, (y1, x1, y2, x2)]
    normalised; batch_index: [n] int32; level_index: [n] int32 in 0..L-1; pool_shape:
    (height, width) Python ints. Returns [n, height, width, C] float32 (0 where a sample
    falls outside the map, crop_and_resize's extrapolation value).
    """
    channels = feature_maps[0].shape[-1]
    shapes = tf.stack([tf.shape(level)[:3] for level in feature_maps])     # [L, (B, H, W)]
    cells = shapes[:, 0] * shapes[:, 1] * shapes[:, 2]
    offsets = tf.concat([[0], tf.cumsum(cells)[:-1]], axis=0)
    table = tf.concat([tf.reshape(level, [-1, channels]) for level in feature_maps], axis=0)

    heights = tf.gather(shapes[:, 1], level_index)
    widths = tf.gather(shapes[:, 2], level_index)
    base = tf.gather(offsets, level_index) + batch_index * heights * widths    # [n]
    heights_f = tf.cast(heights, tf.float32)
    widths_f = tf.cast(widths, tf.float32)
    ys = _sample_coordinates(boxes[:, 0], boxes[:, 2], heights_f, pool_shape[0])  # [n, ph]
    xs = _sample_coordinates(boxes[:, 1], boxes[:, 3], widths_f, pool_shape[1])   # [n, pw]
    valid_y = (ys >= 0.0) & (ys <= (heights_f - 1.0)[:, None])
    valid_x = (xs >= 0.0) & (xs <= (widths_f - 1.0)[:, None])

    def rows_and_lerp(positions, size):
        low = tf.floor(positions)
        lerp = positions - low
        last = (size - 1)[:, None]
        low_index = tf.clip_by_value(tf.cast(low, tf.int32), 0, last)
        high_index = tf.clip_by_value(tf.cast(tf.math.ceil(positions), tf.int32), 0, last)
        return low_index, high_index, lerp

    top, bottom, y_lerp = rows_and_lerp(ys, heights)
    left, right, x_lerp = rows_and_lerp(xs, widths)

    def read(rows, cols):
        index = (base[:, None, None] + rows[:, :, None] * widths[:, None, None]
                 + cols[:, None, :])                                         # [n, ph, pw]
        return tf.gather(table, index)                                       # [n, ph, pw, C]

    x_lerp = x_lerp[:, None, :, None]
    top_row = read(top, left)
    top_row = top_row + (read(top, right) - top_row) * x_lerp
    bottom_row = read(bottom, left)
    bottom_row = bottom_row + (read(bottom, right) - bottom_row) * x_lerp
    pooled = top_row + (bottom_row - top_row) * y_lerp[:, :, None, None]
    valid = valid_y[:, :, None, None] & valid_x[:, None, :, None]
    return tf.where(valid, pooled, tf.zeros_like(pooled))


class PortablePyramidROIAlign(PyramidROIAlign):
    """``PyramidROIAlign`` without dynamic_partition, dynamic_stitch and crop_and_resize (see
    the module docstring); same inputs, outputs and (absent) weights."""

    def call(self, inputs):
        boxes, image_meta, feature_maps = inputs[0], inputs[1], inputs[2:]
        image_shape = parse_image_meta_graph(image_meta)["image_shape"][0]
        levels = roi_pyramid_levels(boxes, image_shape)
        batch_size, num_boxes = tf.shape(boxes)[0], tf.shape(boxes)[1]
        flat_boxes = tf.stop_gradient(tf.reshape(boxes, [-1, 4]))
        batch_index = tf.repeat(tf.range(batch_size), num_boxes)
        pooled = pyramid_crop_and_resize(list(feature_maps), flat_boxes, batch_index,
                                         tf.reshape(levels, [-1]) - 2, self.pool_shape)
        shape = tf.concat([tf.shape(boxes)[:2], tf.shape(pooled)[1:]], axis=0)
        pooled = tf.reshape(pooled, shape)
        pooled.set_shape(boxes.shape[:2] + self.pool_shape + (feature_maps[0].shape[-1],))
        return pooled


class PortableGatherRows(GatherRows):
    """``GatherRows`` without control flow: the selected rows of ``x`` [batch, N, ...], or
    row (0, 0) alone when none is selected, as [1, M, ...] with its trailing shape known."""

    def call(self, inputs):
        x, selector = inputs
        selected = tf.cast(tf.where(tf.not_equal(selector, 0)), tf.int32)
        count = tf.maximum(tf.shape(selected)[0], 1)
        indices = tf.concat([selected, tf.zeros([1, 2], tf.int32)], axis=0)[:count]
        rows = tf.gather_nd(x, indices)
        rows.set_shape([None] + list(x.shape[2:]))
        return rows[tf.newaxis]


class PortableTimeDistributed(TimeDistributed):
    """``TimeDistributed`` whose reshapes spell out the items' static shape (e.g. [-1, 7, 7,
    256]) rather than computing it from ``tf.shape``: the TFLite converter's shape inference
    otherwise loses the rank of the mask head's activations and cannot lower its convs."""

    def call(self, inputs, training=None):
        inner = list(inputs.shape[2:])
        if any(size is None for size in inner):
            return super().call(inputs, training=training)
        flat = tf.reshape(inputs, [-1] + inner)
        if isinstance(self.layer, keras.layers.BatchNormalization):
            out = self.layer(flat, training=training)
        else:
            out = self.layer(flat)
        shape = tf.shape(inputs)
        result = tf.reshape(out, tf.concat([shape[:2], list(out.shape[1:])], axis=0))
        result.set_shape(list(inputs.shape[:2]) + list(out.shape[1:]))
        return result


def rank_nms_with_degenerate_boxes(boxes, max_output_size, iou_threshold):
    """TensorFlow's non-max suppression of ``boxes`` [N, 4] visited in their order (best
    first), computed so that TFLite's kernel gives the same indices (int32 [K], K <=
    max_output_size, in order).

    Two differences of TFLite's kernel are avoided. Tied scores: it visits them in another
    order (a heap), so the boxes are ranked (score -i for the i-th) rather than scored.
    Degenerate boxes (zero area, e.g. clipped to the image edge): TensorFlow's IoU with them is
    0, so each is kept where it comes; TFLite's kernel keeps copies of one of them instead. So
    the non-max suppression runs on the boxes with an area only (the others fall under its
    score threshold), and every degenerate box is then kept in its place of the order, which
    is TensorFlow's result since such a box neither suppresses nor is suppressed.
    """
    count = tf.shape(boxes)[0]
    # One zero box is appended and never kept, so that no tensor below is empty (TFLite's
    # kernels divide by a zero size there: the interpreter dies of SIGFPE).
    padded = tf.concat([boxes, tf.zeros([1, 4], boxes.dtype)], axis=0)
    ranks = tf.range(count + 1)
    area = (padded[:, 2] - padded[:, 0]) * (padded[:, 3] - padded[:, 1])
    degenerate = area <= 0.0
    rank_scores = tf.where(degenerate, tf.fill([count + 1], -1e9),
                           -tf.cast(ranks, tf.float32))
    selected, valid = tf.raw_ops.NonMaxSuppressionV4(
        boxes=padded, scores=rank_scores, max_output_size=max_output_size,
        iou_threshold=iou_threshold, score_threshold=-1e8, pad_to_max_output_size=True)
    kept = tf.scatter_nd(selected[:valid, None], tf.ones_like(selected[:valid]), [count + 1]) > 0
    kept = (kept | degenerate) & (ranks < count)
    # The first max_output_size kept ranks, in order (a larger key for an earlier rank).
    key = tf.where(kept, count + 1 - ranks, tf.zeros_like(ranks))
    top = tf.math.top_k(key, tf.minimum(max_output_size, count + 1))
    return tf.boolean_mask(top.indices, top.values > 0)


def refine_detections_one_nms(rois, probs, deltas, window, config):
    """``mrcnn.modeling.detection.refine_detections_graph`` with one non-max suppression over
    all classes instead of one per class in a ``tf.map_fn`` (which the TFLite converter
    mistranslates: classes after the first are lost, and no detection at all crashes the
    interpreter). Each class's boxes are shifted by 2 * class id first, so boxes of different
    classes never overlap: the survivors are those of per-class suppression, then sorted by
    score as there. Same arguments and result.
    """
    max_instances = config.DETECTION_MAX_INSTANCES
    class_ids, class_scores, refined_rois, keep = score_and_refine(rois, probs, deltas, window,
                                                                   config)
    keep = tf.cast(keep, tf.int32)
    shifted = (tf.gather(refined_rois, keep)
               + 2.0 * tf.cast(tf.gather(class_ids, keep), tf.float32)[:, None])
    # Best score first, ties by index (TensorFlow's NMS order), then suppressed by rank.
    order = tf.math.top_k(tf.gather(class_scores, keep), tf.shape(keep)[0]).indices
    survivors = tf.gather(order, rank_nms_with_degenerate_boxes(
        tf.gather(shifted, order), max_instances, config.DETECTION_NMS_THRESHOLD))
    keep = tf.sort(tf.gather(keep, survivors))
    return top_detections(keep, class_ids, class_scores, refined_rois, max_instances)


class PortableDetectionLayer(DetectionLayer):
    """``DetectionLayer`` for one image per batch, without ``tf.map_fn`` (see
    ``refine_detections_one_nms``)."""

    def call(self, inputs):
        rois, mrcnn_class, mrcnn_bbox, image_meta = inputs
        meta = parse_image_meta_graph(image_meta)
        image_shape = meta["image_shape"][0]
        window = norm_boxes_graph(meta["window"], image_shape[:2])[0]
        detections = refine_detections_one_nms(rois[0], mrcnn_class[0], mrcnn_bbox[0], window,
                                               self.config)
        return detections[tf.newaxis]


class PortableProposalLayer(ProposalLayer):
    """``ProposalLayer`` for one image per batch, without ``tf.map_fn``: inside the TFLite
    interpreter's WHILE loop, the non-max suppression's cut to its valid count is lost and the
    proposals repeat; and with tied scores ranked as TensorFlow ranks them (below). Same inputs
    and proposals."""

    def call(self, inputs):
        scores = inputs[0][0, :, 1]
        deltas = inputs[1][0] * tf.constant(self.config.RPN_BBOX_STD_DEV, tf.float32)
        anchors = inputs[2][0]
        pre_nms_limit = tf.minimum(self.config.PRE_NMS_LIMIT, tf.shape(anchors)[0])
        ix = tf.math.top_k(scores, pre_nms_limit, sorted=True, name="top_anchors").indices
        boxes = apply_box_deltas_graph(tf.gather(anchors, ix), tf.gather(deltas, ix))
        boxes = zero_non_finite(clip_boxes_graph(boxes, tf.constant([0.0, 0.0, 1.0, 1.0])))
        # The boxes are in top_k's order (best first, ties by anchor index), the order
        # TensorFlow's NMS visits them in; an RPN's scores tie often (softmax saturates at 1.0
        # in float32: 1,486 of 4,092 anchors with the COCO layout's weights).
        indices = rank_nms_with_degenerate_boxes(boxes, self.proposal_count, self.nms_threshold)
        kept = tf.gather(boxes, indices)
        padding = tf.maximum(self.proposal_count - tf.shape(kept)[0], 0)
        proposals = tf.pad(kept, [(0, padding), (0, 0)])
        proposals.set_shape([self.proposal_count, 4])
        return proposals[tf.newaxis]


def with_portable_layers(keras_model):
    """A copy of an inference ``keras.Model`` whose ``PyramidROIAlign`` and ``GatherRows``
    layers are the portable ones above; every other layer (and so every weight) is shared."""
    def swap(layer):
        if type(layer) is PyramidROIAlign:
            return PortablePyramidROIAlign(layer.pool_shape, name=layer.name)
        if type(layer) is GatherRows:
            return PortableGatherRows(name=layer.name)
        if type(layer) is ProposalLayer:
            return PortableProposalLayer(layer.proposal_count, layer.nms_threshold,
                                         config=layer.config, name=layer.name)
        if type(layer) is DetectionLayer:
            return PortableDetectionLayer(layer.config, name=layer.name)
        if type(layer) is TimeDistributed:
            return PortableTimeDistributed(layer.layer, name=layer.name)
        return layer

    return keras.models.clone_model(keras_model, clone_function=swap)
