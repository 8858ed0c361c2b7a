"""``BrandsDataset``: FlickrLogos-47 photos and their logo masks as a Mask R-CNN dataset.

`BrandsDataset.load_brands` reads the FlickrLogos-47 layout (`logo_eraser.flickrlogos`):
dataset class id k becomes Mask R-CNN class id k + 1, so class 0 (HP) is class 1 here and id 0
stays the background.

    from logo_eraser.flickrlogos.dataset import BrandsDataset

    dataset = BrandsDataset()
    dataset.load_brands("FlickrLogos_47", "train")     # train minus the validation photos
    dataset.prepare()
    masks, class_ids = dataset.load_mask(0)            # [H, W, N] bool, [N] int32 (1..47)

Subsets: "train" and "val" (a deterministic part of the train split, or an explicit list),
"trainval" (the whole train split) and "test". Annotations are parsed and checked when the
subset is loaded; mask pixels are read by load_mask.

Strict mode (the default) raises `BrandsDataError` (a ValueError) naming the file and line of
the first problem: a malformed annotation line (field count, non-integer, unknown class id), a
missing or unreadable photo or mask, a mask whose size differs from its photo, a box outside
its photo. Lenient mode (strict=False) logs a warning, skips that instance (or photo) and
counts it (num_skipped_instances, num_skipped_images).
"""

import hashlib
import logging
import os
import threading

import numpy as np

from mrcnn import utils
from mrcnn.image_io import read_image

from .. import flickrlogos
from ..flickrlogos import CLASS_NAMES, FlickrLogosError

logger = logging.getLogger(__name__)

# The loader's error: one line naming the file (and line) at fault.
BrandsDataError = FlickrLogosError

SOURCE = "brands"
SUBSETS = ("train", "val", "trainval", "test")
# file_list keywords -> list file names in the split folder.
FILE_LISTS = {"logosonly": flickrlogos.FILE_LIST_LOGOS_ONLY, "all": flickrlogos.FILE_LIST_ALL}
DEFAULT_VAL_FRACTION = 0.1


def validation_entries(entries, fraction=DEFAULT_VAL_FRACTION, seed=0):
    """The entries that form the validation part of a list: a set.

    entries: normalised list entries (e.g. "000000/000001.png").
    An entry is chosen when a hash of (seed, entry) falls below ``fraction``, so the choice of
    one photo depends neither on the order nor on the other entries of the list. With two or
    more entries at least one is chosen and at least one is left for training (the entries
    with the lowest / highest hash).
    """
    entries = list(dict.fromkeys(entries))
    if not entries or fraction <= 0:
        return set()
    scores = np.array([int.from_bytes(hashlib.blake2b(f"{seed}/{entry}".encode("utf-8"),
                                                      digest_size=8).digest(), "big")
                       for entry in entries], dtype=np.float64) / 2.0 ** 64
    chosen = scores < fraction
    if len(entries) >= 2:
        if not chosen.any():
            chosen[np.argmin(scores)] = True
        if chosen.all():
            chosen[np.argmax(scores)] = False
    return {entry for entry, keep in zip(entries, chosen) if keep}


def _resolve_list_file(split_dir, file_list):
    """The list file a file_list argument names: a keyword, or a path (as given, else
    relative to the split folder)."""
    if file_list in FILE_LISTS:
        return os.path.join(split_dir, FILE_LISTS[file_list])
    path = os.fspath(file_list)
    if not os.path.isabs(path) and not os.path.exists(path):
        path = os.path.join(split_dir, path)
    return path


class BrandsDataset(utils.Dataset):
    """FlickrLogos-47 photos with their logo instance masks (source "brands").

    After load_brands() and prepare(): class_names[0] is "BG", class_names[k + 1] the name of
    dataset class k. Counters: num_skipped_instances, num_skipped_images (lenient mode),
    num_negatives (registered photos without logos), num_negatives_left_out; problems holds
    the message of everything lenient mode skipped.
    """

    def __init__(self, class_map=None):
        super().__init__(class_map)
        self.num_skipped_instances = 0
        self.num_skipped_images = 0
        self.num_negatives = 0
        self.num_negatives_left_out = 0
        self.problems = []
        self._skipped_keys = set()
        self._registered = set()
        # load_mask runs in the training pipeline's threads: guard the counters.
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ problems
    def _problem(self, error, strict, kind, key=None):
        """Raise ``error`` (strict), or log it and count one skipped ``kind`` ("instance" or
        "image"); ``key`` makes a problem met again (each epoch) count once."""
        if strict:
            raise error
        with self._lock:
            if key is not None:
                if key in self._skipped_keys:
                    return
                self._skipped_keys.add(key)
            if kind == "image":
                self.num_skipped_images += 1
            else:
                self.num_skipped_instances += 1
            self.problems.append(str(error))
        logger.warning("skipped %s: %s", kind, error)

    # ------------------------------------------------------------------ loading
    def load_brands(self, dataset_dir, subset, file_list="logosonly", include_negatives=False,
                    strict=True, val_fraction=DEFAULT_VAL_FRACTION, val_list=None, val_seed=0,
                    limit=None):
        """Register the photos of a FlickrLogos-47 subset.

        dataset_dir: the FlickrLogos_47 folder (holding train/, test/, className2ClassID.txt).
        subset: "train" (the train split without the validation photos), "val" (the
            validation photos), "trainval" (the whole train split) or "test".
        file_list: "logosonly" (filelist-logosonly.txt), "all" (filelist.txt, which also lists
            the no-logo photos) or the path of a list file in the same format (absolute, or
            relative to the current folder, else to the split folder).
        include_negatives: keep the listed photos that have no annotation file (no-logo
            photos) as negatives, with no instance; otherwise they are left out and counted.
        strict: raise BrandsDataError on the first problem (default); False: log, skip and
            count (see the module docstring).
        val_fraction, val_seed: without val_list, "val" is the part of the list chosen by
            validation_entries(entries, val_fraction, val_seed) and "train" the rest: the same
            options always give the same, disjoint subsets.
        val_list: a list file of validation photos (paths relative to train/); "val" is that
            list and "train" the list without them.
        limit: register at most this many photos (the first ones of the subset; None: all).

        Raises FileNotFoundError for a missing dataset folder, split folder or list file,
        BrandsDataError for bad content (in lenient mode only for an unreadable list or class
        file).
        """
        if subset not in SUBSETS:
            raise ValueError(f"subset must be one of {SUBSETS}, got {subset!r}")
        dataset_dir = os.fspath(dataset_dir)
        split = "test" if subset == "test" else "train"
        split_dir = os.path.join(dataset_dir, split)
        if not os.path.isdir(dataset_dir):
            raise FileNotFoundError(f"FlickrLogos-47 folder not found: {dataset_dir}")
        if not os.path.isdir(split_dir):
            raise FileNotFoundError(f"FlickrLogos-47 split folder not found: {split_dir}")
        class_names = self._register_classes(dataset_dir)

        list_path = _resolve_list_file(split_dir, file_list)
        if not os.path.isfile(list_path):
            raise FileNotFoundError(f"file list not found: {list_path}")

        def list_problem(error):
            self._problem(error, strict, "image")

        entries = flickrlogos.read_file_list(list_path, on_error=list_problem)
        if subset in ("train", "val"):
            if val_list is not None:
                val_path = _resolve_list_file(split_dir, val_list)
                if not os.path.isfile(val_path):
                    raise FileNotFoundError(f"validation list not found: {val_path}")
                val_entries = flickrlogos.read_file_list(val_path, on_error=list_problem)
                chosen = {entry for _, entry in val_entries}
                if subset == "val":
                    list_path, entries = val_path, val_entries
            else:
                chosen = validation_entries([entry for _, entry in entries], val_fraction,
                                            val_seed)
            if subset == "train":
                entries = [(n, e) for n, e in entries if e not in chosen]
            elif val_list is None:
                entries = [(n, e) for n, e in entries if e in chosen]
        if limit:
            entries = entries[:int(limit)]

        logos_only = file_list == "logosonly" and list_path == _resolve_list_file(
            split_dir, "logosonly")
        for line_number, entry in entries:
            self._add_photo(split, split_dir, entry, list_path, line_number, len(class_names),
                            logos_only, include_negatives, strict)

    def _register_classes(self, dataset_dir):
        """add_class for every class of className2ClassID.txt (else the built-in 47), in id
        order, so that dataset id k gets internal id k + 1. Returns the names."""
        path = os.path.join(dataset_dir, flickrlogos.CLASS_NAMES_FILE)
        if os.path.isfile(path):
            class_names = flickrlogos.read_class_names(path)
        else:
            logger.info("%s not found: using the 47 built-in FlickrLogos-47 class names", path)
            class_names = list(CLASS_NAMES)
        for class_id, name in enumerate(class_names):
            self.add_class(SOURCE, class_id, name)
        return class_names

    def _add_photo(self, split, split_dir, entry, list_path, line_number, num_classes,
                   logos_only, include_negatives, strict):
        """Check one listed photo and its annotations, then add_image (or skip it)."""
        image_id = f"{split}/{entry}"
        if image_id in self._registered:
            return
        photo_path = os.path.join(split_dir, *entry.split("/"))
        try:
            height, width = flickrlogos.image_size(photo_path)
        except FlickrLogosError as error:
            self._problem(BrandsDataError(list_path, f"photo {photo_path}: {error.reason}",
                                          line_number), strict, "image")
            return
        gt_path = flickrlogos.gt_data_path(photo_path)
        if not os.path.isfile(gt_path):
            if logos_only:
                self._problem(BrandsDataError(
                    list_path, f"{photo_path} is listed as holding logos but its annotation "
                    f"file {gt_path} is missing", line_number), strict, "image")
                return
            self._add_negative(image_id, photo_path, height, width, list_path, line_number,
                               include_negatives, strict, split, entry)
            return

        skipped_before = self.num_skipped_instances
        instances = flickrlogos.read_gt_data(
            gt_path, num_classes, on_error=lambda error: self._problem(error, strict, "instance"))
        had_lines = bool(instances) or self.num_skipped_instances > skipped_before
        instances = self._checked_instances(instances, gt_path, photo_path, height, width, strict)
        if not instances:
            if had_lines:
                # Every logo of the photo was skipped: as a negative it would teach the model
                # that its logos are background.
                self._problem(BrandsDataError(gt_path, f"no usable instance left; photo "
                                              f"{photo_path} skipped"), strict, "image")
            else:
                self._add_negative(image_id, photo_path, height, width, list_path, line_number,
                                   include_negatives, strict, split, entry)
            return

        boxes_xyxy = np.array([[i.x1, i.y1, i.x2, i.y2] for i in instances], dtype=np.int32)
        self._registered.add(image_id)
        self.add_image(
            SOURCE, image_id=image_id, path=photo_path, width=width, height=height,
            split=split, entry=entry, list_file=list_path, list_line=line_number,
            gt_path=gt_path, strict=strict,
            mask_paths=[flickrlogos.mask_path(photo_path, i.mask_token) for i in instances],
            dataset_class_ids=np.array([i.class_id for i in instances], dtype=np.int32),
            boxes=boxes_xyxy[:, [1, 0, 3, 2]],
            difficult=np.array([i.difficult for i in instances], dtype=bool),
            truncated=np.array([i.truncated for i in instances], dtype=bool),
            gt_lines=np.array([i.line_number for i in instances], dtype=np.int32))

    def _add_negative(self, image_id, photo_path, height, width, list_path, line_number,
                      include_negatives, strict, split, entry):
        if not include_negatives:
            self.num_negatives_left_out += 1
            return
        self._registered.add(image_id)
        self.num_negatives += 1
        self.add_image(
            SOURCE, image_id=image_id, path=photo_path, width=width, height=height,
            split=split, entry=entry, list_file=list_path, list_line=line_number,
            gt_path=None, strict=strict, mask_paths=[],
            dataset_class_ids=np.zeros(0, np.int32), boxes=np.zeros((0, 4), np.int32),
            difficult=np.zeros(0, bool), truncated=np.zeros(0, bool),
            gt_lines=np.zeros(0, np.int32))

    def _checked_instances(self, instances, gt_path, photo_path, height, width, strict):
        """The instances whose box lies inside the photo and whose mask file exists with the
        photo's size (header only; the pixels are read by load_mask)."""
        if not instances:
            return []
        boxes = np.array([[i.x1, i.y1, i.x2, i.y2] for i in instances], dtype=np.int64)
        # The lower-right corner may be the last pixel or one past it (both conventions).
        outside = ((boxes[:, :2] < 0).any(axis=1) | (boxes[:, 2] > width)
                   | (boxes[:, 3] > height))
        kept = []
        for instance, is_outside in zip(instances, outside.tolist()):
            if is_outside:
                self._problem(BrandsDataError(
                    gt_path, f"box x1={instance.x1} y1={instance.y1} x2={instance.x2} "
                    f"y2={instance.y2} lies outside the {width}x{height} photo {photo_path}",
                    instance.line_number), strict, "instance")
                continue
            path = flickrlogos.mask_path(photo_path, instance.mask_token)
            try:
                mask_height, mask_width = flickrlogos.image_size(path, apply_exif=False)
            except FlickrLogosError as error:
                self._problem(BrandsDataError(gt_path, f"mask {path}: {error.reason}",
                                              instance.line_number), strict, "instance")
                continue
            if (mask_height, mask_width) != (height, width):
                self._problem(BrandsDataError(
                    gt_path, f"mask {path} is {mask_width}x{mask_height} but the photo "
                    f"{photo_path} is {width}x{height}", instance.line_number), strict,
                    "instance")
                continue
            kept.append(instance)
        return kept

    # ------------------------------------------------------------------ access
    def load_image(self, image_id):
        """The photo as [H, W, 3] uint8 RGB (gray, RGBA, 16-bit converted by read_image).

        Raises BrandsDataError when its size is not the one registered at load time (the file
        changed since).
        """
        info = self.image_info[image_id]
        image = read_image(info["path"])
        if info["source"] == SOURCE and image.shape[:2] != (info["height"], info["width"]):
            raise BrandsDataError(info["path"], f"photo is now {image.shape[1]}x"
                                  f"{image.shape[0]}, was {info['width']}x{info['height']} "
                                  "when the dataset was loaded")
        return image

    def load_mask(self, image_id):
        """The photo's instance masks, read from the mask PNGs.

        Returns masks [H, W, N] bool (any non-zero pixel is foreground; 255 in the first
        channel for colour masks) and class_ids [N] int32, the internal ids (dataset id + 1).
        A negative gives masks [H, W, 0] and no ids. A mask that cannot be decoded or has
        another size raises BrandsDataError (strict) or is skipped and counted (lenient).
        """
        info = self.image_info[image_id]
        if info["source"] != SOURCE:
            return super().load_mask(image_id)
        height, width = info["height"], info["width"]
        masks, class_ids = [], []
        for path, dataset_class_id, line_number in zip(
                info["mask_paths"], info["dataset_class_ids"].tolist(), info["gt_lines"].tolist()):
            try:
                mask = flickrlogos.read_mask(path)
                if mask.shape != (height, width):
                    raise FlickrLogosError(path, f"mask is {mask.shape[1]}x{mask.shape[0]} but "
                                           f"the photo is {width}x{height}")
            except FlickrLogosError as error:
                self._problem(BrandsDataError(info["gt_path"], f"mask {path}: {error.reason}",
                                              line_number), info["strict"], "instance",
                              key=(info["id"], line_number))
                continue
            masks.append(mask)
            class_ids.append(self.class_from_source_map[f"{SOURCE}.{dataset_class_id}"])
        if not masks:
            return np.zeros((height, width, 0), dtype=bool), np.zeros(0, np.int32)
        return np.stack(masks, axis=-1), np.array(class_ids, dtype=np.int32)

    def image_reference(self, image_id):
        """The photo's path."""
        info = self.image_info[image_id]
        if info["source"] == SOURCE:
            return info["path"]
        return super().image_reference(image_id)

    def instance_count(self):
        """Number of logo instances registered (before any lazy mask problem)."""
        return int(sum(len(info.get("mask_paths", ())) for info in self.image_info))
