"""Tests of the COCO teaching demo: mrcnn.coco (config, class names), the mrcnn.demo command
(run as samples/demo.py and as the installed mrcnn-demo) and samples/demo.ipynb.

The CLI runs in a subprocess (as a user runs it). Error paths must fail before TensorFlow is
imported; a "probe" subprocess calls `mrcnn.demo.main(argv)` and reports which modules got
imported.
The end-to-end tests build the full ResNet101 model with random COCO-layout weights.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO_ROOT / "samples"
DEMO_SCRIPT = SAMPLES_DIR / "demo.py"
DEMO_NOTEBOOK = SAMPLES_DIR / "demo.ipynb"
RELEASES_URL = "https://github.com/matterport/Mask_RCNN/releases"

# Seconds: error paths stop before the model is built; the end-to-end runs build it on a CPU.
FAST_TIMEOUT = 120
MODEL_TIMEOUT = 900

from mrcnn import coco  # noqa: E402


def subprocess_env():
    """The test process's environment without a GPU selection inherited from the caller."""
    env = dict(os.environ)
    env.pop("CUDA_VISIBLE_DEVICES", None)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def run_demo(args, cwd=None, timeout=FAST_TIMEOUT):
    """Run samples/demo.py with `args` in a subprocess; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, str(DEMO_SCRIPT), *map(str, args)],
        cwd=cwd or REPO_ROOT, env=subprocess_env(), capture_output=True, text=True,
        timeout=timeout,
    )


PROBE_TEMPLATE = """
import json, os, sys
from mrcnn import demo
{prelude}
status = demo.main({argv!r})
print("PROBE " + json.dumps({{
    "tensorflow_imported": "tensorflow" in sys.modules,
    "keras_imported": "keras" in sys.modules,
    "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
}}))
sys.exit(status)
"""


def run_demo_probe(args, prelude=""):
    """Call demo.main(args) in a fresh interpreter. Returns (CompletedProcess, probe dict)."""
    code = PROBE_TEMPLATE.format(argv=[str(a) for a in args], prelude=prelude)
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=subprocess_env(),
                               capture_output=True, text=True, timeout=FAST_TIMEOUT)
    probe_lines = [line for line in completed.stdout.splitlines() if line.startswith("PROBE ")]
    probe = json.loads(probe_lines[-1][len("PROBE "):]) if probe_lines else None
    return completed, probe


def stderr_lines(completed):
    return [line for line in completed.stderr.splitlines() if line.strip()]


def assert_one_line_error(completed, *fragments):
    """Exit status 2, exactly one non-empty line on stderr, no traceback, naming `fragments`."""
    lines = stderr_lines(completed)
    assert completed.returncode == 2, completed.stderr
    assert len(lines) == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])


@pytest.fixture
def hdf5_placeholder(tmp_path):
    """An (empty) HDF5 file: passes the CLI's cheap weights check, so later checks can run."""
    import h5py

    path = tmp_path / "placeholder_weights.h5"
    with h5py.File(path, "w") as weights_file:
        weights_file.attrs["backend"] = b"tensorflow"
    return path


@pytest.fixture
def photo(tmp_path):
    """A copy of a real photo in a temporary folder (375x500 RGB JPEG)."""
    path = tmp_path / "street.jpg"
    shutil.copyfile(REPO_ROOT / "images" / "12283150_12d37e6389_z.jpg", path)
    return path


# --- mrcnn.coco ---------------------------------------------------------------------------------

def test_coco_class_names_follow_matterport_demo_order():
    names = coco.COCO_CLASS_NAMES
    assert len(names) == 81
    assert len(set(names)) == 81
    assert names[:4] == ["BG", "person", "bicycle", "car"]
    assert names[-3:] == ["teddy bear", "hair drier", "toothbrush"]
    assert names.index("traffic light") == 10
    assert names.index("dining table") == 61
    assert names.index("tv") == 63


def test_coco_config_matches_matterport():
    config = coco.CocoConfig()
    assert config.NAME == "coco"
    assert config.IMAGES_PER_GPU == 2
    assert config.NUM_CLASSES == 81 == len(coco.COCO_CLASS_NAMES)
    assert config.BATCH_SIZE == 2
    assert config.BACKBONE == "resnet101"
    # 1 + 3 + 3 + 4 + 1 + NUM_CLASSES, as in matterport's image_meta
    assert config.IMAGE_META_SIZE == 93


# --- samples/demo.py: arguments and error paths (no model needed) -----------------------------

def test_help_names_options_default_weights_and_where_to_get_them():
    completed = run_demo(["--help"])
    assert completed.returncode == 0, completed.stderr
    text = " ".join(completed.stdout.split())
    for option in ("--image", "--output", "--weights", "--min-confidence", "--gpu", "--debug"):
        assert option in text
    assert str(REPO_ROOT / "mask_rcnn_coco.h5") in text
    assert RELEASES_URL in text


def test_installed_mrcnn_demo_command_runs_the_same_demo(tmp_path, photo, monkeypatch):
    """`mrcnn-demo` (console script of the installed package): --help, and the weights default
    to $MRCNN_COCO_WEIGHTS (else ./mask_rcnn_coco.h5, not the checkout's root)."""
    command = pathlib.Path(sys.executable).with_name("mrcnn-demo")
    completed = subprocess.run([str(command), "--help"], env=subprocess_env(),
                               capture_output=True, text=True, timeout=FAST_TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    assert "usage: mrcnn-demo" in completed.stdout
    assert "--min-confidence" in completed.stdout
    missing = tmp_path / "elsewhere" / "mask_rcnn_coco.h5"
    env = dict(subprocess_env(), MRCNN_COCO_WEIGHTS=str(missing))
    completed = subprocess.run([str(command), "-i", str(photo), "-o", str(tmp_path / "o.png")],
                               env=env, cwd=tmp_path, capture_output=True, text=True,
                               timeout=FAST_TIMEOUT)
    assert completed.returncode == 2
    assert f"weights file not found: {missing}" in completed.stderr
    assert not (tmp_path / "o.png").exists()


def test_missing_weights_fails_fast_and_says_where_to_get_them(tmp_path, photo):
    missing = tmp_path / "nowhere" / "mask_rcnn_coco.h5"
    output = tmp_path / "out.png"
    completed, probe = run_demo_probe(["-i", photo, "-o", output, "--weights", missing])
    assert_one_line_error(completed, missing, RELEASES_URL, "v2.0", "mask_rcnn_coco.h5",
                          "Nothing is downloaded")
    assert probe == {"tensorflow_imported": False, "keras_imported": False,
                     "cuda_visible_devices": None}
    assert not output.exists()


def test_weights_that_are_not_hdf5_are_refused_before_the_model_is_built(tmp_path, photo):
    weights = tmp_path / "mask_rcnn_coco.h5"
    weights.write_text("<html>404 Not Found</html>\n")
    output = tmp_path / "out.png"
    completed, probe = run_demo_probe(["-i", photo, "-o", output, "--weights", weights])
    assert_one_line_error(completed, weights, "HDF5")
    assert probe["tensorflow_imported"] is False
    assert not output.exists()


def test_missing_input_image_is_named(tmp_path, hdf5_placeholder):
    missing = tmp_path / "no_such_photo.jpg"
    output = tmp_path / "out.png"
    completed = run_demo(["-i", missing, "-o", output, "--weights", hdf5_placeholder])
    assert_one_line_error(completed, missing)
    assert not output.exists()


def test_input_that_is_not_an_image_is_named(tmp_path, hdf5_placeholder):
    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("this is a text file, not a JPEG\n")
    output = tmp_path / "out.png"
    completed, probe = run_demo_probe(["-i", not_an_image, "-o", output,
                                       "--weights", hdf5_placeholder])
    assert_one_line_error(completed, not_an_image)
    assert probe["tensorflow_imported"] is False
    assert not output.exists()


def test_output_equal_to_input_is_refused_and_input_kept(tmp_path, photo, hdf5_placeholder):
    original_bytes = photo.read_bytes()
    # The same file spelled differently must be recognised too.
    same_file = tmp_path / "." / ".." / tmp_path.name / photo.name
    for output in (photo, same_file):
        completed = run_demo(["-i", photo, "-o", output, "--weights", hdf5_placeholder])
        assert_one_line_error(completed, "overwrite")
    assert photo.read_bytes() == original_bytes


def test_missing_output_folder_is_refused(tmp_path, photo, hdf5_placeholder):
    output = tmp_path / "missing_folder" / "out.png"
    completed = run_demo(["-i", photo, "-o", output, "--weights", hdf5_placeholder])
    assert_one_line_error(completed, tmp_path / "missing_folder")
    assert not output.parent.exists()


def test_unknown_output_extension_is_refused(tmp_path, photo, hdf5_placeholder):
    output = tmp_path / "out.txt"
    completed = run_demo(["-i", photo, "-o", output, "--weights", hdf5_placeholder])
    assert_one_line_error(completed, output, ".txt")
    assert not output.exists()


@pytest.mark.parametrize("value", ["1.5", "-0.1", "high"])
def test_min_confidence_outside_0_1_is_a_usage_error(tmp_path, photo, value):
    completed = run_demo(["-i", photo, "-o", tmp_path / "out.png", "--min-confidence", value])
    assert completed.returncode == 2
    assert "--min-confidence" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_gpu_flag_sets_cuda_visible_devices_before_tensorflow(tmp_path, photo):
    missing = tmp_path / "mask_rcnn_coco.h5"
    _, probe = run_demo_probe(["-i", photo, "--weights", missing, "--gpu", "3"])
    assert probe["cuda_visible_devices"] == "3"
    assert probe["tensorflow_imported"] is False
    _, probe_default = run_demo_probe(["-i", photo, "--weights", missing])
    assert probe_default["cuda_visible_devices"] is None


def test_internal_error_is_one_line_with_debug_hint(tmp_path, photo):
    crash = "demo.run = lambda args: 1 / 0"
    completed, _ = run_demo_probe(["-i", photo], prelude=crash)
    lines = stderr_lines(completed)
    assert completed.returncode == 1
    assert len(lines) == 1, completed.stderr
    assert "ZeroDivisionError" in lines[0] and "--debug" in lines[0]

    completed_debug, _ = run_demo_probe(["-i", photo, "--debug"], prelude=crash)
    assert completed_debug.returncode != 0
    assert "Traceback" in completed_debug.stderr


# --- samples/demo.py with the model ----------------------------------------------------------

@pytest.mark.slow
def test_weights_for_another_class_count_are_refused(tmp_path, photo):
    from mrcnn.testing import write_coco_layout_weights

    weights = tmp_path / "mask_rcnn_two_classes.h5"
    write_coco_layout_weights(str(weights), num_classes=2, seed=1)
    output = tmp_path / "out.png"
    completed = run_demo(["-i", photo, "-o", output, "--weights", weights],
                         timeout=MODEL_TIMEOUT)
    # TensorFlow's start-up log is silenced, so the error is still the only line on stderr.
    assert_one_line_error(completed, weights, "mrcnn_class_logits", "(1024, 81)", "(1024, 2)",
                          "exclude")
    assert not output.exists()


@pytest.mark.slow
def test_end_to_end_draws_detections_from_any_folder(tmp_path, coco_weights_path):
    from mrcnn.image_io import read_image

    source = REPO_ROOT / "images" / "12283150_12d37e6389_z.jpg"
    work_dir = tmp_path / "elsewhere"
    work_dir.mkdir()
    # Relative output path: resolved against the current folder, not the repository.
    completed = run_demo(["-i", source, "-o", "result.png", "--weights", coco_weights_path,
                          "--min-confidence", "0.0"], cwd=work_dir, timeout=MODEL_TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    output = work_dir / "result.png"
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    drawn = read_image(str(output))
    original = read_image(str(source))
    assert drawn.shape == original.shape == (375, 500, 3)
    assert drawn.dtype == np.uint8
    assert np.any(drawn != original)

    lines = completed.stdout.strip().splitlines()
    summary = lines[-1]
    assert summary.endswith("wrote result.png")
    detection_count = int(summary.split()[0])
    assert detection_count >= 1
    detection_lines = lines[:-1]
    assert len(detection_lines) == detection_count
    for line in detection_lines:
        class_name = line.split(" score ")[0].strip()
        assert class_name in coco.COCO_CLASS_NAMES[1:]
        assert "box (y1, x1, y2, x2) = (" in line


# --- samples/demo.ipynb ----------------------------------------------------------------------

def test_notebook_is_stored_without_outputs_and_reads_weights_location_from_env():
    import nbformat

    notebook = nbformat.read(DEMO_NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells
    for cell in code_cells:
        assert cell.outputs == [] and cell.execution_count is None
    source = "\n".join(cell.source for cell in notebook.cells)
    for fragment in ("MRCNN_COCO_WEIGHTS", "mask_rcnn_coco.h5", RELEASES_URL, "InferenceConfig",
                     "config.display()", 'mode="inference"', "by_name=True",
                     "sample_image_0.jpg", "model.detect(", "visualize.display_instances("):
        assert fragment in source, fragment


@pytest.mark.slow
@pytest.mark.notebook
def test_notebook_runs_with_random_coco_weights(tmp_path, monkeypatch, coco_weights_path):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("MRCNN_COCO_WEIGHTS", str(coco_weights_path))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    # Keep Jupyter's connection files and IPython's profile out of the user's home folder.
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter_runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))

    notebook = nbformat.read(DEMO_NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=MODEL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(SAMPLES_DIR)}})
    client.execute()  # raises CellExecutionError if a cell fails

    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    printed = "".join(output.get("text", "") for cell in code_cells for output in cell.outputs
                      if output.output_type == "stream")
    assert str(coco_weights_path) in printed
    assert "NUM_CLASSES" in printed and "81" in printed
    last_outputs = code_cells[-1].outputs
    assert any("image/png" in output.get("data", {}) for output in last_outputs), last_outputs
