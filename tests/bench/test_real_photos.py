"""Tests of bench/bench_real_photos.py: the annotations load and fit their photos, and the
hidden criterion, the changed-pixel share and the false-alarm count say what they should."""

import pathlib

import numpy as np
import pytest

from mrcnn.image_io import read_image
from mrcnn.testing import load_script_module

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
bench = load_script_module(REPO_ROOT / "bench" / "bench_real_photos.py")


@pytest.fixture(scope="module")
def photos():
    return bench.load_annotations(bench.DEFAULT_ANNOTATIONS)


def test_annotations_cover_every_real_photo_with_logos_and_logo_free_ones(photos):
    files = {pathlib.Path(photo["file"]).name for photo in photos}
    assert files == {path.name for path in (REPO_ROOT / "images").glob("*.jpg")}
    logos = [logo for photo in photos for logo in photo["logos"]]
    assert len(logos) >= 30
    assert sum(1 for photo in photos if not photo["logos"]) >= 15
    for logo in logos:
        y1, x1, y2, x2 = logo["box"]
        assert y2 > y1 and x2 > x1 and logo["brand"]


def test_a_box_outside_its_photo_is_refused(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"photos": [{"file": "images/sample_image_0.jpg", "split": "report", '
                    '"ignore": [], "logos": [{"brand": "x", "box": [700, 10, 800, 20]}]}]}')
    with pytest.raises(ValueError, match="sample_image_0.jpg: box .* outside the 1024x768"):
        bench.load_annotations(path)


def test_photos_are_split_into_calibration_and_report_halves(photos, tmp_path):
    """Choices are made on one half and figures reported on the other: the two are disjoint,
    cover every photo and each has photos with logos and logo-free ones."""
    calibration = bench.load_annotations(bench.DEFAULT_ANNOTATIONS, "calibration")
    report = bench.load_annotations(bench.DEFAULT_ANNOTATIONS, "report")
    assert {p["file"] for p in calibration} | {p["file"] for p in report} == \
        {p["file"] for p in photos}
    assert not {p["file"] for p in calibration} & {p["file"] for p in report}
    for half in (calibration, report):
        assert sum(len(p["logos"]) for p in half) >= 12
        assert sum(1 for p in half if not p["logos"]) >= 8
    path = tmp_path / "no_split.json"
    path.write_text('{"photos": [{"file": "images/sample_image_0.jpg", "ignore": [], '
                    '"logos": []}]}')
    with pytest.raises(ValueError, match="sample_image_0.jpg: split must be one of"):
        bench.load_annotations(path)


def test_hidden_criterion_separates_hidden_from_visible_logos(photos):
    scores = bench.self_check(photos)
    assert scores["untouched"] == pytest.approx(1.0)
    assert scores["mosaic"] < 0.2
    assert scores["blur"] < 0.3
    assert bench.HIDDEN_NCC < scores["left half mosaic"] < 0.9


def test_polygon_limits_the_compared_pixels():
    logo = {"box": [0, 0, 10, 10], "polygon": [[0, 0], [9, 0], [0, 9]]}
    rows, cols, inside = bench.logo_region(logo)
    assert inside.shape == (10, 10) and inside[1, 1] and not inside[9, 9]
    assert 40 <= inside.sum() <= 60


def test_score_photo_counts_hidden_logos_changed_pixels_and_false_alarms(photos):
    photo = next(p for p in photos if len(p["logos"]) >= 2 and p["ignore"] == [])
    before = read_image(photo["file"])
    after = before.copy()
    y1, x1, y2, x2 = photo["logos"][0]["box"]
    after[y1:y2, x1:x2] = after[y1:y2, x1:x2].mean(axis=(0, 1)).astype(np.uint8)
    logo_mask = bench.boxes_mask(before.shape, photo["logos"])
    free_y, free_x = np.argwhere(~logo_mask)[0]
    after[free_y, free_x] = 255 - after[free_y, free_x]
    detections = [{"box": [y1, x1, y2, x2], "hidden": True},
                  {"box": [int(free_y), int(free_x), int(free_y) + 1, int(free_x) + 1],
                   "hidden": True},
                  {"box": [int(free_y), int(free_x), int(free_y) + 1, int(free_x) + 1],
                   "hidden": False}]
    row = bench.score_photo(photo, after, detections)
    assert row["hidden"] == 1 and row["logos"] == len(photo["logos"])
    assert row["correlations"][0] < bench.HIDDEN_NCC
    assert all(c == pytest.approx(1.0) for c in row["correlations"][1:])
    assert row["changed_outside"] == 1 and row["outside"] == (~logo_mask).sum()
    assert row["false_alarms"] == 1
    summary = bench.summarise([row, dict(row, logos=0, hidden=0, false_alarms=2)], 3.0)
    assert summary["logos_hidden_share"] == pytest.approx(1 / len(photo["logos"]))
    assert summary["false_alarms_per_logo_free_photo"] == 2.0
    assert summary["seconds_per_photo"] == 1.5


def test_imported_datasets_give_report_and_calibration_photos_per_source(tmp_path):
    """--dataset: the test split is "report", the validation photos "calibration"; boxes are
    the imported ones as [y1, x1, y2, x2) and every photo names its source."""
    import json

    from PIL import Image

    from logo_eraser.realdata.importing import import_source

    rng = np.random.default_rng(0)
    source = tmp_path / "src"
    for split, count in (("train", 3), ("valid", 2), ("test", 2)):
        (source / split / "labels").mkdir(parents=True)
        (source / split / "images").mkdir(parents=True)
        for i in range(count):
            Image.fromarray(rng.integers(0, 255, (50, 100, 3), dtype=np.uint8)).save(
                source / split / "images" / f"{split}{i}.jpg")
            (source / split / "labels" / f"{split}{i}.txt").write_text("0 0.5 0.5 0.2 0.4\n")
    import_source("yolo", str(source), str(tmp_path / "a"), licence="x")
    report = bench.load_dataset_photos([str(tmp_path / "a")], "report")
    calibration = bench.load_dataset_photos([str(tmp_path / "a")], "calibration")
    assert len(report) == 2 and len(calibration) == 2
    assert {p["source"] for p in report + calibration} == {"yolo"}
    assert report[0]["logos"][0]["box"] == [15, 40, 35, 60]
    assert (report[0]["height"], report[0]["width"]) == (50, 100)
    assert len(bench.load_dataset_photos([str(tmp_path / "a")], "all", limit_per_source=1)) == 2
    rows = [{"source": "a", "logos": 2, "hidden": 1, "changed_outside": 1, "outside": 10,
             "false_alarms": 0},
            {"source": "b", "logos": 0, "hidden": 0, "changed_outside": 0, "outside": 10,
             "false_alarms": 1}]
    by_source = bench.summarise_by_source(rows, 2.0)
    assert by_source["a"]["logos_hidden_share"] == 0.5
    assert by_source["b"]["false_alarms_per_logo_free_photo"] == 1.0
    json.dumps(by_source)
