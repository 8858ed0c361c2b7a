"""Anchor boxes in NumPy: one feature map (``generate_anchors``) and the whole pyramid
(``generate_pyramid_anchors``), matterport's functions and order.

Anchors are ``[N, (y1, x1, y2, x2)]`` in image pixels, centred on feature-map cell corners.
This is the one place anchors are generated. ``mrcnn.modeling.anchors.pyramid_anchors`` is the
network side: it takes a config and a molded image shape, gets the feature-map sizes from the
backbone and calls ``generate_pyramid_anchors`` (then normalises the boxes); it lives under
``mrcnn.modeling`` because the backbone code it needs imports Keras.
"""

import numpy as np


def generate_anchors(scales, ratios, shape, feature_stride, anchor_stride):
    """Anchor boxes of one feature map.

    scales: anchor side(s) in pixels, e.g. 32; ratios: width/height ratios, e.g. [0.5, 1, 2];
    shape: [height, width] of the feature map; feature_stride: image pixels per feature
    map cell; anchor_stride: place anchors every this many cells.
    Returns: [N, (y1, x1, y2, x2)] pixels, centred on cell corners (y*stride, x*stride);
        ordered by row, then column, then ratio (then scale).
    """
    scale_grid, ratio_grid = np.meshgrid(np.array(scales), np.array(ratios))
    scale_grid = scale_grid.flatten()
    ratio_grid = ratio_grid.flatten()
    heights = scale_grid / np.sqrt(ratio_grid)
    widths = scale_grid * np.sqrt(ratio_grid)
    centers_y = np.arange(0, shape[0], anchor_stride) * feature_stride
    centers_x = np.arange(0, shape[1], anchor_stride) * feature_stride
    centers_x, centers_y = np.meshgrid(centers_x, centers_y)
    # [positions, anchors per position] grids, then flattened to one row per anchor.
    box_widths, box_centers_x = np.meshgrid(widths, centers_x)
    box_heights, box_centers_y = np.meshgrid(heights, centers_y)
    box_centers = np.stack([box_centers_y, box_centers_x], axis=2).reshape([-1, 2])
    box_sizes = np.stack([box_heights, box_widths], axis=2).reshape([-1, 2])
    return np.concatenate([box_centers - 0.5 * box_sizes, box_centers + 0.5 * box_sizes], axis=1)


def generate_pyramid_anchors(scales, ratios, feature_shapes, feature_strides, anchor_stride):
    """Anchors of all pyramid levels, level by level (one scale per level).

    scales: one anchor size per level, e.g. (32, 64, 128, 256, 512); ratios: as in
    generate_anchors; feature_shapes: [levels, (height, width)]; feature_strides: [levels].
    Returns: [N, (y1, x1, y2, x2)] pixels. The COCO config (1024x1024, strides 4..64,
        3 ratios, anchor_stride 1) gives 261,888 anchors.
    """
    anchors = [
        generate_anchors(scales[level], ratios, feature_shapes[level], feature_strides[level],
                         anchor_stride)
        for level in range(len(scales))
    ]
    return np.concatenate(anchors, axis=0)
