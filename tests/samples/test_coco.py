"""Tests of samples/coco/coco.py: CocoDataset on a tiny COCO-format dataset written in tmp_path,
the COCO evaluation helpers, and the train|evaluate command line."""

import json
import os
import pathlib
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mrcnn import evaluation, utils
from mrcnn.testing import load_script_module

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
COCO_SCRIPT = REPO_ROOT / "samples" / "coco" / "coco.py"

coco = load_script_module(COCO_SCRIPT)

FAST_TIMEOUT = 120
MODEL_TIMEOUT = 900
SIZE = 64
# Official-style non-contiguous category ids.
CATEGORIES = [{"id": 1, "name": "person", "supercategory": "person"},
              {"id": 18, "name": "dog", "supercategory": "animal"}]


def rectangle_polygon(x1, y1, x2, y2):
    return [float(v) for v in (x1, y1, x2, y1, x2, y2, x1, y2)]


def uncompressed_rle(mask):
    """COCO's uncompressed RLE of a bool mask: run lengths in column-major order, zeros first."""
    flat = mask.flatten(order="F").astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:
        counts = [0] + counts
    return {"size": list(mask.shape), "counts": counts}


CROWD_MASK = np.zeros((SIZE, SIZE), dtype=bool)
CROWD_MASK[40:60, 0:20] = True
CROWD_MASK[45:50, 20:30] = True


@pytest.fixture
def coco_dir(tmp_path):
    """A COCO-layout dataset: annotations/instances_minival2014.json and val2014/ images.

    Image 11: a person rectangle and a dog triangle. Image 22: a dog rectangle and a person
    crowd region (uncompressed RLE). Image 33: a person in two polygon parts and a person
    smaller than a pixel. Image 44: no annotation.
    """
    root = tmp_path / "coco"
    (root / "annotations").mkdir(parents=True)
    (root / "val2014").mkdir()
    images, annotations = [], []

    def add(image_id, category_id, segmentation, bbox, iscrowd=0, area=100.0):
        annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                            "category_id": category_id, "segmentation": segmentation,
                            "area": area, "bbox": bbox, "iscrowd": iscrowd})

    add(11, 1, [rectangle_polygon(10, 10, 30, 30)], [10, 10, 20, 20], area=400.0)
    add(11, 18, [[40.0, 35.0, 60.0, 60.0, 20.0, 60.0]], [20, 35, 40, 25], area=500.0)
    add(22, 18, [rectangle_polygon(30, 5, 60, 25)], [30, 5, 30, 20], area=600.0)
    add(22, 1, uncompressed_rle(CROWD_MASK), [0, 40, 30, 20], iscrowd=1,
        area=float(CROWD_MASK.sum()))
    add(33, 1, [rectangle_polygon(5, 5, 15, 25), rectangle_polygon(40, 40, 60, 50)],
        [5, 5, 55, 45], area=400.0)
    add(33, 1, [[10.1, 10.1, 10.3, 10.1, 10.3, 10.3]], [10.1, 10.1, 0.2, 0.2], area=0.02)

    rng = np.random.default_rng(0)
    for image_id in (11, 22, 33, 44):
        file_name = f"COCO_val2014_{image_id:012d}.png"
        images.append({"id": image_id, "file_name": file_name, "height": SIZE, "width": SIZE})
        pixels = rng.integers(0, 255, size=(SIZE, SIZE, 3), dtype=np.uint8)
        cv2.imwrite(str(root / "val2014" / file_name), pixels)
    with open(root / "annotations" / "instances_minival2014.json", "w") as f:
        json.dump({"info": {"description": "tiny"}, "licenses": [], "images": images,
                   "annotations": annotations, "categories": CATEGORIES}, f)
    return root


def load(coco_dir, **kwargs):
    dataset = coco.CocoDataset()
    coco_object = dataset.load_coco(str(coco_dir), "minival", year="2014", **kwargs)
    dataset.prepare()
    return dataset, coco_object


# --- CocoDataset ------------------------------------------------------------------------------

def test_sample_reexports_the_library_coco_config_the_matterport_way():
    """`import coco; coco.CocoConfig` (matterport's samples) is the library's mrcnn.coco."""
    import mrcnn.coco

    assert coco.CocoConfig is mrcnn.coco.CocoConfig
    assert coco.COCO_CLASS_NAMES is mrcnn.coco.COCO_CLASS_NAMES


def test_load_coco_registers_annotated_images_and_maps_classes(coco_dir):
    dataset, coco_object = load(coco_dir, return_coco=True)
    # Image 44 has no annotation: matterport registers only images with instances.
    assert [info["id"] for info in dataset.image_info] == [11, 22, 33]
    assert dataset.class_names == ["BG", "person", "dog"]
    assert dataset.map_source_class_id("coco.18") == 2
    assert dataset.get_source_class_id(2, "coco") == 18
    assert dataset.image_info[0]["path"] == str(coco_dir / "val2014" /
                                                "COCO_val2014_000000000011.png")
    assert sorted(coco_object.getCatIds()) == [1, 18]
    assert "id=22" in dataset.image_reference(1)
    assert dataset.load_image(0).shape == (SIZE, SIZE, 3)
    assert load(coco_dir)[1] is None  # no COCO object unless asked


def test_class_ids_subset(coco_dir):
    dataset, _ = load(coco_dir, class_ids=[18])
    assert dataset.class_names == ["BG", "dog"]
    assert [info["id"] for info in dataset.image_info] == [11, 22]
    masks, class_ids = dataset.load_mask(1)
    assert class_ids.tolist() == [1]  # the person crowd region is not loaded
    assert masks.shape == (SIZE, SIZE, 1)


def test_polygon_masks(coco_dir):
    dataset, _ = load(coco_dir)
    masks, class_ids = dataset.load_mask(0)
    assert masks.dtype == bool and masks.shape == (SIZE, SIZE, 2)
    assert class_ids.dtype == np.int32 and class_ids.tolist() == [1, 2]
    expected = np.zeros((SIZE, SIZE), dtype=bool)
    expected[10:30, 10:30] = True
    np.testing.assert_array_equal(utils.extract_bboxes(masks)[0], [10, 10, 30, 30])
    assert (masks[..., 0] == expected).mean() > 0.98
    # The triangle: apex at (x=40, y=35), base from x=20 to 60 at y=60.
    y1, x1, y2, x2 = utils.extract_bboxes(masks)[1]
    assert 34 <= y1 <= 36 and 59 <= y2 <= 61 and 19 <= x1 <= 21 and 59 <= x2 <= 61
    assert 0.4 < masks[..., 1].sum() / ((y2 - y1) * (x2 - x1)) < 0.6


def test_crowd_gets_negative_class_id_and_its_rle_mask(coco_dir):
    dataset, _ = load(coco_dir)
    masks, class_ids = dataset.load_mask(1)
    assert class_ids.tolist() == [2, -1]
    np.testing.assert_array_equal(masks[..., 1], CROWD_MASK)


def test_tiny_instances_are_dropped_and_polygon_parts_merged(coco_dir):
    dataset, _ = load(coco_dir)
    masks, class_ids = dataset.load_mask(2)
    assert class_ids.tolist() == [1]  # the sub-pixel person rounds out
    mask = masks[..., 0]
    assert mask[10, 10] and mask[45, 50]  # both parts of the first person
    assert not mask[30, 30]


def test_load_coco_errors_name_the_file(coco_dir, tmp_path):
    with pytest.raises(ValueError, match="nothing is downloaded"):
        coco.CocoDataset().load_coco(str(coco_dir), "minival", auto_download=True)
    with pytest.raises(FileNotFoundError, match="instances_val2017.json"):
        coco.CocoDataset().load_coco(str(coco_dir), "val", year="2017")
    bad = coco_dir / "annotations" / "instances_train2014.json"
    bad.write_text("{not json")
    (coco_dir / "train2014").mkdir()
    with pytest.raises(ValueError, match="instances_train2014.json"):
        coco.CocoDataset().load_coco(str(coco_dir), "train")


# --- evaluation -------------------------------------------------------------------------------

class PerfectModel:
    """Answers each image with its (non-crowd) ground truth, recognised by its pixels."""

    class config:
        BATCH_SIZE = 2

    def __init__(self, dataset):
        self.truth = {}
        for image_id in dataset.image_ids:
            masks, class_ids = dataset.load_mask(image_id)
            keep = class_ids > 0
            self.truth[dataset.load_image(image_id).tobytes()] = (masks[..., keep],
                                                                  class_ids[keep])

    def detect(self, images, verbose=0):
        results = []
        for image in images:
            masks, class_ids = self.truth[image.tobytes()]
            results.append({"rois": utils.extract_bboxes(masks), "class_ids": class_ids,
                            "scores": np.linspace(1.0, 0.9, len(class_ids)), "masks": masks})
        return results


def test_evaluate_against_the_coco_annotations(coco_dir):
    dataset, coco_object = load(coco_dir, return_coco=True)
    result = evaluation.evaluate(PerfectModel(dataset), dataset, verbose=0, coco_gt=coco_object)
    # mAP50 scores load_mask's instances, where the sub-pixel person is dropped: all found.
    assert result["mAP50"] == 1.0
    assert result["num_crowd"] == 1 and result["num_gt"] == 4
    # COCO AP scores the file's annotations, as the official evaluation: the crowd region is
    # ignored (not a miss) but the sub-pixel person is a miss. Person: 2 of 3 found at
    # precision 1, so precision is 1 at the 67 recall points 0, 0.01, ..., 0.66 of 101 ->
    # AP 67/101; dog: 1. The mean over the two categories is (67/101 + 1) / 2.
    rows = {row["name"]: row for row in result["per_class"]}
    assert list(rows) == ["person", "dog"]
    assert [row["num_gt"] for row in result["per_class"]] == [2, 2]
    for iou_type in ("bbox", "segm"):
        assert rows["person"][f"{iou_type}_AP"] == pytest.approx(67 / 101)
        assert rows["dog"][f"{iou_type}_AP"] == pytest.approx(1.0)
        assert result[iou_type]["AP"] == pytest.approx((67 / 101 + 1) / 2), iou_type
        assert result[iou_type]["AR100"] == pytest.approx((2 / 3 + 1) / 2)


def test_evaluate_coco_and_build_coco_results(coco_dir, capsys):
    dataset, coco_object = load(coco_dir, return_coco=True)
    model = PerfectModel(dataset)
    r = model.detect([dataset.load_image(0)])[0]
    results = coco.build_coco_results(dataset, [11], r["rois"], r["class_ids"], r["scores"],
                                      r["masks"].astype(np.uint8))
    assert [x["category_id"] for x in results] == [1, 18]
    assert all(x["image_id"] == 11 for x in results)
    assert results[0]["bbox"] == [10.0, 10.0, 20.0, 20.0]
    assert coco.build_coco_results(dataset, [11], None, None, None, None) == []

    # Images 11 and 22 hold no sub-pixel instance: every counted instance is found.
    coco_eval = coco.evaluate_coco(model, dataset, coco_object, "segm", limit=2)
    assert list(coco_eval.params.imgIds) == [11, 22]
    assert coco_eval.stats[0] == pytest.approx(1.0)
    out = capsys.readouterr().out
    assert "Average Precision" in out and "Prediction time" in out


# --- command line -----------------------------------------------------------------------------

def run_coco(args, cwd, timeout=FAST_TIMEOUT):
    env = dict(os.environ)
    env.pop("CUDA_VISIBLE_DEVICES", None)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return subprocess.run([sys.executable, str(COCO_SCRIPT), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(completed, *fragments):
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert completed.returncode == 2, completed.stderr
    assert len(lines) == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])


def test_help(tmp_path):
    completed = run_coco(["--help"], cwd=tmp_path)
    assert completed.returncode == 0
    for option in ("train", "evaluate", "--dataset", "--year", "--model", "--logs", "--limit"):
        assert option in completed.stdout


def test_missing_dataset_and_annotation_files(tmp_path, coco_dir):
    missing = tmp_path / "nowhere"
    assert_one_line_error(run_coco(["evaluate", "--dataset", missing, "--model", "coco"],
                                   cwd=tmp_path), missing)
    completed = run_coco(["evaluate", "--dataset", coco_dir, "--year", "2017", "--model",
                          "coco"], cwd=tmp_path)
    assert_one_line_error(completed, os.path.join("annotations", "instances_val2017.json"))
    # train needs train2014 and valminusminival2014 too.
    completed = run_coco(["train", "--dataset", coco_dir, "--model", "coco"], cwd=tmp_path)
    assert_one_line_error(completed, "instances_train2014.json")


def test_bad_weights_and_download_are_refused(tmp_path, coco_dir):
    missing = tmp_path / "weights.h5"
    assert_one_line_error(run_coco(["evaluate", "--dataset", coco_dir, "--model", missing],
                                   cwd=tmp_path), missing, "not found")
    missing.write_text("text")
    assert_one_line_error(run_coco(["evaluate", "--dataset", coco_dir, "--model", missing],
                                   cwd=tmp_path), missing, "HDF5")
    assert_one_line_error(run_coco(["evaluate", "--dataset", coco_dir, "--model", "last",
                                    "--download"], cwd=tmp_path), "nothing is downloaded")


def test_unreadable_annotation_file_is_one_line(tmp_path, coco_dir):
    json_path = coco_dir / "annotations" / "instances_minival2014.json"
    json_path.write_text("[1, 2")
    completed = run_coco(["evaluate", "--dataset", coco_dir, "--model", "last"], cwd=tmp_path)
    assert_one_line_error(completed, json_path)


@pytest.mark.slow
def test_evaluate_end_to_end_with_random_coco_weights(tmp_path, coco_dir, coco_weights_path):
    completed = run_coco(["evaluate", "--dataset", coco_dir, "--year", "2014", "--model",
                          coco_weights_path, "--logs", tmp_path / "logs", "--limit", "2",
                          "--image-size", "128"], cwd=tmp_path, timeout=MODEL_TIMEOUT)
    assert completed.returncode == 0, completed.stderr[-3000:]
    out = completed.stdout
    assert "Running COCO evaluation on 2 images." in out
    assert "Evaluated 2 images" in out
    for fragment in ("mAP@0.5", "bbox", "segm", "person", "dog"):
        assert fragment in out
