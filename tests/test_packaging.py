"""Packaging: what `pip install .` gives a user (the wheel's files, metadata and console
commands), and no module reaching the checkout through `sys.path` edits."""

import configparser
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("mrcnn", "logo_eraser")
CONSOLE_COMMANDS = {
    "logo-eraser": "logo_eraser.cli:main",
    "logo-synth": "logo_eraser.synth.cli:main",
    "logo-train": "logo_eraser.training:main",
    "logo-data": "logo_eraser.realdata.cli:main",
    "mrcnn-demo": "mrcnn.demo:main",
    "mrcnn-export": "mrcnn.export.cli:main",
}
# Data files the installed code reads (found relative to the packages, never the checkout).
PACKAGE_DATA = (
    "mrcnn/data/mask_rcnn_coco_weights_layout.tsv",
    "logo_eraser/models/mask_rcnn_logo.h5",
    "logo_eraser/synth/data/manifest.json",
    "logo_eraser/data/simple_icons_names.txt",
)


def tracked_files():
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True,
                             check=True).stdout.decode("utf8")
    return [name for name in listing.split("\0") if name]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel `pip wheel .` builds from the checkout's tracked files (copied elsewhere, so
    the build sees what a clone has): an open ZipFile."""
    source = tmp_path_factory.mktemp("source")
    for name in tracked_files():
        if (REPO_ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(source)], check=True, capture_output=True,
                   timeout=300)
    (path,) = out.glob("*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_wheel_holds_every_module_and_the_package_data(wheel):
    names = set(wheel.namelist())
    modules = {name for name in tracked_files()
               if name.endswith(".py") and name.split("/")[0] in PACKAGES}
    assert modules and modules <= names, sorted(modules - names)[:5]
    for data_file in PACKAGE_DATA:
        assert data_file in names
    shipped = wheel.getinfo("logo_eraser/models/mask_rcnn_logo.h5")
    assert shipped.file_size == (REPO_ROOT / "logo_eraser/models/mask_rcnn_logo.h5").stat().st_size
    # Nothing of the checkout that is not the packages.
    assert not [name for name in names if name.split("/")[0] in ("tests", "bench", "samples",
                                                                  "block", "tools", "images")]


def test_wheel_declares_the_console_commands_and_the_dependencies(wheel):
    (entry_points_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    entry_points = configparser.ConfigParser()
    entry_points.read_string(wheel.read(entry_points_name).decode("utf8"))
    assert dict(entry_points["console_scripts"]) == CONSOLE_COMMANDS
    (metadata_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    requires = [line.split(":", 1)[1].strip() for line in
                wheel.read(metadata_name).decode("utf8").splitlines()
                if line.startswith("Requires-Dist:")]
    unconditional = {re.split(r"[<>=;\[ ]", item)[0] for item in requires if ";" not in item}
    # What the installed code imports at run time, TensorFlow aside (cpu / gpu extras).
    for package in ("keras", "numpy", "opencv-python-headless", "h5py", "pillow", "scipy",
                    "scikit-image", "matplotlib", "pycocotools", "tqdm", "av"):
        assert package in unconditional
    extras = {re.search(r'extra == "([^"]+)"', item).group(1) for item in requires if ";" in item}
    assert {"cpu", "gpu", "train", "dev", "export"} <= extras
    # Training-only packages are not forced on eraser users.
    assert "albumentations" not in unconditional and "tensorboard" not in unconditional


@pytest.mark.parametrize("command", sorted(CONSOLE_COMMANDS))
def test_console_command_help(command):
    script = pathlib.Path(sys.executable).with_name(command)
    completed = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                               timeout=120, cwd="/")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(f"usage: {command}")
    assert "tensorflow" not in completed.stderr.lower()


def test_no_module_edits_sys_path():
    """Modules import the installed packages; none puts a checkout folder on sys.path."""
    offenders = []
    for name in tracked_files():
        if name.endswith(".py"):
            text = (REPO_ROOT / name).read_text(encoding="utf8")
            offenders += [f"{name}:{number}" for number, line in enumerate(text.splitlines(), 1)
                          if re.search(r"sys\.path\.(insert|append|extend)|sys\.path\s*\+?=", line)]
    assert offenders == []


def test_production_code_does_not_import_the_test_helpers():
    offenders = [name for name in tracked_files()
                 if name.endswith(".py") and name.split("/")[0] in PACKAGES
                 and name != "mrcnn/testing.py"
                 and re.search(r"^\s*(from mrcnn\.testing import|from mrcnn import testing|"
                               r"import mrcnn\.testing)",
                               (REPO_ROOT / name).read_text(encoding="utf8"), re.MULTILINE)]
    assert offenders == []
