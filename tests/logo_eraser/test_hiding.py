"""Tests of logo_eraser.hiding: where a logo is hidden (hull, mask or box, grown) and how
(mosaic, blur, solid, inpaint), on synthetic images and masks (no TensorFlow, no model)."""

import numpy as np
import pytest
from scipy import ndimage

from logo_eraser import hiding

# --- helpers ----------------------------------------------------------------------------------

def grown(mask, radius):
    """Exact Euclidean growth of a bool mask (independent of the implementation's OpenCV)."""
    return ndimage.distance_transform_edt(~mask) <= radius


def ellipse_mask(shape, centre, axes):
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]]
    return ((ys - centre[0]) / axes[0]) ** 2 + ((xs - centre[1]) / axes[1]) ** 2 <= 1.0


def box_of(mask):
    """(y1, x1, y2, x2) of a bool mask, y2/x2 exclusive, as detect() gives."""
    rows, cols = np.where(mask)
    return np.array([rows.min(), cols.min(), rows.max() + 1, cols.max() + 1])


# --- sizes ------------------------------------------------------------------------------------

def test_mosaic_block_size_grows_with_the_logo_and_keeps_about_seven_blocks_across():
    sides = [10, 20, 35, 70, 140, 280, 700, 1400, 3000]
    blocks = [hiding.mosaic_block_size([0, 0, side // 2, side]) for side in sides]
    assert blocks == sorted(blocks)
    assert min(blocks) == hiding.MIN_MOSAIC_BLOCK
    for side, block in zip(sides, blocks):
        if block > hiding.MIN_MOSAIC_BLOCK:
            # The block count across the longer side stays about 7 at any resolution.
            assert 6 <= side / block <= 8, (side, block)
    # The longer side decides, whichever it is.
    assert (hiding.mosaic_block_size([0, 0, 700, 10])
            == hiding.mosaic_block_size([0, 0, 10, 700]))


def test_default_dilation_is_one_model_pixel_in_photo_pixels():
    assert hiding.default_dilation((1000, 800, 3), model_side=128) == 8
    assert hiding.default_dilation((600, 4000), model_side=128) == 32
    assert hiding.default_dilation((24, 40, 3), model_side=128) == 2
    assert hiding.default_dilation((1000, 1000), model_side=1024) == 2


def test_blur_sigma_scales_with_the_logo():
    assert hiding.blur_sigma([0, 0, 60, 600]) == pytest.approx(100.0)
    assert hiding.blur_sigma([0, 0, 3, 3]) == hiding.MIN_BLUR_SIGMA


# --- hiding -----------------------------------------------------------------------------------

@pytest.mark.parametrize("style", hiding.STYLES)
@pytest.mark.parametrize("dilate", [0, 5])
def test_pixels_change_only_inside_the_dilated_mask(style, dilate, textured_image):
    image = textured_image(160, 220, seed=1)
    mask = ellipse_mask(image.shape[:2], centre=(70, 110), axes=(30, 60))
    mask[60:80, 100:120] = False  # a hole, which the hull fills and the mask region keeps
    box = box_of(mask)
    hidden = hiding.hide_instances(image, box[None], mask[:, :, None], style=style,
                                   dilate=dilate, seed=0, region="mask")
    assert hidden.shape == image.shape and hidden.dtype == np.uint8
    changed = np.any(hidden != image, axis=2)
    allowed = grown(mask, dilate)
    assert not np.any(changed & ~allowed)
    # The logo itself is repainted almost everywhere (a few pixels may keep their value).
    assert changed[mask].mean() > 0.9
    if dilate:
        assert changed[allowed & ~mask].mean() > 0.5
    else:
        assert not changed[65:75, 105:115].any()


@pytest.mark.parametrize("style", hiding.STYLES)
def test_hull_region_covers_the_gaps_between_letters_and_nothing_outside(style, textured_image):
    from skimage.morphology import convex_hull_image

    image = textured_image(120, 200, seed=2)
    letters = np.zeros(image.shape[:2], bool)
    for left in (40, 80, 120):  # three "letters" with gaps between them
        letters[30:90, left:left + 20] = True
    letters[30:40, 40:140] = True  # joined at the top: a non-convex "wordmark"
    box = box_of(letters)
    hidden = hiding.hide_instances(image, box[None], letters[:, :, None], style=style,
                                   dilate=3, seed=0)  # region="hull" is the default
    changed = np.any(hidden != image, axis=2)
    hull = convex_hull_image(letters)
    assert changed[hull].mean() > 0.9  # the gaps are hidden too, so no silhouette is left
    assert changed[50:90, 61:79].mean() > 0.9
    # One pixel of tolerance for the hull's rasterisation.
    assert not np.any(changed & ~grown(hull, 3 + 1))
    y1, x1, y2, x2 = box
    outside_box = np.ones(image.shape[:2], bool)
    outside_box[y1 - 3:y2 + 3, x1 - 3:x2 + 3] = False
    assert not changed[outside_box].any()


def test_box_region_hides_the_whole_box_and_hidden_region_says_where(textured_image):
    image = textured_image(100, 160, seed=4)
    ring = np.zeros(image.shape[:2], bool)
    ring[20:70, 30:110] = True
    ring[30:60, 40:100] = False  # a hollow mark: the box fills its middle
    box = box_of(ring)
    hidden = hiding.hide_instances(image, box[None], ring[:, :, None], style="solid",
                                   dilate=2, region="box")
    changed = np.any(hidden != image, axis=2)
    region = hiding.hidden_region(image.shape, box[None], ring[:, :, None], dilate=2,
                                  region="box")
    y1, x1, y2, x2 = box
    assert region[y1:y2, x1:x2].all() and changed[y1:y2, x1:x2].mean() > 0.9
    assert not (changed & ~region).any()
    assert region.sum() < (y2 - y1 + 5) * (x2 - x1 + 5)
    # The mask region leaves the hollow middle alone; hidden_region agrees with what changes.
    by_mask = hiding.hide_instances(image, box[None], ring[:, :, None], style="solid",
                                    dilate=2, region="mask")
    mask_region = hiding.hidden_region(image.shape, box[None], ring[:, :, None], dilate=2,
                                       region="mask")
    assert not mask_region[40:50, 50:90].any()
    assert not (np.any(by_mask != image, axis=2) & ~mask_region).any()


def test_unknown_region_is_refused(textured_image):
    image = textured_image(20, 30)
    with pytest.raises(ValueError, match="region"):
        hiding.hide_instances(image, np.zeros((0, 4)), np.zeros((20, 30, 0), bool),
                              region="blob")


def test_hide_instances_leaves_its_input_alone(textured_image):
    image = textured_image(60, 80, seed=2)
    before = image.copy()
    mask = ellipse_mask(image.shape[:2], (30, 40), (10, 20))
    hiding.hide_instances(image, box_of(mask)[None], mask[:, :, None])
    assert np.array_equal(image, before)


def test_mosaic_blocks_are_uniform_and_take_a_colour_of_their_own_block(textured_image):
    image = textured_image(200, 260, seed=3)
    mask = np.zeros(image.shape[:2], bool)
    mask[40:110, 30:135] = True  # longer side 105 px -> 15-px blocks
    box = box_of(mask)
    block = hiding.mosaic_block_size(box)
    assert block == 15
    hidden = hiding.hide_instances(image, box[None], mask[:, :, None], style="mosaic",
                                   dilate=0, seed=4)
    # With no dilation the grid starts at the box's top-left corner.
    for top in range(40, 110, block):
        for left in range(30, 135, block):
            cell = hidden[top:min(top + block, 110), left:min(left + block, 135)]
            colour = cell[0, 0]
            assert np.all(cell == colour), (top, left)
            original_cell = image[top:top + block, left:left + block].reshape(-1, 3)
            assert np.any(np.all(original_cell == colour, axis=1)), (top, left)


def test_pixelate_is_uniform_per_block_including_clipped_edge_blocks(textured_image):
    image = textured_image(23, 31, seed=5)
    mosaic = hiding.pixelate(image, 8, np.random.default_rng(0))
    assert mosaic.shape == image.shape
    for top in range(0, 23, 8):
        for left in range(0, 31, 8):
            cell = mosaic[top:top + 8, left:left + 8]
            assert np.all(cell == cell[0, 0])
            assert np.any(np.all(image[top:top + 8, left:left + 8].reshape(-1, 3) == cell[0, 0],
                                 axis=1))


def run_lengths(row):
    """Lengths of the runs of identical pixels along a [W, 3] row."""
    boundaries = np.flatnonzero(np.any(row[1:] != row[:-1], axis=1)) + 1
    edges = np.concatenate([[0], boundaries, [len(row)]])
    return np.diff(edges)


def test_mosaic_of_a_big_logo_has_as_few_blocks_as_a_small_one(textured_image):
    counts, typical_runs = [], []
    for side in (35, 350):
        image = textured_image(side + 40, side + 40, seed=6)
        mask = np.zeros(image.shape[:2], bool)
        mask[20:20 + side, 20:20 + side] = True
        hidden = hiding.hide_instances(image, box_of(mask)[None], mask[:, :, None],
                                       style="mosaic", dilate=0, seed=0)
        region = hidden[mask].reshape(-1, 3)
        counts.append(len(np.unique(region, axis=0)))
        typical_runs.append(np.median(run_lengths(hidden[20 + side // 2, 20:20 + side])))
    # About 7x7 colours whatever the size: a large logo is as unreadable as a small one.
    assert all(36 <= count <= 64 for count in counts), counts
    assert typical_runs[1] >= 8 * typical_runs[0], typical_runs


def test_mosaic_is_reproducible_with_a_seed_and_varies_with_it(textured_image):
    image = textured_image(120, 160, seed=7)
    mask = ellipse_mask(image.shape[:2], (60, 80), (40, 60))
    box = box_of(mask)[None]
    first = hiding.hide_instances(image, box, mask[:, :, None], seed=11)
    again = hiding.hide_instances(image, box, mask[:, :, None], seed=11)
    other = hiding.hide_instances(image, box, mask[:, :, None], seed=12)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def scene_with_logo(height=240, width=320, logo=(60, 80, 150, 240)):
    """A flat background colour with a noisy red "logo" rectangle; returns image, mask."""
    background = np.array([30, 120, 200], np.uint8)
    image = np.broadcast_to(background, (height, width, 3)).copy()
    y1, x1, y2, x2 = logo
    rng = np.random.default_rng(8)
    image[y1:y2, x1:x2] = rng.integers(0, 256, (y2 - y1, x2 - x1, 3))
    mask = np.zeros((height, width), bool)
    mask[y1:y2, x1:x2] = True
    return image, mask, background


def test_solid_fills_with_the_mean_colour_around_the_mask():
    image, mask, background = scene_with_logo()
    hidden = hiding.hide_instances(image, box_of(mask)[None], mask[:, :, None],
                                   style="solid", dilate=3)
    assert np.all(hidden[grown(mask, 3)] == background)
    assert np.array_equal(hidden, np.broadcast_to(background, image.shape))


def test_solid_with_the_whole_photo_masked_uses_the_mask_mean(textured_image):
    image = textured_image(30, 40, seed=9)
    mask = np.ones(image.shape[:2], bool)
    hidden = hiding.hide_instances(image, box_of(mask)[None], mask[:, :, None],
                                   style="solid", dilate=2)
    expected = np.rint(image.reshape(-1, 3).mean(axis=0)).astype(np.uint8)
    assert np.all(hidden == expected)


@pytest.mark.parametrize("logo", [(60, 80, 150, 240), (20, 10, 380, 590)])
def test_inpaint_fills_from_the_surroundings(logo):
    # The second logo is large enough to be inpainted on a shrunk copy.
    image, mask, background = scene_with_logo(400, 600, logo)
    hidden = hiding.hide_instances(image, box_of(mask)[None], mask[:, :, None],
                                   style="inpaint", dilate=4)
    difference = np.abs(hidden[mask].astype(int) - background.astype(int))
    assert difference.mean() < 8, difference.mean()
    assert np.all(hidden[~grown(mask, 4)] == image[~grown(mask, 4)])


def test_blur_removes_the_logo_detail(textured_image):
    image = textured_image(200, 300, seed=10)
    mask = ellipse_mask(image.shape[:2], (100, 150), (60, 100))
    hidden = hiding.hide_instances(image, box_of(mask)[None], mask[:, :, None],
                                   style="blur", dilate=2)
    # Pixel-to-pixel differences (the noise) almost vanish inside the logo.
    detail_before = np.abs(np.diff(image.astype(int), axis=1))[mask[:, 1:] & mask[:, :-1]]
    detail_after = np.abs(np.diff(hidden.astype(int), axis=1))[mask[:, 1:] & mask[:, :-1]]
    assert detail_after.mean() < 0.1 * detail_before.mean()


def test_an_empty_mask_falls_back_to_its_box(textured_image):
    image = textured_image(100, 120, seed=11)
    box = np.array([[20, 30, 50, 90]])
    hidden = hiding.hide_instances(image, box, np.zeros((100, 120, 1), bool),
                                   style="mosaic", dilate=0)
    changed = np.any(hidden != image, axis=2)
    assert changed[20:50, 30:90].mean() > 0.9
    changed[20:50, 30:90] = False
    assert not changed.any()


def test_overlapping_logos_each_stay_inside_their_own_grown_masks(textured_image):
    image = textured_image(200, 200, seed=12)
    small = ellipse_mask(image.shape[:2], (80, 80), (15, 20))
    large = ellipse_mask(image.shape[:2], (100, 100), (60, 70))
    masks = np.stack([small, large], axis=2)
    boxes = np.stack([box_of(small), box_of(large)])
    hidden = hiding.hide_instances(image, boxes, masks, dilate=3, region="mask")
    changed = np.any(hidden != image, axis=2)
    assert not np.any(changed & ~(grown(small, 3) | grown(large, 3)))
    # The larger (coarser) mosaic is painted last: the small logo shows large-logo blocks.
    block = hiding.mosaic_block_size(box_of(large))
    assert np.median(run_lengths(hidden[80, 70:90])) >= min(block, 20) - 1


def test_hide_instances_can_hide_a_subset_of_the_instances(textured_image):
    image = textured_image(100, 120, seed=17)
    boxes = np.array([[10, 10, 40, 50], [60, 60, 90, 110]])
    masks = np.zeros((100, 120, 2), bool)
    masks[10:40, 10:50, 0] = masks[60:90, 60:110, 1] = True
    hidden = hiding.hide_instances(image, boxes, masks, dilate=0, instances=[1])
    changed = np.any(hidden != image, axis=2)
    assert not changed[:50, :60].any()
    assert changed[60:90, 60:110].mean() > 0.9
    none_hidden = hiding.hide_instances(image, boxes, masks, instances=[])
    assert np.array_equal(none_hidden, image)


def test_hide_instances_rejects_mismatched_masks_and_unknown_styles(textured_image):
    image = textured_image(20, 30)
    with pytest.raises(ValueError, match="masks"):
        hiding.hide_instances(image, np.zeros((2, 4)), np.zeros((20, 30, 1), bool))
    with pytest.raises(ValueError, match="style"):
        hiding.hide_instances(image, np.zeros((0, 4)), np.zeros((20, 30, 0), bool),
                              style="sparkles")
