"""Tests of mrcnn.masks: boxes of masks, mask IoU, and resizing masks (resize_mask against
scipy.ndimage.zoom, mini masks and unmold_mask against scikit-image as matterport computed them)."""
import warnings

import numpy as np
import pytest
import scipy.ndimage
from skimage.transform import resize as skimage_resize

from mrcnn.masks import (compute_overlaps_masks, expand_mask, extract_bboxes, minimize_mask,
                         mold_mask, resize_mask, unmold_mask)


def skimage_reference(image, output_shape, **kwargs):
    """What matterport's utils.resize returned: skimage with matterport's defaults."""
    arguments = dict(order=1, mode="constant", cval=0, clip=True, preserve_range=False,
                     anti_aliasing=False, anti_aliasing_sigma=None)
    arguments.update(kwargs)
    return skimage_resize(image, output_shape, **arguments)


def test_extract_bboxes():
    mask = np.zeros((10, 12, 3), dtype=bool)
    mask[2:5, 3:8, 0] = True
    mask[9, 11, 1] = True
    boxes = extract_bboxes(mask)
    assert boxes.dtype == np.int32
    # y2/x2 are one past the last pixel; the empty mask gets zeros.
    assert boxes.tolist() == [[2, 3, 5, 8], [9, 11, 10, 12], [0, 0, 0, 0]]
    assert extract_bboxes(np.zeros((4, 4, 0), bool)).shape == (0, 4)


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
    resized = resize_mask(mask, scale, padding)
    assert resized.dtype == bool
    np.testing.assert_array_equal(resized, np.pad(zoomed, padding))
    np.testing.assert_array_equal(resize_mask(mask, scale, padding, crop=(1, 2, 5, 6)),
                                  zoomed[1:6, 2:8])


def test_resize_mask_keeps_scipy_last_row_quirk():
    mask = np.ones((8, 8, 1), bool)
    resized = resize_mask(mask, 3.2065298308268786, [(0, 0), (0, 0), (0, 0)])
    assert resized.shape == (26, 26, 1)
    # The last output coordinate lands a hair past pixel 7, which scipy treats as outside.
    assert not resized[-1].any() and not resized[:, -1].any()
    assert resized[:-1, :-1].all()


def test_minimize_and_expand_mask_round_trip():
    mask = np.zeros((120, 160, 2), bool)
    mask[10:70, 20:100, 0] = True                      # rectangle
    yy, xx = np.mgrid[:120, :160]
    mask[..., 1] = ((yy - 60) / 40.0) ** 2 + ((xx - 110) / 30.0) ** 2 <= 1  # ellipse
    boxes = extract_bboxes(mask)
    mini = minimize_mask(boxes, mask, (56, 56))
    assert mini.shape == (56, 56, 2) and mini.dtype == bool
    assert mini[..., 0].all()

    # Matterport's numbers: skimage bilinear on 0/1 floats, then rounded.
    y1, x1, y2, x2 = boxes[1]
    expected = np.around(skimage_reference(mask[y1:y2, x1:x2, 1].astype(float), (56, 56)))
    np.testing.assert_array_equal(mini[..., 1], expected.astype(bool))

    expanded = expand_mask(boxes, mini, (120, 160, 3))
    assert expanded.shape == (120, 160, 2) and expanded.dtype == bool
    np.testing.assert_array_equal(expanded[..., 0], mask[..., 0])
    intersection = np.logical_and(expanded[..., 1], mask[..., 1]).sum()
    union = np.logical_or(expanded[..., 1], mask[..., 1]).sum()
    assert intersection / union > 0.95

    with pytest.raises(ValueError, match="area of zero"):
        minimize_mask(np.array([[5, 5, 5, 9]]), mask[..., :1], (56, 56))


def test_unmold_mask_hand_computed():
    small = np.zeros((28, 28), np.float32)
    small[:, :14] = 1.0
    full = unmold_mask(small, (10, 20, 40, 80), (100, 100, 3))
    assert full.shape == (100, 100) and full.dtype == bool
    # Resized to 30 x 60: the left half (30 columns) stays >= 0.5, border rows included.
    expected = np.zeros((100, 100), bool)
    expected[10:40, 20:50] = True
    np.testing.assert_array_equal(full, expected)


def test_unmold_mask_threshold_keeps_more_of_an_uncertain_mask():
    small = np.zeros((28, 28), np.float32)
    small[:, :7] = 0.9
    small[:, 7:14] = 0.35
    default = unmold_mask(small, (0, 0, 28, 28), (28, 28))
    lower = unmold_mask(small, (0, 0, 28, 28), (28, 28), threshold=0.3)
    # Same size as the mask: no resampling, so the columns are exactly the thresholded ones.
    assert default[:, :7].all() and not default[:, 7:].any()
    assert lower[:, :14].all() and not lower[:, 14:].any()


def test_unmold_mask_matches_matterport_and_clips_to_image():
    probabilities = np.random.default_rng(7).random((28, 28)).astype(np.float32)
    full = unmold_mask(probabilities, np.array([5, 7, 66, 50]), (80, 60))
    expected = np.zeros((80, 60), bool)
    expected[5:66, 7:50] = skimage_reference(probabilities, (61, 43)) >= 0.5
    np.testing.assert_array_equal(full, expected)
    # A box hanging over the image edge is cut, an empty box gives an empty mask.
    clipped = unmold_mask(probabilities, (-10, 40, 30, 70), (80, 60))
    unclipped = skimage_reference(probabilities, (40, 30)) >= 0.5
    np.testing.assert_array_equal(clipped[0:30, 40:60], unclipped[10:, :20])
    assert not clipped[30:].any() and not clipped[:, :40].any()
    assert not unmold_mask(probabilities, (10, 10, 10, 30), (80, 60)).any()


def test_unmold_mask_into_a_view_of_an_instance_stack():
    rng = np.random.default_rng(11)
    small = rng.uniform(size=(28, 28)).astype(np.float32)
    stack = np.zeros((60, 80, 3), dtype=bool)
    returned = unmold_mask(small, (10, 20, 40, 70), (60, 80, 3), out=stack[:, :, 1])
    assert np.shares_memory(returned, stack)
    np.testing.assert_array_equal(stack[:, :, 1],
                                  unmold_mask(small, (10, 20, 40, 70), (60, 80, 3)))
    assert not stack[:, :, 0].any() and not stack[:, :, 2].any()


def test_mold_mask_resizes_to_mask_shape():
    class MaskConfig:
        MASK_SHAPE = [28, 28]

    mask = np.zeros((50, 70), bool)
    mask[:25] = True
    molded = mold_mask(mask, MaskConfig())
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
    overlaps = compute_overlaps_masks(masks1, masks2)
    np.testing.assert_allclose(overlaps, [[0.5, 20 / 50], [0.5, 10 / 60]], rtol=1e-6)
    empty = compute_overlaps_masks(masks1, np.zeros((10, 10, 0), bool))
    assert empty.shape == (2, 0)
