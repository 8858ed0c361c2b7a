"""One reader per source layout. Each takes the source's root folder and gives
[`SourcePhoto`] with boxes in the records' convention ([N, (x1, y1, x2, y2)] px, lower-right
exclusive), the source's own splits where it has them.

* `read_toplogo10`: TopLogo-10 (``jpg/<brand>/<photo>.jpg``, ``masks/<brand>/<photo>.jpg.
  bboxes.txt`` with ``x y w h`` a line, ``ImageSets/30_images_per_class_test.txt``);
* `read_flickrlogos27`: FlickrLogos-27 (``..._training_set_annotation.txt``: ``photo brand
  subset x1 y1 x2 y2``, every box repeated once per subset it belongs to; the query set's
  ``none`` photos are logo-free);
* `read_coco_json`: COCO json (``<split>/_annotations.coco.json`` with the photos beside it, as
  Roboflow exports; ``bbox`` = ``[x, y, w, h]`` px);
* `read_yolo`: YOLO txt (``<split>/images`` + ``<split>/labels`` or ``images/<split>`` +
  ``labels/<split>``; ``class cx cy w h`` normalised to the photo's size).

A line that cannot be read (field count, a non-number, an unknown photo) raises
`SourceDataError` naming the file and line. A box that is empty or lies outside its photo is
a flaw of the data rather than of the file: it is dropped and reported through ``on_problem``,
as is a photo that is listed but missing from a snapshot.
"""

import collections
import glob
import json
import os

import numpy as np

from ..flickrlogos.reader import image_size
from ..flickrlogos.layout import FlickrLogosError
from .records import (PHOTO_EXTENSIONS, TEST, TRAIN, VAL, SourceDataError, SourcePhoto,
                      box_from_xywh, check_box, parse_numbers)

# Source split folder names -> the import's splits.
SPLIT_NAMES = {"train": TRAIN, "training": TRAIN, "valid": VAL, "val": VAL, "validation": VAL,
               "test": TEST, "testing": TEST}


def _lines(path):
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read().splitlines()
    except UnicodeDecodeError:
        raise SourceDataError(path, "not a UTF-8 text file") from None
    except OSError as error:
        raise SourceDataError(path, f"cannot read: {error.strerror or error}") from None


def _photo_size(path):
    """(height, width) from the header; SourceDataError for a corrupt photo."""
    try:
        return image_size(path)
    except FlickrLogosError as error:
        raise SourceDataError(path, error.reason) from None


def _find_one(root, pattern, what):
    """The single path under root matching a glob pattern (recursive); a SourceDataError naming
    the root when there is none."""
    matches = sorted(glob.glob(os.path.join(root, "**", pattern), recursive=True))
    if not matches:
        raise SourceDataError(root, f"not a {what} folder: no {pattern} under it")
    return matches[0]


def _checked_boxes(raw_boxes, photo_path, label_path, on_problem):
    """Clip the boxes [(box, line_number, brand)] to the photo; drop (and report) the bad
    ones. Returns (boxes, brands) of those kept."""
    height, width = _photo_size(photo_path)
    boxes, brands = [], []
    for box, line_number, brand in raw_boxes:
        try:
            boxes.append(check_box(box, width, height, label_path, line_number))
            brands.append(brand)
        except SourceDataError as error:
            on_problem(error)
    return boxes, brands


############################################################
#  TopLogo-10
############################################################

def read_toplogo10(root, on_problem):
    """TopLogo-10: its 30-per-class test list is the test split, the other photos train."""
    test_list = _find_one(root, "30_images_per_class_test.txt", "TopLogo-10")
    data = os.path.dirname(os.path.dirname(test_list))
    photos_dir, boxes_dir = os.path.join(data, "jpg"), os.path.join(data, "masks")
    if not os.path.isdir(photos_dir) or not os.path.isdir(boxes_dir):
        raise SourceDataError(data, "not a TopLogo-10 folder: jpg/ or masks/ is missing")
    test_names = {line.strip() for line in _lines(test_list) if line.strip()}
    photos = []
    for photo_path in sorted(glob.glob(os.path.join(photos_dir, "*", "*"))):
        if not photo_path.lower().endswith(PHOTO_EXTENSIONS):
            continue
        brand = os.path.basename(os.path.dirname(photo_path))
        name = os.path.basename(photo_path)
        label_path = os.path.join(boxes_dir, brand, name + ".bboxes.txt")
        if not os.path.exists(label_path):
            on_problem(SourceDataError(photo_path, "no box file (skipped)"))
            continue
        raw = []
        for number, line in enumerate(_lines(label_path), start=1):
            if line.strip():
                x, y, w, h = parse_numbers(line.split(), 4, label_path, number, "x y w h")
                raw.append((box_from_xywh(x, y, w, h), number, brand))
        boxes, _ = _checked_boxes(raw, photo_path, label_path, on_problem)
        if not boxes:
            on_problem(SourceDataError(label_path, "no usable box (photo skipped)"))
            continue
        stem = os.path.splitext(name)[0]
        photos.append(SourcePhoto(photo_path, os.path.relpath(photo_path, root), boxes,
                                  [brand] * len(boxes), TEST if stem in test_names else TRAIN))
    return photos


############################################################
#  FlickrLogos-27
############################################################

def read_flickrlogos27(root, on_problem):
    """FlickrLogos-27: the training annotation's boxes, deduplicated (a box is listed once per
    subset); no split of its own (the importer draws one per photo). The query set's ``none``
    photos are logo-free."""
    boxes_file = _find_one(root, "flickr_logos_27_dataset_training_set_annotation.txt",
                           "FlickrLogos-27")
    folder = os.path.dirname(boxes_file)
    images = os.path.join(folder, "flickr_logos_27_dataset_images")
    if not os.path.isdir(images):
        raise SourceDataError(folder, "not a FlickrLogos-27 folder: "
                              "flickr_logos_27_dataset_images/ is missing")
    per_photo = collections.OrderedDict()
    for number, line in enumerate(_lines(boxes_file), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 7:
            raise SourceDataError(boxes_file, f"expected 7 fields (photo brand subset x1 y1 x2 "
                                  f"y2), got {len(fields)}: {line.strip()!r}", number)
        x1, y1, x2, y2 = parse_numbers(fields[3:], 4, boxes_file, number, "x1 y1 x2 y2")
        # Corners are the first and last pixel: the exclusive corner is one further.
        box = (x1, y1, x2 + 1, y2 + 1)
        entry = per_photo.setdefault(fields[0], collections.OrderedDict())
        entry.setdefault(box, (fields[1], number))     # a repeated line adds nothing
    photos = []
    for name, boxes in per_photo.items():
        path = os.path.join(images, name)
        if not os.path.exists(path):
            on_problem(SourceDataError(boxes_file, f"photo {name} is missing (skipped)"))
            continue
        raw = [(box, number, brand) for box, (brand, number) in boxes.items()]
        checked, brands = _checked_boxes(raw, path, boxes_file, on_problem)
        if checked:
            photos.append(SourcePhoto(path, os.path.relpath(path, root), checked, brands))
    query = os.path.join(folder, "flickr_logos_27_dataset_query_set_annotation.txt")
    boxed = set(per_photo)
    if os.path.exists(query):
        for number, line in enumerate(_lines(query), start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2:
                raise SourceDataError(query, f"expected 2 fields (photo brand), got "
                                      f"{len(fields)}: {line.strip()!r}", number)
            if fields[1].lower() != "none" or fields[0] in boxed:
                continue
            path = os.path.join(images, fields[0])
            if not os.path.exists(path):
                on_problem(SourceDataError(query, f"photo {fields[0]} is missing (skipped)",
                                           number))
                continue
            _photo_size(path)
            photos.append(SourcePhoto(path, os.path.relpath(path, root), [], [],
                                      logo_free=True))
    return photos


############################################################
#  COCO json
############################################################

def _split_of(folder_name, path):
    split = SPLIT_NAMES.get(folder_name.lower())
    if split is None:
        raise SourceDataError(path, f"unknown split folder {folder_name!r} (expected one of "
                              f"{', '.join(sorted(SPLIT_NAMES))})")
    return split


def read_coco_json(root, on_problem):
    """COCO json files named ``_annotations.coco.json`` (or ``annotations.json``), one per
    split folder, photos beside them. A photo without annotations is not taken (COCO cannot
    tell an unannotated photo from a logo-free one)."""
    files = sorted(glob.glob(os.path.join(root, "**", "_annotations.coco.json"), recursive=True)
                   or glob.glob(os.path.join(root, "**", "annotations.json"), recursive=True))
    if not files:
        raise SourceDataError(root, "no COCO json (_annotations.coco.json) under it")
    photos = []
    for json_path in files:
        folder = os.path.dirname(json_path)
        split = _split_of(os.path.basename(folder), json_path)
        try:
            with open(json_path, encoding="utf-8") as handle:
                data = json.load(handle)
            images = {image["id"]: image for image in data["images"]}
            annotations = data["annotations"]
            categories = {item["id"]: item["name"] for item in data.get("categories", [])}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SourceDataError(json_path, f"not a COCO annotation file "
                                  f"({type(error).__name__}: {error})") from None
        per_image = collections.defaultdict(list)
        for number, annotation in enumerate(annotations, start=1):
            try:
                x, y, w, h = (float(value) for value in annotation["bbox"])
                image_id = annotation["image_id"]
            except (KeyError, TypeError, ValueError):
                raise SourceDataError(json_path, f"annotation {number} has no [x, y, w, h] "
                                      "bbox or no image_id") from None
            if image_id not in images:
                raise SourceDataError(json_path, f"annotation {number} names image id "
                                      f"{image_id!r}, which is not in images")
            brand = categories.get(annotation.get("category_id"), "logo")
            per_image[image_id].append((box_from_xywh(x, y, w, h), brand, number))
        for image_id, image in images.items():
            if image_id not in per_image:
                continue
            path = os.path.join(folder, os.path.basename(str(image.get("file_name", ""))))
            if not os.path.exists(path):
                on_problem(SourceDataError(json_path, f"photo {image.get('file_name')!r} is "
                                           "missing (skipped)"))
                continue
            items = per_image[image_id]
            label = f"{json_path} (annotation"
            kept, brands = [], []
            height, width = _photo_size(path)
            for box, brand, number in items:
                try:
                    kept.append(check_box(box, width, height, f"{label} {number})"))
                    brands.append(brand)
                except SourceDataError as error:
                    on_problem(error)
            if kept:
                photos.append(SourcePhoto(path, os.path.relpath(path, root), kept, brands,
                                          split))
    return photos


############################################################
#  YOLO txt
############################################################

def _yolo_folders(root):
    """[(split, images folder, labels folder)] of a YOLO tree."""
    found = []
    for images in sorted(glob.glob(os.path.join(root, "**", "images"), recursive=True)):
        parent = os.path.dirname(images)
        labels = os.path.join(parent, "labels")
        if os.path.isdir(labels) and SPLIT_NAMES.get(os.path.basename(parent).lower()):
            found.append((SPLIT_NAMES[os.path.basename(parent).lower()], images, labels))
            continue
        for split_dir in sorted(glob.glob(os.path.join(images, "*"))):
            name = os.path.basename(split_dir)
            labels_dir = os.path.join(parent, "labels", name)
            if os.path.isdir(split_dir) and name.lower() in SPLIT_NAMES and \
                    os.path.isdir(labels_dir):
                found.append((SPLIT_NAMES[name.lower()], split_dir, labels_dir))
    if not found:
        raise SourceDataError(root, "not a YOLO folder: no <split>/images + <split>/labels or "
                              "images/<split> + labels/<split> under it")
    return found


def read_yolo(root, on_problem, empty_is_logo_free=False):
    """YOLO txt labels (every class folded into one). A photo without a label file is not
    annotated and is left out; so is one with an empty label file, unless
    ``empty_is_logo_free`` (the source says such photos hold no logo)."""
    photos = []
    for split, images, labels in _yolo_folders(root):
        for photo_path in sorted(glob.glob(os.path.join(images, "*"))):
            if not photo_path.lower().endswith(PHOTO_EXTENSIONS):
                continue
            stem = os.path.splitext(os.path.basename(photo_path))[0]
            label_path = os.path.join(labels, stem + ".txt")
            if not os.path.exists(label_path):
                continue
            height, width = _photo_size(photo_path)
            boxes, brands = [], []
            for number, line in enumerate(_lines(label_path), start=1):
                fields = line.split()
                if not fields:
                    continue
                values = parse_numbers(fields, 5, label_path, number, "class cx cy w h")
                _, cx, cy, w, h = values
                if min(cx, cy, w, h) < 0 or max(cx, cy, w, h) > 1.0 + 1e-6:
                    raise SourceDataError(label_path, f"coordinates must be normalised to 0..1, "
                                          f"got {line.strip()!r}", number)
                box = ((cx - w / 2) * width, (cy - h / 2) * height,
                       (cx + w / 2) * width, (cy + h / 2) * height)
                try:
                    boxes.append(check_box(box, width, height, label_path, number))
                    brands.append(fields[0])
                except SourceDataError as error:
                    on_problem(error)
            original = os.path.relpath(photo_path, root)
            if boxes:
                photos.append(SourcePhoto(photo_path, original, boxes, brands, split))
            elif empty_is_logo_free and not any(line.strip() for line in _lines(label_path)):
                photos.append(SourcePhoto(photo_path, original, np.zeros((0, 4)), [], split,
                                          logo_free=True))
    return photos
