"""Tests of logo_eraser.training (the logo-train command, also run as
samples/brands/fine_tune_brands.py): argument and data errors (before TensorFlow), a two-epoch
fine-tune from COCO-layout weights and the evaluate report, on a FlickrLogos-47 dataset written
in tmp_path."""

import os
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pytest

from logo_eraser import training
from logo_eraser.flickrlogos import CLASS_NAMES, FlickrLogosWriter
from mrcnn import weights_io

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO_ROOT / "samples" / "brands"
SCRIPT = SAMPLE_DIR / "fine_tune_brands.py"
# The console command pip installs beside the interpreter.
CONSOLE_COMMAND = pathlib.Path(sys.executable).with_name("logo-train")

FAST_TIMEOUT = 120


def write_dataset(root, seed=0):
    """Six train photos and two test photos with logos (64..160 px), one no-logo test photo."""
    rng = np.random.default_rng(seed)
    sizes = [(64, 96), (96, 64), (128, 128), (80, 160), (160, 112), (72, 72), (100, 90),
             (88, 120)]
    with FlickrLogosWriter(root) as writer:
        for index, (height, width) in enumerate(sizes):
            photo = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
            masks = np.zeros((height, width, 2), dtype=bool)
            masks[height // 8:height // 2, width // 8:width // 2, 0] = True
            masks[height // 2 + 4:height - 4, width // 2:width - 6, 1] = True
            photo[masks[..., 0]] = (250, 30, 30)   # flat-coloured "logos"
            photo[masks[..., 1]] = (30, 30, 250)
            split = "train" if index < 6 else "test"
            writer.add_image(split, photo, masks, [0, (3 * index) % len(CLASS_NAMES)])
        writer.add_negative("test", rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8))
    return root


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("brands") / "FlickrLogos_47")


def run_cli(args, capsys):
    """logo_eraser.training.main in this process: (exit status, stdout, stderr)."""
    try:
        code = training.main([str(arg) for arg in args])
    except SystemExit as exit_:  # argparse
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in pathlib.Path(folder).rglob("*"))


# --- command line, no model -------------------------------------------------------------------

def test_help_works_from_the_sample_folder_and_from_elsewhere(tmp_path):
    env = dict(os.environ)
    env.pop("CUDA_VISIBLE_DEVICES", None)
    for cwd in (SAMPLE_DIR, tmp_path):
        completed = subprocess.run([sys.executable, SCRIPT.name if cwd == SAMPLE_DIR
                                    else str(SCRIPT), "--help"], cwd=cwd, env=env,
                                   capture_output=True, text=True, timeout=FAST_TIMEOUT)
        assert completed.returncode == 0, completed.stderr
        for option in ("train", "evaluate", "--gpu", "--dataset", "--weights", "--epochs",
                       "--layers", "--augment", "--logs", "--output", "--lenient", "--dir",
                       "--load", "--infer"):
            assert option in completed.stdout


def test_installed_console_command_help(tmp_path):
    """`logo-train --help`: the command pip installs (setup.py's console_scripts)."""
    assert CONSOLE_COMMAND.is_file(), f"{CONSOLE_COMMAND} is missing: pip install -e ."
    completed = subprocess.run([str(CONSOLE_COMMAND), "--help"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=FAST_TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: logo-train")
    for option in ("train", "evaluate", "--dataset", "--weights", "--model"):
        assert option in completed.stdout


def test_gpu_flag_without_command_runs_train_and_fails_cleanly(tmp_path):
    """`python fine_tune_brands.py --gpu 0` (the original command) means train."""
    env = dict(os.environ)
    env["MRCNN_COCO_WEIGHTS"] = str(tmp_path / "missing_coco.h5")
    completed = subprocess.run([sys.executable, SCRIPT.name, "--gpu", "0", "--dataset",
                                tmp_path / "nowhere"], cwd=SAMPLE_DIR, env=env,
                               capture_output=True, text=True, timeout=FAST_TIMEOUT)
    assert_one_line_error(completed.returncode, completed.stderr, "FlickrLogos-47 folder not "
                          "found", tmp_path / "nowhere")
    assert listing(tmp_path) == []


def test_data_errors_are_found_before_tensorflow_is_imported(malformed_dataset, tmp_path):
    root, gt_path = malformed_dataset
    weights = tmp_path / "weights.h5"
    with h5py.File(weights, "w") as f:
        f.attrs["layer_names"] = []
    # The script's main, loaded from its file (the script's own folder is not on sys.path).
    code = ("import sys; from mrcnn.testing import load_script_module; "
            f"fine_tune_brands = load_script_module({str(SCRIPT)!r}); "
            f"status = fine_tune_brands.main(['--dataset', {str(root)!r}, '--weights', "
            f"{str(weights)!r}, '--output', {str(tmp_path / 'out.h5')!r}]); "
            "print('tensorflow imported:', 'tensorflow' in sys.modules); sys.exit(status)")
    completed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                               text=True, timeout=FAST_TIMEOUT)
    assert_one_line_error(completed.returncode, completed.stderr, f"{gt_path}, line 2")
    assert "tensorflow imported: False" in completed.stdout
    assert not (tmp_path / "out.h5").exists()


def test_defaults_and_old_flag_aliases():
    args = training.build_parser().parse_args([])
    assert training.resolve_command(args) == "train"
    assert (args.epochs, args.model, args.strict, args.augment) == (50, "brands", True, False)
    # Per-model defaults, resolved once the model is known.
    brands_defaults = training.MODELS["brands"]
    assert (brands_defaults["layers"], brands_defaults["weights"],
            brands_defaults["val_subset"]) == ("3+", "coco", "val")
    logo_defaults = training.MODELS["logo"]
    assert (logo_defaults["layers"], logo_defaults["weights"],
            logo_defaults["val_subset"]) == ("all", "none", "test")
    assert logo_defaults["output"] == str(REPO_ROOT / "logo_eraser" / "models" /
                                          "mask_rcnn_logo.h5")
    args = training.build_parser().parse_args(
        ["--dir", "/data/FL", "--load", "w.h5", "--infer", "--lenient"])
    assert (args.dataset, args.weights, args.strict) == ("/data/FL", "w.h5", False)
    assert training.resolve_command(args) == "evaluate"
    assert training.DEFAULT_OUTPUT == str(REPO_ROOT / "mask_rcnn_brands.h5")


def test_logo_lite0_model_starts_from_imagenet_on_efficientnet_lite0():
    defaults = training.MODELS["logo-lite0"]
    assert (defaults["layers"], defaults["weights"], defaults["val_subset"]) == (
        "all", "imagenet", "test")
    assert defaults["output"] == str(REPO_ROOT / "mask_rcnn_logo_lite0.h5")
    args = training.build_parser().parse_args(["--model", "logo-lite0", "--lr", "0.002",
                                               "--images-per-gpu", "2"])
    config = training.make_config(args, training=True)
    assert type(config) is training.LogoLiteConfig
    assert (config.BACKBONE, config.LEARNING_RATE, config.BATCH_SIZE) == (
        "efficientnet-lite0", 0.002, 2)
    args = training.build_parser().parse_args(["--model", "logo-lite0", "evaluate"])
    inference = training.make_config(args, training=False)
    assert type(inference) is training.LogoLiteInferenceConfig
    assert (inference.BATCH_SIZE, inference.DETECTION_MIN_CONFIDENCE) == (1, 0.0)

def test_backbone_bn_option_sets_the_backbones_batchnorm_alone():
    parse = training.build_parser().parse_args
    frozen = training.make_config(parse(["--model", "logo-lite0", "--backbone-bn", "frozen"]),
                                  training=True)
    assert (frozen.BACKBONE_TRAIN_BN, frozen.TRAIN_BN) == (False, True)
    trained = training.make_config(parse(["--model", "logo-lite0", "--backbone-bn", "train"]),
                                   training=True)
    assert trained.BACKBONE_TRAIN_BN is True
    default = training.make_config(parse(["--model", "logo-lite0"]), training=True)
    assert default.BACKBONE_TRAIN_BN is training.LogoLiteConfig.BACKBONE_TRAIN_BN


def test_crop_trains_on_native_resolution_crops_and_detects_on_whole_photos():
    args = training.build_parser().parse_args(["--model", "logo-lite0", "--crop"])
    config = training.make_config(args, training=True)
    assert config.IMAGE_RESIZE_MODE == "crop"
    side = config.IMAGE_MIN_DIM
    assert list(config.IMAGE_SHAPE) == [side, side, 3]
    # Inference never crops: the whole photo is shrunk to each detection size.
    assert training.make_config(args, training=False).IMAGE_RESIZE_MODE == "square"
    plain = training.build_parser().parse_args(["--model", "logo-lite0"])
    assert training.make_config(plain, training=True).IMAGE_RESIZE_MODE == "square"



@pytest.fixture
def malformed_dataset(tmp_path):
    """The small dataset with one malformed annotation line (line 2 of the first photo)."""
    root = write_dataset(tmp_path / "malformed" / "FlickrLogos_47")
    gt_path = root / "train" / "000000" / "000001.gt_data.txt"
    lines = gt_path.read_text().splitlines()
    lines[1] = lines[1].replace(" 0 0", " 0")   # 8 fields
    gt_path.write_text("\n".join(lines) + "\n")
    return root, gt_path


def error_cases(tmp_path, dataset_dir, malformed_dataset, coco_file):
    """(name, args, expected fragments of the one-line error)."""
    work = tmp_path / "work"
    missing = tmp_path / "nowhere"
    base = ["--logs", work / "logs", "--output", work / "out.h5"]
    malformed_root, malformed_gt = malformed_dataset
    return {
        "missing dataset": (["--dataset", missing, *base],
                            ["FlickrLogos-47 folder not found", missing]),
        "missing weights": (["--dataset", dataset_dir, "--weights", work / "w.h5", *base],
                            ["weights file not found", work / "w.h5"]),
        "missing coco weights": (["--dataset", dataset_dir, *base],
                                 ["nothing is downloaded", tmp_path / "no_coco.h5"]),
        "bad epochs": (["--dataset", dataset_dir, "--epochs", "0", *base], ["--epochs"]),
        "epochs not a number": (["--epochs", "two"], ["--epochs", "two"]),
        "evaluate without a trained model": (["evaluate", "--dataset", dataset_dir,
                                              *base], ["out.h5", "run train first"]),
        "old flags as aliases": (["--infer", "--dir", dataset_dir, "--load", work / "old.h5"],
                                 ["old.h5"]),
        "output folder missing": (["--dataset", dataset_dir, "--weights", coco_file,
                                   "--output", work / "sub" / "out.h5"],
                                  ["output folder not found", work / "sub"]),
        "output is the input": (["--dataset", dataset_dir, "--weights", coco_file,
                                 "--output", coco_file], ["never overwritten"]),
        "negatives in train": (["--dataset", dataset_dir, "--include-negatives", *base],
                               ["--include-negatives"]),
        "infer with train": (["train", "--infer", "--dataset", dataset_dir, *base],
                             ["--infer"]),
        "bad layers regex": (["--dataset", dataset_dir, "--layers", "res(3", *base],
                             ["--layers"]),
        "malformed annotation": (["--dataset", malformed_root, "--weights", coco_file, *base],
                                 [f"{malformed_gt}, line 2", "expected 9 fields"]),
    }


ERROR_CASE_NAMES = ["missing dataset", "missing weights", "missing coco weights", "bad epochs",
                    "epochs not a number", "evaluate without a trained model",
                    "old flags as aliases", "output folder missing", "output is the input",
                    "negatives in train", "infer with train", "bad layers regex",
                    "malformed annotation"]


@pytest.mark.parametrize("name", ERROR_CASE_NAMES)
def test_errors_exit_2_with_one_line_and_write_nothing(name, tmp_path, dataset_dir,
                                                       malformed_dataset, monkeypatch, capsys):
    # A small HDF5 file stands for weights that exist (loading never starts).
    coco_file = tmp_path / "weights.h5"
    with h5py.File(coco_file, "w") as f:
        f.attrs["layer_names"] = []
    monkeypatch.setenv("MRCNN_COCO_WEIGHTS", str(tmp_path / "no_coco.h5"))
    (tmp_path / "work").mkdir()
    args, fragments = error_cases(tmp_path, dataset_dir, malformed_dataset, coco_file)[name]
    before = listing(tmp_path)
    dataset_before = listing(dataset_dir)
    code, out, err = run_cli(args, capsys)
    assert_one_line_error(code, err, *fragments)
    assert listing(tmp_path) == before
    assert listing(dataset_dir) == dataset_before
    assert "tensorflow" not in out.lower()


def test_default_dataset_locations(tmp_path, monkeypatch, capsys, dataset_dir):
    candidates = (str(tmp_path / "beside" / "FlickrLogos_47"),
                  str(tmp_path / "inside" / "FlickrLogos_47"))
    monkeypatch.setattr(training, "DEFAULT_DATASET_DIRS", candidates)
    code, _, err = run_cli(["--weights", "none", "--logs", tmp_path / "logs"], capsys)
    assert_one_line_error(code, err, candidates[0], candidates[1], "--dataset")
    # The second location is used when the first is absent.
    os.makedirs(os.path.dirname(candidates[1]))
    os.symlink(dataset_dir, candidates[1])
    args = training.build_parser().parse_args([])
    assert training.resolve_dataset(args) == candidates[1]


# --- fine-tune and evaluate (builds the ResNet101 model twice) -----------------------------

@pytest.fixture(scope="module")
def fine_tuned(tmp_path_factory, dataset_dir, coco_weights_path):
    """Two one-step epochs from the COCO-layout weights: (exit status, stdout, work folder)."""
    import contextlib
    import io

    work = tmp_path_factory.mktemp("fine_tune")
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MRCNN_COCO_WEIGHTS", str(coco_weights_path))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = training.main([
                "--dataset", str(dataset_dir), "--weights", "coco", "--steps-per-epoch", "1",
                "--epochs", "2", "--validation-steps", "1", "--augment",
                "--logs", str(work / "logs"), "--output", str(work / "mask_rcnn_brands.h5")])
    return code, out.getvalue(), err.getvalue(), work


@pytest.mark.slow
def test_fine_tune_writes_checkpoints_and_the_output(fine_tuned, coco_weights_path):
    code, out, err, work = fine_tuned
    assert code == 0, err[-3000:]
    # The deterministic validation part of the six train photos.
    assert "train: 5 photos, 10 logos" in out and "val: 1 photos, 2 logos" in out
    checkpoints = sorted(p.name for p in (work / "logs").glob("brands*/*.h5"))
    assert checkpoints == ["mask_rcnn_brands_0001.h5", "mask_rcnn_brands_0002.h5"]
    output = work / "mask_rcnn_brands.h5"
    assert output.is_file()
    assert not list(work.glob(".*.tmp"))
    shapes = {(layer, name): shape for layer, name, shape in
              weights_io.read_weights_table(str(output))}
    # The class-dependent layers have 48 classes (background + 47), not COCO's 81.
    assert shapes[("mrcnn_class_logits", "mrcnn_class_logits/kernel:0")] == (1024, 48)
    assert shapes[("mrcnn_bbox_fc", "mrcnn_bbox_fc/kernel:0")] == (1024, 48 * 4)
    assert shapes[("mrcnn_mask", "mrcnn_mask/kernel:0")][-1] == 48
    # layers "3+": ResNet stage 3 was trained, conv1 kept the COCO values.
    with h5py.File(coco_weights_path, "r") as coco, h5py.File(output, "r") as tuned:
        np.testing.assert_array_equal(tuned["conv1/conv1/kernel:0"][()],
                                      coco["conv1/conv1/kernel:0"][()])
        assert not np.array_equal(tuned["res3a_branch2a/res3a_branch2a/kernel:0"][()],
                                  coco["res3a_branch2a/res3a_branch2a/kernel:0"][()])


@pytest.mark.slow
def test_evaluate_loads_the_output_into_a_48_class_model_and_prints_the_report(
        fine_tuned, dataset_dir, capsys):
    code, _, err, work = fine_tuned
    assert code == 0, err[-3000:]
    output = work / "mask_rcnn_brands.h5"
    code, out, err = run_cli(["evaluate", "--dataset", dataset_dir, "--output", output,
                              "--logs", work / "logs", "--include-negatives"], capsys)
    assert code == 0, err[-3000:]
    assert f"Loading weights {output}" in out
    assert "test: 3 photos, 4 logos, 1 without logos" in out
    assert "Evaluated 3 images: 4 ground-truth instances" in out
    for fragment in ("mAP@0.5", "bbox", "segm", "AP50", CLASS_NAMES[0], CLASS_NAMES[46]):
        assert fragment in out
    # Per-class rows: HP is class 1 (dataset id 0 + 1), ups class 47.
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split() and line.split()[0] in CLASS_NAMES}
    assert rows["HP"][1] == "1" and rows["ups"][1] == "47"
    assert rows["HP"][2] == "2"  # both test photos hold an HP logo


@pytest.mark.slow
def test_logo_model_trains_on_synthetic_data_and_the_eraser_runs_it(tmp_path, capsys):
    """--model logo: the class-agnostic light model, from scratch on logo_eraser.synth data,
    validated on the held-out test split; the eraser recognises the file and builds LogoConfig."""
    from logo_eraser import synth

    data = tmp_path / "synthetic"
    synth.write_dataset(str(data), synth.SynthOptions(seed=0, labels="logo"), num_train=6,
                        num_test=3, workers=1, progress=False)
    output = tmp_path / "mask_rcnn_logo.h5"
    code, out, err = run_cli(["--model", "logo", "--dataset", data, "--steps-per-epoch", "1",
                              "--epochs", "1", "--validation-steps", "1", "--images-per-gpu",
                              "2", "--logs", tmp_path / "logs", "--output", output], capsys)
    assert code == 0, err[-3000:]
    # No pretrained weights; the whole train split trains, the test split validates.
    assert "Weights: none" in out and "trainval:" in out and "test:" in out
    shapes = {(layer, name): shape for layer, name, shape in
              weights_io.read_weights_table(str(output))}
    assert shapes[("mrcnn_class_logits", "mrcnn_class_logits/kernel:0")] == (256, 2)
    assert shapes[("small_c1a", "small_c1a/kernel:0")] == (3, 3, 3, 32)

    from logo_eraser.models import eraser_config_for

    config = eraser_config_for(str(output), min_confidence=0.0)
    assert config.NAME == "logo" and config.IMAGE_MAX_DIM == 256
    assert config.CLASS_NAMES == ["BG", "logo"]
