"""Region Proposal Network: the shared RPN head (nested model ``rpn_model``) and the
proposal layer that turns anchor scores and deltas into ROIs."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers as KL

from .box_ops import (apply_box_deltas_graph, clip_boxes_graph, non_max_suppression_graph,
                      zero_non_finite)
from .layers import Float32Layer


def rpn_graph(feature_map, anchors_per_location, anchor_stride, conv_channels=512):
    """RPN head on one feature map [batch, H, W, depth].

    conv_channels: channels of the shared 3x3 conv (matterport: 512).

    Returns:
        rpn_class_logits: [batch, H * W * anchors_per_location, 2] (background, foreground)
        rpn_probs: [batch, H * W * anchors_per_location, 2] softmax of the logits
        rpn_bbox: [batch, H * W * anchors_per_location, (dy, dx, log(dh), log(dw))]
    """
    shared = KL.Conv2D(conv_channels, (3, 3), padding="same", activation="relu",
                       strides=anchor_stride,
                       name="rpn_conv_shared")(feature_map)
    x = KL.Conv2D(2 * anchors_per_location, (1, 1), padding="valid", activation="linear",
                  name="rpn_class_raw")(shared)
    rpn_class_logits = KL.Reshape((-1, 2))(x)
    rpn_probs = KL.Activation("softmax", name="rpn_class_xxx")(rpn_class_logits)
    x = KL.Conv2D(anchors_per_location * 4, (1, 1), padding="valid", activation="linear",
                  name="rpn_bbox_pred")(shared)
    rpn_bbox = KL.Reshape((-1, 4))(x)
    return [rpn_class_logits, rpn_probs, rpn_bbox]


def build_rpn_model(anchor_stride, anchors_per_location, depth, conv_channels=512):
    """The RPN head as a model, so one set of weights serves every pyramid level.

    In weights files it is the single group ``rpn_model`` holding the weights of
    ``rpn_conv_shared``, ``rpn_class_raw`` and ``rpn_bbox_pred``.
    """
    input_feature_map = KL.Input(shape=[None, None, depth], name="input_rpn_feature_map")
    outputs = rpn_graph(input_feature_map, anchors_per_location, anchor_stride, conv_channels)
    return keras.Model([input_feature_map], outputs, name="rpn_model")


class ProposalLayer(Float32Layer):
    """Select the top anchors, refine them with the RPN deltas, and keep ``proposal_count``
    boxes after non-maximum suppression.

    Inputs:
        rpn_probs: [batch, num_anchors, (bg prob, fg prob)]
        rpn_bbox: [batch, num_anchors, (dy, dx, log(dh), log(dw))]
        anchors: [batch, num_anchors, (y1, x1, y2, x2)] normalised
    Returns:
        proposals [batch, proposal_count, (y1, x1, y2, x2)] normalised, zero-padded.
    """

    def __init__(self, proposal_count, nms_threshold, config=None, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.proposal_count = proposal_count
        self.nms_threshold = nms_threshold

    def get_config(self):
        return {**super().get_config(), "proposal_count": self.proposal_count,
                "nms_threshold": self.nms_threshold}

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.proposal_count, 4)

    def call(self, inputs):
        scores = inputs[0][:, :, 1]
        deltas = inputs[1] * np.reshape(self.config.RPN_BBOX_STD_DEV, [1, 1, 4]).astype(np.float32)
        anchors = inputs[2]

        # Only the best-scoring anchors are refined: NMS over all of them is too slow.
        pre_nms_limit = tf.minimum(self.config.PRE_NMS_LIMIT, tf.shape(anchors)[1])
        ix = tf.math.top_k(scores, pre_nms_limit, sorted=True, name="top_anchors").indices
        scores = tf.gather(scores, ix, batch_dims=1)
        deltas = tf.gather(deltas, ix, batch_dims=1)
        pre_nms_anchors = tf.gather(anchors, ix, batch_dims=1)

        boxes = apply_box_deltas_graph(pre_nms_anchors, deltas)
        boxes = clip_boxes_graph(boxes, np.array([0, 0, 1, 1], dtype=np.float32))
        boxes = zero_non_finite(boxes)

        def nms(args):
            image_boxes, image_scores = args
            indices = non_max_suppression_graph(
                image_boxes, image_scores, self.proposal_count, self.nms_threshold,
                name="rpn_non_max_suppression")
            kept = tf.gather(image_boxes, indices)
            padding = tf.maximum(self.proposal_count - tf.shape(kept)[0], 0)
            return tf.pad(kept, [(0, padding), (0, 0)])

        # NMS runs per image.
        return tf.map_fn(nms, (boxes, scores),
                         fn_output_signature=tf.TensorSpec([self.proposal_count, 4], tf.float32))
