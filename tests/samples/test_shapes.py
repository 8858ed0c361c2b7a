"""Tests of samples/shapes/shapes.py: the generated dataset, the configs and the CLI."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from mrcnn import utils
from mrcnn.testing import load_script_module

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SHAPES_SCRIPT = REPO_ROOT / "samples" / "shapes" / "shapes.py"

shapes = load_script_module(SHAPES_SCRIPT)

FAST_TIMEOUT = 120
MODEL_TIMEOUT = 900


def make_dataset(count=20, size=128, seed=0):
    dataset = shapes.ShapesDataset()
    dataset.load_shapes(count, size, size, seed=seed)
    dataset.prepare()
    return dataset


def run_shapes(args, cwd, timeout=FAST_TIMEOUT):
    env = dict(os.environ)
    env.pop("CUDA_VISIBLE_DEVICES", None)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return subprocess.run([sys.executable, str(SHAPES_SCRIPT), *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(completed, *fragments):
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert completed.returncode == 2, completed.stderr
    assert len(lines) == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])


# --- configuration ----------------------------------------------------------------------------

def test_configs_match_matterport():
    config = shapes.ShapesConfig()
    assert config.NAME == "shapes"
    assert (config.GPU_COUNT, config.IMAGES_PER_GPU, config.BATCH_SIZE) == (1, 8, 8)
    assert config.NUM_CLASSES == 4
    assert list(config.IMAGE_SHAPE) == [128, 128, 3]
    assert tuple(config.RPN_ANCHOR_SCALES) == (8, 16, 32, 64, 128)
    assert (config.TRAIN_ROIS_PER_IMAGE, config.STEPS_PER_EPOCH, config.VALIDATION_STEPS) == \
        (32, 100, 5)
    assert shapes.InferenceConfig().BATCH_SIZE == 1


# --- dataset ----------------------------------------------------------------------------------

def test_same_seed_same_images_other_seed_other_images():
    first, second, other = make_dataset(seed=7), make_dataset(seed=7), make_dataset(seed=8)
    assert [i["shapes"] for i in first.image_info] == [i["shapes"] for i in second.image_info]
    for image_id in first.image_ids:
        np.testing.assert_array_equal(first.load_image(image_id), second.load_image(image_id))
        np.testing.assert_array_equal(first.load_mask(image_id)[0],
                                      second.load_mask(image_id)[0])
    assert [i["shapes"] for i in first.image_info] != [i["shapes"] for i in other.image_info]


def test_classes_and_shape_counts():
    dataset = make_dataset(count=40)
    assert dataset.class_names == ["BG", "square", "circle", "triangle"]
    counts = set()
    for image_id in dataset.image_ids:
        info = dataset.image_info[image_id]
        described = dataset.image_reference(image_id)
        assert described == info["shapes"]
        masks, class_ids = dataset.load_mask(image_id)
        assert class_ids.dtype == np.int32
        assert masks.dtype == bool and masks.shape == (128, 128, len(described))
        assert [dataset.class_names[c] for c in class_ids] == [s[0] for s in described]
        counts.add(len(described))
        # matterport's NMS: no two remaining shapes have boxes overlapping with IoU > 0.3.
        boxes = np.array([[y - s, x - s, y + s, x + s] for _, _, (x, y, s) in described])
        overlaps = utils.compute_overlaps(boxes, boxes)
        np.fill_diagonal(overlaps, 0)
        assert overlaps.max() <= 0.3
    assert counts <= {1, 2, 3, 4} and len(counts) >= 3
    assert {s[0] for info in dataset.image_info for s in info["shapes"]} == \
        {"square", "circle", "triangle"}


@pytest.mark.parametrize("size", [128, 64])
def test_masks_match_the_drawn_pixels(size):
    dataset = make_dataset(count=25, size=size, seed=3)
    occluded = 0
    for image_id in dataset.image_ids:
        image = dataset.load_image(image_id)
        info = dataset.image_info[image_id]
        assert image.shape == (size, size, 3) and image.dtype == np.uint8
        masks, _ = dataset.load_mask(image_id)
        # Visible pixels of each shape have its colour; masks do not overlap.
        for index, (_, color, _) in enumerate(info["shapes"]):
            assert (image[masks[..., index]] == color).all()
        assert masks.sum(axis=2).max() <= 1
        # Everything outside the masks is background.
        assert (image[~masks.any(axis=2)] == info["bg_color"]).all()
        # Boxes of the masks lie inside the image and around the shape's centre.
        boxes = utils.extract_bboxes(masks)
        for box, (shape, _, (x, y, s)), visible in zip(boxes, info["shapes"],
                                                       masks.any(axis=(0, 1))):
            if not visible:
                continue
            y1, x1, y2, x2 = box
            assert 0 <= y1 < y2 <= size and 0 <= x1 < x2 <= size
            half_width = s / np.sin(np.radians(60)) if shape == "triangle" else s
            assert y - s <= y1 and y2 <= y + s + 1
            assert x - half_width - 1 <= x1 and x2 <= x + half_width + 1
        # Later shapes cover earlier ones: an earlier shape's mask loses the covered pixels.
        for index, (shape, _, dims) in enumerate(info["shapes"]):
            full = shapes.ShapesDataset.draw_shape(
                np.zeros((size, size), np.uint8), shape, dims, 1).astype(bool)
            assert (masks[..., index] <= full).all()
            occluded += int((full & ~masks[..., index]).any())
    assert occluded > 0  # the seed gives some occlusion, so that case is checked


def test_small_images_keep_shapes_inside():
    buffer, max_size = shapes.shape_margins(64, 64)
    assert (buffer, max_size) == (10, 16)
    assert shapes.shape_margins(128, 128) == (20, 32)  # matterport's values
    dataset = make_dataset(count=30, size=64, seed=1)
    for info in dataset.image_info:
        for _, _, (x, y, s) in info["shapes"]:
            assert buffer <= x <= 64 - buffer - 1 and buffer <= y <= 64 - buffer - 1
            assert buffer <= s <= max_size


# --- command line -----------------------------------------------------------------------------

def test_help_lists_commands_and_options(tmp_path):
    completed = run_shapes(["--help"], cwd=tmp_path)
    assert completed.returncode == 0
    for option in ("train", "evaluate", "--weights", "--logs", "--epochs", "--layers", "--lr",
                   "--num-train", "--num-val", "--steps-per-epoch", "--seed", "--gpu",
                   "--backbone", "--image-size"):
        assert option in completed.stdout


def test_missing_weights_file_is_one_line(tmp_path):
    missing = tmp_path / "no_such_weights.h5"
    completed = run_shapes(["train", "--weights", missing], cwd=tmp_path)
    assert_one_line_error(completed, missing, "not found")


def test_weights_that_are_not_hdf5_or_a_folder_are_refused(tmp_path):
    text_file = tmp_path / "weights.h5"
    text_file.write_text("not weights")
    assert_one_line_error(run_shapes(["evaluate", "--weights", text_file], cwd=tmp_path),
                          text_file, "HDF5")
    assert_one_line_error(run_shapes(["evaluate", "--weights", tmp_path], cwd=tmp_path),
                          tmp_path, "not a file")


@pytest.mark.parametrize("args, option", [
    (["train", "--image-size", "100"], "--image-size"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--backbone", "vgg"], "--backbone"),
    (["fly"], "command"),
])
def test_bad_arguments_are_usage_errors(tmp_path, args, option):
    completed = run_shapes(args, cwd=tmp_path)
    assert completed.returncode == 2
    assert option in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.slow
def test_last_without_checkpoints_is_one_line(tmp_path):
    logs = tmp_path / "empty_logs"
    logs.mkdir()
    completed = run_shapes(["evaluate", "--weights", "last", "--logs", logs, "--image-size", "64",
                            "--backbone", "resnet50", "--num-val", "1"], cwd=tmp_path,
                           timeout=MODEL_TIMEOUT)
    assert_one_line_error(completed, "Could not find model directory", logs)


@pytest.mark.slow
def test_weights_for_another_class_count_are_one_line(tmp_path, coco_weights_path):
    completed = run_shapes(["evaluate", "--weights", coco_weights_path, "--image-size", "64",
                            "--backbone", "resnet50", "--num-val", "1", "--logs", tmp_path],
                           cwd=tmp_path, timeout=MODEL_TIMEOUT)
    assert_one_line_error(completed, coco_weights_path, "mrcnn_class_logits", "(1024, 81)",
                          "--weights coco")


@pytest.mark.slow
def test_train_smoke_from_scratch(tmp_path):
    logs = tmp_path / "logs"
    completed = run_shapes(["train", "--weights", "none", "--num-train", "4", "--num-val", "2",
                            "--steps-per-epoch", "1", "--validation-steps", "1",
                            "--images-per-gpu", "2", "--epochs", "3", "--image-size", "64",
                            "--backbone", "small", "--seed", "0", "--logs", logs,
                            # Any epoch takes longer than 0.001 minutes: stop after the first.
                            "--time-limit", "0.001"],
                           cwd=tmp_path, timeout=MODEL_TIMEOUT)
    assert completed.returncode == 0, completed.stderr[-3000:]
    checkpoints = sorted(logs.glob("shapes*/mask_rcnn_shapes_*.h5"))
    assert [c.name for c in checkpoints] == ["mask_rcnn_shapes_0001.h5"]
    assert "Trained to epoch 1 in" in completed.stdout
    assert "(time limit)" in completed.stdout
    assert "mAP@0.5" in completed.stdout
    assert "triangle" in completed.stdout
