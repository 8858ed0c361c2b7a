"""Tests of the FlickrLogos-47 layout helpers (samples/brands/flickrlogos.py) and of
BrandsDataset (samples/brands/brands.py), on datasets written in the exact layout in tmp_path."""

import logging
import os
import pathlib
import random
import sys

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "samples" / "brands"))
import brands  # noqa: E402
import flickrlogos  # noqa: E402
from flickrlogos import FlickrLogosWriter  # noqa: E402

from mrcnn.data.gt import load_image_gt  # noqa: E402


def ellipse_mask(height, width, cy, cx, ry, rx):
    """[H, W] bool filled ellipse."""
    yy, xx = np.ogrid[:height, :width]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0


def rectangle_mask(height, width, y1, x1, y2, x2):
    mask = np.zeros((height, width), dtype=bool)
    mask[y1:y2, x1:x2] = True
    return mask


def random_photo(rng, height, width, channels=3):
    shape = (height, width) if channels == 1 else (height, width, channels)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


# Train photos of the main fixture: (kind, height, width, dataset class ids). Class 0 is HP.
TRAIN_PHOTOS = [
    ("rgb", 96, 128, [0, 2]),
    ("rgb", 64, 64, [46]),
    ("gray", 120, 80, [5]),
    ("rgba", 100, 100, [0]),
    ("gray16", 80, 112, [12]),
    ("rgb", 160, 144, [1, 2, 0]),
    ("rgb", 72, 90, [30]),
    ("rgb", 100, 64, [40]),
]
TEST_PHOTOS = [("rgb", 90, 120, [0, 7]), ("rgb", 64, 96, [46])]


def instance_masks(height, width, count, rng):
    """count distinct non-empty masks [H, W, count]: ellipses and rectangles."""
    masks = []
    for i in range(count):
        cy, cx = rng.integers(height // 4, 3 * height // 4), rng.integers(width // 4,
                                                                            3 * width // 4)
        ry, rx = rng.integers(5, height // 4), rng.integers(5, width // 4)
        if i % 2 == 0:
            masks.append(ellipse_mask(height, width, cy, cx, ry, rx))
        else:
            masks.append(rectangle_mask(height, width, max(cy - ry, 0), max(cx - rx, 0),
                                        cy + ry, cx + rx))
    return np.stack(masks, axis=-1)


def write_photo(writer, split, kind, height, width, class_ids, rng, expected, **kwargs):
    if kind == "gray":
        photo = random_photo(rng, height, width, 1)
    elif kind == "gray16":
        photo = rng.integers(0, 65536, size=(height, width), dtype=np.uint16)
    elif kind == "rgba":
        photo = random_photo(rng, height, width, 4)
        photo[..., 3] = 255
        photo[:10, :10, 3] = 0  # one transparent corner
    else:
        photo = random_photo(rng, height, width)
    masks = instance_masks(height, width, len(class_ids), rng)
    written = writer.add_image(split, photo, masks, class_ids, **kwargs)
    expected[(split, written.entry)] = {"photo": photo, "masks": masks,
                                        "class_ids": np.array(class_ids), "kind": kind}
    return written


@pytest.fixture(scope="module")
def dataset_root(tmp_path_factory):
    """The main fixture: FlickrLogos_47 inside a folder with a dot in its name.

    Returns (root, expected) with expected[(split, entry)] = photo, masks, class_ids, kind.
    """
    root = tmp_path_factory.mktemp("data.v1") / "FlickrLogos_47"
    rng = np.random.default_rng(0)
    expected = {}
    with FlickrLogosWriter(root) as writer:
        for index, (kind, height, width, class_ids) in enumerate(TRAIN_PHOTOS):
            kwargs = {}
            if index == 1:
                kwargs["mask_tokens"] = ["logo.v2"]  # a dot in the token
            if index == 5:
                kwargs.update(mask_mode="RGB", difficult=[0, 1, 0], truncated=[1, 0, 0])
            write_photo(writer, "train", kind, height, width, class_ids, rng, expected,
                        **kwargs)
            if index in (2, 6):
                writer.add_negative("train", random_photo(rng, 64 + index, 80))
        for kind, height, width, class_ids in TEST_PHOTOS:
            write_photo(writer, "test", kind, height, width, class_ids, rng, expected)
        writer.add_negative("test", random_photo(rng, 70, 70))
    # The real lists may contain "/./" and CRLF line ends.
    logos_list = root / "train" / "filelist-logosonly.txt"
    lines = logos_list.read_text().splitlines()
    lines[1] = lines[1].replace("./000000/", "./000000/./")
    logos_list.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return root, expected


def load(root, subset, **kwargs):
    dataset = brands.BrandsDataset()
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


# --- the layout helpers -----------------------------------------------------------------------

def test_writer_writes_the_flickrlogos_layout(dataset_root):
    root, expected = dataset_root
    assert (root / "className2ClassID.txt").read_text().splitlines()[:2] == ["HP\t0",
                                                                             "adidas_symbol\t1"]
    assert len((root / "className2ClassID.txt").read_text().splitlines()) == 47
    all_lines = (root / "train" / "filelist.txt").read_text().splitlines()
    assert all_lines[:3] == ["./000000/000001.png", "./000000/000002.png",
                             "./000000/000003.png"]
    assert "./no-logo/000004.png" in all_lines and len(all_lines) == 10
    assert len((root / "test" / "filelist-logosonly.txt").read_text().splitlines()) == 2
    gt_lines = (root / "train" / "000000" / "000001.gt_data.txt").read_text().splitlines()
    assert len(gt_lines) == 2
    fields = gt_lines[0].split()
    assert len(fields) == 9 and fields[4:7] == ["0", "-1", "mask00"] and fields[7:] == ["0", "0"]
    # The box is the mask's extent, lower-right corner inclusive.
    masks = expected[("train", "./000000/000001.png")]["masks"]
    rows, columns = np.flatnonzero(masks[..., 0].any(1)), np.flatnonzero(masks[..., 0].any(0))
    assert [int(v) for v in fields[:4]] == [columns[0], rows[0], columns[-1], rows[-1]]
    assert (root / "train" / "000000" / "000002.logo.v2.png").is_file()
    assert not (root / "train" / "no-logo" / "000004.gt_data.txt").exists()
    with pytest.raises(FileExistsError):
        FlickrLogosWriter(root)


def test_writer_rejects_bad_instances(tmp_path):
    writer = FlickrLogosWriter(tmp_path / "ds")
    photo = np.zeros((32, 32, 3), np.uint8)
    mask = rectangle_mask(32, 32, 2, 2, 10, 10)[..., None]
    with pytest.raises(ValueError, match="class ids"):
        writer.add_image("train", photo, mask, [47])
    with pytest.raises(ValueError, match="do not fit"):
        writer.add_image("train", photo, mask[:16], [0])
    with pytest.raises(ValueError, match="empty"):
        writer.add_image("train", photo, np.zeros((32, 32, 1), bool), [0])
    with pytest.raises(ValueError, match="split"):
        writer.add_image("val", photo, mask, [0])
    # An explicit box allows an empty mask (as the real data can have).
    writer.add_image("train", photo, np.zeros((32, 32, 1), bool), [0], boxes=[[1, 1, 5, 5]])


def test_normalise_list_entry():
    assert flickrlogos.normalise_list_entry("./000000/000001.png\n") == "000000/000001.png"
    assert flickrlogos.normalise_list_entry("./000000/./000001.png") == "000000/000001.png"
    assert flickrlogos.normalise_list_entry(".\\no-logo\\x.y.png") == "no-logo/x.y.png"
    for bad in ("/abs/000001.png", "../000001.png", "./", "  "):
        with pytest.raises(ValueError):
            flickrlogos.normalise_list_entry(bad)


def test_paths_are_built_from_the_token_not_by_splitting_on_dots():
    photo = os.path.join("a.b", "train.v1", "000000", "000001.png")
    assert flickrlogos.gt_data_path(photo) == os.path.join("a.b", "train.v1", "000000",
                                                           "000001.gt_data.txt")
    assert flickrlogos.mask_path(photo, "mask00") == os.path.join(
        "a.b", "train.v1", "000000", "000001.mask00.png")
    assert flickrlogos.mask_path(photo, "mask01.png").endswith("000001.mask01.png")


@pytest.mark.parametrize("line, reason", [
    ("1 2 3 4 0 -1 mask00 0", "expected 9 fields"),
    ("1 2 3 4 0 -1 mask00 0 0 7", "expected 9 fields"),
    ("1 2.5 3 4 0 -1 mask00 0 0", "not an integer: y1"),
    ("1 2 3 4 HP -1 mask00 0 0", "not an integer: class_id"),
    ("1 2 3 4 47 -1 mask00 0 0", "unknown class id 47"),
    ("1 2 3 4 -1 -1 mask00 0 0", "unknown class id -1"),
    ("1 2 3 4 0 -1 mask00 2 0", "difficult must be 0 or 1"),
    ("5 2 3 4 0 -1 mask00 0 0", "corners swapped"),
    ("1 2 3 4 0 -1 ../mask00 0 0", "not a plain name"),
])
def test_parse_gt_line_rejects_malformed_lines(line, reason):
    with pytest.raises(ValueError, match=reason):
        flickrlogos.parse_gt_line(line, num_classes=47)


def test_parse_gt_line_fields():
    instance = flickrlogos.parse_gt_line("3 4 30 40 46 -1 mask01 1 0", line_number=7)
    assert (instance.x1, instance.y1, instance.x2, instance.y2) == (3, 4, 30, 40)
    assert instance.class_id == 46 and instance.mask_token == "mask01"
    assert instance.difficult and not instance.truncated and instance.line_number == 7


def test_read_class_names_checks_ids(tmp_path):
    path = tmp_path / "className2ClassID.txt"
    path.write_text("b\t1\na\t0\n\n")
    assert flickrlogos.read_class_names(path) == ["a", "b"]
    path.write_text("a\t0\nb\t2\n")
    with pytest.raises(flickrlogos.FlickrLogosError, match="0..1"):
        flickrlogos.read_class_names(path)
    path.write_text("a\t0\nb x\n")
    with pytest.raises(flickrlogos.FlickrLogosError, match="line 2"):
        flickrlogos.read_class_names(path)


# --- BrandsDataset: counts, classes, masks, photos ----------------------------------------------

def test_counts_per_split_and_list(dataset_root):
    root, _ = dataset_root
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


def test_masks_equal_what_was_written(dataset_root):
    root, expected = dataset_root
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


def test_colour_masks_use_255_in_the_first_channel(tmp_path):
    root = tmp_path / "FlickrLogos_47"
    with FlickrLogosWriter(root) as writer:
        written = writer.add_image("train", np.zeros((40, 50, 3), np.uint8),
                                   rectangle_mask(40, 50, 5, 5, 30, 30)[..., None], [3])
    colour = np.zeros((40, 50, 3), np.uint8)
    colour[5:20, 5:25, 0] = 255      # foreground
    colour[25:35, 30:45, 1] = 255    # green only: background
    colour[25:35, 5:15, 0] = 128     # not 255 in the first channel: background
    Image.fromarray(colour).save(written.mask_paths[0])
    masks, _ = load(root, "trainval").load_mask(0)
    np.testing.assert_array_equal(masks[..., 0], rectangle_mask(40, 50, 5, 5, 20, 25))
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
    image, _, class_ids, boxes, masks = load_image_gt(dataset, brands.BrandsConfig(), image_id,
                                                      use_mini_mask=False)
    assert image.shape == (128, 128, 3)
    assert class_ids.tolist() == [2, 3, 1]
    assert masks.shape == (128, 128, 3)
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()


# --- the validation split ---------------------------------------------------------------------

def test_val_split_is_deterministic_and_disjoint(dataset_root):
    root, _ = dataset_root
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
    chosen = brands.validation_entries(paths, 0.1, seed=0)
    assert 150 <= len(chosen) <= 250
    shuffled = list(paths)
    random.Random(1).shuffle(shuffled)
    assert brands.validation_entries(shuffled, 0.1, seed=0) == chosen
    # A photo's membership does not depend on the other entries of the list.
    assert brands.validation_entries(paths[:700], 0.1, seed=0) == chosen & set(paths[:700])
    assert brands.validation_entries(paths, 0.1, seed=1) != chosen
    # At least one photo on each side when there are two.
    assert len(brands.validation_entries(paths[:2], 0.01)) == 1
    assert len(brands.validation_entries(paths[:2], 0.999)) == 1
    assert brands.validation_entries(paths[:1], 0.1) == set()


def test_explicit_validation_list(dataset_root, tmp_path):
    root, _ = dataset_root
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


def test_class_names_file_or_fallback(tmp_path):
    root = tmp_path / "FlickrLogos_47"
    names = [f"brand{i}" for i in range(47)]
    with FlickrLogosWriter(root, class_names=names) as writer:
        writer.add_image("train", np.zeros((40, 40, 3), np.uint8),
                         rectangle_mask(40, 40, 5, 5, 20, 20)[..., None], [4])
    assert load(root, "trainval").class_names[1:] == names
    os.remove(root / "className2ClassID.txt")
    assert load(root, "trainval").class_names[1:] == list(flickrlogos.CLASS_NAMES)


# --- strict and lenient -----------------------------------------------------------------------

@pytest.fixture
def small_root(tmp_path):
    """Two train photos (64x80) with two instances each; returns (root, [WrittenImage])."""
    root = tmp_path / "FlickrLogos_47"
    rng = np.random.default_rng(3)
    written = []
    with FlickrLogosWriter(root) as writer:
        for _ in range(2):
            masks = np.stack([rectangle_mask(64, 80, 5, 5, 25, 30),
                              ellipse_mask(64, 80, 45, 55, 10, 15)], axis=-1)
            written.append(writer.add_image("train", random_photo(rng, 64, 80), masks, [0, 9]))
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
    with pytest.raises(brands.BrandsDataError) as raised:
        load(root, "trainval")
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.path == written[0].gt_path and error.line_number == 2
    assert f"{written[0].gt_path}, line 2" in str(error) and reason in str(error)
    assert "\n" not in str(error)

    with caplog.at_level(logging.WARNING, logger="brands"):
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
    with pytest.raises(brands.BrandsDataError) as raised:
        load(root, "trainval")
    assert raised.value.path == str(list_path) and raised.value.line_number == 2
    assert "000009.png" in str(raised.value) and "file not found" in str(raised.value)
    list_path.write_text("./000000/000001.png\n\n/abs/x.png\n")
    with pytest.raises(brands.BrandsDataError, match=r"line 3: absolute path"):
        load(root, "trainval")
    list_path.write_text("./000000/000001.png\n./000000/000009.png\n/abs/x.png\n")
    dataset = load(root, "trainval", strict=False)
    assert entries(dataset) == ["000000/000001.png"] and dataset.num_skipped_images == 2
    # A photo of the logos-only list without its annotation file.
    list_path.write_text("./000000/000002.png\n")
    os.remove(written[1].gt_path)
    with pytest.raises(brands.BrandsDataError, match="annotation file"):
        load(root, "trainval")


def test_masks_are_read_lazily(small_root):
    root, written = small_root
    strict_dataset = load(root, "trainval")
    lenient_dataset = load(root, "trainval", strict=False)
    # Corrupt a mask after loading: only load_mask notices.
    data = pathlib.Path(written[0].mask_paths[1]).read_bytes()
    pathlib.Path(written[0].mask_paths[1]).write_bytes(data[:60])
    with pytest.raises(brands.BrandsDataError) as raised:
        strict_dataset.load_mask(0)
    assert raised.value.line_number == 2 and written[0].mask_paths[1] in str(raised.value)
    for _ in range(2):
        masks, class_ids = lenient_dataset.load_mask(0)
        assert class_ids.tolist() == [1] and masks.shape == (64, 80, 1)
    assert lenient_dataset.num_skipped_instances == 1  # counted once, not per epoch
    assert strict_dataset.load_mask(1)[1].tolist() == [1, 10]
