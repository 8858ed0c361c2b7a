"""mrcnn.torch_checkpoint: PyTorch's legacy checkpoint format read without torch."""

import collections
import io
import pickle
import sys
import types
import zipfile

import numpy as np
import pytest

from mrcnn.efficientnet_lite_weights import checkpoint_path
from mrcnn.torch_checkpoint import (MAGIC_NUMBER, PROTOCOL_VERSION, CheckpointFormatError,
                                    read_legacy_checkpoint, read_state_dict)


@pytest.fixture(scope="module")
def lite0_path():
    return checkpoint_path("efficientnet-lite0")


def test_reads_the_lite0_packages_checkpoint(lite0_path):
    state = read_state_dict(lite0_path)
    assert len(state) == 296
    assert list(state)[:2] == ["_conv_stem.weight", "_bn0.weight"]
    assert list(state)[-2:] == ["_fc.weight", "_fc.bias"]
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_blocks.15._project_conv.weight"].shape == (320, 1152, 1, 1)
    assert state["_fc.weight"].shape == (1000, 1280)
    counters = [k for k in state if k.endswith("num_batches_tracked")]
    assert len(counters) == 49 and all(state[k].dtype == np.int64 for k in counters)
    floats = [v for k, v in state.items() if k not in counters]
    assert all(v.dtype == np.float32 and v.flags.c_contiguous for v in floats)
    assert sum(v.size for v in floats) == 4_694_024
    # Trained statistics, not garbage: variances positive, weights of a sane size.
    assert all((state[k] >= 0).all() for k in state if k.endswith("running_var"))
    assert 0.01 < float(np.abs(state["_fc.weight"]).mean()) < 1


@pytest.mark.parametrize("keep", [40, 5000, -100, -1])
def test_refuses_a_truncated_file(lite0_path, tmp_path, keep):
    """Cut in the header, in the main pickle, in the last storage, one byte short."""
    data = open(lite0_path, "rb").read()
    path = tmp_path / "cut.pth"
    path.write_bytes(data[:keep])
    with pytest.raises(CheckpointFormatError, match="truncated"):
        read_legacy_checkpoint(path)


def test_refuses_trailing_bytes_other_formats_and_missing_files(lite0_path, tmp_path):
    path = tmp_path / "long.pth"
    path.write_bytes(open(lite0_path, "rb").read() + b"\0")
    with pytest.raises(CheckpointFormatError, match="after the last storage"):
        read_legacy_checkpoint(path)
    not_torch = tmp_path / "number.pth"
    not_torch.write_bytes(pickle.dumps(12345, protocol=2))
    with pytest.raises(CheckpointFormatError, match="wrong magic number"):
        read_legacy_checkpoint(not_torch)
    text = tmp_path / "text.pth"
    text.write_text("hello")
    with pytest.raises(CheckpointFormatError, match="damaged or truncated header"):
        read_legacy_checkpoint(text)
    zipped = tmp_path / "new.pth"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("archive/data.pkl", b"")
    with pytest.raises(CheckpointFormatError, match="zip-format"):
        read_legacy_checkpoint(zipped)
    with pytest.raises(FileNotFoundError):
        read_legacy_checkpoint(tmp_path / "absent.pth")


# A writer of the legacy format, to test what the package's file does not have (views with
# offsets and strides, shared storages, big-endian data, foreign globals). The pickler needs
# the names torch.FloatStorage and torch._utils._rebuild_tensor_v2 to exist, so a stand-in
# `torch` module is put in sys.modules while writing.

class _FakeStorage:
    def __init__(self, key, values):
        self.key, self.values = key, np.asarray(values)


class _FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False,
                     collections.OrderedDict())

    def __reduce__(self):
        return sys.modules["torch._utils"]._rebuild_tensor_v2, self.args


def write_legacy(path, obj, storages, little_endian=True, monkeypatch=None):
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")
    torch.FloatStorage = type("FloatStorage", (), {"__module__": "torch"})
    torch.LongStorage = type("LongStorage", (), {"__module__": "torch"})
    utils._rebuild_tensor_v2 = lambda *args: None
    utils._rebuild_tensor_v2.__module__ = "torch._utils"
    utils._rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch._utils = utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)

    def persistent_id(item):
        if isinstance(item, _FakeStorage):
            kind = torch.LongStorage if item.values.dtype == np.int64 else torch.FloatStorage
            return ("storage", kind, item.key, "cpu", item.values.size, None)
        return None

    handle = io.BytesIO()
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION,
                   {"protocol_version": PROTOCOL_VERSION, "little_endian": little_endian,
                    "type_sizes": {"short": 2, "int": 4, "long": 8}}):
        pickle.dump(header, handle, protocol=2)
    pickler = pickle.Pickler(handle, protocol=2)
    pickler.persistent_id = persistent_id
    pickler.dump(obj)
    pickle.dump([s.key for s in storages], handle, protocol=2)
    order = "<" if little_endian else ">"
    for storage in storages:
        handle.write(int(storage.values.size).to_bytes(8, "little"))
        handle.write(storage.values.astype(storage.values.dtype.newbyteorder(order)).tobytes())
    path.write_bytes(handle.getvalue())


@pytest.mark.parametrize("little_endian", [True, False])
def test_views_with_offsets_strides_and_shared_storages(tmp_path, monkeypatch, little_endian):
    shared = _FakeStorage("0", np.arange(12, dtype=np.float32))
    counts = _FakeStorage("1", np.array([7], dtype=np.int64))
    state = collections.OrderedDict([
        ("matrix", _FakeTensor(shared, 0, (3, 4), (4, 1))),
        ("transposed", _FakeTensor(shared, 0, (4, 3), (1, 4))),   # a non-contiguous view
        ("row2", _FakeTensor(shared, 8, (4,), (1,))),             # an offset into the storage
        ("scalar", _FakeTensor(counts, 0, (), ())),
        ("empty", _FakeTensor(shared, 0, (0, 5), (5, 1))),
    ])
    path = tmp_path / "views.pth"
    write_legacy(path, state, [shared, counts], little_endian, monkeypatch)
    loaded = read_state_dict(path)
    expected = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(loaded["matrix"], expected)
    np.testing.assert_array_equal(loaded["transposed"], expected.T)
    np.testing.assert_array_equal(loaded["row2"], expected[2])
    assert loaded["scalar"].shape == () and loaded["scalar"] == 7
    assert loaded["scalar"].dtype == np.int64 and loaded["matrix"].dtype == np.float32
    assert loaded["empty"].shape == (0, 5)
    loaded["matrix"][0, 0] = 99  # independent copies, writable
    assert loaded["transposed"][0, 0] == 0


RAN = []


def record_call(value):
    """What a malicious pickle would call; the reader must never do it."""
    RAN.append(value)


class _Evil:
    def __reduce__(self):
        return record_call, ("ran",)


def test_refuses_foreign_globals_without_running_them(tmp_path, monkeypatch):
    path = tmp_path / "evil.pth"
    write_legacy(path, {"x": _Evil()}, [], monkeypatch=monkeypatch)
    with pytest.raises(CheckpointFormatError, match=r"refusing to load .*record_call"):
        read_legacy_checkpoint(path)
    assert RAN == []


def test_refuses_a_tensor_outside_its_storage_and_a_wrong_storage_size(tmp_path, monkeypatch):
    storage = _FakeStorage("0", np.arange(4, dtype=np.float32))
    path = tmp_path / "outside.pth"
    write_legacy(path, {"x": _FakeTensor(storage, 2, (3,), (1,))}, [storage],
                 monkeypatch=monkeypatch)
    with pytest.raises(CheckpointFormatError, match="outside its storage"):
        read_legacy_checkpoint(path)
    # The element count before the data disagrees with the pickle's.
    data = bytearray(path.read_bytes())
    count_at = len(data) - 16 - 8
    data[count_at:count_at + 8] = (5).to_bytes(8, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointFormatError, match="holds 5 elements, the pickle says 4"):
        read_legacy_checkpoint(path)
    not_a_state_dict = tmp_path / "list.pth"
    write_legacy(not_a_state_dict, [1, 2], [], monkeypatch=monkeypatch)
    with pytest.raises(CheckpointFormatError, match="not a state dict"):
        read_state_dict(not_a_state_dict)
