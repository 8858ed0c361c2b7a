"""Small generic layers used across the network.

`BatchNorm` can be frozen (matterport's TRAIN_BN=False); `TimeDistributed` applies a layer to every
ROI of a [batch, num_rois, ...] tensor with one reshape instead of Keras 3's per-step loop.
"""

import keras
import numpy as np
import tensorflow as tf


class Float32Layer(keras.layers.Layer):
    """A layer that always computes in float32, even under a mixed-precision policy.

    Box arithmetic, NMS, ROI sampling and losses need float32's range and precision; Keras
    casts float16 inputs of such a layer to float32.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)


class BatchNorm(keras.layers.BatchNormalization):
    """BatchNormalization that can be frozen in inference mode.

    Mask R-CNN trains with small batches, whose statistics are useless, so by default
    (``Config.TRAIN_BN = False``) BatchNorm always uses its moving mean and variance, even
    while the rest of the model trains. Keras 3 lets an outer ``training=True`` override the
    ``training=False`` given when the graph was built, so the choice is stored on the layer.
    """

    def __init__(self, *args, frozen=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.frozen = frozen

    def call(self, inputs, training=None, mask=None):
        if self.frozen:
            training = False
        return super().call(inputs, training=training, mask=mask)

    def get_config(self):
        return {**super().get_config(), "frozen": self.frozen}


class TimeDistributed(keras.layers.Layer):
    """Apply ``layer`` to every item of axis 1 of a ``[batch, items, ...]`` tensor.

    Items are folded into the batch axis, the layer runs once, and the result is unfolded.
    The weights are the wrapped layer's, so in a weights file they are stored under this
    wrapper's name (``mrcnn_class_conv1/kernel:0``), as Keras 2 did.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build((None,) + tuple(input_shape[2:]))
        self.built = True

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return tuple(input_shape[:2]) + tuple(inner[1:])

    def call(self, inputs, training=None):
        shape = tf.shape(inputs)
        static_inner = inputs.shape[2:]
        flat = tf.reshape(inputs, tf.concat([[-1], shape[2:]], axis=0))
        flat.set_shape([None] + list(static_inner))
        if isinstance(self.layer, keras.layers.BatchNormalization):
            out = self.layer(flat, training=training)
        else:
            out = self.layer(flat)
        out_shape = tf.concat([shape[:2], tf.shape(out)[1:]], axis=0)
        result = tf.reshape(out, out_shape)
        result.set_shape(list(inputs.shape[:2]) + list(out.shape[1:]))
        return result


class SqueezeSpatial(keras.layers.Layer):
    """``[batch, rois, 1, 1, C] -> [batch, rois, C]`` (the classifier head's 1x1 'fc' output)."""

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:2]) + (input_shape[4],)

    def call(self, inputs):
        return tf.squeeze(tf.squeeze(inputs, 3), 2)


class SliceLastAxis(keras.layers.Layer):
    """``x[..., start:stop]``; e.g. the boxes out of ``[batch, N, (y1, x1, y2, x2, class, score)]``.

    squeeze: drop the last axis (for a one-wide slice such as the class ids).
    """

    def __init__(self, start, stop, squeeze=False, **kwargs):
        super().__init__(**kwargs)
        self.start, self.stop, self.squeeze = start, stop, squeeze

    def compute_output_shape(self, input_shape):
        if self.squeeze:
            return tuple(input_shape[:-1])
        return tuple(input_shape[:-1]) + (self.stop - self.start,)

    def call(self, inputs):
        if self.squeeze:
            return inputs[..., self.start]
        return inputs[..., self.start:self.stop]

    def get_config(self):
        return {**super().get_config(), "start": self.start, "stop": self.stop,
                "squeeze": self.squeeze}


def _selected_row_indices(selector):
    """[M, 2] (batch, row) indices of the non-zero entries of ``selector`` [batch, N]."""
    return tf.where(tf.not_equal(selector, 0))


def _rows_to_run(selector):
    """The selected rows, or row (0, 0) alone when there are none: TF's Conv2D mishandles
    empty batches, and the extra row's result is never scattered back."""
    selected = _selected_row_indices(selector)
    return tf.cond(tf.shape(selected)[0] > 0, lambda: selected,
                   lambda: tf.zeros([1, 2], tf.int64))


class GatherRows(keras.layers.Layer):
    """Keep the rows of ``x`` [batch, N, ...] whose ``selector`` [batch, N] entry is non-zero
    (e.g. the class ids of the detections, or of the ROIs' targets).

    Returns [1, M, ...]: the M selected rows of the whole batch (one unselected row when M
    would be 0).
    """

    def compute_output_shape(self, input_shape):
        return (1, None) + tuple(input_shape[0][2:])

    def call(self, inputs):
        x, selector = inputs
        return tf.gather_nd(x, _rows_to_run(selector))[tf.newaxis]


class TimeDistributedScatter(TimeDistributed):
    """TimeDistributed over GatherRows' output that puts the results back in place.

    Inputs: rows [1, M, ...] (the selected rows), selector [batch, N].
    Returns [batch, N, ...out] with zeros in the unselected rows. Being the last layer of
    the mask head, it keeps the head's output layer name (``mrcnn_mask``) and its weights.
    """

    def build(self, input_shape):
        super().build(input_shape[0])

    def compute_output_shape(self, input_shape):
        rows_shape, selector_shape = input_shape
        return tuple(selector_shape[:2]) + super().compute_output_shape(rows_shape)[2:]

    def call(self, inputs, training=None):
        rows, selector = inputs
        out = super().call(rows, training=training)
        indices = _selected_row_indices(selector)
        shape = tf.concat([tf.shape(selector, out_type=tf.int64)[:2],
                           tf.shape(out, out_type=tf.int64)[2:]], axis=0)
        result = tf.scatter_nd(indices, out[0, :tf.shape(indices)[0]], shape)
        result.set_shape(selector.shape[:2] + out.shape[2:])
        return result


class BatchConstant(Float32Layer):
    """A constant array repeated over the batch of ``reference`` (e.g. the anchors).

    Input: any tensor whose axis 0 is the batch. Returns [batch, *value.shape].
    """

    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = np.asarray(value, dtype=np.float32)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.value.shape

    def call(self, reference):
        value = tf.constant(self.value)
        multiples = tf.concat([tf.shape(reference)[:1], tf.ones([value.shape.rank], tf.int32)], 0)
        return tf.tile(value[tf.newaxis], multiples)


class NormalizeBoxes(Float32Layer):
    """Pixel boxes [batch, N, (y1, x1, y2, x2)] -> normalised, for the size of ``image``.

    Inputs: boxes, image [batch, H, W, C].
    """

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def call(self, inputs):
        from .box_ops import norm_boxes_graph
        boxes, image = inputs
        return norm_boxes_graph(tf.cast(boxes, tf.float32), tf.shape(image)[1:3])


class ActiveClassIds(Float32Layer):
    """The active_class_ids field [batch, NUM_CLASSES] of image_meta [batch, META]."""

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] - 12)

    def call(self, image_meta):
        return image_meta[:, 12:]


class Identity(keras.layers.Layer):
    """Pass the input through under another name (e.g. ``output_rois``)."""

    def compute_output_shape(self, input_shape):
        return input_shape

    def call(self, inputs):
        return tf.identity(inputs)
