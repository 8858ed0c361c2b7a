"""Reading the FlickrLogos-47 layout: class names, file lists, .gt_data.txt lines, masks and
image sizes (see `logo_eraser.flickrlogos.layout` for the format).

Problems with the data raise `FlickrLogosError` (a ValueError) naming the file and, where there
is one, the line. Needs only NumPy and Pillow (no TensorFlow, no mrcnn).
"""

import numpy as np
from PIL import Image, UnidentifiedImageError

from .layout import (_INTEGER, _TRANSPOSING_ORIENTATIONS, CLASS_NAMES, GT_FIELDS,
                     FlickrLogosError, GtInstance, normalise_list_entry)


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


