"""Tests of the ``logo-eraser`` command line (logo_eraser.cli), which block/final_project.py
runs with the original's flags: argument and input errors (all before the model is built),
runs with a stand-in model, end-to-end runs (one photo and folders, --json), the
block/final_project.py script and the installed ``logo-eraser`` console script.

The command line runs in-process through ``logo_eraser.cli.main(argv)``; its model build
(``logo_eraser.models.load_eraser_model``) is memoised for the whole module, so the ResNet101
brands model is built once here per test process (plus once in the one subprocess run). The
weights (``brands_weights``, tests/logo_eraser/conftest.py) are random, in the exact 48-class
layout, edited so that detections are few, of one known class (``favoured_class_id``), and of
the RPN proposals' size.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from logo_eraser import cli, hiding, models
from mrcnn.image_io import read_image

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
BLOCK_DIR = REPO_ROOT / "block"
STREET_PHOTO = REPO_ROOT / "images" / "12283150_12d37e6389_z.jpg"  # 375x500 RGB JPEG

FAST_TIMEOUT = 120
MODEL_TIMEOUT = 900


# --- helpers ----------------------------------------------------------------------------------

def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in pathlib.Path(folder).rglob("*"))


def run_eraser(argv):
    """logo_eraser.cli.main in-process (what block/final_project.py runs); returns the exit
    status."""
    return cli.main([str(a) for a in argv])


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

# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_builds():
    """Memoise logo_eraser.models.load_eraser_model (what the command line calls) for this
    module: one ResNet101 build per (weights file, class count, min confidence). Yields the
    list of builds done."""
    patcher = pytest.MonkeyPatch()
    real_load = models.load_eraser_model
    cache, builds = {}, []

    def load(weights_path, config, model_dir=None):
        key = (os.path.realpath(weights_path), config.NUM_CLASSES,
               config.DETECTION_MIN_CONFIDENCE)
        if key not in cache:
            builds.append(key)
            cache[key] = real_load(weights_path, config, model_dir)
        return cache[key]

    patcher.setattr(models, "load_eraser_model", load)
    yield builds
    patcher.undo()




@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "street.jpg"
    shutil.copyfile(STREET_PHOTO, path)
    return path


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
    monkeypatch.setattr(models.weights, "default_weights_paths",
                        lambda: tuple(map(str, defaults)))
    status = run_eraser(["-i", photo, "-o", tmp_path / "out.png"])
    assert_one_line_error(status, capsys, *defaults, "fine_tune_brands.py", "--model logo")
    assert files_under(tmp_path) == ["street.jpg"]


def test_weights_that_are_not_hdf5_are_refused(tmp_path, capsys, photo):
    weights = tmp_path / "mask_rcnn_brands.h5"
    weights.write_text("<html>404</html>\n")
    status = run_eraser(["-i", photo, "-o", tmp_path / "out.png", "--weights", weights])
    assert_one_line_error(status, capsys, weights, "HDF5")
    assert not (tmp_path / "out.png").exists()


def test_weights_for_a_wrong_layout_are_refused(tmp_path, capsys, photo, write_small_weights):
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
                                                              monkeypatch, textured_image):
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
                                                                   brands_weights,
                                                                   textured_image):
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
    code = ("import os, sys; from logo_eraser.cli import main; "
            "status = main(['-i', 'missing.png', '-gpu', '-1']); "
            "print('TF', 'tensorflow' in sys.modules); "
            "print('CUDA', os.environ.get('CUDA_VISIBLE_DEVICES')); sys.exit(status)")
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

def test_no_detection_writes_the_photo_unchanged(tmp_path, capsys, brands_weights, monkeypatch,
                                                 textured_image, fake_result, fake_model_class):
    source = tmp_path / "plain.png"
    Image.fromarray(textured_image(50, 70, seed=15)).save(source)
    image = read_image(source)
    fake = fake_model_class(fake_result(image, [], []), list(models.BRAND_CLASS_NAMES))
    monkeypatch.setattr(models, "load_eraser_model", lambda path, config: fake)
    report = tmp_path / "d.json"
    status = run_eraser(["-i", source, "-o", tmp_path / "out.png", "--weights", brands_weights,
                         "--json", report])
    assert status == 0
    assert np.array_equal(read_image(tmp_path / "out.png"), image)
    assert json.loads(report.read_text())["detections"] == []
    assert "0 logos hidden" in capsys.readouterr().out


def test_image_sizes_flag_reaches_the_detector_and_the_report(tmp_path, capsys, brands_weights,
                                                             monkeypatch, textured_image,
                                                             fake_result, fake_model_class):
    source = tmp_path / "plain.png"
    Image.fromarray(textured_image(50, 70, seed=17)).save(source)
    fake = fake_model_class(fake_result(read_image(source), [], []),
                            list(models.BRAND_CLASS_NAMES))
    monkeypatch.setattr(models, "load_eraser_model", lambda path, config: fake)
    report = tmp_path / "d.json"
    status = run_eraser(["-i", source, "-o", tmp_path / "out.png", "--weights", brands_weights,
                         "--json", report, "--image-sizes", "192", "256"])
    assert status == 0
    assert fake.image_sizes_asked == [[192, 256]]
    assert json.loads(report.read_text())["image_sizes"] == [192, 256]
    assert "detecting at 192/256 px" in capsys.readouterr().out


def test_an_internal_error_is_one_line_and_writes_nothing(tmp_path, capsys, brands_weights,
                                                          monkeypatch, textured_image,
                                                          fake_model_class):
    source = tmp_path / "plain.png"
    Image.fromarray(textured_image(50, 70, seed=16)).save(source)

    class BrokenModel(fake_model_class):
        def detect(self, images, verbose=0):
            raise RuntimeError("graph exploded")

    broken = BrokenModel(None, list(models.BRAND_CLASS_NAMES))
    monkeypatch.setattr(models, "load_eraser_model", lambda path, config: broken)
    status = run_eraser(["-i", source, "-o", tmp_path / "out.png", "--weights", brands_weights,
                         "--json", tmp_path / "d.json"])
    lines = error_lines(capsys)
    assert status == 1
    assert len(lines) == 1 and "graph exploded" in lines[0] and "--debug" in lines[0]
    assert files_under(tmp_path) == ["plain.png"]


# --- command line with the model ---------------------------------------------------------------

@pytest.fixture
def write_photo(textured_image):
    """write_photo(folder, kind): test photos of several sizes and modes; returns the path."""

    def write(folder, kind):
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

    return write


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
                                                     model_builds, write_photo,
                                                     favoured_class_id, kind):
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
    assert record["dilate_px"] == hiding.default_dilation(original.shape, 128)
    # The brands model has no TEST_IMAGE_SIZES: it detects at its own 128 px only.
    assert record["image_sizes"] == [128]
    detections = record["detections"]
    # The edited weights give a few detections per photo (neither none nor the maximum).
    assert 1 <= len(detections) < 100, len(detections)
    class_names = list(models.BRAND_CLASS_NAMES)
    for detection in detections:
        assert detection["class_id"] == favoured_class_id
        assert detection["class_name"] == class_names[favoured_class_id]
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
                                                                      model_builds,
                                                                      textured_image,
                                                                      write_photo):
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
                                            monkeypatch, write_photo):
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


def test_logo_eraser_console_script_shows_its_help(tmp_path):
    """The installed ``logo-eraser`` command (beside this Python) runs logo_eraser.cli.main."""
    script = pathlib.Path(sys.executable).with_name("logo-eraser")
    assert script.is_file(), script
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    completed = subprocess.run([str(script), "--help"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=FAST_TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: logo-eraser "), completed.stdout
    text = " ".join(completed.stdout.split())
    for flag in ("-i", "--image", "-gpu", "-o", "--output", "--weights", "--style", "--region",
                 "--keep", "--json", "fine_tune_brands.py"):
        assert flag in text, flag
    assert files_under(tmp_path) == []
