"""What every source reader gives: one `SourcePhoto` per photo, boxes in one convention.

Boxes are ``[N, (x1, y1, x2, y2)]`` float pixels with the lower-right corner exclusive (a box
``(0, 0, 10, 5)`` covers columns 0..9 and rows 0..4), whatever the source wrote: each reader
converts its own convention (x/y order, width/height, 0- or 1-based, normalised) to this one.

Needs only the standard library and NumPy.
"""

import dataclasses
import hashlib

import numpy as np

from ..flickrlogos.layout import FlickrLogosError

# Where a photo goes in the imported dataset.
TRAIN, VAL, TEST = "train", "val", "test"
PHOTO_SPLITS = (TRAIN, VAL, TEST)
# The photo file types the importers take (their bytes are copied as they are).
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class SourceDataError(FlickrLogosError):
    """Bad source data. str() is one line: ``<path>, line <n>: <reason>`` (or ``<path>:
    <reason>`` when the problem is not on a line); the attributes of `FlickrLogosError`."""


@dataclasses.dataclass
class SourcePhoto:
    """One photo of a source.

    path: the photo file (absolute). original: its path relative to the source's root, as
    recorded in the import's provenance. boxes: [N, (x1, y1, x2, y2)] float pixels, lower-right
    exclusive; N = 0 for a logo-free photo. brands: [N] the source's class names (folded into
    "logo" on import; kept in the provenance). split: TRAIN, VAL or TEST, or None where the
    source has no split for it (the importer then draws one). logo_free: the source says the
    photo has no logo (a photo with no box is not logo-free unless this says so).
    group: photos with the same group are copies of one photo (kept in one split together).
    """

    path: str
    original: str
    boxes: np.ndarray
    brands: list
    split: object = None
    logo_free: bool = False
    group: object = None

    def __post_init__(self):
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)


def box_from_xywh(x, y, width, height, one_based=False):
    """(x1, y1, x2, y2) exclusive from a top-left corner and a size in pixels."""
    offset = 1.0 if one_based else 0.0
    return (x - offset, y - offset, x - offset + width, y - offset + height)


def parse_numbers(fields, count, path, line_number, what):
    """``count`` floats from text fields; a SourceDataError naming the line otherwise."""
    if len(fields) != count:
        raise SourceDataError(path, f"expected {count} fields ({what}), got {len(fields)}: "
                              f"{' '.join(fields)!r}", line_number)
    try:
        values = [float(field) for field in fields]
    except ValueError:
        raise SourceDataError(path, f"not a number in {' '.join(fields)!r} ({what})",
                              line_number) from None
    if not all(np.isfinite(values)):
        raise SourceDataError(path, f"not a finite number in {' '.join(fields)!r}", line_number)
    return values


def check_box(box, width, height, path, line_number=None, tolerance=2.0):
    """Clip an (x1, y1, x2, y2) exclusive box to the photo; refuse one that is inverted, empty or
    lies outside it by more than ``tolerance`` px (annotation tools round a little past the
    edge). Returns the clipped box."""
    x1, y1, x2, y2 = box
    if x2 <= x1 or y2 <= y1:
        raise SourceDataError(path, f"box (x1 {x1:g}, y1 {y1:g}, x2 {x2:g}, y2 {y2:g}) is empty "
                              "or has its corners swapped", line_number)
    if (x1 < -tolerance or y1 < -tolerance or x2 > width + tolerance
            or y2 > height + tolerance):
        raise SourceDataError(path, f"box (x1 {x1:g}, y1 {y1:g}, x2 {x2:g}, y2 {y2:g}) lies "
                              f"outside the {width}x{height} photo", line_number)
    clipped = (max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2))
    if clipped[2] - clipped[0] < 1 or clipped[3] - clipped[1] < 1:
        raise SourceDataError(path, f"box (x1 {x1:g}, y1 {y1:g}, x2 {x2:g}, y2 {y2:g}) is less "
                              "than a pixel inside the photo", line_number)
    return clipped


def seeded_fraction(seed, *keys):
    """A number in [0, 1) from a hash of (seed, keys): the same photo gets the same number
    whatever the order or the other photos of a source (a stable, photo-level split)."""
    text = "\0".join([str(seed)] + [str(key) for key in keys])
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def assign_splits(photos, seed, test_fraction, val_fraction, source_name):
    """Give every photo without a split one, drawn per group (copies of a photo stay together):
    TEST below ``test_fraction``, then VAL for the next ``val_fraction``, else TRAIN."""
    for photo in photos:
        if photo.split is not None:
            continue
        key = photo.group if photo.group is not None else photo.original
        draw = seeded_fraction(seed, source_name, key)
        photo.split = (TEST if draw < test_fraction else
                       VAL if draw < test_fraction + val_fraction else TRAIN)
    return photos
