"""Fixtures shared by the visualization tests."""

import numpy as np
import pytest


def _make_scene(height=48, width=64):
    """A grey image with two boxed, masked instances: [H,W,3] uint8, boxes, masks, ids, scores."""
    image = np.full((height, width, 3), 120, dtype=np.uint8)
    boxes = np.array([[5, 6, 25, 30], [20, 35, 44, 60]], dtype=np.int32)
    masks = np.zeros((height, width, 2), dtype=bool)
    masks[8:22, 9:27, 0] = True
    masks[24:40, 38:56, 1] = True
    class_ids = np.array([1, 2], dtype=np.int32)
    scores = np.array([0.97, 0.61], dtype=np.float32)
    return image, boxes, masks, class_ids, scores


@pytest.fixture
def make_scene():
    """make_scene(height=48, width=64) -> (image [H, W, 3] uint8, boxes [2, 4], masks
    [H, W, 2] bool, class_ids [2], scores [2]): two boxed, masked instances on grey."""
    return _make_scene
