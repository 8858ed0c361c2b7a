"""Assemble the Mask R-CNN Keras model from its parts (backbone, FPN, RPN, heads)."""

import keras
from keras import layers as KL

from .anchors import pyramid_anchors

from .backbone import build_backbone
from .detection import DetectionLayer
from .detection_targets import DetectionTargetLayer
from .fpn import build_fpn
from .layers import ActiveClassIds, BatchConstant, Identity, NormalizeBoxes, SliceLastAxis
from .losses import (LossLayer, mrcnn_bbox_loss_graph, mrcnn_class_loss_graph,
                     mrcnn_mask_loss_graph, rpn_bbox_loss_graph, rpn_class_loss_graph)
from .roi_heads import build_fpn_mask_graph, fpn_classifier_graph
from .rpn import ProposalLayer, build_rpn_model

INFERENCE_OUTPUT_NAMES = ("detections", "mrcnn_class", "mrcnn_bbox", "mrcnn_mask", "rpn_rois",
                          "rpn_class", "rpn_bbox")
TRAINING_OUTPUT_NAMES = ("rpn_class_logits", "rpn_class", "rpn_bbox", "mrcnn_class_logits",
                         "mrcnn_class", "mrcnn_bbox", "mrcnn_mask", "rpn_rois", "output_rois",
                         "rpn_class_loss", "rpn_bbox_loss", "mrcnn_class_loss", "mrcnn_bbox_loss",
                         "mrcnn_mask_loss")


def check_image_size(config):
    """Raise ValueError unless the molded image size survives 6 halvings (FPN needs it)."""
    h, w = config.IMAGE_SHAPE[:2]
    if h / 2 ** 6 != int(h / 2 ** 6) or w / 2 ** 6 != int(w / 2 ** 6):
        raise ValueError("image size must be divisible by 2 at least 6 times to avoid "
                         "fractions when downscaling and upscaling; use 256, 320, 384, 448, "
                         f"512, ... (got {h}x{w})")


def build_rpn_and_features(input_image, config):
    """Backbone, FPN and the RPN head applied to every level.

    Returns (rpn_feature_maps, mrcnn_feature_maps, rpn_class_logits, rpn_class, rpn_bbox),
    the RPN outputs concatenated over levels: [batch, anchors, 2], [batch, anchors, 2],
    [batch, anchors, 4].
    """
    c2, c3, c4, c5 = build_backbone(input_image, config)
    rpn_feature_maps, mrcnn_feature_maps = build_fpn(c2, c3, c4, c5,
                                                     config.TOP_DOWN_PYRAMID_SIZE)
    rpn = build_rpn_model(config.RPN_ANCHOR_STRIDE, len(config.RPN_ANCHOR_RATIOS),
                          config.TOP_DOWN_PYRAMID_SIZE, config.RPN_CONV_CHANNELS)
    level_outputs = [rpn([p]) for p in rpn_feature_maps]
    rpn_class_logits, rpn_class, rpn_bbox = [
        KL.Concatenate(axis=1, name=name)(list(per_level))
        for per_level, name in zip(zip(*level_outputs),
                                   ("rpn_class_logits", "rpn_class", "rpn_bbox"))]
    return rpn_feature_maps, mrcnn_feature_maps, rpn_class_logits, rpn_class, rpn_bbox


def build_inference_model(config):
    """The inference graph.

    Inputs: input_image [batch, H, W, C] (molded), input_image_meta [batch, meta length],
    input_anchors [batch, anchors, 4] normalised.
    Outputs (in this order): detections [batch, DETECTION_MAX_INSTANCES, 6], mrcnn_class,
    mrcnn_bbox, mrcnn_mask [batch, DETECTION_MAX_INSTANCES, 28, 28, NUM_CLASSES], rpn_rois,
    rpn_class, rpn_bbox.
    """
    check_image_size(config)
    input_image = KL.Input(shape=[None, None, config.IMAGE_SHAPE[2]], name="input_image")
    input_image_meta = KL.Input(shape=[config.IMAGE_META_SIZE], name="input_image_meta")
    input_anchors = KL.Input(shape=[None, 4], name="input_anchors")

    _, mrcnn_feature_maps, _, rpn_class, rpn_bbox = build_rpn_and_features(input_image, config)
    rpn_rois = ProposalLayer(proposal_count=config.POST_NMS_ROIS_INFERENCE,
                             nms_threshold=config.RPN_NMS_THRESHOLD, name="ROI",
                             config=config)([rpn_class, rpn_bbox, input_anchors])

    _, mrcnn_class, mrcnn_bbox = fpn_classifier_graph(
        rpn_rois, mrcnn_feature_maps, input_image_meta, config.POOL_SIZE, config.NUM_CLASSES,
        train_bn=config.TRAIN_BN, fc_layers_size=config.FPN_CLASSIF_FC_LAYERS_SIZE)
    detections = DetectionLayer(config, name="mrcnn_detection")(
        [rpn_rois, mrcnn_class, mrcnn_bbox, input_image_meta])
    # Masks are computed only for the final detections: faster and more accurate.
    detection_boxes = SliceLastAxis(0, 4, name="detection_boxes")(detections)
    detection_class_ids = SliceLastAxis(4, 5, squeeze=True, name="detection_class_ids")(
        detections)
    mrcnn_mask = build_fpn_mask_graph(detection_boxes, mrcnn_feature_maps, input_image_meta,
                                      config.MASK_POOL_SIZE, config.NUM_CLASSES,
                                      train_bn=config.TRAIN_BN, row_selector=detection_class_ids,
                                      channels=config.MASK_HEAD_CHANNELS)
    return keras.Model([input_image, input_image_meta, input_anchors],
                       [detections, mrcnn_class, mrcnn_bbox, mrcnn_mask, rpn_rois, rpn_class,
                        rpn_bbox],
                       name="mask_rcnn")


def build_training_model(config):
    """The training graph (matterport's inputs and outputs, in its order).

    Inputs: input_image [batch, H, W, C] molded, input_image_meta [batch, META],
    input_rpn_match [batch, anchors, 1] int32, input_rpn_bbox [batch, RPN_TRAIN_ANCHORS, 4],
    input_gt_class_ids [batch, MAX_GT] int32, input_gt_boxes [batch, MAX_GT, 4] pixels,
    input_gt_masks [batch, h, w, MAX_GT] bool, and input_roi [batch, rois, 4] pixels when
    USE_RPN_ROIS is False.
    Outputs: TRAINING_OUTPUT_NAMES; the last five are the scalar losses (unweighted).
    """
    check_image_size(config)
    image_shape = tuple(int(d) for d in config.IMAGE_SHAPE)
    input_image = KL.Input(shape=[None, None, image_shape[2]], name="input_image")
    input_image_meta = KL.Input(shape=[config.IMAGE_META_SIZE], name="input_image_meta")
    input_rpn_match = KL.Input(shape=[None, 1], name="input_rpn_match", dtype="int32")
    input_rpn_bbox = KL.Input(shape=[None, 4], name="input_rpn_bbox", dtype="float32")
    input_gt_class_ids = KL.Input(shape=[None], name="input_gt_class_ids", dtype="int32")
    input_gt_boxes = KL.Input(shape=[None, 4], name="input_gt_boxes", dtype="float32")
    mask_shape = config.MINI_MASK_SHAPE if config.USE_MINI_MASK else image_shape[:2]
    input_gt_masks = KL.Input(shape=[mask_shape[0], mask_shape[1], None], name="input_gt_masks",
                              dtype="bool")
    gt_boxes = NormalizeBoxes(name="gt_boxes_normalized")([input_gt_boxes, input_image])

    _, mrcnn_feature_maps, rpn_class_logits, rpn_class, rpn_bbox = build_rpn_and_features(
        input_image, config)
    # Training images all have IMAGE_SHAPE, so the anchors are a constant of the graph.
    anchors = BatchConstant(pyramid_anchors(config, image_shape), name="anchors")(input_image)
    rpn_rois = ProposalLayer(proposal_count=config.POST_NMS_ROIS_TRAINING,
                             nms_threshold=config.RPN_NMS_THRESHOLD, name="ROI",
                             config=config)([rpn_class, rpn_bbox, anchors])
    active_class_ids = ActiveClassIds(name="active_class_ids")(input_image_meta)

    inputs = [input_image, input_image_meta, input_rpn_match, input_rpn_bbox,
              input_gt_class_ids, input_gt_boxes, input_gt_masks]
    if config.USE_RPN_ROIS:
        target_rois = rpn_rois
        if config.PROPOSALS_APPEND_GT:
            # The zero padding rows of both are dropped by the target layer.
            target_rois = KL.Concatenate(axis=1, name="proposals_with_gt")([rpn_rois, gt_boxes])
    else:
        input_rois = KL.Input(shape=[config.POST_NMS_ROIS_TRAINING, 4], name="input_roi",
                              dtype="int32")
        inputs.append(input_rois)
        target_rois = NormalizeBoxes(name="input_roi_normalized")([input_rois, input_image])

    rois, target_class_ids, target_bbox, target_mask = DetectionTargetLayer(
        config, name="proposal_targets")([target_rois, input_gt_class_ids, gt_boxes,
                                          input_gt_masks])

    mrcnn_class_logits, mrcnn_class, mrcnn_bbox = fpn_classifier_graph(
        rois, mrcnn_feature_maps, input_image_meta, config.POOL_SIZE, config.NUM_CLASSES,
        train_bn=config.TRAIN_BN, fc_layers_size=config.FPN_CLASSIF_FC_LAYERS_SIZE)
    # The head runs on the positive ROIs only (the mask loss ignores the rest): about 3x less
    # mask-head work. With frozen BatchNorm each ROI's mask is independent of the others; with
    # TRAIN_BN the batch statistics come from the positive ROIs, the kind of ROI the head sees
    # at inference (detections).
    mrcnn_mask = build_fpn_mask_graph(rois, mrcnn_feature_maps, input_image_meta,
                                      config.MASK_POOL_SIZE, config.NUM_CLASSES,
                                      train_bn=config.TRAIN_BN, row_selector=target_class_ids,
                                      channels=config.MASK_HEAD_CHANNELS)
    output_rois = Identity(name="output_rois")(rois)

    def rpn_bbox_loss(target, match, predicted):
        return rpn_bbox_loss_graph(config, target, match, predicted)

    rpn_class_loss = LossLayer(rpn_class_loss_graph, name="rpn_class_loss")(
        [input_rpn_match, rpn_class_logits])
    rpn_bbox_loss = LossLayer(rpn_bbox_loss, name="rpn_bbox_loss")(
        [input_rpn_bbox, input_rpn_match, rpn_bbox])
    class_loss = LossLayer(mrcnn_class_loss_graph, name="mrcnn_class_loss")(
        [target_class_ids, mrcnn_class_logits, active_class_ids])
    bbox_loss = LossLayer(mrcnn_bbox_loss_graph, name="mrcnn_bbox_loss")(
        [target_bbox, target_class_ids, mrcnn_bbox])
    mask_loss = LossLayer(mrcnn_mask_loss_graph, name="mrcnn_mask_loss")(
        [target_mask, target_class_ids, mrcnn_mask])

    outputs = [rpn_class_logits, rpn_class, rpn_bbox, mrcnn_class_logits, mrcnn_class,
               mrcnn_bbox, mrcnn_mask, rpn_rois, output_rois, rpn_class_loss, rpn_bbox_loss,
               class_loss, bbox_loss, mask_loss]
    return keras.Model(inputs, outputs, name="mask_rcnn")
