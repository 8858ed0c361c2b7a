"""Tests of mrcnn.utils: hand-computed boxes, masks, anchors and AP values, and resizing
checked against scikit-image (which matterport's utils called) and scipy."""
import logging
import random
import warnings

import numpy as np
import pytest
import scipy.ndimage
from PIL import Image
from skimage.transform import resize as skimage_resize

from mrcnn import utils
from mrcnn.image_io import read_image


def skimage_reference(image, output_shape, **kwargs):
    """What matterport's utils.resize returned: skimage with matterport's defaults."""
    arguments = dict(order=1, mode="constant", cval=0, clip=True, preserve_range=False,
                     anti_aliasing=False, anti_aliasing_sigma=None)
    arguments.update(kwargs)
    return skimage_resize(image, output_shape, **arguments)


############################################################
#  Boxes
############################################################

def test_compute_iou_hand_computed():
    box = np.array([0, 0, 10, 10])
    boxes = np.array([[5, 5, 15, 15], [0, 0, 10, 10], [20, 20, 30, 30], [0, 0, 5, 10]])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    iou = utils.compute_iou(box, boxes, 100, areas)
    # 25 / (100 + 100 - 25); identical; disjoint; half of it.
    np.testing.assert_allclose(iou, [25 / 175, 1.0, 0.0, 0.5])


def test_compute_overlaps_matrix():
    boxes1 = np.array([[0, 0, 10, 10], [0, 0, 5, 5]])
    boxes2 = np.array([[0, 0, 10, 10], [5, 5, 15, 15], [0, 0, 10, 20]])
    overlaps = utils.compute_overlaps(boxes1, boxes2)
    assert overlaps.shape == (2, 3) and overlaps.dtype == np.float64
    np.testing.assert_allclose(overlaps, [[1.0, 1 / 7, 0.5], [0.25, 0.0, 0.125]])
    assert utils.compute_overlaps(boxes1, np.zeros((0, 4))).shape == (2, 0)


def test_non_max_suppression_greedy_order():
    boxes = np.array([[0, 0, 10, 10],     # A, IoU with D 0.9
                      [1, 1, 11, 11],     # B, IoU with D 72/118
                      [20, 20, 30, 30],   # C, disjoint
                      [0, 0, 10, 9]])     # D, best score
    scores = np.array([0.9, 0.8, 0.7, 0.95])
    kept = utils.non_max_suppression(boxes, scores, 0.5)
    assert kept.dtype == np.int32
    assert kept.tolist() == [3, 2]
    # A high threshold keeps everything, best score first.
    assert utils.non_max_suppression(boxes, scores, 0.95).tolist() == [3, 0, 1, 2]
    # IoU(D, B) = 72 / 118 = 0.61: a threshold just above keeps B, still drops A (0.9).
    assert utils.non_max_suppression(boxes, scores, 0.62).tolist() == [3, 1, 2]
    with pytest.raises(ValueError):
        utils.non_max_suppression(np.zeros((0, 4)), np.zeros(0), 0.5)


def test_box_refinement_hand_computed_and_round_trip():
    box = np.array([[0, 0, 10, 10]])
    gt_box = np.array([[5, 5, 15, 25]])
    deltas = utils.box_refinement(box, gt_box)
    assert deltas.dtype == np.float32
    # Centres (5, 5) -> (10, 15); size 10x10 -> 10x20.
    np.testing.assert_allclose(deltas, [[0.5, 1.0, 0.0, np.log(2.0)]], rtol=1e-6)

    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 500, (50, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(5, 200, (50, 2))], axis=1)
    gt_corners = rng.uniform(0, 500, (50, 2))
    gt_boxes = np.concatenate([gt_corners, gt_corners + rng.uniform(5, 200, (50, 2))], axis=1)
    recovered = utils.apply_box_deltas(boxes, utils.box_refinement(boxes, gt_boxes))
    assert recovered.dtype == np.float32
    np.testing.assert_allclose(recovered, gt_boxes, atol=1e-3)


def test_extract_bboxes():
    mask = np.zeros((10, 12, 3), dtype=bool)
    mask[2:5, 3:8, 0] = True
    mask[9, 11, 1] = True
    boxes = utils.extract_bboxes(mask)
    assert boxes.dtype == np.int32
    # y2/x2 are one past the last pixel; the empty mask gets zeros.
    assert boxes.tolist() == [[2, 3, 5, 8], [9, 11, 10, 12], [0, 0, 0, 0]]
    assert utils.extract_bboxes(np.zeros((4, 4, 0), bool)).shape == (0, 4)


def test_norm_denorm_boxes():
    boxes = np.array([[10, 20, 30, 40], [0, 0, 101, 201]])
    normalised = utils.norm_boxes(boxes, (101, 201))
    assert normalised.dtype == np.float32
    # (boxes - [0, 0, 1, 1]) / [100, 200, 100, 200]
    np.testing.assert_allclose(normalised, [[0.1, 0.1, 0.29, 0.195], [0, 0, 1, 1]], rtol=1e-6)
    restored = utils.denorm_boxes(normalised, (101, 201))
    assert restored.dtype == np.int32
    np.testing.assert_array_equal(restored, boxes)
    # Image shapes with a channel count are accepted too.
    np.testing.assert_array_equal(utils.norm_boxes(boxes, (101, 201, 3)), normalised)


def test_trim_zeros():
    x = np.array([[1, 2, 3, 4], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    assert utils.trim_zeros(x).tolist() == [[1, 2, 3, 4], [0, 0, 0, 1]]
    with pytest.raises(ValueError):
        utils.trim_zeros(np.zeros(3))


############################################################
#  resize() against scikit-image
############################################################

@pytest.mark.parametrize("input_shape, output_shape", [
    ((37, 53, 3), (100, 80)),    # up
    ((100, 80, 3), (37, 53)),    # down
    ((64, 48, 3), (64, 96)),     # one axis only
    ((1, 20, 3), (9, 31)),       # one-pixel-high input
])
def test_resize_uint8_preserve_range_matches_skimage(input_shape, output_shape):
    image = np.random.default_rng(1).integers(0, 256, input_shape).astype(np.uint8)
    expected = skimage_reference(image, output_shape, preserve_range=True)
    resized = utils.resize(image, output_shape, preserve_range=True)
    assert resized.dtype == expected.dtype == np.float64
    assert resized.shape == expected.shape
    np.testing.assert_allclose(resized, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("output_shape", [(28, 28), (131, 67), (7, 9)])
def test_resize_float_masks_match_skimage(output_shape):
    rng = np.random.default_rng(2)
    mask_2d = rng.random((28, 28)).astype(np.float32)
    expected = skimage_reference(mask_2d, output_shape)
    resized = utils.resize(mask_2d, output_shape)
    assert resized.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(resized, expected, rtol=0, atol=1e-6)

    masks_3d = rng.random((20, 30, 6))  # 6 channels: done in OpenCV channel groups
    expected = skimage_reference(masks_3d, output_shape)
    resized = utils.resize(masks_3d, output_shape)
    assert resized.shape == expected.shape
    np.testing.assert_allclose(resized, expected, rtol=0, atol=1e-12)


def test_resize_upscaling_darkens_border_like_skimage():
    # 'constant' mode counts the outside as 0. Upscaling 2 -> 4 samples at -0.25, 0.25,
    # 0.75, 1.25: the outer samples are 0.75 image + 0.25 zero.
    image = np.array([[0.0, 100.0], [0.0, 100.0]])
    resized = utils.resize(image, (4, 4), preserve_range=True)
    expected = np.outer([0.75, 1, 1, 0.75], [0, 25, 75, 75])
    np.testing.assert_allclose(resized, expected)
    np.testing.assert_allclose(resized, skimage_reference(image, (4, 4), preserve_range=True))
    # cval is blended in the same way, and mode 'edge' does not darken.
    np.testing.assert_allclose(utils.resize(image, (4, 4), cval=20, preserve_range=True),
                               skimage_reference(image, (4, 4), cval=20, preserve_range=True))
    np.testing.assert_allclose(utils.resize(image, (4, 4), mode="edge"),
                               np.tile([0, 25, 75, 100], (4, 1)))
    # skimage then clips to the input range: a flat image is not darkened at all.
    flat = np.full((2, 2), 100.0)
    np.testing.assert_array_equal(utils.resize(flat, (4, 4)), np.full((4, 4), 100.0))
    np.testing.assert_array_equal(utils.resize(flat, (4, 4), clip=False)[0],
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
        resized = utils.resize(image, output_shape, **kwargs)
        assert resized.dtype == expected.dtype
        np.testing.assert_allclose(resized.astype(np.float64), expected, rtol=0, atol=1e-9)


def test_resize_bool_is_interpolated_as_float_like_old_skimage():
    mask = np.zeros((10, 10), bool)
    mask[2:8, 3:9] = True
    resized = utils.resize(mask, (25, 25))
    expected = skimage_reference(mask.astype(np.float64), (25, 25))
    assert resized.dtype == np.float64
    np.testing.assert_allclose(resized, expected, atol=1e-12)
    # Nearest neighbour keeps bool, exactly as skimage does.
    np.testing.assert_array_equal(utils.resize(mask, (25, 25), order=0),
                                  skimage_reference(mask, (25, 25), order=0))


def test_resize_image_on_a_photo_matches_matterport_after_uint8_truncation(sample_image_path):
    image = read_image(sample_image_path)
    resized, window, scale, padding, _ = utils.resize_image(image, min_dim=600, max_dim=600,
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


############################################################
#  resize_image modes
############################################################

def test_resize_image_square_landscape_768x1024():
    image = np.random.default_rng(4).integers(0, 256, (768, 1024, 3)).astype(np.uint8)
    resized, window, scale, padding, crop = utils.resize_image(image, 800, 1024, 0, "square")
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
    resized, window, scale, padding, crop = utils.resize_image(image, 800, 1024, 0, "square")
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
    resized, window, scale, padding, _ = utils.resize_image(image, 600, 1024, 0, "square")
    assert scale == 2.0
    assert window == (212, 112, 812, 912)
    assert padding == [(212, 212), (112, 112), (0, 0)]
    assert resized.shape == (1024, 1024, 3)


def test_resize_image_min_scale_and_pad64():
    image = np.full((100, 150, 3), 200, np.uint8)
    resized, window, scale, padding, crop = utils.resize_image(
        image, min_dim=64, max_dim=None, min_scale=2, mode="pad64")
    # min_dim needs no scaling, min_scale forces 2: 200 x 300, padded to 256 x 320.
    assert scale == 2
    assert resized.shape == (256, 320, 3)
    assert window == (28, 10, 228, 310)
    assert padding == [(28, 28), (10, 10), (0, 0)]
    assert crop is None
    # Already multiples of 64: no padding at all.
    image = np.zeros((768, 1024, 3), np.uint8)
    resized, window, scale, padding, _ = utils.resize_image(image, min_dim=768, mode="pad64")
    assert resized.shape == (768, 1024, 3) and window == (0, 0, 768, 1024)
    assert padding == [(0, 0), (0, 0), (0, 0)]
    with pytest.raises(ValueError, match="multiple of 64"):
        utils.resize_image(image, min_dim=800, mode="pad64")


def test_resize_image_none_and_unknown_mode():
    image = np.zeros((30, 40, 3), np.uint8)
    resized, window, scale, padding, crop = utils.resize_image(image, 800, 1024, mode="none")
    assert resized is image
    assert (window, scale, padding, crop) == ((0, 0, 30, 40), 1, [(0, 0), (0, 0), (0, 0)], None)
    with pytest.raises(ValueError, match="not supported"):
        utils.resize_image(image, 800, 1024, mode="bogus")


def test_resize_image_crop_is_seeded_by_python_random():
    image = np.random.default_rng(6).integers(0, 256, (768, 1024, 3)).astype(np.uint8)
    random.seed(3)
    resized, window, scale, padding, crop = utils.resize_image(image, min_dim=512, mode="crop")
    random.seed(3)
    y, x = random.randint(0, 768 - 512), random.randint(0, 1024 - 512)
    assert crop == (y, x, 512, 512)
    assert window == (0, 0, 512, 512) and scale == 1
    np.testing.assert_array_equal(resized, image[y:y + 512, x:x + 512])


############################################################
#  Masks
############################################################

@pytest.mark.parametrize("height, width, scale", [
    (8, 8, 3.2065298308268786),    # scipy zeroes the last row/column here
    (15, 21, 1.7240377993658627),
    (64, 48, 1.6),
    (480, 640, 1024 / 640),
    (100, 70, 0.37),
])
def test_resize_mask_matches_scipy_zoom(height, width, scale):
    rng = np.random.default_rng(height)
    mask = rng.random((height, width, 3)) > 0.5
    padding = [(3, 4), (0, 2), (0, 0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zoomed = scipy.ndimage.zoom(mask, zoom=[scale, scale, 1], order=0)
    resized = utils.resize_mask(mask, scale, padding)
    assert resized.dtype == bool
    np.testing.assert_array_equal(resized, np.pad(zoomed, padding))
    np.testing.assert_array_equal(utils.resize_mask(mask, scale, padding, crop=(1, 2, 5, 6)),
                                  zoomed[1:6, 2:8])


def test_resize_mask_keeps_scipy_last_row_quirk():
    mask = np.ones((8, 8, 1), bool)
    resized = utils.resize_mask(mask, 3.2065298308268786, [(0, 0), (0, 0), (0, 0)])
    assert resized.shape == (26, 26, 1)
    # The last output coordinate lands a hair past pixel 7, which scipy treats as outside.
    assert not resized[-1].any() and not resized[:, -1].any()
    assert resized[:-1, :-1].all()


def test_minimize_and_expand_mask_round_trip():
    mask = np.zeros((120, 160, 2), bool)
    mask[10:70, 20:100, 0] = True                      # rectangle
    yy, xx = np.mgrid[:120, :160]
    mask[..., 1] = ((yy - 60) / 40.0) ** 2 + ((xx - 110) / 30.0) ** 2 <= 1  # ellipse
    boxes = utils.extract_bboxes(mask)
    mini = utils.minimize_mask(boxes, mask, (56, 56))
    assert mini.shape == (56, 56, 2) and mini.dtype == bool
    assert mini[..., 0].all()

    # Matterport's numbers: skimage bilinear on 0/1 floats, then rounded.
    y1, x1, y2, x2 = boxes[1]
    expected = np.around(skimage_reference(mask[y1:y2, x1:x2, 1].astype(float), (56, 56)))
    np.testing.assert_array_equal(mini[..., 1], expected.astype(bool))

    expanded = utils.expand_mask(boxes, mini, (120, 160, 3))
    assert expanded.shape == (120, 160, 2) and expanded.dtype == bool
    np.testing.assert_array_equal(expanded[..., 0], mask[..., 0])
    intersection = np.logical_and(expanded[..., 1], mask[..., 1]).sum()
    union = np.logical_or(expanded[..., 1], mask[..., 1]).sum()
    assert intersection / union > 0.95

    with pytest.raises(ValueError, match="area of zero"):
        utils.minimize_mask(np.array([[5, 5, 5, 9]]), mask[..., :1], (56, 56))


def test_unmold_mask_hand_computed():
    small = np.zeros((28, 28), np.float32)
    small[:, :14] = 1.0
    full = utils.unmold_mask(small, (10, 20, 40, 80), (100, 100, 3))
    assert full.shape == (100, 100) and full.dtype == bool
    # Resized to 30 x 60: the left half (30 columns) stays >= 0.5, border rows included.
    expected = np.zeros((100, 100), bool)
    expected[10:40, 20:50] = True
    np.testing.assert_array_equal(full, expected)


def test_unmold_mask_threshold_keeps_more_of_an_uncertain_mask():
    small = np.zeros((28, 28), np.float32)
    small[:, :7] = 0.9
    small[:, 7:14] = 0.35
    default = utils.unmold_mask(small, (0, 0, 28, 28), (28, 28))
    lower = utils.unmold_mask(small, (0, 0, 28, 28), (28, 28), threshold=0.3)
    # Same size as the mask: no resampling, so the columns are exactly the thresholded ones.
    assert default[:, :7].all() and not default[:, 7:].any()
    assert lower[:, :14].all() and not lower[:, 14:].any()


def test_unmold_mask_matches_matterport_and_clips_to_image():
    probabilities = np.random.default_rng(7).random((28, 28)).astype(np.float32)
    full = utils.unmold_mask(probabilities, np.array([5, 7, 66, 50]), (80, 60))
    expected = np.zeros((80, 60), bool)
    expected[5:66, 7:50] = skimage_reference(probabilities, (61, 43)) >= 0.5
    np.testing.assert_array_equal(full, expected)
    # A box hanging over the image edge is cut, an empty box gives an empty mask.
    clipped = utils.unmold_mask(probabilities, (-10, 40, 30, 70), (80, 60))
    unclipped = skimage_reference(probabilities, (40, 30)) >= 0.5
    np.testing.assert_array_equal(clipped[0:30, 40:60], unclipped[10:, :20])
    assert not clipped[30:].any() and not clipped[:, :40].any()
    assert not utils.unmold_mask(probabilities, (10, 10, 10, 30), (80, 60)).any()


def test_mold_mask_resizes_to_mask_shape():
    class MaskConfig:
        MASK_SHAPE = [28, 28]

    mask = np.zeros((50, 70), bool)
    mask[:25] = True
    molded = utils.mold_mask(mask, MaskConfig())
    assert molded.shape == (28, 28) and molded.dtype == np.float32
    assert set(np.unique(molded)) == {0.0, 1.0}
    assert molded[:14].all() and not molded[14:].any()


def test_compute_overlaps_masks():
    masks1 = np.zeros((10, 10, 2), bool)
    masks1[:5, :, 0] = True       # top half, 50 px
    masks1[:, :5, 1] = True       # left half, 50 px
    masks2 = np.zeros((10, 10, 2), bool)
    masks2[..., 0] = True         # everything, 100 px
    masks2[:2, :, 1] = True       # top two rows, 20 px
    overlaps = utils.compute_overlaps_masks(masks1, masks2)
    np.testing.assert_allclose(overlaps, [[0.5, 20 / 50], [0.5, 10 / 60]], rtol=1e-6)
    empty = utils.compute_overlaps_masks(masks1, np.zeros((10, 10, 0), bool))
    assert empty.shape == (2, 0)


############################################################
#  Anchors
############################################################

def test_pyramid_anchors_coco_config():
    shapes = np.array([[256, 256], [128, 128], [64, 64], [32, 32], [16, 16]])
    anchors = utils.generate_pyramid_anchors((32, 64, 128, 256, 512), [0.5, 1, 2], shapes,
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
    anchors = utils.generate_anchors([8, 16], [1], [4, 6], feature_stride=10, anchor_stride=2)
    # 2 x 3 positions, 2 scales each, scale varies fastest.
    assert anchors.shape == (12, 4)
    np.testing.assert_allclose(anchors[:3], [[-4, -4, 4, 4], [-8, -8, 8, 8], [-4, 16, 4, 24]])
    np.testing.assert_allclose(anchors[-1], [20 - 8, 40 - 8, 20 + 8, 40 + 8])


############################################################
#  Metrics
############################################################

def _boxes_and_masks(boxes, shape=(60, 60)):
    masks = np.zeros(shape + (len(boxes),), bool)
    for i, (y1, x1, y2, x2) in enumerate(boxes):
        masks[y1:y2, x1:x2, i] = True
    return np.array(boxes, dtype=np.int32).reshape(-1, 4), masks


def test_compute_ap_perfect_predictions():
    gt_boxes, gt_masks = _boxes_and_masks([(0, 0, 10, 10), (20, 20, 40, 40)])
    class_ids = np.array([1, 2])
    mAP, precisions, recalls, overlaps = utils.compute_ap(
        gt_boxes, class_ids, gt_masks, gt_boxes, class_ids, np.array([0.9, 0.8]), gt_masks)
    assert mAP == 1.0
    np.testing.assert_allclose(precisions, [1, 1, 1, 0])
    np.testing.assert_allclose(recalls, [0, 0.5, 1, 1])
    np.testing.assert_allclose(overlaps, np.eye(2))
    assert utils.compute_ap_range(gt_boxes, class_ids, gt_masks, gt_boxes, class_ids,
                                  np.array([0.9, 0.8]), gt_masks, verbose=0) == 1.0


def test_compute_ap_false_positive_scored_above_true_positive():
    gt_boxes, gt_masks = _boxes_and_masks([(0, 0, 10, 10)])
    pred_boxes, pred_masks = _boxes_and_masks([(30, 30, 40, 40), (0, 0, 10, 10)])
    mAP, precisions, recalls, _ = utils.compute_ap(
        gt_boxes, np.array([1]), gt_masks,
        pred_boxes, np.array([1, 1]), np.array([0.9, 0.8]), pred_masks)
    # Ranked FP, TP: precision 0 then 1/2 at recall 1 -> AP = 1 * 0.5.
    assert mAP == pytest.approx(0.5)
    np.testing.assert_allclose(precisions, [0.5, 0.5, 0.5, 0])
    np.testing.assert_allclose(recalls, [0, 0, 1, 1])


def test_compute_ap_two_objects_with_a_false_positive_between():
    gt_boxes, gt_masks = _boxes_and_masks([(0, 0, 10, 10), (20, 20, 40, 40)])
    pred_boxes, pred_masks = _boxes_and_masks([(0, 0, 10, 10), (45, 45, 55, 55), (20, 20, 40, 40)])
    mAP, precisions, recalls, _ = utils.compute_ap(
        gt_boxes, np.array([1, 1]), gt_masks,
        pred_boxes, np.array([1, 1, 1]), np.array([0.95, 0.9, 0.8]), pred_masks)
    # TP, FP, TP: precisions 1, 1/2, 2/3 at recalls 1/2, 1/2, 1 -> 0.5 * 1 + 0.5 * 2/3.
    assert mAP == pytest.approx(5 / 6)
    np.testing.assert_allclose(precisions, [1, 1, 2 / 3, 2 / 3, 0])
    # Wrong class: nothing matches.
    mAP, _, _, _ = utils.compute_ap(
        gt_boxes, np.array([1, 1]), gt_masks,
        pred_boxes, np.array([2, 2, 2]), np.array([0.95, 0.9, 0.8]), pred_masks)
    assert mAP == 0.0


def test_compute_matches_and_ap_range_threshold_dependence(capsys):
    gt_boxes, gt_masks = _boxes_and_masks([(0, 0, 10, 25)])
    pred_boxes, pred_masks = _boxes_and_masks([(0, 0, 10, 18)])  # IoU 180 / 250 = 0.72
    gt_match, pred_match, overlaps = utils.compute_matches(
        gt_boxes, np.array([1]), gt_masks, pred_boxes, np.array([1]), np.array([0.9]), pred_masks)
    assert gt_match.tolist() == [0] and pred_match.tolist() == [0]
    np.testing.assert_allclose(overlaps, [[0.72]])
    # Matched at 0.50 ... 0.70 (5 thresholds), missed at 0.75 ... 0.95 (5): mean 0.5.
    mean_ap = utils.compute_ap_range(gt_boxes, np.array([1]), gt_masks, pred_boxes,
                                     np.array([1]), np.array([0.9]), pred_masks, verbose=1)
    assert mean_ap == pytest.approx(0.5)
    printed = capsys.readouterr().out
    assert "AP @0.50:\t 1.000" in printed and "AP @0.50-0.95:\t 0.500" in printed


def test_compute_recall():
    pred_boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [50, 50, 60, 60]])
    gt_boxes = np.array([[0, 0, 10, 10], [20, 20, 30, 30]])
    recall, positive_ids = utils.compute_recall(pred_boxes, gt_boxes, 0.5)
    assert recall == 0.5
    assert positive_ids.tolist() == [0, 1]


############################################################
#  Dataset
############################################################

class TwoSourceDataset(utils.Dataset):
    def image_reference(self, image_id):
        return f"ref-{self.image_info[image_id]['id']}"


def test_dataset_prepare_and_id_maps(tmp_path):
    dataset = TwoSourceDataset()
    dataset.add_class("coco", 1, "person, human")
    dataset.add_class("coco", 2, "car")
    dataset.add_class("coco", 1, "ignored duplicate")
    dataset.add_class("brands", 1, "adidas")
    Image.fromarray(np.full((6, 8), 77, np.uint8)).save(tmp_path / "gray.png")
    dataset.add_image("coco", 10, str(tmp_path / "gray.png"), width=8, height=6)
    dataset.add_image("brands", "a7", "/nowhere/logo.jpg")
    assert list(dataset.image_ids) == []
    dataset.prepare()

    assert dataset.num_classes == 4 and dataset.num_images == 2
    assert dataset.class_names == ["BG", "person", "car", "adidas"]
    assert dataset.class_ids.tolist() == [0, 1, 2, 3]
    assert dataset.image_ids.tolist() == [0, 1]
    assert dataset.class_info[0] == {"source": "", "id": 0, "name": "BG"}
    assert dataset.class_from_source_map == {".0": 0, "coco.1": 1, "coco.2": 2, "brands.1": 3}
    assert dataset.image_from_source_map == {"coco.10": 0, "brands.a7": 1}
    assert dataset.sources == ["", "coco", "brands"]
    assert dataset.source_class_ids == {"": [0], "coco": [0, 1, 2], "brands": [0, 3]}
    assert dataset.map_source_class_id("brands.1") == 3
    assert dataset.get_source_class_id(3, "brands") == 1
    with pytest.raises(ValueError):
        dataset.get_source_class_id(3, "coco")
    assert dataset.image_info[0]["width"] == 8
    assert dataset.source_image_link(1) == "/nowhere/logo.jpg"
    assert dataset.image_reference(1) == "ref-a7"

    image = dataset.load_image(0)
    assert image.shape == (6, 8, 3) and image.dtype == np.uint8 and (image == 77).all()
    with pytest.raises(ValueError, match="logo.jpg"):
        dataset.load_image(1)
    with pytest.raises(ValueError):
        dataset.add_class("bad.source", 1, "x")


def test_dataset_default_load_mask_warns(caplog):
    dataset = utils.Dataset()
    dataset.prepare()
    with caplog.at_level(logging.WARNING):
        mask, class_ids = dataset.load_mask(0)
    assert mask.shape == (0, 0, 0) and mask.dtype == bool
    assert class_ids.shape == (0,) and class_ids.dtype == np.int32
    assert "default load_mask" in caplog.text
    assert dataset.image_reference(0) == ""


############################################################
#  Weights download stub
############################################################

def test_download_trained_weights_never_downloads(tmp_path):
    target = tmp_path / "mask_rcnn_coco.h5"
    with pytest.raises(FileNotFoundError) as raised:
        utils.download_trained_weights(str(target), verbose=0)
    message = str(raised.value)
    assert str(target) in message
    assert "https://github.com/matterport/Mask_RCNN/releases" in message
    assert "mask_rcnn_coco.h5" in message and "\n" not in message
    assert not target.exists()
    target.write_bytes(b"weights")
    assert utils.download_trained_weights(str(target), verbose=0) == str(target)


def test_unmold_mask_into_a_view_of_an_instance_stack():
    rng = np.random.default_rng(11)
    small = rng.uniform(size=(28, 28)).astype(np.float32)
    stack = np.zeros((60, 80, 3), dtype=bool)
    returned = utils.unmold_mask(small, (10, 20, 40, 70), (60, 80, 3), out=stack[:, :, 1])
    assert np.shares_memory(returned, stack)
    np.testing.assert_array_equal(stack[:, :, 1],
                                  utils.unmold_mask(small, (10, 20, 40, 70), (60, 80, 3)))
    assert not stack[:, :, 0].any() and not stack[:, :, 2].any()
