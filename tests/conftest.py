"""Shared fixtures for the test suite.

TensorFlow reads TF_CPP_MIN_LOG_LEVEL when it is first imported, so it is set here, before any
test module imports it (this file is imported first by pytest and by every xdist worker).
"""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root():
    """The repository root folder (pathlib.Path)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def sample_image_path():
    """The teaching demo's photo, images/sample_image_0.jpg (768x1024 RGB JPEG)."""
    return REPO_ROOT / "images" / "sample_image_0.jpg"


@pytest.fixture(scope="session")
def coco_weights_path(tmp_path_factory):
    """A Keras-2 HDF5 weights file with the layout of mask_rcnn_coco.h5 (ResNet101, 81 classes)
    filled with seeded random values (about 250 MB, written once per test process)."""
    from mrcnn.testing import write_coco_layout_weights

    path = tmp_path_factory.mktemp("coco_weights") / "mask_rcnn_coco_random.h5"
    write_coco_layout_weights(str(path), num_classes=81, seed=0)
    return path
