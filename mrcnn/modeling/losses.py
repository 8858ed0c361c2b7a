"""The five Mask R-CNN losses (matterport's definitions) and the layers that compute them in
the training graph. Each returns a scalar; the trainer weights them with LOSS_WEIGHTS."""

import tensorflow as tf

from .layers import Float32Layer

LOSS_NAMES = ("rpn_class_loss", "rpn_bbox_loss", "mrcnn_class_loss", "mrcnn_bbox_loss",
              "mrcnn_mask_loss")

# Keras 2's binary_crossentropy clipped probabilities to [eps, 1 - eps] with this epsilon.
_EPSILON = 1e-7


def smooth_l1_loss(y_true, y_pred):
    """Element-wise smooth-L1 (Huber with delta 1): 0.5 x^2 below 1, |x| - 0.5 above."""
    diff = tf.abs(y_true - y_pred)
    less_than_one = tf.cast(tf.less(diff, 1.0), tf.float32)
    return (less_than_one * 0.5 * diff ** 2) + (1 - less_than_one) * (diff - 0.5)


def _mean_or_zero(loss):
    return tf.cond(tf.size(loss) > 0, lambda: tf.reduce_mean(loss), lambda: tf.constant(0.0))


def rpn_class_loss_graph(rpn_match, rpn_class_logits):
    """RPN anchor classifier loss: cross-entropy over the positive and negative anchors.

    rpn_match: [batch, anchors, 1] (1 positive, -1 negative, 0 neutral);
    rpn_class_logits: [batch, anchors, 2] (background, foreground).
    """
    rpn_match = tf.squeeze(rpn_match, -1)
    anchor_class = tf.cast(tf.equal(rpn_match, 1), tf.int32)
    indices = tf.where(tf.not_equal(rpn_match, 0))
    rpn_class_logits = tf.gather_nd(rpn_class_logits, indices)
    anchor_class = tf.gather_nd(anchor_class, indices)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=anchor_class,
                                                          logits=rpn_class_logits)
    return _mean_or_zero(loss)


def batch_pack_graph(x, counts, num_rows):
    """Concatenate the first counts[i] rows of x[i] for i in range(num_rows)."""
    return tf.concat([x[i, :counts[i]] for i in range(num_rows)], axis=0)


def rpn_bbox_loss_graph(config, target_bbox, rpn_match, rpn_bbox):
    """RPN box regression loss (smooth L1) over the positive anchors.

    target_bbox: [batch, RPN_TRAIN_ANCHORS_PER_IMAGE, 4], the positives' deltas first;
    rpn_match: [batch, anchors, 1]; rpn_bbox: [batch, anchors, 4].
    """
    rpn_match = tf.squeeze(rpn_match, -1)
    indices = tf.where(tf.equal(rpn_match, 1))
    rpn_bbox = tf.gather_nd(rpn_bbox, indices)
    # The targets of image i are its first (number of positives) rows.
    batch_counts = tf.reduce_sum(tf.cast(tf.equal(rpn_match, 1), tf.int32), axis=1)
    row_ids = tf.range(tf.shape(target_bbox)[1])[tf.newaxis, :]
    target_bbox = tf.boolean_mask(target_bbox, row_ids < batch_counts[:, tf.newaxis])
    return _mean_or_zero(smooth_l1_loss(target_bbox, rpn_bbox))


def mrcnn_class_loss_graph(target_class_ids, pred_class_logits, active_class_ids):
    """Classifier loss: cross-entropy, ignoring predictions of classes not in the image's
    dataset (active_class_ids [batch, NUM_CLASSES], of the first image, as the reference).

    target_class_ids: [batch, rois] (0 for padding); pred_class_logits: [batch, rois, classes].
    """
    target_class_ids = tf.cast(target_class_ids, tf.int64)
    pred_class_ids = tf.argmax(pred_class_logits, axis=2)
    pred_active = tf.gather(tf.cast(active_class_ids[0], tf.float32), pred_class_ids)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target_class_ids,
                                                          logits=pred_class_logits)
    loss = loss * pred_active
    return tf.math.divide_no_nan(tf.reduce_sum(loss), tf.reduce_sum(pred_active))


def mrcnn_bbox_loss_graph(target_bbox, target_class_ids, pred_bbox):
    """Box refinement loss (smooth L1) of the positive ROIs, on their GT class's deltas.

    target_bbox: [batch, rois, 4]; target_class_ids: [batch, rois];
    pred_bbox: [batch, rois, classes, 4].
    """
    target_class_ids = tf.reshape(target_class_ids, (-1,))
    target_bbox = tf.reshape(target_bbox, (-1, 4))
    pred_bbox = tf.reshape(pred_bbox, (-1, pred_bbox.shape[2], 4))
    positive_roi_ix = tf.where(target_class_ids > 0)[:, 0]
    positive_roi_class_ids = tf.cast(tf.gather(target_class_ids, positive_roi_ix), tf.int64)
    indices = tf.stack([positive_roi_ix, positive_roi_class_ids], axis=1)
    target_bbox = tf.gather(target_bbox, positive_roi_ix)
    pred_bbox = tf.gather_nd(pred_bbox, indices)
    return _mean_or_zero(smooth_l1_loss(target_bbox, pred_bbox))


def mrcnn_mask_loss_graph(target_masks, target_class_ids, pred_masks):
    """Mask loss: binary cross-entropy of the positive ROIs' masks of their GT class.

    target_masks: [batch, rois, height, width] in {0, 1}; target_class_ids: [batch, rois];
    pred_masks: [batch, rois, height, width, classes] sigmoid outputs.
    """
    target_class_ids = tf.reshape(target_class_ids, (-1,))
    mask_shape = tf.shape(target_masks)
    target_masks = tf.reshape(target_masks, (-1, mask_shape[2], mask_shape[3]))
    pred_shape = tf.shape(pred_masks)
    pred_masks = tf.reshape(pred_masks, (-1, pred_shape[2], pred_shape[3], pred_shape[4]))
    pred_masks = tf.transpose(pred_masks, [0, 3, 1, 2])
    positive_ix = tf.where(target_class_ids > 0)[:, 0]
    positive_class_ids = tf.cast(tf.gather(target_class_ids, positive_ix), tf.int64)
    indices = tf.stack([positive_ix, positive_class_ids], axis=1)
    y_true = tf.gather(target_masks, positive_ix)
    y_pred = tf.clip_by_value(tf.gather_nd(pred_masks, indices), _EPSILON, 1 - _EPSILON)
    bce = -(y_true * tf.math.log(y_pred) + (1 - y_true) * tf.math.log(1 - y_pred))
    return _mean_or_zero(bce)


class LossLayer(Float32Layer):
    """Wrap one of the loss functions above as a layer named after the loss."""

    def __init__(self, loss_fn, **kwargs):
        super().__init__(**kwargs)
        self.loss_fn = loss_fn

    def compute_output_shape(self, input_shape):
        return ()

    def call(self, inputs):
        return self.loss_fn(*inputs)
