"""Tests of BrandsDataset (logo_eraser.flickrlogos.dataset) on datasets written in the exact
FlickrLogos-47 layout in tmp_path, and of samples/brands/brands.py, the matterport-style module
that re-exports it."""

import logging
import os
import pathlib
import random

import numpy as np
import pytest
from PIL import Image

import logo_eraser.models
from logo_eraser.flickrlogos import CLASS_NAMES, FlickrLogosWriter
from logo_eraser.flickrlogos.dataset import (BrandsDataError, BrandsDataset,
                                             validation_entries)
from logo_eraser.models import BrandsConfig
from mrcnn.data.gt import load_image_gt
from mrcnn.testing import load_script_module

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
BRANDS_MODULE = REPO_ROOT / "samples" / "brands" / "brands.py"


def load(root, subset, **kwargs):
    dataset = BrandsDataset()
    dataset.load_brands(str(root), subset, **kwargs)
    dataset.prepare()
    return dataset


def entries(dataset):
    return [info["entry"] for info in dataset.image_info]


def entry_with_classes(expected, split, class_ids):
    """The list entry (without "./") of the fixture photo with these dataset class ids."""
    (entry,) = [key[1] for key, value in expected.items()
                if key[0] == split and value["class_ids"].tolist() == class_ids]
    return entry[2:]


# --- samples/brands/brands.py, the matterport way -----------------------------------------------

def test_brands_sample_module_re_exports_the_package():
    """`import brands` with samples/brands on sys.path (matterport's samples) still works: the
    module is loaded here from its file, without touching sys.path."""
    brands = load_script_module(BRANDS_MODULE)
    assert brands.BrandsConfig is logo_eraser.models.BrandsConfig
    assert brands.BrandsDataset is BrandsDataset
    assert brands.BrandsDataError is BrandsDataError
    assert brands.validation_entries is validation_entries
    assert brands.LogoInferenceConfig is logo_eraser.models.LogoInferenceConfig


# --- BrandsDataset: counts, classes, masks, photos ----------------------------------------------

def test_counts_per_split_and_list(dataset_root, fixture_photos):
    root, _ = dataset_root
    TRAIN_PHOTOS, TEST_PHOTOS = fixture_photos
    assert len(load(root, "trainval").image_ids) == len(TRAIN_PHOTOS)
    without_negatives = load(root, "trainval", file_list="all")
    assert len(without_negatives.image_ids) == len(TRAIN_PHOTOS)
    assert without_negatives.num_negatives_left_out == 2
    with_negatives = load(root, "trainval", file_list="all", include_negatives=True)
    assert len(with_negatives.image_ids) == len(TRAIN_PHOTOS) + 2
    assert with_negatives.num_negatives == 2
    assert len(load(root, "test").image_ids) == len(TEST_PHOTOS)
    assert len(load(root, "test", file_list="all", include_negatives=True).image_ids) == \
        len(TEST_PHOTOS) + 1
    assert load(root, "trainval").instance_count() == sum(len(p[3]) for p in TRAIN_PHOTOS)
    assert len(load(root, "trainval", limit=3).image_ids) == 3
    # The "/./" entry of the logos list is the same photo as in filelist.txt.
    assert "000000/000002.png" in entries(load(root, "trainval"))


def test_class_ids_are_dataset_ids_plus_one_and_hp_is_kept(dataset_root):
    root, _ = dataset_root
    dataset = load(root, "trainval")
    assert dataset.num_classes == 48
    assert dataset.class_names[:3] == ["BG", "HP", "adidas_symbol"]
    assert dataset.class_names[47] == "ups"
    assert dataset.map_source_class_id("brands.0") == 1
    assert dataset.get_source_class_id(47, "brands") == 46
    first = entries(dataset).index("000000/000001.png")
    _, class_ids = dataset.load_mask(first)
    assert class_ids.dtype == np.int32
    assert class_ids.tolist() == [1, 3]  # HP (0) and adidas_text (2)
    all_ids = np.concatenate([dataset.load_mask(i)[1] for i in dataset.image_ids])
    assert all_ids.min() >= 1 and np.sum(all_ids == 1) == 3  # every HP instance kept


def test_masks_equal_what_was_written(dataset_root, fixture_photos):
    root, expected = dataset_root
    TRAIN_PHOTOS, TEST_PHOTOS = fixture_photos
    checked = 0
    for subset, split in (("trainval", "train"), ("test", "test")):
        dataset = load(root, subset)
        for image_id in dataset.image_ids:
            info = dataset.image_info[image_id]
            truth = expected[(split, "./" + info["entry"])]
            masks, class_ids = dataset.load_mask(image_id)
            assert masks.dtype == bool and masks.shape == truth["masks"].shape
            np.testing.assert_array_equal(masks, truth["masks"])
            np.testing.assert_array_equal(class_ids, truth["class_ids"] + 1)
            checked += 1
    assert checked == len(TRAIN_PHOTOS) + len(TEST_PHOTOS)


def test_flags_and_boxes_are_kept(dataset_root):
    root, expected = dataset_root
    dataset = load(root, "trainval")
    entry = entry_with_classes(expected, "train", [1, 2, 0])
    info = dataset.image_info[entries(dataset).index(entry)]
    assert info["difficult"].tolist() == [False, True, False]
    assert info["truncated"].tolist() == [True, False, False]
    masks = expected[("train", "./" + entry)]["masks"]
    rows, columns = np.flatnonzero(masks[..., 0].any(1)), np.flatnonzero(masks[..., 0].any(0))
    # [N, (y1, x1, y2, x2)] as written (lower-right inclusive).
    assert info["boxes"][0].tolist() == [rows[0], columns[0], rows[-1], columns[-1]]


def test_colour_masks_use_255_in_the_first_channel(tmp_path, drawing):
    root = tmp_path / "FlickrLogos_47"
    with FlickrLogosWriter(root) as writer:
        written = writer.add_image("train", np.zeros((40, 50, 3), np.uint8),
                                   drawing.rectangle_mask(40, 50, 5, 5, 30, 30)[..., None], [3])
    colour = np.zeros((40, 50, 3), np.uint8)
    colour[5:20, 5:25, 0] = 255      # foreground
    colour[25:35, 30:45, 1] = 255    # green only: background
    colour[25:35, 5:15, 0] = 128     # not 255 in the first channel: background
    Image.fromarray(colour).save(written.mask_paths[0])
    masks, _ = load(root, "trainval").load_mask(0)
    np.testing.assert_array_equal(masks[..., 0], drawing.rectangle_mask(40, 50, 5, 5, 20, 25))
    # A gray mask with small values: any non-zero pixel is foreground.
    gray = np.zeros((40, 50), np.uint8)
    gray[1:4, 2:6] = 1
    Image.fromarray(gray).save(written.mask_paths[0])
    masks, _ = load(root, "trainval").load_mask(0)
    np.testing.assert_array_equal(masks[..., 0], gray > 0)


def test_negatives_have_empty_masks(dataset_root):
    root, _ = dataset_root
    dataset = load(root, "trainval", file_list="all", include_negatives=True)
    negatives = [i for i in dataset.image_ids if dataset.image_info[i]["gt_path"] is None]
    assert len(negatives) == 2
    for image_id in negatives:
        assert dataset.image_info[image_id]["entry"].startswith("no-logo/")
        image = dataset.load_image(image_id)
        masks, class_ids = dataset.load_mask(image_id)
        assert masks.shape == image.shape[:2] + (0,) and masks.dtype == bool
        assert class_ids.shape == (0,) and class_ids.dtype == np.int32


def test_gray_rgba_and_16_bit_photos_load_as_rgb_uint8(dataset_root):
    root, expected = dataset_root
    dataset = load(root, "trainval")
    kinds = set()
    for image_id in dataset.image_ids:
        info = dataset.image_info[image_id]
        truth = expected[("train", "./" + info["entry"])]
        image = dataset.load_image(image_id)
        assert image.dtype == np.uint8 and image.shape == truth["photo"].shape[:2] + (3,)
        kind = truth["kind"]
        kinds.add(kind)
        if kind == "gray":
            for channel in range(3):
                np.testing.assert_array_equal(image[..., channel], truth["photo"])
        elif kind == "gray16":
            np.testing.assert_array_equal(
                image[..., 1], np.rint(truth["photo"] / 257.0).astype(np.uint8))
        elif kind == "rgba":
            # Opaque pixels keep their colour; the transparent corner is white.
            np.testing.assert_array_equal(image[20:, 20:], truth["photo"][20:, 20:, :3])
            assert (image[:10, :10] == 255).all()
        else:
            np.testing.assert_array_equal(image, truth["photo"])
    assert kinds == {"rgb", "gray", "gray16", "rgba"}


def test_training_ground_truth_from_the_loader(dataset_root):
    root, expected = dataset_root
    dataset = load(root, "trainval")
    image_id = entries(dataset).index(entry_with_classes(expected, "train", [1, 2, 0]))
    image, _, class_ids, boxes, masks = load_image_gt(dataset, BrandsConfig(), image_id,
                                                      use_mini_mask=False)
    assert image.shape == (128, 128, 3)
    assert class_ids.tolist() == [2, 3, 1]
    assert masks.shape == (128, 128, 3)
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()


# --- the validation split ---------------------------------------------------------------------

def test_val_split_is_deterministic_and_disjoint(dataset_root, fixture_photos):
    root, _ = dataset_root
    TRAIN_PHOTOS, _ = fixture_photos
    train, val = entries(load(root, "train")), entries(load(root, "val"))
    assert val and train
    assert not set(train) & set(val)
    assert sorted(train + val) == sorted(entries(load(root, "trainval")))
    assert entries(load(root, "val")) == val
    assert entries(load(root, "train")) == train
    # Larger fraction: still disjoint and covering.
    train_half = entries(load(root, "train", val_fraction=0.5))
    val_half = entries(load(root, "val", val_fraction=0.5))
    assert not set(train_half) & set(val_half)
    assert len(train_half) + len(val_half) == len(TRAIN_PHOTOS)


def test_validation_entries_hash_each_path():
    paths = [f"{i // 1000:06d}/{i:06d}.png" for i in range(1, 2001)]
    chosen = validation_entries(paths, 0.1, seed=0)
    assert 150 <= len(chosen) <= 250
    shuffled = list(paths)
    random.Random(1).shuffle(shuffled)
    assert validation_entries(shuffled, 0.1, seed=0) == chosen
    # A photo's membership does not depend on the other entries of the list.
    assert validation_entries(paths[:700], 0.1, seed=0) == chosen & set(paths[:700])
    assert validation_entries(paths, 0.1, seed=1) != chosen
    # At least one photo on each side when there are two.
    assert len(validation_entries(paths[:2], 0.01)) == 1
    assert len(validation_entries(paths[:2], 0.999)) == 1
    assert validation_entries(paths[:1], 0.1) == set()


def test_explicit_validation_list(dataset_root, tmp_path, fixture_photos):
    root, _ = dataset_root
    TRAIN_PHOTOS, _ = fixture_photos
    val_list = tmp_path / "val.txt"
    val_list.write_text("./000000/000003.png\n./000000/000005.png\n")
    val = entries(load(root, "val", val_list=str(val_list)))
    train = entries(load(root, "train", val_list=str(val_list)))
    assert val == ["000000/000003.png", "000000/000005.png"]
    assert len(train) == len(TRAIN_PHOTOS) - 2 and not set(train) & set(val)
    with pytest.raises(FileNotFoundError, match="nowhere.txt"):
        load(root, "val", val_list=str(tmp_path / "nowhere.txt"))


def test_missing_folders_and_unknown_subset(tmp_path, dataset_root):
    root, _ = dataset_root
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load(tmp_path / "nowhere", "train")
    (tmp_path / "only_train" / "train").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="test"):
        load(tmp_path / "only_train", "test")
    with pytest.raises(FileNotFoundError, match="filelist-logosonly.txt"):
        load(tmp_path / "only_train", "train")
    with pytest.raises(ValueError, match="subset"):
        load(root, "validation")


def test_class_names_file_or_fallback(tmp_path, drawing):
    root = tmp_path / "FlickrLogos_47"
    names = [f"brand{i}" for i in range(47)]
    with FlickrLogosWriter(root, class_names=names) as writer:
        writer.add_image("train", np.zeros((40, 40, 3), np.uint8),
                         drawing.rectangle_mask(40, 40, 5, 5, 20, 20)[..., None], [4])
    assert load(root, "trainval").class_names[1:] == names
    os.remove(root / "className2ClassID.txt")
    assert load(root, "trainval").class_names[1:] == list(CLASS_NAMES)


# --- strict and lenient -----------------------------------------------------------------------

@pytest.fixture
def small_root(tmp_path, drawing):
    """Two train photos (64x80) with two instances each; returns (root, [WrittenImage])."""
    root = tmp_path / "FlickrLogos_47"
    rng = np.random.default_rng(3)
    written = []
    with FlickrLogosWriter(root) as writer:
        for _ in range(2):
            masks = np.stack([drawing.rectangle_mask(64, 80, 5, 5, 25, 30),
                              drawing.ellipse_mask(64, 80, 45, 55, 10, 15)], axis=-1)
            written.append(writer.add_image("train", drawing.random_photo(rng, 64, 80), masks,
                                            [0, 9]))
    return root, written


def replace_gt_line(written, line_index, text):
    lines = pathlib.Path(written.gt_path).read_text().splitlines()
    lines[line_index] = text
    pathlib.Path(written.gt_path).write_text("\n".join(lines) + "\n")


def break_fields(written):
    replace_gt_line(written, 1, "40 35 70 55 9 -1 mask01 0")


def break_integer(written):
    replace_gt_line(written, 1, "40 35 70.5 55 9 -1 mask01 0 0")


def break_class(written):
    replace_gt_line(written, 1, "40 35 70 55 47 -1 mask01 0 0")


def break_missing_mask(written):
    os.remove(written.mask_paths[1])


def break_mask_size(written):
    Image.fromarray(np.full((32, 80), 255, np.uint8)).save(written.mask_paths[1])


def break_box(written):
    replace_gt_line(written, 1, "40 35 90 55 9 -1 mask01 0 0")


@pytest.mark.parametrize("breaker, reason", [
    (break_fields, "expected 9 fields"),
    (break_integer, "not an integer"),
    (break_class, "unknown class id 47"),
    (break_missing_mask, "file not found"),
    (break_mask_size, "80x32"),
    (break_box, "outside the 80x64 photo"),
])
def test_strict_error_names_file_and_line_and_lenient_skips(small_root, breaker, reason,
                                                            caplog):
    root, written = small_root
    breaker(written[0])
    with pytest.raises(BrandsDataError) as raised:
        load(root, "trainval")
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.path == written[0].gt_path and error.line_number == 2
    assert f"{written[0].gt_path}, line 2" in str(error) and reason in str(error)
    assert "\n" not in str(error)

    with caplog.at_level(logging.WARNING, logger="logo_eraser.flickrlogos.dataset"):
        dataset = load(root, "trainval", strict=False)
    assert dataset.num_skipped_instances == 1 and dataset.num_skipped_images == 0
    assert len(dataset.problems) == 1 and reason in dataset.problems[0]
    assert any(written[0].gt_path in record.getMessage() for record in caplog.records)
    assert [len(dataset.load_mask(i)[1]) for i in dataset.image_ids] == [1, 2]
    assert dataset.load_mask(0)[1].tolist() == [1]  # the HP instance of line 1 is kept


def test_photo_with_every_instance_bad_is_skipped_in_lenient_mode(small_root):
    root, written = small_root
    pathlib.Path(written[1].gt_path).write_text("1 2 3\n4 5 6\n")
    dataset = load(root, "trainval", strict=False)
    assert entries(dataset) == ["000000/000001.png"]
    assert dataset.num_skipped_instances == 2 and dataset.num_skipped_images == 1


def test_list_problems_name_the_list_line(small_root):
    root, written = small_root
    list_path = root / "train" / "filelist-logosonly.txt"
    list_path.write_text("./000000/000001.png\n./000000/000009.png\n")
    with pytest.raises(BrandsDataError) as raised:
        load(root, "trainval")
    assert raised.value.path == str(list_path) and raised.value.line_number == 2
    assert "000009.png" in str(raised.value) and "file not found" in str(raised.value)
    list_path.write_text("./000000/000001.png\n\n/abs/x.png\n")
    with pytest.raises(BrandsDataError, match=r"line 3: absolute path"):
        load(root, "trainval")
    list_path.write_text("./000000/000001.png\n./000000/000009.png\n/abs/x.png\n")
    dataset = load(root, "trainval", strict=False)
    assert entries(dataset) == ["000000/000001.png"] and dataset.num_skipped_images == 2
    # A photo of the logos-only list without its annotation file.
    list_path.write_text("./000000/000002.png\n")
    os.remove(written[1].gt_path)
    with pytest.raises(BrandsDataError, match="annotation file"):
        load(root, "trainval")


def test_masks_are_read_lazily(small_root):
    root, written = small_root
    strict_dataset = load(root, "trainval")
    lenient_dataset = load(root, "trainval", strict=False)
    # Corrupt a mask after loading: only load_mask notices.
    data = pathlib.Path(written[0].mask_paths[1]).read_bytes()
    pathlib.Path(written[0].mask_paths[1]).write_bytes(data[:60])
    with pytest.raises(BrandsDataError) as raised:
        strict_dataset.load_mask(0)
    assert raised.value.line_number == 2 and written[0].mask_paths[1] in str(raised.value)
    for _ in range(2):
        masks, class_ids = lenient_dataset.load_mask(0)
        assert class_ids.tolist() == [1] and masks.shape == (64, 80, 1)
    assert lenient_dataset.num_skipped_instances == 1  # counted once, not per epoch
    assert strict_dataset.load_mask(1)[1].tolist() == [1, 10]
