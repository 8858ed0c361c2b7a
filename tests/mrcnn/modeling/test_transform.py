"""Preprocessing figures from the original project (original_behaviour.md)."""

import numpy as np

from mrcnn.config import Config
from mrcnn.image_io import read_image
from mrcnn.modeling.backbone import compute_backbone_shapes
from mrcnn.modeling.image_meta import compose_image_meta, parse_image_meta
from mrcnn.modeling.transform import mold_inputs
from mrcnn import utils


class CocoInferenceConfig(Config):
    NAME = "coco"
    NUM_CLASSES = 81
    GPU_COUNT = 1
    IMAGES_PER_GPU = 1


class BrandsInferenceConfig(Config):
    NAME = "brands"
    NUM_CLASSES = 48
    GPU_COUNT = 1
    IMAGES_PER_GPU = 1
    IMAGE_MIN_DIM = IMAGE_MAX_DIM = 128
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)


def pyramid_anchors(config, image_shape):
    shapes = compute_backbone_shapes(config, image_shape)
    anchors = utils.generate_pyramid_anchors(config.RPN_ANCHOR_SCALES, config.RPN_ANCHOR_RATIOS,
                                             shapes, config.BACKBONE_STRIDES,
                                             config.RPN_ANCHOR_STRIDE)
    return utils.norm_boxes(anchors, image_shape[:2])


def test_coco_figures_on_the_demo_photo(sample_image_path):
    config = CocoInferenceConfig()
    image = read_image(sample_image_path)
    assert image.shape == (768, 1024, 3)
    molded, metas, windows = mold_inputs([image], config)
    assert molded.shape == (1, 1024, 1024, 3)
    assert molded.dtype == np.float64  # as matterport; cast to float32 at the graph input
    # Padding rows are 0 - mean; the photo spans the rest of 0..255 - mean.
    np.testing.assert_allclose(molded.min(), -123.7, atol=1e-4)
    assert 140 < molded.max() <= 151.1 + 1e-4
    assert metas.shape == (1, 93) and config.IMAGE_META_SIZE == 93
    meta = parse_image_meta(metas)
    np.testing.assert_array_equal(meta["original_image_shape"][0], [768, 1024, 3])
    np.testing.assert_array_equal(meta["image_shape"][0], [1024, 1024, 3])
    np.testing.assert_array_equal(windows[0], [128, 0, 896, 1024])
    assert meta["scale"][0] == 1.0
    anchors = pyramid_anchors(config, molded.shape[1:])
    assert anchors.shape == (261_888, 4)
    assert anchors.shape[0] == 3 * (256 ** 2 + 128 ** 2 + 64 ** 2 + 32 ** 2 + 16 ** 2)


def test_brands_meta_length_and_anchors():
    config = BrandsInferenceConfig()
    assert config.IMAGE_META_SIZE == 60
    image = np.full((300, 200, 3), 200, np.uint8)
    molded, metas, windows = mold_inputs([image], config)
    assert molded.shape == (1, 128, 128, 3) and metas.shape == (1, 60)
    # 300x200 -> scale 128/300, resized to 128x85, padded left/right to 128.
    np.testing.assert_array_equal(windows[0], [0, 21, 128, 106])
    assert pyramid_anchors(config, molded.shape[1:]).shape == (3 * (32**2 + 16**2 + 8**2 + 4**2
                                                                    + 2**2), 4)


def test_image_meta_round_trip():
    meta = compose_image_meta(7, (480, 640, 3), (1024, 1024, 3), (128, 0, 896, 1024), 1.6,
                              np.arange(5))
    parsed = parse_image_meta(meta[np.newaxis])
    assert parsed["image_id"][0] == 7
    np.testing.assert_array_equal(parsed["window"][0], [128, 0, 896, 1024])
    np.testing.assert_allclose(parsed["scale"][0], 1.6)
    np.testing.assert_array_equal(parsed["active_class_ids"][0], np.arange(5))


def test_as_rgb_uint8_converts_gray_rgba_16bit_and_rejects_others():
    import pytest
    from mrcnn.modeling.transform import as_rgb_uint8
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(as_rgb_uint8(gray), np.stack([gray] * 3, axis=2))
    np.testing.assert_array_equal(as_rgb_uint8(gray[:, :, None]), np.stack([gray] * 3, axis=2))
    rgba = np.dstack([np.stack([gray] * 3, axis=2), np.full((3, 4), 7, np.uint8)])
    np.testing.assert_array_equal(as_rgb_uint8(rgba), rgba[:, :, :3])
    deep = np.array([[0, 257, 65535]], dtype=np.uint16)
    np.testing.assert_array_equal(as_rgb_uint8(deep)[0, :, 0], [0, 1, 255])
    rgb = np.zeros((2, 2, 3), np.uint8)
    assert as_rgb_uint8(rgb) is rgb
    for bad in (np.zeros((2, 2, 2), np.uint8), np.zeros((2, 2), np.float32),
                np.zeros((0, 4, 3), np.uint8), np.zeros(5, np.uint8)):
        with pytest.raises(ValueError, match="expected"):
            as_rgb_uint8(bad)


def test_mold_inputs_of_a_gray_image_equals_its_rgb_version():
    config = BrandsInferenceConfig()
    gray = np.random.default_rng(0).integers(0, 256, (90, 120), dtype=np.uint8)
    molded_gray, metas_gray, _ = mold_inputs([gray], config)
    molded_rgb, metas_rgb, _ = mold_inputs([np.stack([gray] * 3, axis=2)], config)
    np.testing.assert_array_equal(molded_gray, molded_rgb)
    np.testing.assert_array_equal(metas_gray, metas_rgb)
