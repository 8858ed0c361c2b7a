"""Tests of mrcnn.anchors: hand-computed anchors of one feature map and of the COCO pyramid."""
import numpy as np

from mrcnn.anchors import generate_anchors, generate_pyramid_anchors


def test_pyramid_anchors_coco_config():
    shapes = np.array([[256, 256], [128, 128], [64, 64], [32, 32], [16, 16]])
    anchors = generate_pyramid_anchors((32, 64, 128, 256, 512), [0.5, 1, 2], shapes,
                                       [4, 8, 16, 32, 64], 1)
    assert anchors.shape == (261888, 4)
    half_long, half_short = 16 * np.sqrt(2), 8 * np.sqrt(2)  # 32 / sqrt(.5) / 2, 32 * sqrt(.5) / 2
    np.testing.assert_allclose(anchors[:4], [
        [-half_long, -half_short, half_long, half_short],          # (0, 0), ratio 0.5: tall
        [-16, -16, 16, 16],                                        # (0, 0), ratio 1
        [-half_short, -half_long, half_short, half_long],          # (0, 0), ratio 2: wide
        [-half_long, 4 - half_short, half_long, 4 + half_short],   # next column, x = 4
    ])
    # The first anchor of the second row is at y = 4 (256 columns x 3 ratios later).
    np.testing.assert_allclose(anchors[768],
                               [4 - half_long, -half_short, 4 + half_long, half_short])
    # Last: level P6 (stride 64), cell (15, 15) centred at 960, scale 512, ratio 2.
    half_h, half_w = 256 / np.sqrt(2), 256 * np.sqrt(2)
    np.testing.assert_allclose(anchors[-1],
                               [960 - half_h, 960 - half_w, 960 + half_h, 960 + half_w])


def test_generate_anchors_stride_and_several_scales():
    anchors = generate_anchors([8, 16], [1], [4, 6], feature_stride=10, anchor_stride=2)
    # 2 x 3 positions, 2 scales each, scale varies fastest.
    assert anchors.shape == (12, 4)
    np.testing.assert_allclose(anchors[:3], [[-4, -4, 4, 4], [-8, -8, 8, 8], [-4, 16, 4, 24]])
    np.testing.assert_allclose(anchors[-1], [20 - 8, 40 - 8, 20 + 8, 40 + 8])
