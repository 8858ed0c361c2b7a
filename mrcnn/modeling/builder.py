"""Assemble the Mask R-CNN Keras model from its parts (backbone, FPN, RPN, heads)."""

import keras
from keras import layers as KL

from .backbone import build_backbone
from .detection import DetectionLayer
from .fpn import build_fpn
from .layers import SliceLastAxis
from .roi_heads import build_fpn_mask_graph, fpn_classifier_graph
from .rpn import ProposalLayer, build_rpn_model

INFERENCE_OUTPUT_NAMES = ("detections", "mrcnn_class", "mrcnn_bbox", "mrcnn_mask", "rpn_rois",
                          "rpn_class", "rpn_bbox")


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
                          config.TOP_DOWN_PYRAMID_SIZE)
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
    mrcnn_mask = build_fpn_mask_graph(detection_boxes, mrcnn_feature_maps, input_image_meta,
                                      config.MASK_POOL_SIZE, config.NUM_CLASSES,
                                      train_bn=config.TRAIN_BN, detections=detections)
    return keras.Model([input_image, input_image_meta, input_anchors],
                       [detections, mrcnn_class, mrcnn_bbox, mrcnn_mask, rpn_rois, rpn_class,
                        rpn_bbox],
                       name="mask_rcnn")
