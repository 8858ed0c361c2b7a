"""The FlickrLogos-47 layout on disk: its classes, file names, annotation fields and paths.

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

Reading lives in `logo_eraser.flickrlogos.reader`, writing in `logo_eraser.flickrlogos.writer`;
the Mask R-CNN dataset over this layout in `logo_eraser.flickrlogos.dataset`.

This module needs only the standard library (no TensorFlow, no mrcnn).
"""

import dataclasses
import os
import posixpath
import re

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


