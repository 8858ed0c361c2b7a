"""Detection layer: turn classified, refined ROIs into the final detections (inference)."""

import numpy as np
import tensorflow as tf

from .box_ops import (apply_box_deltas_graph, clip_boxes_graph, non_max_suppression_graph,
                      norm_boxes_graph, zero_non_finite)
from .image_meta import parse_image_meta_graph
from .layers import Float32Layer


def score_and_refine(rois, probs, deltas, window, config):
    """The best class of each ROI, its score, its refined box, and which ROIs are candidates.

    rois: [N, (y1, x1, y2, x2)] normalised; probs: [N, NUM_CLASSES];
    deltas: [N, NUM_CLASSES, (dy, dx, log(dh), log(dw))]; window: [4] normalised.
    Returns (class_ids [N] int32, class_scores [N], refined_rois [N, 4] normalised and clipped to
    the window, keep [K] int64: the indices of the ROIs that are neither background nor below
    DETECTION_MIN_CONFIDENCE, ascending).
    """
    class_ids = tf.argmax(probs, axis=1, output_type=tf.int32)
    indices = tf.stack([tf.range(tf.shape(probs)[0]), class_ids], axis=1)
    class_scores = tf.gather_nd(probs, indices)
    deltas_specific = tf.gather_nd(deltas, indices)
    refined_rois = apply_box_deltas_graph(
        rois, deltas_specific * np.asarray(config.BBOX_STD_DEV, dtype=np.float32))
    refined_rois = zero_non_finite(clip_boxes_graph(refined_rois, window))

    keep_mask = class_ids > 0
    if config.DETECTION_MIN_CONFIDENCE:
        keep_mask &= class_scores >= config.DETECTION_MIN_CONFIDENCE
    return class_ids, class_scores, refined_rois, tf.where(keep_mask)[:, 0]


def top_detections(keep, class_ids, class_scores, refined_rois, max_instances):
    """The detections of the ROIs ``keep`` (NMS survivors, ascending), best score first.

    Returns [max_instances, (y1, x1, y2, x2, class_id, score)], zero-padded.
    """
    class_scores_keep = tf.gather(class_scores, keep)
    num_keep = tf.minimum(tf.shape(class_scores_keep)[0], max_instances)
    top_ids = tf.math.top_k(class_scores_keep, k=num_keep, sorted=True)[1]
    keep = tf.gather(keep, top_ids)

    detections = tf.concat([
        tf.gather(refined_rois, keep),
        tf.cast(tf.gather(class_ids, keep), tf.float32)[..., tf.newaxis],
        tf.gather(class_scores, keep)[..., tf.newaxis],
    ], axis=1)
    gap = max_instances - tf.shape(detections)[0]
    return tf.pad(detections, [(0, gap), (0, 0)], "CONSTANT")


def refine_detections_graph(rois, probs, deltas, window, config):
    """Refine, filter and de-duplicate the detections of one image.

    rois: [N, (y1, x1, y2, x2)] normalised; probs: [N, NUM_CLASSES];
    deltas: [N, NUM_CLASSES, (dy, dx, log(dh), log(dw))]; window: [4] normalised, the part
    of the molded image that holds the photo.
    Returns [DETECTION_MAX_INSTANCES, (y1, x1, y2, x2, class_id, score)], normalised
    coordinates, sorted by score, zero-padded.
    """
    max_instances = config.DETECTION_MAX_INSTANCES
    # Background and low-confidence ROIs are dropped; `keep` stays sorted ascending.
    class_ids, class_scores, refined_rois, keep = score_and_refine(rois, probs, deltas, window,
                                                                   config)

    pre_nms_class_ids = tf.gather(class_ids, keep)
    pre_nms_scores = tf.gather(class_scores, keep)
    pre_nms_rois = tf.gather(refined_rois, keep)
    unique_pre_nms_class_ids = tf.unique(pre_nms_class_ids)[0]

    def nms_keep_map(class_id):
        """Indices (into all ROIs) that survive NMS among the ROIs of ``class_id``, -1 padded."""
        ixs = tf.where(tf.equal(pre_nms_class_ids, class_id))[:, 0]
        class_keep = non_max_suppression_graph(
            tf.gather(pre_nms_rois, ixs), tf.gather(pre_nms_scores, ixs),
            max_output_size=max_instances, iou_threshold=config.DETECTION_NMS_THRESHOLD)
        class_keep = tf.gather(keep, tf.gather(ixs, class_keep))
        gap = max_instances - tf.shape(class_keep)[0]
        class_keep = tf.pad(class_keep, [(0, gap)], mode="CONSTANT", constant_values=-1)
        class_keep.set_shape([max_instances])
        return class_keep

    nms_keep = tf.map_fn(nms_keep_map, unique_pre_nms_class_ids,
                         fn_output_signature=tf.TensorSpec([max_instances], tf.int64))
    nms_keep = tf.reshape(nms_keep, [-1])
    nms_keep = tf.gather(nms_keep, tf.where(nms_keep > -1)[:, 0])
    # The survivors in ascending ROI order (as the reference's set intersection gives them).
    keep = tf.sort(nms_keep)

    return top_detections(keep, class_ids, class_scores, refined_rois, max_instances)


class DetectionLayer(Float32Layer):
    """Final detections from the classifier's outputs.

    Inputs: rpn_rois [batch, N, 4] normalised, mrcnn_class [batch, N, NUM_CLASSES],
    mrcnn_bbox [batch, N, NUM_CLASSES, 4], image_meta [batch, meta length].
    Returns [batch, DETECTION_MAX_INSTANCES, (y1, x1, y2, x2, class_id, score)], coordinates
    normalised to the molded image.
    """

    def __init__(self, config=None, **kwargs):
        super().__init__(**kwargs)
        self.config = config

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.config.DETECTION_MAX_INSTANCES, 6)

    def call(self, inputs):
        rois, mrcnn_class, mrcnn_bbox, image_meta = inputs
        meta = parse_image_meta_graph(image_meta)
        image_shape = meta["image_shape"][0]
        windows = norm_boxes_graph(meta["window"], image_shape[:2])
        config = self.config
        return tf.map_fn(
            lambda args: refine_detections_graph(*args, config),
            (rois, mrcnn_class, mrcnn_bbox, windows),
            fn_output_signature=tf.TensorSpec([config.DETECTION_MAX_INSTANCES, 6], tf.float32))
