"""Writing the FlickrLogos-47 layout from arrays (test fixtures, synthetic data)::

    with FlickrLogosWriter("FlickrLogos_47") as writer:
        writer.add_image("train", photo, masks, class_ids)    # photo [H, W, 3], masks [H, W, N]
        writer.add_negative("train", other_photo)
    # close() (here: leaving the with block) writes the lists and className2ClassID.txt

Needs only NumPy and Pillow (no TensorFlow, no mrcnn).
"""

import dataclasses
import os
import shutil

import numpy as np
from PIL import Image

from .layout import (CLASS_NAMES, CLASS_NAMES_FILE, FILE_LIST_ALL, FILE_LIST_LOGOS_ONLY,
                     NO_LOGO_FOLDER, SPLITS, gt_data_path, mask_path)


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


def _write_gt_data(photo_path, boxes, class_ids, mask_tokens, difficult, truncated):
    """Write the photo's .gt_data.txt, one line per instance; returns its path.
    boxes: [N, (x1, y1, x2, y2)] int, lower-right inclusive."""
    gt_path = gt_data_path(photo_path)
    with open(gt_path, "w", encoding="utf-8") as file:
        for i in range(len(mask_tokens)):
            x1, y1, x2, y2 = boxes[i].tolist()
            file.write(f"{x1} {y1} {x2} {y2} {int(class_ids[i])} -1 {mask_tokens[i]} "
                       f"{int(difficult[i])} {int(truncated[i])}\n")
    return gt_path


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

    def _next_entry(self, split, folder=None, extension=".png"):
        """(list entry, absolute path) of the split's next photo."""
        self._counters[split] += 1
        number = self._counters[split]
        if folder is None:
            folder = f"{number // self.images_per_folder:06d}"
        entry = f"./{folder}/{number:06d}{extension}"
        path = os.path.join(self.root, split, folder, f"{number:06d}{extension}")
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
        gt_path = _write_gt_data(path, boxes, class_ids, mask_tokens, flags["difficult"],
                                 flags["truncated"])
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

    def add_photo_file(self, split, photo_file, boxes, class_ids, mask_files=None):
        """Copy a photo file as it is (its bytes and extension) with its instances.

        boxes: [N, (x1, y1, x2, y2)] int pixels, lower-right inclusive (as .gt_data.txt writes
        them), N >= 1. class_ids: [N] dataset class ids. mask_files: [N] mask PNGs to copy;
        None writes box masks (each box filled). The photo's size is not read: the caller
        gives boxes that fit it. Returns a WrittenImage.
        """
        self._check_open(split)
        boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
        class_ids = np.asarray(class_ids, dtype=np.int64).reshape(-1)
        count = boxes.shape[0]
        if count == 0 or class_ids.size != count:
            raise ValueError(f"add_photo_file needs N >= 1 boxes and N class ids, got {count} "
                             f"and {class_ids.size}")
        if class_ids.min() < 0 or class_ids.max() >= len(self.class_names):
            raise ValueError(f"class ids must be 0..{len(self.class_names) - 1}")
        if (boxes[:, 2] < boxes[:, 0]).any() or (boxes[:, 3] < boxes[:, 1]).any() or \
                (boxes < 0).any():
            raise ValueError(f"boxes must be non-negative with x1 <= x2 and y1 <= y2, got "
                             f"{boxes.tolist()}")
        if mask_files is not None and len(mask_files) != count:
            raise ValueError(f"{len(mask_files)} mask files for {count} boxes")
        extension = os.path.splitext(os.fspath(photo_file))[1].lower() or ".png"
        entry, path = self._next_entry(split, extension=extension)
        shutil.copyfile(photo_file, path)
        mask_paths = []
        if mask_files is None:
            with Image.open(path) as photo:
                width, height = photo.size
        for i in range(count):
            mask_file = mask_path(path, f"mask{i:02d}")
            if mask_files is not None:
                shutil.copyfile(mask_files[i], mask_file)
            else:
                pixels = np.zeros((height, width), np.uint8)
                x1, y1, x2, y2 = boxes[i].tolist()
                pixels[y1:y2 + 1, x1:x2 + 1] = 255
                Image.fromarray(pixels).save(mask_file, format="PNG")
            mask_paths.append(mask_file)
        zeros = np.zeros(count, np.int64)
        gt_path = _write_gt_data(path, boxes, class_ids,
                                 [f"mask{i:02d}" for i in range(count)], zeros, zeros)
        self._entries[split].append((entry, True))
        return WrittenImage(split, entry, path, gt_path, tuple(mask_paths),
                            class_ids.astype(np.int32))

    def add_negative_file(self, split, photo_file):
        """Copy a photo without logos as it is to ``<split>/no-logo/``. Returns a
        WrittenImage."""
        self._check_open(split)
        extension = os.path.splitext(os.fspath(photo_file))[1].lower() or ".png"
        entry, path = self._next_entry(split, folder=NO_LOGO_FOLDER, extension=extension)
        shutil.copyfile(photo_file, path)
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
