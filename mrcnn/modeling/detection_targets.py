"""Training targets for the ROI heads: sample ROIs among the proposals and give each its class,
box refinement and mask target (matterport's DetectionTargetLayer)."""

import numpy as np
import tensorflow as tf

from .box_ops import box_refinement_graph, overlaps_graph, trim_zeros_graph
from .layers import Float32Layer


def detection_targets_graph(proposals, gt_class_ids, gt_boxes, gt_masks, config):
    """Targets for one image.

    proposals: [POST_NMS_ROIS_TRAINING, (y1, x1, y2, x2)] normalised, maybe zero-padded.
    gt_class_ids: [MAX_GT_INSTANCES] int (negative ids are COCO crowds).
    gt_boxes: [MAX_GT_INSTANCES, (y1, x1, y2, x2)] normalised.
    gt_masks: [height, width, MAX_GT_INSTANCES] bool (mini masks when USE_MINI_MASK).
    Returns, each padded to TRAIN_ROIS_PER_IMAGE rows:
        rois [N, 4] normalised, class_ids [N] int32, deltas [N, 4] (divided by BBOX_STD_DEV),
        masks [N, MASK_SHAPE[0], MASK_SHAPE[1]] in {0, 1}.
    Positives (IoU >= 0.5 with a GT box) make up at most ROI_POSITIVE_RATIO of the ROIs;
    negatives have IoU < 0.5 with every GT box and do not touch a crowd.
    """
    proposals, _ = trim_zeros_graph(proposals, name="trim_proposals")
    gt_boxes, non_zeros = trim_zeros_graph(gt_boxes, name="trim_gt_boxes")
    gt_class_ids = tf.boolean_mask(gt_class_ids, non_zeros, name="trim_gt_class_ids")
    gt_masks = tf.gather(gt_masks, tf.where(non_zeros)[:, 0], axis=2, name="trim_gt_masks")

    # Crowds (negative class ids) are never targets, and ROIs touching them are not negatives.
    crowd_ix = tf.where(gt_class_ids < 0)[:, 0]
    non_crowd_ix = tf.where(gt_class_ids > 0)[:, 0]
    crowd_boxes = tf.gather(gt_boxes, crowd_ix)
    gt_class_ids = tf.gather(gt_class_ids, non_crowd_ix)
    gt_boxes = tf.gather(gt_boxes, non_crowd_ix)
    gt_masks = tf.gather(gt_masks, non_crowd_ix, axis=2)

    overlaps = overlaps_graph(proposals, gt_boxes)
    crowd_overlaps = overlaps_graph(proposals, crowd_boxes)
    # A zero column keeps the maxima defined when there is no crowd (or no GT) box; the
    # reference's reduce_max over an empty axis gives -inf, which compares the same way.
    zero_column = tf.zeros_like(proposals[:, :1])
    crowd_iou_max = tf.reduce_max(tf.concat([crowd_overlaps, zero_column], axis=1), axis=1)
    no_crowd_bool = crowd_iou_max < 0.001

    roi_iou_max = tf.reduce_max(tf.concat([overlaps, zero_column], axis=1), axis=1)
    positive_indices = tf.where(roi_iou_max >= 0.5)[:, 0]
    negative_indices = tf.where(tf.logical_and(roi_iou_max < 0.5, no_crowd_bool))[:, 0]

    positive_count = int(config.TRAIN_ROIS_PER_IMAGE * config.ROI_POSITIVE_RATIO)
    positive_indices = tf.random.shuffle(positive_indices)[:positive_count]
    positive_count = tf.shape(positive_indices)[0]
    # Negatives fill the rest so positives are ROI_POSITIVE_RATIO of the sampled ROIs.
    r = 1.0 / config.ROI_POSITIVE_RATIO
    negative_count = tf.cast(r * tf.cast(positive_count, tf.float32), tf.int32) - positive_count
    negative_indices = tf.random.shuffle(negative_indices)[:negative_count]

    positive_rois = tf.gather(proposals, positive_indices)
    negative_rois = tf.gather(proposals, negative_indices)

    # Each positive ROI's GT: the one it overlaps most.
    positive_overlaps = tf.gather(overlaps, positive_indices)
    roi_gt_box_assignment = tf.cond(
        tf.greater(tf.shape(positive_overlaps)[1], 0),
        true_fn=lambda: tf.argmax(positive_overlaps, axis=1),
        false_fn=lambda: tf.zeros([0], tf.int64))
    roi_gt_boxes = tf.gather(gt_boxes, roi_gt_box_assignment)
    roi_gt_class_ids = tf.gather(gt_class_ids, roi_gt_box_assignment)

    deltas = box_refinement_graph(positive_rois, roi_gt_boxes)
    deltas /= np.asarray(config.BBOX_STD_DEV, dtype=np.float32)

    # Mask targets: the assigned GT mask cropped to the ROI and resized to MASK_SHAPE.
    transposed_masks = tf.expand_dims(tf.transpose(gt_masks, [2, 0, 1]), -1)
    roi_masks = tf.gather(transposed_masks, roi_gt_box_assignment)
    boxes = positive_rois
    if config.USE_MINI_MASK:
        # Mini masks cover only their GT box: express the ROI in that box's coordinates.
        y1, x1, y2, x2 = tf.split(positive_rois, 4, axis=1)
        gt_y1, gt_x1, gt_y2, gt_x2 = tf.split(roi_gt_boxes, 4, axis=1)
        gt_h = gt_y2 - gt_y1
        gt_w = gt_x2 - gt_x1
        boxes = tf.concat([(y1 - gt_y1) / gt_h, (x1 - gt_x1) / gt_w,
                           (y2 - gt_y1) / gt_h, (x2 - gt_x1) / gt_w], axis=1)
    box_ids = tf.range(0, tf.shape(roi_masks)[0])
    masks = tf.image.crop_and_resize(tf.cast(roi_masks, tf.float32), boxes, box_ids,
                                     list(config.MASK_SHAPE))
    masks = tf.round(tf.squeeze(masks, axis=3))

    rois = tf.concat([positive_rois, negative_rois], axis=0)
    n_negative = tf.shape(negative_rois)[0]
    padding = tf.maximum(config.TRAIN_ROIS_PER_IMAGE - tf.shape(rois)[0], 0)
    rois = tf.pad(rois, [(0, padding), (0, 0)])
    roi_gt_class_ids = tf.pad(roi_gt_class_ids, [(0, n_negative + padding)])
    deltas = tf.pad(deltas, [(0, n_negative + padding), (0, 0)])
    masks = tf.pad(masks, [[0, n_negative + padding], (0, 0), (0, 0)])
    return rois, roi_gt_class_ids, deltas, masks


class DetectionTargetLayer(Float32Layer):
    """Sample ROIs and build their targets for a batch.

    Inputs: proposals [batch, N, 4] normalised; gt_class_ids [batch, MAX_GT_INSTANCES];
    gt_boxes [batch, MAX_GT_INSTANCES, 4] normalised; gt_masks [batch, h, w, MAX_GT_INSTANCES].
    Returns rois [batch, TRAIN_ROIS_PER_IMAGE, 4], target_class_ids [batch, TRAIN_ROIS_PER_IMAGE],
    target_deltas [batch, TRAIN_ROIS_PER_IMAGE, 4], target_mask
    [batch, TRAIN_ROIS_PER_IMAGE, MASK_SHAPE[0], MASK_SHAPE[1]].
    """

    def __init__(self, config=None, **kwargs):
        super().__init__(**kwargs)
        self.config = config

    def compute_output_shape(self, input_shape):
        batch, rois = input_shape[0][0], self.config.TRAIN_ROIS_PER_IMAGE
        return [(batch, rois, 4), (batch, rois), (batch, rois, 4),
                (batch, rois) + tuple(self.config.MASK_SHAPE)]

    def call(self, inputs):
        proposals, gt_class_ids, gt_boxes, gt_masks = inputs
        config = self.config
        rois = config.TRAIN_ROIS_PER_IMAGE
        return list(tf.map_fn(
            lambda args: detection_targets_graph(*args, config),
            (proposals, tf.cast(gt_class_ids, tf.int32), gt_boxes, gt_masks),
            fn_output_signature=(tf.TensorSpec([rois, 4], tf.float32),
                                 tf.TensorSpec([rois], tf.int32),
                                 tf.TensorSpec([rois, 4], tf.float32),
                                 tf.TensorSpec([rois] + list(config.MASK_SHAPE), tf.float32))))
