"""Tests of the logo eraser: block/logo_eraser.py (hiding functions, model choice) and the
block/final_project.py command line.

The hiding functions are tested on synthetic images and masks (no TensorFlow). The command line
runs in-process through ``final_project.main(argv)``; its model build is memoised for the whole
module, so the ResNet101 brands model is built once here (plus once in the one subprocess run).

The end-to-end weights are random, in the exact 48-class layout (write_coco_layout_weights),
edited so that detections are few, of one known class, and of the RPN proposals' size:
mrcnn_class_logits keeps a random kernel column only for FAVOURED_CLASS_ID (others zero) and
its bias favours the background by 2, so a proposal is that class or background depending on
its features; mrcnn_bbox_fc's four columns of that class are zeroed (no box refinement, which
with random weights stretches boxes over the whole photo).
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
BLOCK_DIR = REPO_ROOT / "block"
ERASER_SCRIPT = BLOCK_DIR / "final_project.py"
STREET_PHOTO = REPO_ROOT / "images" / "12283150_12d37e6389_z.jpg"  # 375x500 RGB JPEG

sys.path.insert(0, str(BLOCK_DIR))
import final_project  # noqa: E402
import logo_eraser  # noqa: E402
from mrcnn.image_io import read_image  # noqa: E402

FAVOURED_CLASS_ID = 7
FAST_TIMEOUT = 120
MODEL_TIMEOUT = 900


# --- helpers ----------------------------------------------------------------------------------

def textured_image(height, width, seed=0):
    """[H, W, 3] uint8: noise over a colour gradient, so any repainting changes pixels."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    base = np.stack([ys * 200 // max(height, 1), xs * 200 // max(width, 1),
                     (ys + xs) * 100 // max(height + width, 1)], axis=2)
    return (base + rng.integers(0, 56, (height, width, 3))).astype(np.uint8)


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


def write_small_weights(path, layers):
    """A Keras-2 HDF5 weights file holding only ``layers`` = {layer: {weight: shape}}."""
    with h5py.File(path, "w") as h5_file:
        h5_file.attrs["layer_names"] = np.asarray([name.encode() for name in layers])
        h5_file.attrs["backend"] = np.bytes_(b"tensorflow")
        h5_file.attrs["keras_version"] = np.bytes_(b"2.2.4")
        for layer, weights in layers.items():
            group = h5_file.create_group(layer)
            group.attrs["weight_names"] = np.asarray([w.encode() for w in weights])
            for weight, shape in weights.items():
                group.create_dataset(weight, data=np.zeros(shape, np.float32))


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in pathlib.Path(folder).rglob("*"))


def run_eraser(argv):
    """final_project.main in-process; returns the exit status."""
    return final_project.main([str(a) for a in argv])


def error_lines(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def assert_one_line_error(status, capsys, *fragments):
    lines = error_lines(capsys)
    assert status == 2
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])
    return lines[0]


class FakeModel:
    """Stands in for a MaskRCNN: returns fixed detections."""

    def __init__(self, result, class_names, side=128):
        self.result = result
        self.image_sizes_asked = []

        class Config:
            CLASS_NAMES = class_names
            IMAGE_MAX_DIM = side

        self.config = Config()

    def detect(self, images, verbose=0):
        assert len(images) == 1
        return [self.result]

    def detect_multiscale(self, images, image_sizes=None, verbose=0):
        self.image_sizes_asked.append(image_sizes)
        return self.detect(images, verbose=verbose)


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def brands_weights(tmp_path_factory):
    """48-class random weights edited as described in the module docstring."""
    from mrcnn.testing import write_coco_layout_weights

    path = tmp_path_factory.mktemp("eraser_weights") / "mask_rcnn_brands_random.h5"
    write_coco_layout_weights(str(path), num_classes=48, seed=0)
    k = FAVOURED_CLASS_ID
    with h5py.File(path, "r+") as h5_file:
        logits_kernel = h5_file["mrcnn_class_logits/mrcnn_class_logits/kernel:0"]
        kernel = np.zeros(logits_kernel.shape, np.float32)
        kernel[:, k] = logits_kernel[:, k]
        logits_kernel[...] = kernel
        bias = np.zeros(48, np.float32)
        bias[0] = 2.0
        h5_file["mrcnn_class_logits/mrcnn_class_logits/bias:0"][...] = bias
        bbox_kernel = h5_file["mrcnn_bbox_fc/mrcnn_bbox_fc/kernel:0"]
        kernel = bbox_kernel[()]
        kernel[:, 4 * k:4 * k + 4] = 0.0
        bbox_kernel[...] = kernel
        bbox_bias = h5_file["mrcnn_bbox_fc/mrcnn_bbox_fc/bias:0"]
        values = bbox_bias[()]
        values[4 * k:4 * k + 4] = 0.0
        bbox_bias[...] = values
    return path


@pytest.fixture(scope="module")
def model_builds():
    """Memoise logo_eraser.load_eraser_model for this module: one ResNet101 build per
    (weights file, class count, min confidence). Yields the list of builds done."""
    patcher = pytest.MonkeyPatch()
    real_load = logo_eraser.load_eraser_model
    cache, builds = {}, []

    def load(weights_path, config, model_dir=None):
        key = (os.path.realpath(weights_path), config.NUM_CLASSES,
               config.DETECTION_MIN_CONFIDENCE)
        if key not in cache:
            builds.append(key)
            cache[key] = real_load(weights_path, config, model_dir)
        return cache[key]

    patcher.setattr(logo_eraser, "load_eraser_model", load)
    yield builds
    patcher.undo()


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "street.jpg"
    shutil.copyfile(STREET_PHOTO, path)
    return path


# --- sizes ------------------------------------------------------------------------------------

def test_mosaic_block_size_grows_with_the_logo_and_keeps_about_seven_blocks_across():
    sides = [10, 20, 35, 70, 140, 280, 700, 1400, 3000]
    blocks = [logo_eraser.mosaic_block_size([0, 0, side // 2, side]) for side in sides]
    assert blocks == sorted(blocks)
    assert min(blocks) == logo_eraser.MIN_MOSAIC_BLOCK
    for side, block in zip(sides, blocks):
        if block > logo_eraser.MIN_MOSAIC_BLOCK:
            # The block count across the longer side stays about 7 at any resolution.
            assert 6 <= side / block <= 8, (side, block)
    # The longer side decides, whichever it is.
    assert (logo_eraser.mosaic_block_size([0, 0, 700, 10])
            == logo_eraser.mosaic_block_size([0, 0, 10, 700]))


def test_default_dilation_is_one_model_pixel_in_photo_pixels():
    assert logo_eraser.default_dilation((1000, 800, 3), model_side=128) == 8
    assert logo_eraser.default_dilation((600, 4000), model_side=128) == 32
    assert logo_eraser.default_dilation((24, 40, 3), model_side=128) == 2
    assert logo_eraser.default_dilation((1000, 1000), model_side=1024) == 2


def test_blur_sigma_scales_with_the_logo():
    assert logo_eraser.blur_sigma([0, 0, 60, 600]) == pytest.approx(100.0)
    assert logo_eraser.blur_sigma([0, 0, 3, 3]) == logo_eraser.MIN_BLUR_SIGMA


# --- hiding -----------------------------------------------------------------------------------

@pytest.mark.parametrize("style", logo_eraser.STYLES)
@pytest.mark.parametrize("dilate", [0, 5])
def test_pixels_change_only_inside_the_dilated_mask(style, dilate):
    image = textured_image(160, 220, seed=1)
    mask = ellipse_mask(image.shape[:2], centre=(70, 110), axes=(30, 60))
    mask[60:80, 100:120] = False  # a hole, which the hull fills and the mask region keeps
    box = box_of(mask)
    hidden = logo_eraser.hide_instances(image, box[None], mask[:, :, None], style=style,
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


@pytest.mark.parametrize("style", logo_eraser.STYLES)
def test_hull_region_covers_the_gaps_between_letters_and_nothing_outside(style):
    from skimage.morphology import convex_hull_image

    image = textured_image(120, 200, seed=2)
    letters = np.zeros(image.shape[:2], bool)
    for left in (40, 80, 120):  # three "letters" with gaps between them
        letters[30:90, left:left + 20] = True
    letters[30:40, 40:140] = True  # joined at the top: a non-convex "wordmark"
    box = box_of(letters)
    hidden = logo_eraser.hide_instances(image, box[None], letters[:, :, None], style=style,
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


def test_box_region_hides_the_whole_box_and_hidden_region_says_where():
    image = textured_image(100, 160, seed=4)
    ring = np.zeros(image.shape[:2], bool)
    ring[20:70, 30:110] = True
    ring[30:60, 40:100] = False  # a hollow mark: the box fills its middle
    box = box_of(ring)
    hidden = logo_eraser.hide_instances(image, box[None], ring[:, :, None], style="solid",
                                        dilate=2, region="box")
    changed = np.any(hidden != image, axis=2)
    region = logo_eraser.hidden_region(image.shape, box[None], ring[:, :, None], dilate=2,
                                       region="box")
    y1, x1, y2, x2 = box
    assert region[y1:y2, x1:x2].all() and changed[y1:y2, x1:x2].mean() > 0.9
    assert not (changed & ~region).any()
    assert region.sum() < (y2 - y1 + 5) * (x2 - x1 + 5)
    # The mask region leaves the hollow middle alone; hidden_region agrees with what changes.
    by_mask = logo_eraser.hide_instances(image, box[None], ring[:, :, None], style="solid",
                                         dilate=2, region="mask")
    mask_region = logo_eraser.hidden_region(image.shape, box[None], ring[:, :, None], dilate=2,
                                            region="mask")
    assert not mask_region[40:50, 50:90].any()
    assert not (np.any(by_mask != image, axis=2) & ~mask_region).any()


def test_unknown_region_is_refused():
    image = textured_image(20, 30)
    with pytest.raises(ValueError, match="region"):
        logo_eraser.hide_instances(image, np.zeros((0, 4)), np.zeros((20, 30, 0), bool),
                                   region="blob")


def test_hide_instances_leaves_its_input_alone():
    image = textured_image(60, 80, seed=2)
    before = image.copy()
    mask = ellipse_mask(image.shape[:2], (30, 40), (10, 20))
    logo_eraser.hide_instances(image, box_of(mask)[None], mask[:, :, None])
    assert np.array_equal(image, before)


def test_mosaic_blocks_are_uniform_and_take_a_colour_of_their_own_block():
    image = textured_image(200, 260, seed=3)
    mask = np.zeros(image.shape[:2], bool)
    mask[40:110, 30:135] = True  # longer side 105 px -> 15-px blocks
    box = box_of(mask)
    block = logo_eraser.mosaic_block_size(box)
    assert block == 15
    hidden = logo_eraser.hide_instances(image, box[None], mask[:, :, None], style="mosaic",
                                        dilate=0, seed=4)
    # With no dilation the grid starts at the box's top-left corner.
    for top in range(40, 110, block):
        for left in range(30, 135, block):
            cell = hidden[top:min(top + block, 110), left:min(left + block, 135)]
            colour = cell[0, 0]
            assert np.all(cell == colour), (top, left)
            original_cell = image[top:top + block, left:left + block].reshape(-1, 3)
            assert np.any(np.all(original_cell == colour, axis=1)), (top, left)


def test_pixelate_is_uniform_per_block_including_clipped_edge_blocks():
    image = textured_image(23, 31, seed=5)
    mosaic = logo_eraser.pixelate(image, 8, np.random.default_rng(0))
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


def test_mosaic_of_a_big_logo_has_as_few_blocks_as_a_small_one():
    counts, typical_runs = [], []
    for side in (35, 350):
        image = textured_image(side + 40, side + 40, seed=6)
        mask = np.zeros(image.shape[:2], bool)
        mask[20:20 + side, 20:20 + side] = True
        hidden = logo_eraser.hide_instances(image, box_of(mask)[None], mask[:, :, None],
                                            style="mosaic", dilate=0, seed=0)
        region = hidden[mask].reshape(-1, 3)
        counts.append(len(np.unique(region, axis=0)))
        typical_runs.append(np.median(run_lengths(hidden[20 + side // 2, 20:20 + side])))
    # About 7x7 colours whatever the size: a large logo is as unreadable as a small one.
    assert all(36 <= count <= 64 for count in counts), counts
    assert typical_runs[1] >= 8 * typical_runs[0], typical_runs


def test_mosaic_is_reproducible_with_a_seed_and_varies_with_it():
    image = textured_image(120, 160, seed=7)
    mask = ellipse_mask(image.shape[:2], (60, 80), (40, 60))
    box = box_of(mask)[None]
    first = logo_eraser.hide_instances(image, box, mask[:, :, None], seed=11)
    again = logo_eraser.hide_instances(image, box, mask[:, :, None], seed=11)
    other = logo_eraser.hide_instances(image, box, mask[:, :, None], seed=12)
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
    hidden = logo_eraser.hide_instances(image, box_of(mask)[None], mask[:, :, None],
                                        style="solid", dilate=3)
    assert np.all(hidden[grown(mask, 3)] == background)
    assert np.array_equal(hidden, np.broadcast_to(background, image.shape))


def test_solid_with_the_whole_photo_masked_uses_the_mask_mean():
    image = textured_image(30, 40, seed=9)
    mask = np.ones(image.shape[:2], bool)
    hidden = logo_eraser.hide_instances(image, box_of(mask)[None], mask[:, :, None],
                                        style="solid", dilate=2)
    expected = np.rint(image.reshape(-1, 3).mean(axis=0)).astype(np.uint8)
    assert np.all(hidden == expected)


@pytest.mark.parametrize("logo", [(60, 80, 150, 240), (20, 10, 380, 590)])
def test_inpaint_fills_from_the_surroundings(logo):
    # The second logo is large enough to be inpainted on a shrunk copy.
    image, mask, background = scene_with_logo(400, 600, logo)
    hidden = logo_eraser.hide_instances(image, box_of(mask)[None], mask[:, :, None],
                                        style="inpaint", dilate=4)
    difference = np.abs(hidden[mask].astype(int) - background.astype(int))
    assert difference.mean() < 8, difference.mean()
    assert np.all(hidden[~grown(mask, 4)] == image[~grown(mask, 4)])


def test_blur_removes_the_logo_detail():
    image = textured_image(200, 300, seed=10)
    mask = ellipse_mask(image.shape[:2], (100, 150), (60, 100))
    hidden = logo_eraser.hide_instances(image, box_of(mask)[None], mask[:, :, None],
                                        style="blur", dilate=2)
    # Pixel-to-pixel differences (the noise) almost vanish inside the logo.
    detail_before = np.abs(np.diff(image.astype(int), axis=1))[mask[:, 1:] & mask[:, :-1]]
    detail_after = np.abs(np.diff(hidden.astype(int), axis=1))[mask[:, 1:] & mask[:, :-1]]
    assert detail_after.mean() < 0.1 * detail_before.mean()


def test_an_empty_mask_falls_back_to_its_box():
    image = textured_image(100, 120, seed=11)
    box = np.array([[20, 30, 50, 90]])
    hidden = logo_eraser.hide_instances(image, box, np.zeros((100, 120, 1), bool),
                                        style="mosaic", dilate=0)
    changed = np.any(hidden != image, axis=2)
    assert changed[20:50, 30:90].mean() > 0.9
    changed[20:50, 30:90] = False
    assert not changed.any()


def test_overlapping_logos_each_stay_inside_their_own_grown_masks():
    image = textured_image(200, 200, seed=12)
    small = ellipse_mask(image.shape[:2], (80, 80), (15, 20))
    large = ellipse_mask(image.shape[:2], (100, 100), (60, 70))
    masks = np.stack([small, large], axis=2)
    boxes = np.stack([box_of(small), box_of(large)])
    hidden = logo_eraser.hide_instances(image, boxes, masks, dilate=3, region="mask")
    changed = np.any(hidden != image, axis=2)
    assert not np.any(changed & ~(grown(small, 3) | grown(large, 3)))
    # The larger (coarser) mosaic is painted last: the small logo shows large-logo blocks.
    block = logo_eraser.mosaic_block_size(box_of(large))
    assert np.median(run_lengths(hidden[80, 70:90])) >= min(block, 20) - 1


def test_hide_instances_can_hide_a_subset_of_the_instances():
    image = textured_image(100, 120, seed=17)
    boxes = np.array([[10, 10, 40, 50], [60, 60, 90, 110]])
    masks = np.zeros((100, 120, 2), bool)
    masks[10:40, 10:50, 0] = masks[60:90, 60:110, 1] = True
    hidden = logo_eraser.hide_instances(image, boxes, masks, dilate=0, instances=[1])
    changed = np.any(hidden != image, axis=2)
    assert not changed[:50, :60].any()
    assert changed[60:90, 60:110].mean() > 0.9
    none_hidden = logo_eraser.hide_instances(image, boxes, masks, instances=[])
    assert np.array_equal(none_hidden, image)


def test_hide_instances_rejects_mismatched_masks_and_unknown_styles():
    image = textured_image(20, 30)
    with pytest.raises(ValueError, match="masks"):
        logo_eraser.hide_instances(image, np.zeros((2, 4)), np.zeros((20, 30, 1), bool))
    with pytest.raises(ValueError, match="style"):
        logo_eraser.hide_instances(image, np.zeros((0, 4)), np.zeros((20, 30, 0), bool),
                                   style="sparkles")


# --- class names, keep, erase_logos -----------------------------------------------------------

def test_brand_class_names_shift_dataset_ids_by_one():
    names = logo_eraser.brand_class_names()
    assert len(names) == 48 and len(set(names)) == 48
    # Dataset id k is model class k + 1: HP is class 1, not the background.
    assert names[:3] == ["BG", "HP", "adidas_symbol"]
    assert names[47] == "ups"


def test_resolve_keep_is_case_insensitive_and_lists_valid_names_on_error():
    names = logo_eraser.brand_class_names()
    assert logo_eraser.resolve_keep(["google", "HP", "Google"], names) == [1, names.index("google")]
    with pytest.raises(logo_eraser.UsageError) as error:
        logo_eraser.resolve_keep(["googel", "BG"], names)
    message = str(error.value)
    assert "'googel'" in message and "'BG'" in message
    assert "adidas_symbol" in message and "ups" in message


def fake_result(image, boxes, class_ids):
    masks = np.zeros(image.shape[:2] + (len(boxes),), bool)
    for index, (y1, x1, y2, x2) in enumerate(boxes):
        masks[y1:y2, x1:x2, index] = True
    return {"rois": np.asarray(boxes, np.int32).reshape(-1, 4),
            "class_ids": np.asarray(class_ids, np.int32),
            "scores": np.linspace(0.9, 0.8, len(boxes)).astype(np.float32), "masks": masks}


def test_erase_logos_hides_all_but_the_kept_classes():
    image = textured_image(128, 160, seed=13)
    names = logo_eraser.brand_class_names()
    result = fake_result(image, [(10, 10, 40, 60), (70, 80, 110, 150)], [3, 5])
    model = FakeModel(result, names)
    hidden, detections, dilate = logo_eraser.erase_logos(model, image, keep_class_ids=[5],
                                                         dilate=2)
    assert dilate == 2
    assert [d["hidden"] for d in detections] == [True, False]
    assert [d["class_name"] for d in detections] == [names[3], names[5]]
    assert detections[0]["box"] == [10, 10, 40, 60]
    changed = np.any(hidden != image, axis=2)
    assert changed[10:40, 10:60].mean() > 0.9
    assert not changed[60:, 70:].any()


def test_erase_logos_detects_at_the_sizes_asked():
    image = textured_image(64, 64, seed=16)
    model = FakeModel(fake_result(image, [(5, 5, 20, 20)], [1]), ["BG", "logo"])
    logo_eraser.erase_logos(model, image)
    logo_eraser.erase_logos(model, image, image_sizes=[192, 320])
    # None lets MaskRCNN.detect_multiscale use the config's TEST_IMAGE_SIZES.
    assert model.image_sizes_asked == [None, [192, 320]]


def test_erase_logos_without_detections_returns_the_photo_unchanged():
    image = textured_image(50, 70, seed=14)
    model = FakeModel(fake_result(image, [], []), logo_eraser.brand_class_names())
    hidden, detections, dilate = logo_eraser.erase_logos(model, image)
    assert detections == [] and np.array_equal(hidden, image) and hidden is not image
    assert dilate == logo_eraser.default_dilation(image.shape, 128)


# --- the model's configuration from the weights file ------------------------------------------

def test_config_for_brands_weights(brands_weights):
    config = logo_eraser.eraser_config_for(str(brands_weights), min_confidence=0.4)
    assert config.NUM_CLASSES == 48
    assert config.CLASS_NAMES == logo_eraser.brand_class_names()
    assert config.DETECTION_MIN_CONFIDENCE == 0.4
    assert (config.IMAGE_MAX_DIM, config.BATCH_SIZE, config.BACKBONE) == (128, 1, "resnet101")
    assert config.IMAGE_META_SIZE == 60


def test_config_for_class_agnostic_weights(tmp_path):
    from mrcnn.testing import write_coco_layout_weights

    path = tmp_path / "logo_agnostic.h5"
    write_coco_layout_weights(str(path), num_classes=2, seed=1)
    config = logo_eraser.eraser_config_for(str(path))
    assert config.NUM_CLASSES == 2
    assert config.CLASS_NAMES == ["BG", "logo"]
    assert config.DETECTION_MIN_CONFIDENCE == logo_eraser.DEFAULT_MIN_CONFIDENCE


def test_config_refuses_weights_for_another_class_count(tmp_path):
    path = tmp_path / "coco_like.h5"
    write_small_weights(path, {"mrcnn_class_logits": {"mrcnn_class_logits/kernel:0": (1024, 81),
                                                      "mrcnn_class_logits/bias:0": (81,)}})
    with pytest.raises(logo_eraser.WeightsLayoutError, match="81 classes") as error:
        logo_eraser.eraser_config_for(str(path))
    assert str(path) in str(error.value)


def test_weights_table_is_read_once_per_version_of_the_file(tmp_path, monkeypatch):
    from mrcnn import weights_io

    reads = []
    real_read = weights_io.read_weights_table
    monkeypatch.setattr(weights_io, "read_weights_table",
                        lambda path: reads.append(path) or real_read(path))
    path = tmp_path / "versions.h5"
    logits = {"mrcnn_class_logits": {"mrcnn_class_logits/kernel:0": (16, 2),
                                     "mrcnn_class_logits/bias:0": (2,)}}
    write_small_weights(path, logits)
    assert logo_eraser.read_weights_class_count(str(path)) == 2
    assert logo_eraser.read_weights_class_count(str(path)) == 2
    assert len(reads) == 1
    # Another file at the same path (another size, inode and time) is read again.
    replacement = tmp_path / "replacement.h5"
    write_small_weights(replacement, {"mrcnn_class_logits": {
        "mrcnn_class_logits/kernel:0": (16, 48), "mrcnn_class_logits/bias:0": (48,)},
        "extra": {"extra/kernel:0": (3, 3)}})
    os.replace(replacement, path)
    assert logo_eraser.read_weights_class_count(str(path)) == 48
    assert len(reads) == 2


def test_config_refuses_a_wrong_layout_before_any_model_is_built(tmp_path):
    logits = {"mrcnn_class_logits/kernel:0": (1024, 48), "mrcnn_class_logits/bias:0": (48,)}
    wrong_shape = tmp_path / "wrong_shape.h5"
    write_small_weights(wrong_shape, {"conv1": {"conv1/kernel:0": (7, 7, 3, 32),
                                                "conv1/bias:0": (32,)},
                                      "mrcnn_class_logits": logits})
    with pytest.raises(logo_eraser.WeightsLayoutError) as error:
        logo_eraser.eraser_config_for(str(wrong_shape))
    assert str(wrong_shape) in str(error.value)
    assert "conv1/kernel:0" in str(error.value) and "(7, 7, 3, 32)" in str(error.value)

    incomplete = tmp_path / "incomplete.h5"
    write_small_weights(incomplete, {"mrcnn_class_logits": logits})
    with pytest.raises(logo_eraser.WeightsLayoutError, match="missing"):
        logo_eraser.eraser_config_for(str(incomplete))

    no_logits = tmp_path / "no_logits.h5"
    write_small_weights(no_logits, {"conv1": {"conv1/kernel:0": (7, 7, 3, 64)}})
    with pytest.raises(logo_eraser.WeightsLayoutError, match="mrcnn_class_logits"):
        logo_eraser.eraser_config_for(str(no_logits))


# --- command line: errors (all before the model is built) -------------------------------------

def test_help_names_the_flags(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_eraser(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for flag in ("-i", "--image", "-gpu", "--GPU", "-o", "--output", "--weights",
                 "--min-confidence", "--style", "--region", "--keep", "--dilate", "--seed",
                 "--json", "fine_tune_brands.py", "mosaic", "inpaint"):
        assert flag in text, flag


def test_missing_image_is_named(tmp_path, capsys, brands_weights):
    missing = tmp_path / "no_such_photo.png"
    status = run_eraser(["-i", missing, "-o", tmp_path / "out.png", "--weights", brands_weights])
    assert_one_line_error(status, capsys, missing)
    assert files_under(tmp_path) == []


@pytest.mark.parametrize("content", [b"", b"this is not a picture\n",
                                     b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"])
def test_corrupt_image_is_named(tmp_path, capsys, brands_weights, content):
    corrupt = tmp_path / "broken.png"
    corrupt.write_bytes(content)
    status = run_eraser(["-i", corrupt, "-o", tmp_path / "out.png", "--weights", brands_weights])
    assert_one_line_error(status, capsys, corrupt)
    assert files_under(tmp_path) == ["broken.png"]


def test_a_huge_image_is_refused_before_decoding(tmp_path, capsys, brands_weights):
    huge = tmp_path / "huge.png"
    Image.new("1", (10001, 10000)).save(huge)  # 100 MP, a few KB on disk
    status = run_eraser(["-i", huge, "-o", tmp_path / "out.png", "--weights", brands_weights])
    assert_one_line_error(status, capsys, huge, "pixels")
    assert files_under(tmp_path) == ["huge.png"]


def test_missing_weights_say_how_to_train_them(tmp_path, capsys, photo, monkeypatch):
    missing = tmp_path / "mask_rcnn_brands.h5"
    status = run_eraser(["-i", photo, "-o", tmp_path / "out.png", "--weights", missing])
    assert_one_line_error(status, capsys, missing, "fine_tune_brands.py", "nothing is downloaded")
    # The default locations: the repository root, then block/, then the shipped logo model.
    defaults = (tmp_path / "root" / "mask_rcnn_brands.h5", tmp_path / "block" / "x.h5",
                tmp_path / "block" / "mask_rcnn_logo.h5")
    monkeypatch.setattr(final_project, "DEFAULT_WEIGHTS_PATHS", tuple(map(str, defaults)))
    status = run_eraser(["-i", photo, "-o", tmp_path / "out.png"])
    assert_one_line_error(status, capsys, *defaults, "fine_tune_brands.py", "--model logo")
    assert files_under(tmp_path) == ["street.jpg"]


def test_default_weights_are_looked_up_at_the_root_then_in_block_then_the_shipped_model():
    assert final_project.DEFAULT_WEIGHTS_PATHS == (str(REPO_ROOT / "mask_rcnn_brands.h5"),
                                                   str(BLOCK_DIR / "mask_rcnn_brands.h5"),
                                                   str(BLOCK_DIR / "mask_rcnn_logo.h5"))


def test_weights_that_are_not_hdf5_are_refused(tmp_path, capsys, photo):
    weights = tmp_path / "mask_rcnn_brands.h5"
    weights.write_text("<html>404</html>\n")
    status = run_eraser(["-i", photo, "-o", tmp_path / "out.png", "--weights", weights])
    assert_one_line_error(status, capsys, weights, "HDF5")
    assert not (tmp_path / "out.png").exists()


def test_weights_for_a_wrong_layout_are_refused(tmp_path, capsys, photo):
    weights = tmp_path / "wrong.h5"
    write_small_weights(weights, {
        "conv1": {"conv1/kernel:0": (7, 7, 3, 32), "conv1/bias:0": (32,)},
        "mrcnn_class_logits": {"mrcnn_class_logits/kernel:0": (1024, 48),
                               "mrcnn_class_logits/bias:0": (48,)}})
    status = run_eraser(["-i", photo, "-o", tmp_path / "out.png", "--weights", weights])
    assert_one_line_error(status, capsys, weights, "does not fit")
    coco_like = tmp_path / "coco.h5"
    write_small_weights(coco_like, {"mrcnn_class_logits": {
        "mrcnn_class_logits/kernel:0": (1024, 81)}})
    status = run_eraser(["-i", photo, "-o", tmp_path / "out.png", "--weights", coco_like])
    assert_one_line_error(status, capsys, coco_like, "81 classes")
    assert not (tmp_path / "out.png").exists()


def test_output_equal_to_input_is_refused_and_the_input_kept(tmp_path, capsys, brands_weights,
                                                              monkeypatch):
    source = tmp_path / "logo.png"
    Image.fromarray(textured_image(40, 50)).save(source)
    original = source.read_bytes()
    same_file = tmp_path / "." / ".." / tmp_path.name / "logo.png"
    for output in (source, same_file):
        status = run_eraser(["-i", source, "-o", output, "--weights", brands_weights])
        assert_one_line_error(status, capsys, "overwrite")
    # The default output, eraser.png in the current folder, is the input here.
    default_named = tmp_path / "eraser.png"
    shutil.copyfile(source, default_named)
    monkeypatch.chdir(tmp_path)
    status = run_eraser(["-i", "eraser.png", "--weights", brands_weights])
    assert_one_line_error(status, capsys, "overwrite")
    assert source.read_bytes() == original == default_named.read_bytes()
    assert files_under(tmp_path) == ["eraser.png", "logo.png"]


def test_unknown_keep_class_lists_the_valid_ones(tmp_path, capsys, photo, brands_weights):
    status = run_eraser(["-i", photo, "-o", tmp_path / "out.png", "--weights", brands_weights,
                         "--keep", "google,cocacolla"])
    line = assert_one_line_error(status, capsys, "cocacolla", "valid names")
    assert "cocacola" in line and "HP" in line and "ups" in line
    assert "'google'" not in line
    assert files_under(tmp_path) == ["street.jpg"]


def test_missing_output_folder_and_bad_extension_are_refused(tmp_path, capsys, photo,
                                                             brands_weights):
    status = run_eraser(["-i", photo, "-o", tmp_path / "nowhere" / "out.png",
                         "--weights", brands_weights])
    assert_one_line_error(status, capsys, tmp_path / "nowhere")
    status = run_eraser(["-i", photo, "-o", tmp_path / "out.gif", "--weights", brands_weights])
    assert_one_line_error(status, capsys, ".gif")
    status = run_eraser(["-i", photo, "-o", tmp_path / "out.png", "--weights", brands_weights,
                         "--json", tmp_path / "nowhere" / "d.json"])
    assert_one_line_error(status, capsys, "nowhere")
    assert files_under(tmp_path) == ["street.jpg"]


def test_folder_input_refuses_itself_as_output_and_an_empty_folder(tmp_path, capsys,
                                                                   brands_weights):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(textured_image(30, 40)).save(photos / "a.png")
    status = run_eraser(["-i", photos, "-o", photos, "--weights", brands_weights])
    assert_one_line_error(status, capsys, "input folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no photos here\n")
    status = run_eraser(["-i", empty, "-o", tmp_path / "out", "--weights", brands_weights])
    assert_one_line_error(status, capsys, "no photos", empty)
    assert files_under(tmp_path) == ["empty", "empty/notes.txt", "photos", "photos/a.png"]


@pytest.mark.parametrize("argv", [["--style", "sparkles"], ["--min-confidence", "1.5"],
                                  ["--dilate", "-1"], ["--seed", "x"],
                                  ["--image-sizes", "100"], ["--image-sizes", "0"]])
def test_bad_flag_values_are_usage_errors(tmp_path, capsys, photo, argv):
    with pytest.raises(SystemExit) as exit_info:
        run_eraser(["-i", photo, "-o", tmp_path / "out.png", *argv])
    assert exit_info.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_errors_stop_before_tensorflow_and_work_from_any_folder(tmp_path):
    """A fresh interpreter, another current folder: one line, exit 2, TensorFlow not loaded."""
    code = (f"import os, sys; sys.path.insert(0, {str(BLOCK_DIR)!r}); import final_project; "
            f"status = final_project.main(['-i', 'missing.png', '-gpu', '-1']); "
            f"print('TF', 'tensorflow' in sys.modules); "
            f"print('CUDA', os.environ.get('CUDA_VISIBLE_DEVICES')); sys.exit(status)")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("CUDA_VISIBLE_DEVICES", None)
    completed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=FAST_TIMEOUT)
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert completed.returncode == 2
    assert len(lines) == 1 and "missing.png" in lines[0], completed.stderr
    assert "TF False" in completed.stdout
    # -gpu takes effect (before TensorFlow would be imported); -1 means the CPU.
    assert "CUDA -1" in completed.stdout
    assert files_under(tmp_path) == []


# --- command line with a stand-in model (no TensorFlow) ---------------------------------------

def test_no_detection_writes_the_photo_unchanged(tmp_path, capsys, brands_weights, monkeypatch):
    source = tmp_path / "plain.png"
    Image.fromarray(textured_image(50, 70, seed=15)).save(source)
    image = read_image(source)
    fake = FakeModel(fake_result(image, [], []), logo_eraser.brand_class_names())
    monkeypatch.setattr(logo_eraser, "load_eraser_model", lambda path, config: fake)
    report = tmp_path / "d.json"
    status = run_eraser(["-i", source, "-o", tmp_path / "out.png", "--weights", brands_weights,
                         "--json", report])
    assert status == 0
    assert np.array_equal(read_image(tmp_path / "out.png"), image)
    assert json.loads(report.read_text())["detections"] == []
    assert "0 logos hidden" in capsys.readouterr().out


def test_image_sizes_flag_reaches_the_detector_and_the_report(tmp_path, capsys, brands_weights,
                                                             monkeypatch):
    source = tmp_path / "plain.png"
    Image.fromarray(textured_image(50, 70, seed=17)).save(source)
    fake = FakeModel(fake_result(read_image(source), [], []), logo_eraser.brand_class_names())
    monkeypatch.setattr(logo_eraser, "load_eraser_model", lambda path, config: fake)
    report = tmp_path / "d.json"
    status = run_eraser(["-i", source, "-o", tmp_path / "out.png", "--weights", brands_weights,
                         "--json", report, "--image-sizes", "192", "256"])
    assert status == 0
    assert fake.image_sizes_asked == [[192, 256]]
    assert json.loads(report.read_text())["image_sizes"] == [192, 256]
    assert "detecting at 192/256 px" in capsys.readouterr().out


def test_an_internal_error_is_one_line_and_writes_nothing(tmp_path, capsys, brands_weights,
                                                          monkeypatch):
    source = tmp_path / "plain.png"
    Image.fromarray(textured_image(50, 70, seed=16)).save(source)

    class BrokenModel(FakeModel):
        def detect(self, images, verbose=0):
            raise RuntimeError("graph exploded")

    broken = BrokenModel(None, logo_eraser.brand_class_names())
    monkeypatch.setattr(logo_eraser, "load_eraser_model", lambda path, config: broken)
    status = run_eraser(["-i", source, "-o", tmp_path / "out.png", "--weights", brands_weights,
                         "--json", tmp_path / "d.json"])
    lines = error_lines(capsys)
    assert status == 1
    assert len(lines) == 1 and "graph exploded" in lines[0] and "--debug" in lines[0]
    assert files_under(tmp_path) == ["plain.png"]


# --- command line with the model ---------------------------------------------------------------

def write_photo(folder, kind):
    """Test photos of several sizes and modes; returns the path."""
    if kind == "rgb_jpeg":
        path = folder / "street.jpg"
        shutil.copyfile(STREET_PHOTO, path)
    elif kind == "gray":
        path = folder / "gray.png"
        Image.fromarray(textured_image(240, 320, seed=20)[:, :, 0]).save(path)
    elif kind == "rgba":
        path = folder / "rgba.png"
        rgba = np.dstack([textured_image(200, 300, seed=21),
                          np.tile(np.linspace(60, 255, 300).astype(np.uint8), (200, 1))])
        Image.fromarray(rgba).save(path)
    elif kind == "16bit":
        path = folder / "sixteen.png"
        pixels = textured_image(192, 256, seed=22)[:, :, 1].astype(np.uint16) * 257
        Image.fromarray(pixels).save(path)
        assert Image.open(path).mode.startswith("I;16")
    elif kind == "large":
        path = folder / "large.jpg"
        street = read_image(STREET_PHOTO)
        Image.fromarray(np.kron(street, np.ones((4, 4, 1), np.uint8))).save(path, quality=90)
    elif kind == "tiny":
        path = folder / "tiny.png"
        Image.fromarray(textured_image(24, 40, seed=23)).save(path)
    else:
        raise ValueError(kind)
    return path


def allowed_region(shape, detections, dilate):
    """Union of the hidden detections' boxes grown by ``dilate`` px, clipped to the photo."""
    allowed = np.zeros(shape[:2], bool)
    for detection in detections:
        if detection["hidden"]:
            y1, x1, y2, x2 = detection["box"]
            allowed[max(0, y1 - dilate):y2 + dilate, max(0, x1 - dilate):x2 + dilate] = True
    return allowed


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["rgb_jpeg", "gray", "rgba", "16bit", "large", "tiny"])
def test_end_to_end_hides_only_inside_the_detections(tmp_path, capsys, brands_weights,
                                                     model_builds, kind):
    source = write_photo(tmp_path, kind)
    output, report = tmp_path / "out.png", tmp_path / "detections.json"
    status = run_eraser(["-i", source, "-o", output, "--weights", brands_weights,
                         "--json", report])
    assert status == 0, capsys.readouterr().err
    original = read_image(source)
    erased = read_image(output)
    assert erased.shape == original.shape

    record = json.loads(report.read_text())
    assert (record["height"], record["width"]) == original.shape[:2]
    assert record["image"] == str(source) and record["output"] == str(output)
    assert (record["style"], record["region"]) == ("mosaic", "hull")
    assert record["dilate_px"] == logo_eraser.default_dilation(original.shape, 128)
    # The brands model has no TEST_IMAGE_SIZES: it detects at its own 128 px only.
    assert record["image_sizes"] == [128]
    detections = record["detections"]
    # The edited weights give a few detections per photo (neither none nor the maximum).
    assert 1 <= len(detections) < 100, len(detections)
    class_names = logo_eraser.brand_class_names()
    for detection in detections:
        assert detection["class_id"] == FAVOURED_CLASS_ID
        assert detection["class_name"] == class_names[FAVOURED_CLASS_ID]
        assert detection["score"] >= 0.7 and detection["hidden"] is True
        y1, x1, y2, x2 = detection["box"]
        assert 0 <= y1 < y2 <= original.shape[0] and 0 <= x1 < x2 <= original.shape[1]

    changed = np.any(erased != original, axis=2)
    allowed = allowed_region(original.shape, detections, record["dilate_px"])
    assert changed.any()
    assert not np.any(changed & ~allowed)
    assert allowed.mean() < 0.5  # else the check above would say little
    plural = "s" if len(detections) != 1 else ""
    assert f"{len(detections)} logo{plural} hidden; wrote {output}" in capsys.readouterr().out
    assert len(model_builds) == 1


@pytest.mark.slow
@pytest.mark.parametrize("style, region", [("blur", "hull"), ("solid", "mask"),
                                           ("inpaint", "mask")])
def test_end_to_end_styles_and_explicit_dilation(tmp_path, capsys, photo, brands_weights,
                                                 model_builds, style, region):
    output, report = tmp_path / "out.png", tmp_path / "d.json"
    status = run_eraser(["-i", photo, "-o", output, "--weights", brands_weights,
                         "--style", style, "--region", region, "--dilate", "6",
                         "--json", report])
    assert status == 0, capsys.readouterr().err
    record = json.loads(report.read_text())
    assert (record["style"], record["region"], record["dilate_px"]) == (style, region, 6)
    erased = read_image(output)
    original = read_image(photo)
    assert erased.shape == original.shape
    changed = np.any(erased != original, axis=2)
    assert changed.any()
    assert not np.any(changed & ~allowed_region(original.shape, record["detections"], 6))


@pytest.mark.slow
def test_keeping_the_detected_class_leaves_the_photo_unchanged(tmp_path, capsys, photo,
                                                               brands_weights, model_builds):
    first_report = tmp_path / "first.json"
    assert run_eraser(["-i", photo, "-o", tmp_path / "hidden.png", "--weights", brands_weights,
                       "--json", first_report]) == 0
    detected = {d["class_name"] for d in json.loads(first_report.read_text())["detections"]}
    assert len(detected) == 1
    kept_report = tmp_path / "kept.json"
    # Names are case-insensitive; a kept class that is not detected changes nothing.
    status = run_eraser(["-i", photo, "-o", tmp_path / "kept.png", "--weights", brands_weights,
                         "--keep", f"aldi,{detected.pop().upper()}", "--json", kept_report])
    assert status == 0, capsys.readouterr().err
    assert np.array_equal(read_image(tmp_path / "kept.png"), read_image(photo))
    detections = json.loads(kept_report.read_text())["detections"]
    assert detections and not any(d["hidden"] for d in detections)
    assert not np.array_equal(read_image(tmp_path / "hidden.png"), read_image(photo))


@pytest.mark.slow
def test_same_seed_same_output_and_default_output_in_the_current_folder(
        tmp_path, capsys, photo, brands_weights, model_builds, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_eraser(["-i", photo.name, "--weights", brands_weights, "--seed", "5"]) == 0
    first = (tmp_path / "eraser.png").read_bytes()
    assert run_eraser(["-i", photo, "--weights", brands_weights, "--seed", "5"]) == 0
    assert (tmp_path / "eraser.png").read_bytes() == first
    assert run_eraser(["-i", photo, "-o", "other.png", "--weights", brands_weights,
                       "--seed", "6"]) == 0
    assert (tmp_path / "other.png").read_bytes() != first
    assert "wrote eraser.png" in capsys.readouterr().out
    # A JPEG output (lossy: every pixel may move a little) keeps the size too.
    assert run_eraser(["-i", photo, "-o", "erased.jpg", "--weights", brands_weights]) == 0
    assert (tmp_path / "erased.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    assert read_image(tmp_path / "erased.jpg").shape == read_image(photo).shape


@pytest.mark.slow
def test_folder_input_writes_one_output_per_photo_and_skips_bad_files(tmp_path, capsys,
                                                                      brands_weights,
                                                                      model_builds):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(textured_image(60, 80, seed=30)).save(photos / "a.png")
    Image.fromarray(textured_image(70, 50, seed=31)).save(photos / "a.jpg")
    write_photo(photos, "gray")
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    (photos / "notes.txt").write_text("ignored\n")
    output = tmp_path / "erased"
    report = tmp_path / "all.json"
    status = run_eraser(["-i", photos, "-o", output, "--weights", brands_weights,
                         "--json", report])
    captured = capsys.readouterr()
    # A bad file is reported and skipped; the status says something went wrong.
    assert status == 2
    assert [line for line in captured.err.splitlines() if "error:" in line] == [
        line for line in captured.err.splitlines() if "broken.jpg" in line and "error:" in line]
    assert "broken.jpg" in captured.err
    assert sorted(os.listdir(output)) == ["a_jpg.png", "a_png.png", "gray.png"]
    for name, source in (("a_jpg.png", "a.jpg"), ("a_png.png", "a.png"), ("gray.png", "gray.png")):
        assert read_image(output / name).shape == read_image(photos / source).shape
    records = json.loads(report.read_text())["images"]
    assert [pathlib.Path(r["image"]).name for r in records] == ["a.jpg", "a.png", "broken.jpg",
                                                                 "gray.png"]
    assert "error" in records[2] and "broken.jpg" in records[2]["error"]
    assert "3 of 4 photos" in captured.out


@pytest.mark.slow
def test_folder_input_default_output_folder(tmp_path, capsys, brands_weights, model_builds,
                                            monkeypatch):
    photos = tmp_path / "photos"
    photos.mkdir()
    write_photo(photos, "tiny")
    monkeypatch.chdir(tmp_path)
    assert run_eraser(["-i", "photos", "--weights", brands_weights]) == 0
    assert os.listdir(tmp_path / "eraser") == ["tiny.png"]


@pytest.mark.slow
def test_script_runs_from_block_with_the_original_flags(tmp_path, brands_weights):
    """`python final_project.py -gpu N -i PHOTO` from block/, as the original was run."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("CUDA_VISIBLE_DEVICES", None)
    output = tmp_path / "eraser.png"
    relative_photo = os.path.relpath(STREET_PHOTO, BLOCK_DIR)
    completed = subprocess.run(
        [sys.executable, "final_project.py", "-gpu", "-1", "-i", relative_photo,
         "-o", str(output), "--weights", str(brands_weights)],
        cwd=BLOCK_DIR, env=env, capture_output=True, text=True, timeout=MODEL_TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert read_image(output).shape == read_image(STREET_PHOTO).shape
    assert "logos hidden" in completed.stdout or "logo hidden" in completed.stdout
