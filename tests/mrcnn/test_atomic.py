"""Tests of mrcnn.atomic: a destination holds its whole new content or its old one."""

import json
import os
import stat

import pytest

from mrcnn.atomic import atomic_open, atomic_path, write_json_atomic


def test_atomic_path_replaces_the_file_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "model.h5"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            assert os.path.dirname(temporary) == str(tmp_path)
            with open(temporary, "wb") as handle:
                handle.write(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["model.h5"]
    with atomic_path(target) as temporary:
        with open(temporary, "wb") as handle:
            handle.write(b"new")
        assert target.read_bytes() == b"old"
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["model.h5"]


def test_keyboard_interrupt_leaves_no_temporary_file(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(tmp_path / "report.json", "w") as handle:
            handle.write("{")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_permissions_of_a_replaced_file_are_kept_and_new_files_follow_the_umask(tmp_path):
    kept = tmp_path / "kept.txt"
    kept.write_text("x")
    os.chmod(kept, 0o640)
    with atomic_open(kept, "w") as handle:
        handle.write("y")
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o640
    previous = os.umask(0o022)
    try:
        with atomic_open(tmp_path / "new.txt", "w") as handle:
            handle.write("z")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o644


def test_write_json_atomic_and_a_missing_folder(tmp_path):
    write_json_atomic(tmp_path / "a.json", {"b": [1, 2]})
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert json.loads(text) == {"b": [1, 2]} and text.endswith("\n")
    with pytest.raises(FileNotFoundError, match="no_folder"):
        write_json_atomic(tmp_path / "no_folder" / "a.json", {})
    with pytest.raises(ValueError, match="mode"):
        with atomic_open(tmp_path / "a.json", "a"):
            pass
    assert json.loads((tmp_path / "a.json").read_text()) == {"b": [1, 2]}
