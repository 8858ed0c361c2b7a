"""Small generic layers used across the network.

`BatchNorm` can be frozen (matterport's TRAIN_BN=False); `TimeDistributed` applies a layer to every
ROI of a [batch, num_rois, ...] tensor with one reshape instead of Keras 3's per-step loop.
"""

import keras
import tensorflow as tf


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
    """``x[..., start:stop]``; e.g. the boxes out of ``[batch, N, (y1, x1, y2, x2, class, score)]``."""

    def __init__(self, start, stop, **kwargs):
        super().__init__(**kwargs)
        self.start, self.stop = start, stop

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.stop - self.start,)

    def call(self, inputs):
        return inputs[..., self.start:self.stop]

    def get_config(self):
        return {**super().get_config(), "start": self.start, "stop": self.stop}
