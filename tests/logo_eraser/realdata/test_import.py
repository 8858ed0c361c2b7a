"""logo-data: each source layout imported from a small generated fixture (box conventions,
duplicates, splits, provenance), bad lines refused with one line and nothing written, merge."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from logo_eraser.flickrlogos import read_class_names, read_file_list, read_gt_data
from logo_eraser.realdata import cli, duplicates
from logo_eraser.realdata.importing import (exclusive_to_inclusive, import_source,
                                            merge_datasets)
from logo_eraser.realdata.records import SourceDataError, SourcePhoto


def _photo(path, width=64, height=48, seed=0, fmt="JPEG"):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(pixels).save(path, format=fmt)
    return path


def _gt_boxes(dataset, split):
    """{original path: [(x1, y1, x2, y2) inclusive]} of an imported split."""
    provenance = json.load(open(os.path.join(dataset, "provenance.json")))
    out = {}
    for _, entry in read_file_list(os.path.join(dataset, split, "filelist.txt")):
        photo = os.path.join(dataset, split, entry)
        gt = os.path.splitext(photo)[0] + ".gt_data.txt"
        boxes = [(i.x1, i.y1, i.x2, i.y2) for i in read_gt_data(gt, 1)] if os.path.exists(
            gt) else []
        out[provenance["photos"][f"{split}/{entry}"]["original"]] = boxes
    return out


def _toplogo(root):
    data = root / "data"
    _photo(str(data / "jpg" / "nike" / "nike1.jpg"), seed=1)
    _photo(str(data / "jpg" / "nike" / "nike2.jpg"), seed=2)
    _photo(str(data / "jpg" / "adidas0" / "adidas1.jpg"), seed=3)
    (data / "masks" / "nike").mkdir(parents=True)
    (data / "masks" / "adidas0").mkdir(parents=True)
    (data / "masks" / "nike" / "nike1.jpg.bboxes.txt").write_text("10 5 20 8\n1 2 3 4")
    (data / "masks" / "nike" / "nike2.jpg.bboxes.txt").write_text("0 0 64 48\n")
    (data / "masks" / "adidas0" / "adidas1.jpg.bboxes.txt").write_text("30 20 4 4\n")
    (data / "ImageSets").mkdir()
    (data / "ImageSets" / "30_images_per_class_test.txt").write_text("nike1\n")
    return data


def test_toplogo10_boxes_exact_and_test_split_kept(tmp_path):
    _toplogo(tmp_path / "src")
    out = tmp_path / "out"
    summary = import_source("toplogo10", str(tmp_path / "src"), str(out), val_fraction=0.0)
    assert read_class_names(out / "className2ClassID.txt") == ["logo"]
    test = _gt_boxes(str(out), "test")
    # x y w h, 0-based: (10, 5) and 20x8 covers columns 10..29, rows 5..12.
    assert test == {"data/jpg/nike/nike1.jpg": [(10, 5, 29, 12), (1, 2, 3, 5)]}
    train = _gt_boxes(str(out), "train")
    assert train["data/jpg/nike/nike2.jpg"] == [(0, 0, 63, 47)]
    assert train["data/jpg/adidas0/adidas1.jpg"] == [(30, 20, 33, 23)]
    assert summary["splits"]["test"]["logos"] == 2
    provenance = json.load(open(out / "provenance.json"))
    record = next(iter(provenance["photos"].values()))
    assert record["source"] == "toplogo10" and "none stated" in record["licence"]
    # The box mask is the box, filled.
    photo_entry = read_file_list(out / "test" / "filelist.txt")[0][1]
    mask = np.asarray(Image.open(out / "test" / (photo_entry[:-4] + ".mask00.png"))) > 0
    assert mask.sum() == 20 * 8 and mask[5:13, 10:30].all()
    # The photo's bytes are copied as they are.
    assert (out / "test" / photo_entry).read_bytes() == \
        (tmp_path / "src" / "data" / "jpg" / "nike" / "nike1.jpg").read_bytes()


def _flickrlogos27(root):
    folder = root / "flickr_logos_27_dataset"
    images = folder / "flickr_logos_27_dataset_images"
    for i in range(1, 41):
        _photo(str(images / f"{i}.jpg"), seed=i)
    lines = []
    for i in range(1, 31):
        # Each box is listed once per subset it belongs to (1..3): duplicates.
        for subset in (1, 2, 3):
            lines.append(f"{i}.jpg Adidas {subset} 4 6 13 20 ")
    lines.append("2.jpg Nike 1 30 30 40 40")
    (folder / "flickr_logos_27_dataset_training_set_annotation.txt").write_text(
        "\n".join(lines) + "\n")
    query = [f"{i}.jpg\tnone" for i in range(31, 41)] + ["1.jpg\tAdidas"]
    (folder / "flickr_logos_27_dataset_query_set_annotation.txt").write_text(
        "\n".join(query) + "\n")
    return folder


def test_flickrlogos27_duplicates_dropped_seeded_split_negatives(tmp_path):
    _flickrlogos27(tmp_path / "src")
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    summary = import_source("flickrlogos27", str(tmp_path / "src"), str(out_a), seed=3)
    import_source("flickrlogos27", str(tmp_path / "src"), str(out_b), seed=3)
    boxes = {**_gt_boxes(str(out_a), "train"), **_gt_boxes(str(out_a), "test")}
    logo_photos = {k: v for k, v in boxes.items() if v}
    assert len(logo_photos) == 30
    # x1 y1 x2 y2 with the last pixel included; the three subset copies give one box.
    key = os.path.join("flickr_logos_27_dataset", "flickr_logos_27_dataset_images", "1.jpg")
    assert logo_photos[key] == [(4, 6, 13, 20)]
    assert sorted(logo_photos[key.replace("1.jpg", "2.jpg")]) == [(4, 6, 13, 20),
                                                                     (30, 30, 40, 40)]
    counts = summary["splits"]
    assert sum(c["logo_free"] for c in counts.values()) == 10
    assert counts["test"]["photos"] > 0 and counts["train"]["photos"] > 0
    # Seeded: the same seed gives the same split.
    assert _gt_boxes(str(out_a), "test") == _gt_boxes(str(out_b), "test")


def test_flickrlogos27_malformed_line_named(tmp_path):
    folder = _flickrlogos27(tmp_path / "src")
    path = folder / "flickr_logos_27_dataset_training_set_annotation.txt"
    path.write_text(path.read_text() + "5.jpg Adidas 1 4 six 13 20\n")
    with pytest.raises(SourceDataError, match=r"annotation\.txt, line 92: not a number"):
        import_source("flickrlogos27", str(tmp_path / "src"), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    assert not [name for name in os.listdir(tmp_path) if "partial" in name]


def _coco(root):
    """Two splits; train holds an exact copy of a photo under another name."""
    for split, count in (("train", 3), ("test", 2)):
        folder = root / "Dataset" / split
        images, annotations = [], []
        for i in range(count):
            name = f"{split}_{i}.jpg"
            _photo(str(folder / name), width=80, height=60, seed=i + (10 if split == "test"
                                                                      else 0))
            images.append({"id": i, "file_name": name, "width": 80, "height": 60})
            annotations.append({"id": i, "image_id": i, "category_id": 1,
                                "bbox": [10.5, 20, 12.25, 7]})
        if split == "train":   # train_2 = a copy of train_0
            (folder / "train_2.jpg").write_bytes((folder / "train_0.jpg").read_bytes())
        json.dump({"images": images, "annotations": annotations,
                   "categories": [{"id": 1, "name": "Audi"}]},
                  open(folder / "_annotations.coco.json", "w"))


def test_coco_json_boxes_and_copies(tmp_path):
    _coco(tmp_path / "src")
    out = tmp_path / "out"
    summary = import_source("car-logos", str(tmp_path / "src"), str(out))
    assert summary["copies_dropped"] == 1
    test = _gt_boxes(str(out), "test")
    # [x, y, w, h] floats: columns 10.5..22.75 touch pixels 10..22, rows 20..26.
    assert list(test.values()) == [[(10, 20, 22, 26)], [(10, 20, 22, 26)]]
    assert len(_gt_boxes(str(out), "train")) == 2
    provenance = json.load(open(out / "provenance.json"))
    assert {r["licence"] for r in provenance["photos"].values()} == {
        "CC BY 4.0 (Dataset/README.dataset.txt)"}
    assert all(r["brands"] == ["Audi"] for r in provenance["photos"].values())


def test_copies_keep_the_test_copy():
    """A photo with a copy in test is kept in test only (no test photo seen in training)."""
    photos = [SourcePhoto(f"/p{i}.jpg", f"p{i}.jpg", [(0, 0, 1, 1)], ["a"], split)
              for i, split in enumerate(("train", "test", "train"))]
    signature = np.ones(64, np.float32) / 8
    other = np.r_[np.ones(32), -np.ones(32)].astype(np.float32) / 8
    copies = duplicates.group_copies(photos, signatures=[signature, signature, other])
    assert copies == 1
    from logo_eraser.realdata.importing import keep_one_copy
    kept, dropped = keep_one_copy(photos)
    assert dropped == 1 and [p.original for p in kept] == ["p1.jpg", "p2.jpg"]


def _yolo(root, roboflow=True):
    for split, count in (("train", 4), ("valid", 2), ("test", 2)):
        if roboflow:
            images, labels = root / split / "images", root / split / "labels"
        else:
            images, labels = root / "images" / split, root / "labels" / split
        labels.mkdir(parents=True)
        for i in range(count):
            _photo(str(images / f"{split}{i}.jpg"), width=100, height=50, seed=i)
            (labels / f"{split}{i}.txt").write_text("0 0.5 0.5 0.2 0.4\n")
    _photo(str(root / ("train/images" if roboflow else "images/train") / "unlabelled.jpg"))


@pytest.mark.parametrize("roboflow", [True, False])
def test_yolo_normalised_boxes_and_splits(tmp_path, roboflow):
    _yolo(tmp_path / "src", roboflow)
    out = tmp_path / "out"
    summary = import_source("yolo", str(tmp_path / "src"), str(out), licence="CC0")
    # cx 0.5, w 0.2 of 100 px: columns 40..59; cy 0.5, h 0.4 of 50 px: rows 15..34.
    assert set(map(tuple, sum(_gt_boxes(str(out), "test").values(), []))) == {(40, 15, 59, 34)}
    assert summary["splits"]["val"]["photos"] == 2 and summary["splits"]["test"]["photos"] == 2
    assert summary["splits"]["train"]["photos"] == 4     # the unlabelled photo is left out
    val = read_file_list(out / "train" / "val_list.txt")
    assert len(val) == 2


def test_yolo_bad_line_and_generic_needs_licence(tmp_path):
    _yolo(tmp_path / "src")
    with pytest.raises(ValueError, match="--licence"):
        import_source("yolo", str(tmp_path / "src"), str(tmp_path / "out"))
    (tmp_path / "src" / "test" / "labels" / "test0.txt").write_text("0 0.5 1.7 0.2 0.4\n")
    with pytest.raises(SourceDataError, match=r"test0\.txt, line 1: coordinates must be "
                       "normalised"):
        import_source("yolo", str(tmp_path / "src"), str(tmp_path / "out"), licence="x")
    (tmp_path / "src" / "test" / "labels" / "test0.txt").write_text("0 0.5 0.5\n")
    with pytest.raises(SourceDataError, match=r"test0\.txt, line 1: expected 5 fields"):
        import_source("yolo", str(tmp_path / "src"), str(tmp_path / "out"), licence="x")
    assert not (tmp_path / "out").exists()


def test_exclusive_to_inclusive():
    boxes = exclusive_to_inclusive([[0, 0, 10, 5], [1.5, 2.25, 3.5, 2.75]])
    assert boxes.tolist() == [[0, 0, 9, 4], [1, 2, 3, 2]]


def test_cli_errors_one_line_exit_2(tmp_path, capsys):
    assert cli.main(["import", "toplogo10", "--from", str(tmp_path), "-o",
                     str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "not a TopLogo-10 folder" in error
    (tmp_path / "exists").mkdir()
    assert cli.main(["import", "toplogo10", "--from", str(tmp_path), "-o",
                     str(tmp_path / "exists")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["sources"]) == 0
    assert "CC BY 4.0" in capsys.readouterr().out


def test_cli_import_and_merge(tmp_path, capsys):
    _toplogo(tmp_path / "top")
    _coco(tmp_path / "coco")
    assert cli.main(["import", "toplogo10", "--from", str(tmp_path / "top"), "-o",
                     str(tmp_path / "a"), "--val-fraction", "0"]) == 0
    assert cli.main(["import", "car-logos", "--from", str(tmp_path / "coco"), "-o",
                     str(tmp_path / "b")]) == 0
    assert cli.main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "-o",
                     str(tmp_path / "m")]) == 0
    merged = json.load(open(tmp_path / "m" / "provenance.json"))
    sources = [record["source"] for record in merged["photos"].values()]
    assert sources.count("toplogo10") == 3 and sources.count("car-logos") == 4
    assert set(merged["sources"]) == {"toplogo10", "car-logos"}
    boxes = _gt_boxes(str(tmp_path / "m"), "test")
    assert boxes["data/jpg/nike/nike1.jpg"] == [(10, 5, 29, 12), (1, 2, 3, 5)]


def test_merge_keeps_validation_photos_only(tmp_path):
    """The validation list of a merge names the inputs' validation photos, and only them
    (a test photo with the same entry name as a validation photo is not one)."""
    _yolo(tmp_path / "src")
    import_source("yolo", str(tmp_path / "src"), str(tmp_path / "a"), licence="x")
    import_source("yolo", str(tmp_path / "src"), str(tmp_path / "b"), licence="x")
    merge_datasets([str(tmp_path / "a"), str(tmp_path / "b")], str(tmp_path / "m"))
    val = [entry for _, entry in read_file_list(tmp_path / "m" / "train" / "val_list.txt")]
    listed = {entry for _, entry in read_file_list(tmp_path / "m" / "train" / "filelist.txt")}
    assert len(val) == 4 and set(val) <= listed
    provenance = json.load(open(tmp_path / "m" / "provenance.json"))
    assert sorted(entry for entry, record in provenance["photos"].items()
                  if record["split"] == "val") == sorted(f"train/{entry}" for entry in val)


def test_interrupted_import_leaves_nothing(tmp_path):
    """SIGINT during an import: exit 130, no output folder, no partial folder."""
    _flickrlogos27(tmp_path / "src")
    images = tmp_path / "src" / "flickr_logos_27_dataset" / "flickr_logos_27_dataset_images"
    for i in range(41, 1500):      # enough photos that the import is still running
        (images / f"{i}.jpg").write_bytes((images / "1.jpg").read_bytes())
    query = tmp_path / "src" / "flickr_logos_27_dataset" / \
        "flickr_logos_27_dataset_query_set_annotation.txt"
    query.write_text(query.read_text() + "".join(f"{i}.jpg\tnone\n" for i in range(41, 1500)))
    process = subprocess.Popen(
        [sys.executable, "-m", "logo_eraser.realdata.cli", "import", "flickrlogos27",
         "--from", str(tmp_path / "src"), "-o", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    partial = None
    for _ in range(600):
        names = [name for name in os.listdir(tmp_path) if "partial" in name]
        if names and os.path.exists(tmp_path / names[0] / "train"):
            partial = names[0]
            break
        if process.poll() is not None:
            break
        import time
        time.sleep(0.05)
    assert partial is not None, "the import ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert not (tmp_path / "out").exists()
    assert not [name for name in os.listdir(tmp_path) if "partial" in name]


def test_merge_samples_an_input_s_training_photos(tmp_path, capsys):
    """--max-train-photos DIR=N keeps N of that input's training photos (a seeded sample, the
    same each time) and every validation and test photo."""
    _yolo(tmp_path / "src")
    import_source("yolo", str(tmp_path / "src"), str(tmp_path / "a"), licence="x")
    args = ["merge", str(tmp_path / "a"), "--max-train-photos", f"{tmp_path / 'a'}=2"]
    assert cli.main(args + ["-o", str(tmp_path / "m1")]) == 0
    assert cli.main(args + ["-o", str(tmp_path / "m2")]) == 0
    for merged in ("m1", "m2"):
        splits = [record["split"] for record in json.load(
            open(tmp_path / merged / "provenance.json"))["photos"].values()]
        assert splits.count("train") == 2 and splits.count("val") == 2
        assert splits.count("test") == 2
    originals = [sorted(record["original"] for record in json.load(
        open(tmp_path / merged / "provenance.json"))["photos"].values()) for merged in
        ("m1", "m2")]
    assert originals[0] == originals[1]
    assert cli.main(["merge", str(tmp_path / "a"), "--max-train-photos", "other=2", "-o",
                     str(tmp_path / "m3")]) == 2
    assert "expected DIR=N" in capsys.readouterr().err
