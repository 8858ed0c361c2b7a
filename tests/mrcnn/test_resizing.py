"""Tests of mrcnn.resizing: resize checked against scikit-image (which matterport's utils called)
and resize_image's modes (square, pad64, crop, none) with hand-computed windows and padding."""
import random

import numpy as np
import pytest
from skimage.transform import resize as skimage_resize

from mrcnn.image_io import read_image
from mrcnn.resizing import resize, resize_image


def skimage_reference(image, output_shape, **kwargs):
    """What matterport's utils.resize returned: skimage with matterport's defaults."""
    arguments = dict(order=1, mode="constant", cval=0, clip=True, preserve_range=False,
                     anti_aliasing=False, anti_aliasing_sigma=None)
    arguments.update(kwargs)
    return skimage_resize(image, output_shape, **arguments)


@pytest.mark.parametrize("input_shape, output_shape", [
    ((37, 53, 3), (100, 80)),    # up
    ((100, 80, 3), (37, 53)),    # down
    ((64, 48, 3), (64, 96)),     # one axis only
    ((1, 20, 3), (9, 31)),       # one-pixel-high input
])
def test_resize_uint8_preserve_range_matches_skimage(input_shape, output_shape):
    image = np.random.default_rng(1).integers(0, 256, input_shape).astype(np.uint8)
    expected = skimage_reference(image, output_shape, preserve_range=True)
    resized = resize(image, output_shape, preserve_range=True)
    assert resized.dtype == expected.dtype == np.float64
    assert resized.shape == expected.shape
    np.testing.assert_allclose(resized, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("output_shape", [(28, 28), (131, 67), (7, 9)])
def test_resize_float_masks_match_skimage(output_shape):
    rng = np.random.default_rng(2)
    mask_2d = rng.random((28, 28)).astype(np.float32)
    expected = skimage_reference(mask_2d, output_shape)
    resized = resize(mask_2d, output_shape)
    assert resized.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(resized, expected, rtol=0, atol=1e-6)

    masks_3d = rng.random((20, 30, 6))  # 6 channels: done in OpenCV channel groups
    expected = skimage_reference(masks_3d, output_shape)
    resized = resize(masks_3d, output_shape)
    assert resized.shape == expected.shape
    np.testing.assert_allclose(resized, expected, rtol=0, atol=1e-12)


def test_resize_upscaling_darkens_border_like_skimage():
    # 'constant' mode counts the outside as 0. Upscaling 2 -> 4 samples at -0.25, 0.25,
    # 0.75, 1.25: the outer samples are 0.75 image + 0.25 zero.
    image = np.array([[0.0, 100.0], [0.0, 100.0]])
    resized = resize(image, (4, 4), preserve_range=True)
    expected = np.outer([0.75, 1, 1, 0.75], [0, 25, 75, 75])
    np.testing.assert_allclose(resized, expected)
    np.testing.assert_allclose(resized, skimage_reference(image, (4, 4), preserve_range=True))
    # cval is blended in the same way, and mode 'edge' does not darken.
    np.testing.assert_allclose(resize(image, (4, 4), cval=20, preserve_range=True),
                               skimage_reference(image, (4, 4), cval=20, preserve_range=True))
    np.testing.assert_allclose(resize(image, (4, 4), mode="edge"),
                               np.tile([0, 25, 75, 100], (4, 1)))
    # skimage then clips to the input range: a flat image is not darkened at all.
    flat = np.full((2, 2), 100.0)
    np.testing.assert_array_equal(resize(flat, (4, 4)), np.full((4, 4), 100.0))
    np.testing.assert_array_equal(resize(flat, (4, 4), clip=False)[0],
                                  [56.25, 75, 75, 56.25])


@pytest.mark.filterwarnings("ignore:Anti-aliasing standard deviation")
@pytest.mark.parametrize("kwargs", [
    dict(order=0),
    dict(order=0, preserve_range=True),
    dict(preserve_range=False),            # uint8 scaled to [0, 1]
    dict(mode="edge"),
    dict(mode="reflect"),                  # through scipy
    dict(order=3),                         # through scipy
    dict(anti_aliasing=True),              # Gaussian pre-filter, through scipy
    dict(anti_aliasing=True, anti_aliasing_sigma=(1.0, 0.5, 0)),
])
def test_resize_options_match_skimage(kwargs):
    image = np.random.default_rng(3).integers(0, 256, (41, 57, 3)).astype(np.uint8)
    for output_shape in [(90, 70), (20, 33)]:
        expected = skimage_reference(image, output_shape, **kwargs)
        resized = resize(image, output_shape, **kwargs)
        assert resized.dtype == expected.dtype
        np.testing.assert_allclose(resized.astype(np.float64), expected, rtol=0, atol=1e-9)


def test_resize_bool_is_interpolated_as_float_like_old_skimage():
    mask = np.zeros((10, 10), bool)
    mask[2:8, 3:9] = True
    resized = resize(mask, (25, 25))
    expected = skimage_reference(mask.astype(np.float64), (25, 25))
    assert resized.dtype == np.float64
    np.testing.assert_allclose(resized, expected, atol=1e-12)
    # Nearest neighbour keeps bool, exactly as skimage does.
    np.testing.assert_array_equal(resize(mask, (25, 25), order=0),
                                  skimage_reference(mask, (25, 25), order=0))


def test_resize_image_on_a_photo_matches_matterport_after_uint8_truncation(sample_image_path):
    image = read_image(sample_image_path)
    resized, window, scale, padding, _ = resize_image(image, min_dim=600, max_dim=600,
                                                      mode="square")
    assert resized.dtype == np.uint8
    height, width = image.shape[:2]
    expected = skimage_reference(image, (round(height * scale), round(width * scale)),
                                 preserve_range=True)
    expected = np.pad(expected, padding).astype(np.uint8)
    difference = resized.astype(np.int16) - expected
    # Float results agree to ~1e-12; only values whose exact result is an integer can
    # truncate to either side. Measured on real photos: ~0.04% of values (worst 0.25%).
    assert np.abs(difference).max() <= 1
    assert np.count_nonzero(difference) / difference.size < 0.005


def test_resize_image_square_landscape_768x1024():
    image = np.random.default_rng(4).integers(0, 256, (768, 1024, 3)).astype(np.uint8)
    resized, window, scale, padding, crop = resize_image(image, 800, 1024, 0, "square")
    # 800 / 768 would make the long side 1067 > 1024, so the scale falls back to 1.
    assert scale == 1.0
    assert resized.shape == (1024, 1024, 3) and resized.dtype == np.uint8
    assert window == (128, 0, 896, 1024)
    assert padding == [(128, 128), (0, 0), (0, 0)]
    assert crop is None
    np.testing.assert_array_equal(resized[128:896], image)
    assert not resized[:128].any() and not resized[896:].any()


def test_resize_image_square_portrait_640x427():
    image = np.random.default_rng(5).integers(0, 256, (640, 427, 3)).astype(np.uint8)
    resized, window, scale, padding, crop = resize_image(image, 800, 1024, 0, "square")
    # 800 / 427 would give a 1199-pixel height; capped: 1024 / 640 = 1.6 -> 1024 x 683.
    assert scale == pytest.approx(1.6)
    assert resized.shape == (1024, 1024, 3)
    assert window == (0, 170, 1024, 853)
    assert padding == [(0, 0), (170, 171), (0, 0)]
    assert not resized[:, :170].any() and not resized[:, 853:].any()
    expected = skimage_reference(image, (1024, 683), preserve_range=True).astype(np.uint8)
    difference = resized[:, 170:853].astype(np.int16) - expected
    assert np.abs(difference).max() <= 1 and np.count_nonzero(difference) / difference.size < 0.001


def test_resize_image_upscales_small_image_to_min_dim():
    image = np.ones((300, 400, 3), np.uint8)
    resized, window, scale, padding, _ = resize_image(image, 600, 1024, 0, "square")
    assert scale == 2.0
    assert window == (212, 112, 812, 912)
    assert padding == [(212, 212), (112, 112), (0, 0)]
    assert resized.shape == (1024, 1024, 3)


def test_resize_image_min_scale_and_pad64():
    image = np.full((100, 150, 3), 200, np.uint8)
    resized, window, scale, padding, crop = resize_image(
        image, min_dim=64, max_dim=None, min_scale=2, mode="pad64")
    # min_dim needs no scaling, min_scale forces 2: 200 x 300, padded to 256 x 320.
    assert scale == 2
    assert resized.shape == (256, 320, 3)
    assert window == (28, 10, 228, 310)
    assert padding == [(28, 28), (10, 10), (0, 0)]
    assert crop is None
    # Already multiples of 64: no padding at all.
    image = np.zeros((768, 1024, 3), np.uint8)
    resized, window, scale, padding, _ = resize_image(image, min_dim=768, mode="pad64")
    assert resized.shape == (768, 1024, 3) and window == (0, 0, 768, 1024)
    assert padding == [(0, 0), (0, 0), (0, 0)]
    with pytest.raises(ValueError, match="multiple of 64"):
        resize_image(image, min_dim=800, mode="pad64")


def test_resize_image_none_and_unknown_mode():
    image = np.zeros((30, 40, 3), np.uint8)
    resized, window, scale, padding, crop = resize_image(image, 800, 1024, mode="none")
    assert resized is image
    assert (window, scale, padding, crop) == ((0, 0, 30, 40), 1, [(0, 0), (0, 0), (0, 0)], None)
    with pytest.raises(ValueError, match="not supported"):
        resize_image(image, 800, 1024, mode="bogus")


def test_resize_image_crop_is_seeded_by_python_random():
    image = np.random.default_rng(6).integers(0, 256, (768, 1024, 3)).astype(np.uint8)
    random.seed(3)
    resized, window, scale, padding, crop = resize_image(image, min_dim=512, mode="crop")
    random.seed(3)
    y, x = random.randint(0, 768 - 512), random.randint(0, 1024 - 512)
    assert crop == (y, x, 512, 512)
    assert window == (0, 0, 512, 512) and scale == 1
    np.testing.assert_array_equal(resized, image[y:y + 512, x:x + 512])
