"""The FlickrLogos-47 layout on disk: reading helpers and a writer.

FlickrLogos-47 (University of Augsburg) annotates every logo instance of the FlickrLogos-32
photos with a box and a pixel mask, in 47 classes. Its layout::

    FlickrLogos_47/
      className2ClassID.txt        "<name>\\t<id>" per line, ids 0..46
      train/                       (test/ has the same structure)
        filelist.txt               every photo of the split, "./000000/000001.png" per line
        filelist-logosonly.txt     only the photos holding logos
        000000/000001.png          a photo
        000000/000001.gt_data.txt  its instances (absent for photos without logos)
        000000/000001.mask00.png   one binary mask per instance
        no-logo/...                photos without any logo

Each line of a ``.gt_data.txt`` file is one instance, nine whitespace-separated fields::

    x1 y1 x2 y2 class_id dummy mask_token difficult truncated

box corners in absolute pixels (upper-left, lower-right), the dataset class id (0..46), an
unused ``-1``, the token naming the mask file ``<photo without extension>.<token>.png``, and
two 0/1 flags.

Reading: `read_class_names`, `read_file_list`, `read_gt_data`, `read_mask`, `image_size` and
the path helpers `normalise_list_entry`, `gt_data_path`, `mask_path`. Problems with the data
raise `FlickrLogosError` (a ValueError) naming the file and, where there is one, the line.

Writing: `FlickrLogosWriter` produces the same layout from arrays (test fixtures, synthetic
data)::

    with FlickrLogosWriter("FlickrLogos_47") as writer:
        writer.add_image("train", photo, masks, class_ids)    # photo [H, W, 3], masks [H, W, N]
        writer.add_negative("train", other_photo)
    # close() (here: leaving the with block) writes the lists and className2ClassID.txt

This module needs only NumPy and Pillow (no TensorFlow, no mrcnn).
"""

import dataclasses
import os
import posixpath
import re

import numpy as np
from PIL import Image, UnidentifiedImageError

# The 47 classes, index = dataset class id (the fallback when className2ClassID.txt is absent).
CLASS_NAMES = (
    "HP", "adidas_symbol", "adidas_text", "aldi", "apple", "becks_symbol", "becks_text", "bmw",
    "carlsberg_symbol", "carlsberg_text", "chimay_symbol", "chimay_text", "cocacola",
    "corona_symbol", "corona_text", "dhl", "erdinger_symbol", "erdinger_text", "esso_symbol",
    "esso_text", "fedex", "ferrari", "ford", "fosters_symbol", "fosters_text", "google",
    "guinness_symbol", "guinness_text", "heineken", "milka", "nvidia_symbol", "nvidia_text",
    "paulaner_symbol", "paulaner_text", "pepsi_symbol", "pepsi_text", "rittersport", "shell",
    "singha_symbol", "singha_text", "starbucks", "stellaartois_symbol", "stellaartois_text",
    "texaco", "tsingtao_symbol", "tsingtao_text", "ups",
)

SPLITS = ("train", "test")
CLASS_NAMES_FILE = "className2ClassID.txt"
FILE_LIST_ALL = "filelist.txt"
FILE_LIST_LOGOS_ONLY = "filelist-logosonly.txt"
NO_LOGO_FOLDER = "no-logo"
GT_DATA_SUFFIX = ".gt_data.txt"
GT_FIELDS = ("x1", "y1", "x2", "y2", "class_id", "dummy", "mask", "difficult", "truncated")

_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
# EXIF orientations that turn the photo by 90 degrees (read_image applies them).
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)


class FlickrLogosError(ValueError):
    """Bad FlickrLogos-47 data. str() is one line: ``<path>, line <n>: <reason>``.

    Attributes: path (the file at fault: a list, a .gt_data.txt, a photo or a mask),
    line_number (1-based, or None when the problem is not on a line), reason.
    """

    def __init__(self, path, reason, line_number=None):
        self.path = os.fspath(path)
        self.reason = " ".join(str(reason).split())
        self.line_number = line_number
        location = self.path if line_number is None else f"{self.path}, line {line_number}"
        super().__init__(f"{location}: {self.reason}")


@dataclasses.dataclass(frozen=True)
class GtInstance:
    """One line of a .gt_data.txt file.

    x1, y1, x2, y2: box corners, absolute pixels (upper-left and lower-right, as written).
    class_id: dataset class id (0-based, as in className2ClassID.txt).
    mask_token: names the mask file, see `mask_path`.
    difficult, truncated: the 0/1 flags. line_number: 1-based line in the file.
    """

    x1: int
    y1: int
    x2: int
    y2: int
    class_id: int
    mask_token: str
    difficult: bool
    truncated: bool
    line_number: int


def _report(error, on_error):
    """Raise ``error``, or hand it to ``on_error`` (which may raise it or record it)."""
    if on_error is None:
        raise error
    on_error(error)


def _read_lines(path):
    """The file's lines (BOM, CR/LF endings tolerated). Raises FlickrLogosError."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            return file.read().splitlines()
    except UnicodeDecodeError as error:
        raise FlickrLogosError(path, f"not a UTF-8 text file ({error.reason})") from None
    except OSError as error:
        raise FlickrLogosError(path, f"cannot read: {error.strerror or error}") from None


############################################################
#  Paths
############################################################

def normalise_list_entry(entry):
    """A file-list line -> the photo's path relative to the split folder, POSIX style.

    ``"./000000/000001.png"`` and ``"000000/./000001.png"`` both give
    ``"000000/000001.png"``; backslashes count as separators. Raises ValueError for an empty,
    absolute or escaping (``..``) path.
    """
    text = entry.strip().replace("\\", "/")
    if not text:
        raise ValueError("empty path")
    if text.startswith("/") or re.match(r"[A-Za-z]:/", text):
        raise ValueError(f"absolute path {entry.strip()!r}; list paths are relative to the "
                         "split folder")
    normalised = posixpath.normpath(text)
    if normalised in (".", "..") or normalised.startswith("../"):
        raise ValueError(f"path {entry.strip()!r} points outside the split folder")
    return normalised


def photo_stem(photo_path):
    """The photo's path without its extension (only the last suffix is removed, so dots
    elsewhere in the path are kept): ``a.b/000001.png`` -> ``a.b/000001``."""
    return os.path.splitext(os.fspath(photo_path))[0]


def gt_data_path(photo_path):
    """``<photo without extension>.gt_data.txt``, the photo's annotation file."""
    return photo_stem(photo_path) + GT_DATA_SUFFIX


def mask_path(photo_path, mask_token):
    """The mask file of an instance: ``<photo without extension>.<mask_token>.png``.

    A token that already ends in ``.png`` is used as is (``mask00.png`` gives
    ``000001.mask00.png``, not ``000001.mask00.png.png``).
    """
    name = mask_token if mask_token.lower().endswith(".png") else f"{mask_token}.png"
    return f"{photo_stem(photo_path)}.{name}"


############################################################
#  Reading
############################################################

def read_class_names(path):
    """Class names of ``className2ClassID.txt``: a list, index = dataset class id.

    Each non-blank line is ``<name> <id>`` (tab or spaces). The ids must be the integers
    0..K-1, each once, and the names unique. Raises FlickrLogosError naming the line.
    """
    names = {}
    for line_number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        parts = line.rsplit(None, 1)
        if len(parts) != 2 or not _INTEGER.match(parts[1]):
            raise FlickrLogosError(path, f"expected '<name> <id>', got {line.strip()!r}",
                                   line_number)
        name, class_id = parts[0].strip(), int(parts[1])
        if class_id in names:
            raise FlickrLogosError(path, f"class id {class_id} appears twice", line_number)
        if name in names.values():
            raise FlickrLogosError(path, f"class name {name!r} appears twice", line_number)
        names[class_id] = name
    if not names:
        raise FlickrLogosError(path, "no class")
    if sorted(names) != list(range(len(names))):
        raise FlickrLogosError(path, f"class ids must be 0..{len(names) - 1}, each once; "
                               f"got {sorted(names)[:3]}...{sorted(names)[-1]}")
    return [names[i] for i in range(len(names))]


def read_file_list(path, on_error=None):
    """Entries of a file list (``filelist.txt``, ``filelist-logosonly.txt`` or a hand-made
    list in the same format).

    Returns [(line_number, entry)] with entries normalised by `normalise_list_entry`, in file
    order; blank lines and repeated entries (after normalisation) are left out.
    on_error: None raises the first bad line's FlickrLogosError; a callable receives it
    and the line is skipped.
    """
    entries, seen = [], set()
    for line_number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            entry = normalise_list_entry(line)
        except ValueError as error:
            _report(FlickrLogosError(path, error, line_number), on_error)
            continue
        if entry not in seen:
            seen.add(entry)
            entries.append((line_number, entry))
    return entries


def parse_gt_line(line, num_classes=len(CLASS_NAMES), line_number=0):
    """One .gt_data.txt line -> GtInstance. Raises ValueError with the reason (no file name).

    Checks: nine fields; integers where the format has integers; class id in
    0..num_classes-1; 0/1 flags; x1 <= x2 and y1 <= y2; a plain mask token (no path).
    """
    fields = line.split()
    if len(fields) != len(GT_FIELDS):
        raise ValueError(f"expected {len(GT_FIELDS)} fields ({' '.join(GT_FIELDS)}), got "
                         f"{len(fields)}: {line.strip()!r}")
    integer_fields = [i for i, name in enumerate(GT_FIELDS) if name != "mask"]
    bad = [GT_FIELDS[i] for i in integer_fields if not _INTEGER.match(fields[i])]
    if bad:
        raise ValueError(f"not an integer: {', '.join(bad)} in {line.strip()!r}")
    x1, y1, x2, y2, class_id, _, _, difficult, truncated = (
        int(fields[i]) if i in integer_fields else None for i in range(len(GT_FIELDS)))
    if not 0 <= class_id < num_classes:
        raise ValueError(f"unknown class id {class_id} (valid: 0..{num_classes - 1})")
    for name, value in (("difficult", difficult), ("truncated", truncated)):
        if value not in (0, 1):
            raise ValueError(f"{name} must be 0 or 1, got {value}")
    if x2 < x1 or y2 < y1:
        raise ValueError(f"box x1={x1} y1={y1} x2={x2} y2={y2} has its corners swapped")
    token = fields[6]
    if "/" in token or "\\" in token or token in (".", ".."):
        raise ValueError(f"mask token {token!r} is not a plain name")
    return GtInstance(x1, y1, x2, y2, class_id, token, bool(difficult), bool(truncated),
                      line_number)


def read_gt_data(path, num_classes=len(CLASS_NAMES), on_error=None):
    """The instances of a ``.gt_data.txt`` file: [GtInstance] in file order (blank lines
    skipped).

    on_error: None raises a FlickrLogosError naming the file and line of the first malformed
    line (see `parse_gt_line`); a callable receives each such error and the line is skipped.
    """
    instances = []
    for line_number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            instances.append(parse_gt_line(line, num_classes, line_number))
        except ValueError as error:
            _report(FlickrLogosError(path, error, line_number), on_error)
    return instances


def image_size(path, apply_exif=True):
    """(height, width) of an image file from its header (the pixels are not decoded).

    apply_exif: swap the two for EXIF orientations that turn the photo by 90 degrees, as
    mrcnn.image_io.read_image does when it reads the pixels.
    Raises FlickrLogosError when the file is missing or not an image.
    """
    try:
        with Image.open(path) as image:
            width, height = image.size
            if apply_exif:
                try:
                    orientation = image.getexif().get(0x0112)
                except Exception:  # a broken EXIF block: read_image ignores it too
                    orientation = None
                if orientation in _TRANSPOSING_ORIENTATIONS:
                    width, height = height, width
    except FileNotFoundError:
        raise FlickrLogosError(path, "file not found") from None
    except UnidentifiedImageError:
        raise FlickrLogosError(path, "not an image file") from None
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise FlickrLogosError(path, f"cannot read image header ({error})") from None
    return height, width


def mask_to_bool(array, mode):
    """A decoded mask image -> [H, W] bool foreground.

    array: what ``np.asarray(PIL image)`` gives; mode: the PIL mode. Gray, 16-bit, palette
    (palette indices) and bilevel masks: any non-zero value is foreground. Colour masks
    (RGB, RGBA, LA...): 255 in the first channel.
    """
    array = np.asarray(array)
    if array.ndim == 2:
        return array != 0
    if mode == "LA":
        return array[..., 0] != 0
    return array[..., 0] == 255


def read_mask(path):
    """A mask PNG -> [H, W] bool (see `mask_to_bool`). Raises FlickrLogosError naming the
    file when it is missing, not an image or cannot be decoded."""
    try:
        with Image.open(path) as image:
            image.load()
            mode = image.mode
            array = np.asarray(image)
    except FileNotFoundError:
        raise FlickrLogosError(path, "mask file not found") from None
    except UnidentifiedImageError:
        raise FlickrLogosError(path, "mask is not an image file") from None
    except Exception as error:  # Pillow's decoders raise many types for corrupt data
        raise FlickrLogosError(path, f"cannot decode mask ({type(error).__name__}: "
                               f"{error})") from None
    return mask_to_bool(array, mode)


############################################################
#  Writing
############################################################

@dataclasses.dataclass(frozen=True)
class WrittenImage:
    """What `FlickrLogosWriter` wrote for one photo.

    entry: the file-list line, e.g. ``"./000000/000001.png"``. image_path, gt_path (None for
    a negative) and mask_paths: absolute file paths. class_ids: dataset class ids of the
    instances (int32 [N]).
    """

    split: str
    entry: str
    image_path: str
    gt_path: object
    mask_paths: tuple
    class_ids: np.ndarray


def _as_pil_image(array, what):
    """A photo or mask array -> PIL image: [H, W] uint8/uint16/bool, [H, W, 3|4] uint8."""
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    gray16 = array.ndim == 2 and array.dtype == np.uint16
    if not gray16 and (array.dtype != np.uint8 or array.ndim not in (2, 3) or (
            array.ndim == 3 and array.shape[2] not in (3, 4))):
        raise ValueError(f"{what}: expected [H, W] uint8/uint16/bool or [H, W, 3|4] uint8, "
                         f"got {array.dtype}{list(array.shape)}")
    if min(array.shape[:2]) == 0:
        raise ValueError(f"{what}: no pixels ({list(array.shape)})")
    return Image.fromarray(array)  # uint16 gives mode I;16 (Pillow >= 10)


def _box_from_mask(mask):
    """[H, W] bool -> (x1, y1, x2, y2), lower-right corner inclusive (the last pixel)."""
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    return int(columns[0]), int(rows[0]), int(columns[-1]), int(rows[-1])


class FlickrLogosWriter:
    """Write photos and their instances in the FlickrLogos-47 layout.

    root: the dataset folder (``FlickrLogos_47``); created if needed. It must not already
        hold a dataset (className2ClassID.txt or a split's file list).
    class_names: the classes, index = dataset class id (default: the 47 of FlickrLogos-47).
    images_per_folder: photos per six-digit folder (000000/, 000001/, ...).

    Photos of a split are numbered from 1 in the order they are added: the first is
    ``<split>/000000/000001.png``, listed as ``./000000/000001.png``; negatives go to
    ``<split>/no-logo/<number>.png``. Photos and masks are written immediately; the file lists
    and className2ClassID.txt by `close` (called on leaving a ``with`` block without error).
    """

    def __init__(self, root, class_names=CLASS_NAMES, images_per_folder=1000):
        if images_per_folder < 1:
            raise ValueError(f"images_per_folder must be at least 1, got {images_per_folder}")
        self.root = os.path.abspath(os.fspath(root))
        self.class_names = tuple(class_names)
        if not self.class_names or len(set(self.class_names)) != len(self.class_names):
            raise ValueError("class_names must be non-empty and unique")
        if any(not name or len(name.split()) != 1 for name in self.class_names):
            raise ValueError("class names must be single words (no whitespace)")
        self.images_per_folder = int(images_per_folder)
        existing = [os.path.join(self.root, CLASS_NAMES_FILE)] + [
            os.path.join(self.root, split, name) for split in SPLITS
            for name in (FILE_LIST_ALL, FILE_LIST_LOGOS_ONLY)]
        existing = [path for path in existing if os.path.exists(path)]
        if existing:
            raise FileExistsError(f"{self.root} already holds a dataset ({existing[0]})")
        os.makedirs(self.root, exist_ok=True)
        self._entries = {split: [] for split in SPLITS}      # (entry, has_logos)
        self._counters = {split: 0 for split in SPLITS}
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is None and not self.closed:
            self.close()
        return False

    def _check_open(self, split):
        if self.closed:
            raise ValueError("the writer is closed")
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")

    def _next_entry(self, split, folder=None):
        """(list entry, absolute path) of the split's next photo."""
        self._counters[split] += 1
        number = self._counters[split]
        if folder is None:
            folder = f"{number // self.images_per_folder:06d}"
        entry = f"./{folder}/{number:06d}.png"
        path = os.path.join(self.root, split, folder, f"{number:06d}.png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return entry, path

    def add_image(self, split, image, masks, class_ids, difficult=None, truncated=None,
                  boxes=None, mask_tokens=None, mask_mode="L"):
        """Write a photo with its logo instances.

        split: "train" or "test".
        image: the photo, [H, W, 3] or [H, W, 4] uint8, or [H, W] uint8/uint16 (grayscale).
        masks: [H, W, N] bool (or a list of N [H, W] arrays; non-zero = foreground), N >= 1.
        class_ids: [N] dataset class ids, 0..len(class_names)-1 (not Mask R-CNN's ids).
        difficult, truncated: [N] 0/1 flags (default all 0).
        boxes: [N, (x1, y1, x2, y2)] absolute pixels written as is (default: each mask's
            extent, lower-right corner inclusive; an empty mask then needs an explicit box).
        mask_tokens: [N] tokens naming the mask files (default ``mask00``, ``mask01``...).
        mask_mode: "L" writes 8-bit gray masks (0/255), "RGB" white-on-black colour masks.
        Returns a WrittenImage.
        """
        self._check_open(split)
        photo = _as_pil_image(image, "image")
        height, width = photo.size[1], photo.size[0]
        if isinstance(masks, (list, tuple)):
            masks = np.stack([np.asarray(m) for m in masks], axis=-1) if len(masks) else \
                np.zeros((height, width, 0), bool)
        masks = np.asarray(masks)
        if masks.ndim == 2:
            masks = masks[..., None]
        class_ids = np.asarray(class_ids, dtype=np.int64).reshape(-1)
        count = class_ids.size
        if masks.ndim != 3 or masks.shape[:2] != (height, width) or masks.shape[2] != count:
            raise ValueError(f"masks of shape {list(masks.shape)} do not fit a {height}x{width} "
                             f"photo with {count} class ids")
        if count == 0:
            raise ValueError("add_image needs at least one instance; use add_negative for a "
                             "photo without logos")
        if class_ids.min() < 0 or class_ids.max() >= len(self.class_names):
            raise ValueError(f"class ids must be 0..{len(self.class_names) - 1}, got "
                             f"{class_ids.tolist()}")
        if mask_mode not in ("L", "RGB"):
            raise ValueError(f"mask_mode must be 'L' or 'RGB', got {mask_mode!r}")
        masks = masks != 0
        flags = {}
        for name, values in (("difficult", difficult), ("truncated", truncated)):
            values = np.zeros(count, np.int64) if values is None else \
                np.asarray(values, dtype=np.int64).reshape(-1)
            if values.size != count or not np.isin(values, (0, 1)).all():
                raise ValueError(f"{name} must be {count} values of 0 or 1")
            flags[name] = values
        if mask_tokens is None:
            mask_tokens = [f"mask{i:02d}" for i in range(count)]
        mask_tokens = [str(token) for token in mask_tokens]
        if len(mask_tokens) != count or len(set(mask_tokens)) != count or any(
                not token or len(token.split()) != 1 or "/" in token or "\\" in token
                for token in mask_tokens):
            raise ValueError(f"mask_tokens must be {count} distinct single words without "
                             f"path separators, got {mask_tokens}")
        if boxes is None:
            empty = ~masks.any(axis=(0, 1))
            if empty.any():
                raise ValueError(f"masks {np.flatnonzero(empty).tolist()} are empty: pass "
                                 "their boxes explicitly")
            boxes = [_box_from_mask(masks[..., i]) for i in range(count)]
        boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
        if boxes.shape[0] != count:
            raise ValueError(f"boxes must be [{count}, (x1, y1, x2, y2)], got "
                             f"{list(boxes.shape)}")

        entry, path = self._next_entry(split)
        photo.save(path, format="PNG")
        mask_paths = []
        for i, token in enumerate(mask_tokens):
            mask_file = mask_path(path, token)
            pixels = masks[..., i].astype(np.uint8) * 255
            if mask_mode == "RGB":
                pixels = np.repeat(pixels[..., None], 3, axis=2)
            Image.fromarray(pixels).save(mask_file, format="PNG")
            mask_paths.append(mask_file)
        gt_path = gt_data_path(path)
        with open(gt_path, "w", encoding="utf-8") as file:
            for i in range(count):
                x1, y1, x2, y2 = boxes[i].tolist()
                file.write(f"{x1} {y1} {x2} {y2} {int(class_ids[i])} -1 {mask_tokens[i]} "
                           f"{int(flags['difficult'][i])} {int(flags['truncated'][i])}\n")
        self._entries[split].append((entry, True))
        return WrittenImage(split, entry, path, gt_path, tuple(mask_paths),
                            class_ids.astype(np.int32))

    def add_negative(self, split, image):
        """Write a photo without logos to ``<split>/no-logo/`` (listed in filelist.txt only).

        image: as for `add_image`. Returns a WrittenImage (no gt_path, no masks).
        """
        self._check_open(split)
        photo = _as_pil_image(image, "image")
        entry, path = self._next_entry(split, folder=NO_LOGO_FOLDER)
        photo.save(path, format="PNG")
        self._entries[split].append((entry, False))
        return WrittenImage(split, entry, path, None, (), np.zeros(0, np.int32))

    def close(self):
        """Write both splits' filelist.txt and filelist-logosonly.txt (empty for a split with
        no photo) and className2ClassID.txt. The writer cannot be used afterwards."""
        if self.closed:
            return
        for split in SPLITS:
            folder = os.path.join(self.root, split)
            os.makedirs(folder, exist_ok=True)
            entries = self._entries[split]
            with open(os.path.join(folder, FILE_LIST_ALL), "w", encoding="utf-8") as file:
                file.writelines(f"{entry}\n" for entry, _ in entries)
            with open(os.path.join(folder, FILE_LIST_LOGOS_ONLY), "w", encoding="utf-8") as file:
                file.writelines(f"{entry}\n" for entry, has_logos in entries if has_logos)
        with open(os.path.join(self.root, CLASS_NAMES_FILE), "w", encoding="utf-8") as file:
            file.writelines(f"{name}\t{i}\n" for i, name in enumerate(self.class_names))
        self.closed = True
