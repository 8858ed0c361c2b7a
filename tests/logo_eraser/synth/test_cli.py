"""Tests of the synthetic logo generator's command line (logo_eraser.synth.cli), run as users run
it: the original entry point samples/brands/synth.py, and python -m logo_eraser.synth.cli."""

import pathlib
import subprocess
import sys

import pytest

from logo_eraser import flickrlogos, synth

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
SYNTH_SCRIPT = REPO_ROOT / "samples" / "brands" / "synth.py"
CLI_TIMEOUT = 180


def run_cli(*args, timeout=CLI_TIMEOUT):
    return subprocess.run([sys.executable, str(SYNTH_SCRIPT), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(completed, *fragments):
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert completed.returncode == 2, completed.stderr
    assert len(lines) == 1 and "Traceback" not in completed.stderr, completed.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# --- command line ---------------------------------------------------------------------------------

def test_cli_writes_dataset_and_refuses_non_empty_folders(tmp_path, load, all_files):
    output = tmp_path / "synth_cli"
    completed = run_cli("--output", output, "--num-images", 2, "--num-test", 1, "--seed", 3,
                        "--workers", 1, "--no-progress")
    assert completed.returncode == 0, completed.stderr
    assert "photos/second" in completed.stdout
    assert (output / synth.INFO_FILE).is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["synth_cli"]   # no temporary folder left
    dataset = load(output, "trainval", file_list="all", include_negatives=True)
    assert dataset.num_images == 2

    before = all_files(output)
    refused = run_cli("--output", output, "--num-images", 1, "--no-progress")
    assert_one_line_error(refused, str(output), "--overwrite")
    assert all_files(output) == before

    replaced = run_cli("--output", output, "--num-images", 1, "--num-test", 0, "--seed", 4,
                       "--labels", "brands", "--overwrite", "--no-progress")
    assert replaced.returncode == 0, replaced.stderr
    assert flickrlogos.read_class_names(output / flickrlogos.CLASS_NAMES_FILE) == \
        list(flickrlogos.CLASS_NAMES)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    refused = run_cli("--output", foreign, "--num-images", 1, "--overwrite", "--no-progress")
    assert_one_line_error(refused, str(foreign), synth.INFO_FILE)
    assert [p.name for p in foreign.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("args, fragment", [
    (["--num-images", "0"], "--num-images"),
    (["--negatives", "1.5"], "--negatives"),
    (["--labels", "cars"], "--labels"),
    (["--backgrounds", "/nonexistent/photos"], "/nonexistent/photos"),
])
def test_cli_bad_arguments_exit_2(args, fragment, tmp_path):
    base = ["--output", tmp_path / "out", "--num-images", "1"]
    completed = run_cli(*base, *args, timeout=60)
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr and fragment in completed.stderr
    assert not (tmp_path / "out").exists()


def test_module_cli_help_exits_0(tmp_path):
    """``python -m logo_eraser.synth.cli`` runs the same command line (from any folder)."""
    completed = subprocess.run([sys.executable, "-m", "logo_eraser.synth.cli", "--help"],
                               cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "--num-images" in completed.stdout and "--labels" in completed.stdout
    assert "Traceback" not in completed.stderr and "Warning" not in completed.stderr
