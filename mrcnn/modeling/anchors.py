"""Anchors of the whole feature pyramid for a molded image size (the network side).

The anchors themselves are generated in NumPy by ``mrcnn.anchors.generate_pyramid_anchors``
(pixels); this module picks the config's scales, ratios and strides and the backbone's
feature-map sizes for an image shape, and normalises the result.
"""

import numpy as np

from ..anchors import generate_pyramid_anchors
from ..boxes import norm_boxes
from .backbone import compute_backbone_shapes


def pyramid_anchors(config, image_shape, normalized=True):
    """All anchors for a molded image of ``image_shape`` (H, W[, C]).

    Returns [num_anchors, (y1, x1, y2, x2)], float32 normalised coordinates (or pixels with
    ``normalized=False``), ordered by level, then cell, then ratio, as the RPN outputs are.
    """
    backbone_shapes = compute_backbone_shapes(config, image_shape)
    anchors = generate_pyramid_anchors(
        config.RPN_ANCHOR_SCALES, config.RPN_ANCHOR_RATIOS, backbone_shapes,
        config.BACKBONE_STRIDES, config.RPN_ANCHOR_STRIDE)
    if not normalized:
        return anchors
    return norm_boxes(anchors, tuple(image_shape[:2])).astype(np.float32)
