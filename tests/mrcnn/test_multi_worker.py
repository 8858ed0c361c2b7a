"""Several machines: MultiWorkerMirroredStrategy across two worker processes on this machine.

Each worker (``tests/scripts/multi_worker_train_step.py``) gets a TF_CONFIG with the same two
``worker`` addresses on 127.0.0.1 and its own task index, as on a real cluster, and trains two
steps. Both must end with the same weights (the gradients are all-reduced), and only worker 0
(the chief) may write checkpoints and TensorBoard logs.
"""

import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKER_SCRIPT = REPO_ROOT / "tests" / "scripts" / "multi_worker_train_step.py"


def free_ports(count):
    """``count`` TCP ports free on 127.0.0.1 right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.mark.slow
def test_two_workers_end_with_the_same_weights_and_only_the_chief_checkpoints(tmp_path):
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = dict(os.environ, TF_CONFIG=json.dumps(tf_config), TF_CPP_MIN_LOG_LEVEL="2",
                   CUDA_VISIBLE_DEVICES="-1")
        processes.append(subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), str(tmp_path)], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env, cwd=str(tmp_path)))
    reports = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=600)
            assert process.returncode == 0, stderr[-3000:]
            reports.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    assert sorted(report["task"] for report in reports) == [0, 1]
    for report in reports:
        assert report["replicas"] == 2
        assert np.isfinite(report["loss"])
        assert report["arrays_changed"] > 0, "training changed nothing"
    # Same loss (the all-reduced mean) and the same weights, array for array.
    assert reports[0]["loss"] == pytest.approx(reports[1]["loss"], rel=1e-6)
    weights = [np.load(tmp_path / f"weights_worker{index}.npz") for index in range(2)]
    assert len(weights[0].files) == len(weights[1].files) > 0
    for name in weights[0].files:
        np.testing.assert_array_equal(weights[0][name], weights[1][name], err_msg=name)
    # Only the chief (worker 0) writes checkpoints and logs.
    assert [p.name for p in (tmp_path / "worker0").glob("*.h5")] == [
        "mask_rcnn_multiworker_0001.h5"]
    assert list((tmp_path / "worker0").glob("events.out.tfevents.*"))
    assert list((tmp_path / "worker1").iterdir()) == []
