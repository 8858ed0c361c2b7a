"""Tests of bench/sweep_real_photos.py: every (sizes, threshold) line is scored from one
detection pass per size, a higher threshold never hides more or raises more false alarms, and
the command refuses what it cannot do (exit 2, nothing written)."""

import pathlib

import pytest

from logo_eraser.models import SHIPPED_WEIGHTS_PATH
from mrcnn.testing import load_script_module

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
sweep_script = load_script_module(REPO_ROOT / "bench" / "sweep_real_photos.py")
bench = load_script_module(REPO_ROOT / "bench" / "bench_real_photos.py")

# Two calibration photos: one with three logos, one logo-free.
PHOTOS = ("images/9118579087_f9ffa19e63_z.jpg", "images/8433365521_9252889f9a_z.jpg")
THRESHOLDS = (0.85, 0.95, 0.999)


@pytest.mark.slow
def test_sweep_lines_are_monotonic_in_the_threshold():
    photos = [photo for photo in bench.load_annotations(bench.DEFAULT_ANNOTATIONS, "calibration")
              if str(pathlib.Path(photo["file"]).relative_to(REPO_ROOT)) in PHOTOS]
    assert len(photos) == 2
    lines = list(sweep_script.sweep([SHIPPED_WEIGHTS_PATH], photos, (192, 256), THRESHOLDS,
                                    max_sizes=2))
    combos = [(192,), (256,), (192, 256)]
    assert [(tuple(line["sizes"]), line["threshold"]) for line in lines] == [
        (combo, threshold) for combo in combos for threshold in THRESHOLDS]
    for line in lines:
        assert line["logos"] == 3
        assert 0 <= line["hidden"] <= 3 and 0.0 <= line["changed"] <= 1.0
    # Greedy NMS keeps, of the detections at or above a threshold, the survivors of the whole
    # list: a higher threshold hides a subset, so it cannot change more or alarm more.
    for combo in combos:
        rows = [line for line in lines if tuple(line["sizes"]) == combo]
        for lower, higher in zip(rows, rows[1:]):
            assert higher["false_alarms"] <= lower["false_alarms"]
            assert higher["changed"] <= lower["changed"]
    # At 0.999 the shipped model finds nothing here: nothing changes.
    assert all(line["changed"] == 0 for line in lines if line["threshold"] == 0.999)


def test_thresholds_below_the_detection_score_and_missing_weights_are_refused(tmp_path, capsys):
    report = tmp_path / "sweep.json"
    with pytest.raises(SystemExit) as exit_info:
        sweep_script.main(["--weights", SHIPPED_WEIGHTS_PATH, "--thresholds", "0.5",
                           "--report", str(report)])
    assert exit_info.value.code == 2
    assert "thresholds must be at least 0.85" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        sweep_script.main(["--weights", str(tmp_path / "missing.h5"), "--report", str(report)])
    assert exit_info.value.code == 2
    assert "no such weights file" in capsys.readouterr().err
    assert not report.exists()
