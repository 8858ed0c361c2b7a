"""Multi-level ROIAlign: each ROI is pooled from the FPN level that suits its size."""

import tensorflow as tf

from .image_meta import parse_image_meta_graph
from .layers import Float32Layer


def log2_graph(x):
    """Base-2 logarithm."""
    return tf.math.log(x) / tf.math.log(2.0)


def roi_pyramid_levels(boxes, image_shape):
    """FPN level (2..5) of each box, as in the FPN paper's equation 1.

    boxes: [..., (y1, x1, y2, x2)] normalised; image_shape: (H, W) of the molded image.
    A 224x224-pixel box maps to level 4. Returns int32 of boxes' leading shape.
    """
    h = boxes[..., 2] - boxes[..., 0]
    w = boxes[..., 3] - boxes[..., 1]
    image_area = tf.cast(image_shape[0] * image_shape[1], tf.float32)
    roi_level = log2_graph(tf.sqrt(h * w) / (224.0 / tf.sqrt(image_area)))
    # tf.round rounds half to even, as the reference does.
    return tf.minimum(5, tf.maximum(2, 4 + tf.cast(tf.round(roi_level), tf.int32)))


class PyramidROIAlign(Float32Layer):
    """ROIAlign on a feature pyramid.

    Inputs:
        boxes: [batch, num_boxes, (y1, x1, y2, x2)] normalised
        image_meta: [batch, meta length]
        feature_maps: P2, P3, P4, P5, each [batch, height, width, channels]
    Returns:
        [batch, num_boxes, pool_height, pool_width, channels]
    """

    def __init__(self, pool_shape, **kwargs):
        super().__init__(**kwargs)
        self.pool_shape = tuple(pool_shape)

    def get_config(self):
        return {**super().get_config(), "pool_shape": self.pool_shape}

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:2]) + self.pool_shape + (input_shape[2][-1],)

    def call(self, inputs):
        boxes, image_meta, feature_maps = inputs[0], inputs[1], inputs[2:]
        # All images of a batch share one molded shape.
        image_shape = parse_image_meta_graph(image_meta)["image_shape"][0]
        levels = roi_pyramid_levels(boxes, image_shape)

        batch_size, num_boxes = tf.shape(boxes)[0], tf.shape(boxes)[1]
        flat_boxes = tf.reshape(boxes, [-1, 4])
        flat_levels = tf.reshape(levels, [-1])
        flat_batch_index = tf.repeat(tf.range(batch_size), num_boxes)
        flat_positions = tf.range(tf.shape(flat_boxes)[0])

        # Pool each level's boxes from its feature map, then put them back in box order.
        level_ids = flat_levels - 2
        partitions = 4
        positions = tf.dynamic_partition(flat_positions, level_ids, partitions)
        level_boxes = tf.dynamic_partition(flat_boxes, level_ids, partitions)
        level_batch = tf.dynamic_partition(flat_batch_index, level_ids, partitions)
        pooled = []
        for i in range(partitions):
            pooled.append(tf.image.crop_and_resize(
                feature_maps[i], tf.stop_gradient(level_boxes[i]),
                tf.stop_gradient(level_batch[i]), self.pool_shape, method="bilinear"))
        pooled = tf.dynamic_stitch(positions, pooled)
        shape = tf.concat([tf.shape(boxes)[:2], tf.shape(pooled)[1:]], axis=0)
        pooled = tf.reshape(pooled, shape)
        pooled.set_shape(boxes.shape[:2] + self.pool_shape + (feature_maps[0].shape[-1],))
        return pooled
