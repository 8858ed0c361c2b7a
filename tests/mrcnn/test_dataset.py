"""Tests of mrcnn.dataset: the Dataset base class's id maps, image loading and default mask."""
import logging

import numpy as np
import pytest
from PIL import Image

from mrcnn.dataset import Dataset


class TwoSourceDataset(Dataset):
    def image_reference(self, image_id):
        return f"ref-{self.image_info[image_id]['id']}"


def test_dataset_prepare_and_id_maps(tmp_path):
    dataset = TwoSourceDataset()
    dataset.add_class("coco", 1, "person, human")
    dataset.add_class("coco", 2, "car")
    dataset.add_class("coco", 1, "ignored duplicate")
    dataset.add_class("brands", 1, "adidas")
    Image.fromarray(np.full((6, 8), 77, np.uint8)).save(tmp_path / "gray.png")
    dataset.add_image("coco", 10, str(tmp_path / "gray.png"), width=8, height=6)
    dataset.add_image("brands", "a7", "/nowhere/logo.jpg")
    assert list(dataset.image_ids) == []
    dataset.prepare()

    assert dataset.num_classes == 4 and dataset.num_images == 2
    assert dataset.class_names == ["BG", "person", "car", "adidas"]
    assert dataset.class_ids.tolist() == [0, 1, 2, 3]
    assert dataset.image_ids.tolist() == [0, 1]
    assert dataset.class_info[0] == {"source": "", "id": 0, "name": "BG"}
    assert dataset.class_from_source_map == {".0": 0, "coco.1": 1, "coco.2": 2, "brands.1": 3}
    assert dataset.image_from_source_map == {"coco.10": 0, "brands.a7": 1}
    assert dataset.sources == ["", "coco", "brands"]
    assert dataset.source_class_ids == {"": [0], "coco": [0, 1, 2], "brands": [0, 3]}
    assert dataset.map_source_class_id("brands.1") == 3
    assert dataset.get_source_class_id(3, "brands") == 1
    with pytest.raises(ValueError):
        dataset.get_source_class_id(3, "coco")
    assert dataset.image_info[0]["width"] == 8
    assert dataset.source_image_link(1) == "/nowhere/logo.jpg"
    assert dataset.image_reference(1) == "ref-a7"

    image = dataset.load_image(0)
    assert image.shape == (6, 8, 3) and image.dtype == np.uint8 and (image == 77).all()
    with pytest.raises(ValueError, match="logo.jpg"):
        dataset.load_image(1)
    with pytest.raises(ValueError):
        dataset.add_class("bad.source", 1, "x")


def test_dataset_default_load_mask_warns(caplog):
    dataset = Dataset()
    dataset.prepare()
    with caplog.at_level(logging.WARNING):
        mask, class_ids = dataset.load_mask(0)
    assert mask.shape == (0, 0, 0) and mask.dtype == bool
    assert class_ids.shape == (0,) and class_ids.dtype == np.int32
    assert "default load_mask" in caplog.text
    assert dataset.image_reference(0) == ""
