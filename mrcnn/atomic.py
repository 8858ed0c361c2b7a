"""Atomic file writes: a destination holds either its complete new content or its old one.

Every writer of the library and the eraser (pictures, weights files, JSON reports) goes through
`atomic_path`: the content is written to a temporary file in the destination's folder, flushed
to disk, given the permissions of the file it replaces (``rw-r--r--`` less the umask for a new
one) and renamed over the destination with ``os.replace`` (atomic on POSIX and Windows). An
error or an interruption (Ctrl-C included) removes the temporary file and leaves the destination
as it was.

    with atomic_path("model.h5") as temporary:      # a path that does not exist yet
        h5py.File(temporary, "w")...
    with atomic_open("report.json", "w") as handle:
        handle.write(text)
    write_json_atomic("report.json", {"a": 1})
"""

import contextlib
import json
import os
import tempfile

# Permission bits of a new file (before the umask), as open() would give it.
NEW_FILE_MODE = 0o666


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path):
    """Context manager yielding a temporary path to write; renamed over ``path`` on success.

    path: the destination file; its folder must exist (FileNotFoundError naming it otherwise).
    The temporary file (``.<name>.<random>.tmp`` beside ``path``) exists, empty, when the block
    starts; writers that refuse an existing file should open it in "w" mode. When the block
    ends without an exception the file is fsynced, gets ``path``'s permissions (a new file:
    0o666 less the umask) and replaces ``path``. On any exception (KeyboardInterrupt too) the
    temporary file is removed and the exception propagates; ``path`` is untouched.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                                             suffix=".tmp")
    os.close(descriptor)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        # mkstemp creates 0600 files: keep the replaced file's permissions.
        mode = (os.stat(path).st_mode & 0o777 if os.path.exists(path)
                else NEW_FILE_MODE & ~_umask())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


@contextlib.contextmanager
def atomic_open(path, mode="w", **open_kwargs):
    """``open(path, mode)`` through `atomic_path`: yields the open file; ``path`` is replaced
    when the block ends without an exception. mode: "w", "wb", "wt" (writing only)."""
    if mode not in ("w", "wb", "wt"):
        raise ValueError(f"atomic_open writes a whole file: mode 'w' or 'wb', not {mode!r}")
    with atomic_path(path) as temporary:
        with open(temporary, mode, **open_kwargs) as handle:
            yield handle


def write_json_atomic(path, data, indent=2):
    """Write ``data`` as UTF-8 JSON (``indent`` spaces, a final newline) to ``path``,
    atomically (see `atomic_path`)."""
    with atomic_open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=indent)
        handle.write("\n")
