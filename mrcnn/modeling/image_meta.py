"""The ``image_meta`` vector that travels with every image through the graph.

Layout (float32): image_id (1), original_image_shape (3), image_shape (3),
window (4, pixels, (y1, x1, y2, x2) of the real image inside the padded one), scale (1),
active_class_ids (NUM_CLASSES). Length ``Config.IMAGE_META_SIZE``.
"""

import numpy as np


def compose_image_meta(image_id, original_image_shape, image_shape, window, scale,
                       active_class_ids):
    """Pack the attributes of one image into a 1-D float array (see module docstring)."""
    meta = np.array(
        [image_id]
        + list(original_image_shape)
        + list(image_shape)
        + list(window)
        + [scale]
        + list(active_class_ids)
    )
    return meta


def parse_image_meta(meta):
    """Unpack a [batch, meta length] NumPy array into a dict of arrays (inverse of compose)."""
    return {
        "image_id": meta[:, 0].astype(np.int32),
        "original_image_shape": meta[:, 1:4].astype(np.int32),
        "image_shape": meta[:, 4:7].astype(np.int32),
        "window": meta[:, 7:11].astype(np.int32),
        "scale": meta[:, 11].astype(np.float32),
        "active_class_ids": meta[:, 12:].astype(np.int32),
    }


def parse_image_meta_graph(meta):
    """Unpack a [batch, meta length] tensor into a dict of tensors (float32, as stored)."""
    return {
        "image_id": meta[:, 0],
        "original_image_shape": meta[:, 1:4],
        "image_shape": meta[:, 4:7],
        "window": meta[:, 7:11],
        "scale": meta[:, 11],
        "active_class_ids": meta[:, 12:],
    }


def mold_image(images, config):
    """uint8 RGB image(s) -> network input: subtract ``config.MEAN_PIXEL`` (float64, as
    matterport; the graph input casts it to float32 once)."""
    return images.astype(np.float32) - config.MEAN_PIXEL


def unmold_image(normalized_images, config):
    """Inverse of mold_image: add the mean pixel back, as uint8."""
    return (normalized_images + config.MEAN_PIXEL).astype(np.uint8)
