"""Fixtures of the FlickrLogos-47 tests (logo_eraser.flickrlogos): mask and photo drawing
helpers, and the main dataset written in the exact layout (FlickrLogosWriter) in a temporary
folder."""

import types

import numpy as np
import pytest

from logo_eraser.flickrlogos import FlickrLogosWriter


def ellipse_mask(height, width, cy, cx, ry, rx):
    """[H, W] bool filled ellipse."""
    yy, xx = np.ogrid[:height, :width]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0


def rectangle_mask(height, width, y1, x1, y2, x2):
    mask = np.zeros((height, width), dtype=bool)
    mask[y1:y2, x1:x2] = True
    return mask


def random_photo(rng, height, width, channels=3):
    shape = (height, width) if channels == 1 else (height, width, channels)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


# Train photos of the main fixture: (kind, height, width, dataset class ids). Class 0 is HP.
TRAIN_PHOTOS = [
    ("rgb", 96, 128, [0, 2]),
    ("rgb", 64, 64, [46]),
    ("gray", 120, 80, [5]),
    ("rgba", 100, 100, [0]),
    ("gray16", 80, 112, [12]),
    ("rgb", 160, 144, [1, 2, 0]),
    ("rgb", 72, 90, [30]),
    ("rgb", 100, 64, [40]),
]
TEST_PHOTOS = [("rgb", 90, 120, [0, 7]), ("rgb", 64, 96, [46])]


def instance_masks(height, width, count, rng):
    """count distinct non-empty masks [H, W, count]: ellipses and rectangles."""
    masks = []
    for i in range(count):
        cy, cx = rng.integers(height // 4, 3 * height // 4), rng.integers(width // 4,
                                                                            3 * width // 4)
        ry, rx = rng.integers(5, height // 4), rng.integers(5, width // 4)
        if i % 2 == 0:
            masks.append(ellipse_mask(height, width, cy, cx, ry, rx))
        else:
            masks.append(rectangle_mask(height, width, max(cy - ry, 0), max(cx - rx, 0),
                                        cy + ry, cx + rx))
    return np.stack(masks, axis=-1)


def write_photo(writer, split, kind, height, width, class_ids, rng, expected, **kwargs):
    if kind == "gray":
        photo = random_photo(rng, height, width, 1)
    elif kind == "gray16":
        photo = rng.integers(0, 65536, size=(height, width), dtype=np.uint16)
    elif kind == "rgba":
        photo = random_photo(rng, height, width, 4)
        photo[..., 3] = 255
        photo[:10, :10, 3] = 0  # one transparent corner
    else:
        photo = random_photo(rng, height, width)
    masks = instance_masks(height, width, len(class_ids), rng)
    written = writer.add_image(split, photo, masks, class_ids, **kwargs)
    expected[(split, written.entry)] = {"photo": photo, "masks": masks,
                                        "class_ids": np.array(class_ids), "kind": kind}
    return written


@pytest.fixture(scope="session")
def drawing():
    """The drawing helpers: ellipse_mask, rectangle_mask, random_photo (test files cannot
    import each other)."""
    return types.SimpleNamespace(ellipse_mask=ellipse_mask, rectangle_mask=rectangle_mask,
                                 random_photo=random_photo)


@pytest.fixture(scope="session")
def fixture_photos():
    """(TRAIN_PHOTOS, TEST_PHOTOS): (kind, height, width, dataset class ids) of each photo with
    logos that dataset_root writes."""
    return TRAIN_PHOTOS, TEST_PHOTOS


@pytest.fixture(scope="module")
def dataset_root(tmp_path_factory):
    """The main fixture: FlickrLogos_47 inside a folder with a dot in its name.

    Returns (root, expected) with expected[(split, entry)] = photo, masks, class_ids, kind.
    """
    root = tmp_path_factory.mktemp("data.v1") / "FlickrLogos_47"
    rng = np.random.default_rng(0)
    expected = {}
    with FlickrLogosWriter(root) as writer:
        for index, (kind, height, width, class_ids) in enumerate(TRAIN_PHOTOS):
            kwargs = {}
            if index == 1:
                kwargs["mask_tokens"] = ["logo.v2"]  # a dot in the token
            if index == 5:
                kwargs.update(mask_mode="RGB", difficult=[0, 1, 0], truncated=[1, 0, 0])
            write_photo(writer, "train", kind, height, width, class_ids, rng, expected,
                        **kwargs)
            if index in (2, 6):
                writer.add_negative("train", random_photo(rng, 64 + index, 80))
        for kind, height, width, class_ids in TEST_PHOTOS:
            write_photo(writer, "test", kind, height, width, class_ids, rng, expected)
        writer.add_negative("test", random_photo(rng, 70, 70))
    # The real lists may contain "/./" and CRLF line ends.
    logos_list = root / "train" / "filelist-logosonly.txt"
    lines = logos_list.read_text().splitlines()
    lines[1] = lines[1].replace("./000000/", "./000000/./")
    logos_list.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return root, expected
