"""Importing a source into the FlickrLogos-47 layout that ``logo-train`` reads, and merging
imported datasets (and ``logo-synth`` output) into one.

What an import writes (one class, ``logo``; box masks where the source has only boxes)::

    DIR/className2ClassID.txt        "logo\\t0"
    DIR/train/...                    training and validation photos (val_list.txt names the
                                     validation ones: ``logo-train --val-list val_list.txt``)
    DIR/test/...                     the test photos; logo-free ones under no-logo/
    DIR/provenance.json              per photo: source, original path, licence, brands, split;
                                     per source: where it came from (commit), licence, counts

Splits: a source's own test (and validation) split is kept; where it has none, a seeded draw
per photo (the same photo always lands in the same split). Copies of one photo (Roboflow's
augmented copies) are found by `duplicates` and one copy is kept: the test copy when one is in
test, so no test photo has a copy in training.

Everything is written to ``DIR.partial-<pid>`` beside DIR and renamed at the end: an interrupted
import leaves no DIR (and its partial folder is removed on the way out).
"""

import json
import os
import shutil
import subprocess

import numpy as np

from ..flickrlogos import (FILE_LIST_ALL, FlickrLogosError, FlickrLogosWriter, gt_data_path,
                           mask_path, read_class_names, read_file_list, read_gt_data)
from .duplicates import group_copies
from .records import (PHOTO_SPLITS, TEST, TRAIN, VAL, SourceDataError, assign_splits,
                      seeded_fraction)
from .sources import SOURCES

CLASS_NAMES = ("logo",)
PROVENANCE_FILE = "provenance.json"
VAL_LIST_FILE = "val_list.txt"
# Splits drawn where a source has none: logo photos, and logo-free ones (half of those go to
# test so that the false-alarm figure rests on enough photos).
DEFAULT_TEST_FRACTION = 0.2
DEFAULT_VAL_FRACTION = 0.1
NEGATIVE_TEST_FRACTION = 0.5
SPLIT_ORDER = {TEST: 0, VAL: 1, TRAIN: 2}


class ImportProblem(ValueError):
    """A user-facing failure of an import or a merge (one line)."""


def exclusive_to_inclusive(boxes):
    """[N, (x1, y1, x2, y2)] float px, lower-right exclusive -> int, lower-right inclusive
    (every pixel the box touches)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    out = np.empty(boxes.shape, dtype=np.int64)
    out[:, :2] = np.floor(boxes[:, :2] + 1e-6)
    out[:, 2:] = np.ceil(boxes[:, 2:] - 1e-6) - 1
    out[:, 2:] = np.maximum(out[:, 2:], out[:, :2])
    return out


def keep_one_copy(photos):
    """Of each group of copies keep one photo: the first in test, else in val, else in train.
    Returns (kept photos, number dropped)."""
    best = {}
    for index, photo in enumerate(photos):
        key = photo.group if photo.group is not None else ("single", index)
        rank = (SPLIT_ORDER.get(photo.split, 3), index)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, index)
    kept = sorted(index for _, index in best.values())
    return [photos[i] for i in kept], len(photos) - len(kept)


def source_commit(root):
    """The git commit of a source checkout, or None."""
    try:
        result = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


class _PartialFolder:
    """A temporary folder beside ``output`` that becomes ``output`` on `commit`; removed on
    any exit without commit (Ctrl-C included)."""

    def __init__(self, output):
        self.output = os.path.abspath(output)
        if os.path.exists(self.output):
            raise ImportProblem(f"{output} already exists; the output is never overwritten: "
                                "choose a new folder")
        parent = os.path.dirname(self.output)
        if not os.path.isdir(parent):
            raise ImportProblem(f"{parent} (the output's folder) does not exist")
        self.path = f"{self.output}.partial-{os.getpid()}"

    def __enter__(self):
        shutil.rmtree(self.path, ignore_errors=True)
        os.makedirs(self.path)
        return self

    def commit(self):
        os.rename(self.path, self.output)

    def __exit__(self, exc_type, exc, traceback):
        shutil.rmtree(self.path, ignore_errors=True)
        return False


def _write_metadata(folder, val_entries, provenance):
    with open(os.path.join(folder, "train", VAL_LIST_FILE), "w", encoding="utf-8") as handle:
        handle.writelines(f"{entry}\n" for entry in val_entries)
    with open(os.path.join(folder, PROVENANCE_FILE), "w", encoding="utf-8") as handle:
        json.dump(provenance, handle, indent=1)


def _entry_key(split, entry):
    return f"{split}/{entry[2:] if entry.startswith('./') else entry}"


def import_source(source_name, root, output, seed=0, test_fraction=DEFAULT_TEST_FRACTION,
                  val_fraction=DEFAULT_VAL_FRACTION, licence=None, progress=None):
    """Import one source into a new dataset folder ``output``.

    source_name: a key of SOURCES. root: the source's checkout. licence: overrides the
    source's stated licence (needed for the generic ``coco`` / ``yolo``).
    progress: None or fn(iterable, total) -> iterable (a progress bar).
    Returns a summary dict (counts per split, copies and boxes dropped, problems).
    Raises SourceDataError (a malformed line, an unknown layout) or ImportProblem.
    """
    source = SOURCES[source_name]
    licence = licence or source.licence
    if not licence:
        raise ImportProblem(f"--licence is needed for the generic {source_name} layout (what "
                            "the data's owner allows, or 'unknown')")
    if not os.path.isdir(root):
        raise ImportProblem(f"{root}: source folder not found")
    problems = []
    photos = source.reader(root, problems.append)
    if not photos:
        raise SourceDataError(root, f"no annotated photo found for {source_name}")
    copies_dropped = 0
    if source.find_copies:
        group_copies(photos)
        photos, copies_dropped = keep_one_copy(photos)
    has_test = any(photo.split == TEST for photo in photos)
    has_val = any(photo.split == VAL for photo in photos)
    for photo in photos:
        key = photo.group if photo.group is not None else photo.original
        if photo.split == TRAIN and not has_test:
            photo.split = None      # a source with one split: test and val are drawn from it
        elif photo.split == TRAIN and not has_val and seeded_fraction(
                seed, "val", source_name, key) < val_fraction:
            photo.split = VAL       # train and test only: validation is drawn from train
    if has_val:
        val_fraction = 0.0
    logos = [photo for photo in photos if not photo.logo_free]
    negatives = [photo for photo in photos if photo.logo_free]
    assign_splits(logos, seed, test_fraction, val_fraction, source_name)
    assign_splits(negatives, seed, NEGATIVE_TEST_FRACTION, val_fraction, source_name)
    provenance = {"format": 1, "class_names": list(CLASS_NAMES), "sources": {
        source_name: {"url": source.url, "from": os.path.abspath(root),
                      "commit": source_commit(root), "licence": licence,
                      "description": source.description, "seed": seed}}, "photos": {}}
    counts = {split: {"photos": 0, "logos": 0, "logo_free": 0} for split in PHOTO_SPLITS}
    val_entries = []
    items = photos if progress is None else progress(photos, len(photos))
    with _PartialFolder(output) as partial:
        with FlickrLogosWriter(partial.path, CLASS_NAMES) as writer:
            for photo in items:
                layout_split = "test" if photo.split == TEST else "train"
                if photo.logo_free:
                    written = writer.add_negative_file(layout_split, photo.path)
                else:
                    boxes = exclusive_to_inclusive(photo.boxes)
                    written = writer.add_photo_file(layout_split, photo.path, boxes,
                                                    np.zeros(len(boxes), np.int64))
                if photo.split == VAL:
                    val_entries.append(written.entry)
                count = counts[photo.split]
                count["photos"] += 1
                count["logos"] += len(photo.boxes)
                count["logo_free"] += bool(photo.logo_free)
                provenance["photos"][_entry_key(layout_split, written.entry)] = {
                    "source": source_name, "original": photo.original, "licence": licence,
                    "brands": [str(brand) for brand in photo.brands], "split": photo.split}
        summary = {"source": source_name, "splits": counts, "copies_dropped": copies_dropped,
                   "problems": len(problems),
                   "first_problems": [str(problem) for problem in problems[:5]]}
        provenance["sources"][source_name]["counts"] = counts
        provenance["sources"][source_name]["copies_dropped"] = copies_dropped
        provenance["sources"][source_name]["problems"] = len(problems)
        _write_metadata(partial.path, val_entries, provenance)
        partial.commit()
    return summary


############################################################
#  Merging
############################################################

def read_provenance(folder):
    """A dataset folder's provenance.json; a made-up one (source = the folder's name, made by
    the project) for a folder without it, such as ``logo-synth`` output."""
    path = os.path.join(folder, PROVENANCE_FILE)
    if not os.path.exists(path):
        name = os.path.basename(os.path.abspath(folder))
        return {"sources": {name: {"licence": "made by this project (logo-synth: vendored "
                                   "artwork, see samples/brands/README.md)",
                                   "from": os.path.abspath(folder)}},
                "photos": {}, "default_source": name}
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise ImportProblem(f"{path}: not a readable provenance file ({error})") from None


def merge_datasets(inputs, output, progress=None, max_train_photos=None, seed=0):
    """Merge dataset folders in the FlickrLogos-47 layout with one class (imports, logo-synth
    output) into a new folder ``output``: photos and masks copied, renumbered, their
    provenance and validation lists kept. max_train_photos: {folder: N} keeps a seeded sample
    of N of that folder's training photos (its validation and test photos are all kept), to
    set the mix. Returns counts {source: photos}."""
    plans = []
    max_train_photos = max_train_photos or {}
    for folder in inputs:
        names_file = os.path.join(folder, "className2ClassID.txt")
        try:
            names = read_class_names(names_file)
        except FlickrLogosError as error:
            raise ImportProblem(str(error)) from None
        if len(names) != 1:
            raise ImportProblem(f"{names_file} lists {len(names)} classes; merging takes "
                                "one-class (logo) datasets")
        provenance = read_provenance(folder)
        val_path = os.path.join(folder, "train", VAL_LIST_FILE)
        val = ({entry for _, entry in read_file_list(val_path)} if os.path.exists(val_path)
               else set())
        for split in ("train", "test"):
            list_path = os.path.join(folder, split, FILE_LIST_ALL)
            if not os.path.exists(list_path):
                raise ImportProblem(f"{list_path} not found: {folder} is not a dataset folder")
            entries = [entry for _, entry in read_file_list(list_path)]
            limit = max_train_photos.get(folder)
            if split == "train" and limit is not None:
                training = [entry for entry in entries if entry not in val]
                if len(training) > limit:
                    chosen = set(sorted(training, key=lambda entry: seeded_fraction(
                        seed, "merge", entry))[:limit])
                    entries = [entry for entry in entries if entry in val or entry in chosen]
            for entry in entries:
                plans.append((folder, split, entry, split == "train" and entry in val,
                              provenance))
    merged = {"format": 1, "class_names": list(CLASS_NAMES), "sources": {}, "photos": {}}
    counts = {}
    val_entries = []
    items = plans if progress is None else progress(plans, len(plans))
    with _PartialFolder(output) as partial:
        with FlickrLogosWriter(partial.path, CLASS_NAMES) as writer:
            for folder, split, entry, is_val, provenance in items:
                photo = os.path.join(folder, split, entry)
                gt_path = gt_data_path(photo)
                if os.path.exists(gt_path):
                    try:
                        instances = read_gt_data(gt_path, num_classes=1)
                    except FlickrLogosError as error:
                        raise ImportProblem(str(error)) from None
                    boxes = [(i.x1, i.y1, i.x2, i.y2) for i in instances]
                    masks = [mask_path(photo, i.mask_token) for i in instances]
                    written = writer.add_photo_file(split, photo, boxes,
                                                    np.zeros(len(boxes), np.int64), masks)
                else:
                    written = writer.add_negative_file(split, photo)
                if is_val:
                    val_entries.append(written.entry)
                record = dict(provenance["photos"].get(_entry_key(split, entry)) or {
                    "source": provenance.get("default_source"), "original": entry,
                    "licence": next(iter(provenance["sources"].values()))["licence"],
                    "split": VAL if is_val else (TEST if split == "test" else TRAIN)})
                merged["photos"][_entry_key(split, written.entry)] = record
                counts[record["source"]] = counts.get(record["source"], 0) + 1
        for folder in inputs:
            merged["sources"].update(read_provenance(folder)["sources"])
        _write_metadata(partial.path, val_entries, merged)
        partial.commit()
    return counts


__all__ = ["import_source", "merge_datasets", "read_provenance", "exclusive_to_inclusive",
           "keep_one_copy", "ImportProblem", "SourceDataError", "PROVENANCE_FILE",
           "VAL_LIST_FILE"]
