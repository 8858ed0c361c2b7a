"""Copies of one photo under different names: Roboflow exports hold each training photo two or
three times, each copy sheared (up to 15 degrees), a little brighter or darker and salted with
noise, so neither the bytes nor the boxes are equal.

A copy is found by its centre: shearing about the middle moves the central 40% of the photo by
a few pixels only, so an 8x8 grey thumbnail of it (zero mean, unit norm) stays almost the same
(normalised correlation >= COPY_CORRELATION), while two different street photos of the same
car brand rarely do. Only photos with the same list of brands are compared.
"""

import collections

import cv2
import numpy as np

from mrcnn.image_io import read_image

# Thumbnail correlation at or above which two photos count as copies of one.
COPY_CORRELATION = 0.95
# The central share of each side that the thumbnail is made of.
CENTRE_SHARE = 0.4
THUMBNAIL_SIDE = 8


def centre_signature(path):
    """[64] float32: the zero-mean, unit-norm 8x8 grey thumbnail of the photo's centre."""
    grey = cv2.cvtColor(read_image(path), cv2.COLOR_RGB2GRAY)
    height, width = grey.shape
    margin_y = int(round(height * (1 - CENTRE_SHARE) / 2))
    margin_x = int(round(width * (1 - CENTRE_SHARE) / 2))
    centre = grey[margin_y:height - margin_y, margin_x:width - margin_x]
    small = cv2.resize(centre, (THUMBNAIL_SIDE, THUMBNAIL_SIDE),
                       interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    return small / norm if norm > 1e-6 else small


def group_copies(photos, threshold=COPY_CORRELATION, signatures=None):
    """Give copies of one photo the same ``group`` (the first copy's original path).

    photos: [SourcePhoto]; signatures: their `centre_signature`s (computed when None).
    Returns the number of photos found to be a copy of an earlier one.
    """
    if signatures is None:
        signatures = [centre_signature(photo.path) for photo in photos]
    signatures = np.asarray(signatures, dtype=np.float32).reshape(len(photos), -1)
    by_brands = collections.defaultdict(list)
    for index, photo in enumerate(photos):
        by_brands[tuple(sorted(map(str, photo.brands)))].append(index)
    copies = 0
    for indices in by_brands.values():
        similarity = signatures[indices] @ signatures[indices].T
        parent = list(range(len(indices)))

        def root(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        rows, cols = np.nonzero(np.triu(similarity >= threshold, k=1))
        for i, j in zip(rows.tolist(), cols.tolist()):
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
        for position, index in enumerate(indices):
            first = indices[root(position)]
            photos[index].group = photos[first].original
            copies += first != index
    return copies
