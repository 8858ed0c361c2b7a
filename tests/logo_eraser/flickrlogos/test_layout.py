"""Tests of logo_eraser.flickrlogos.layout: list entries and the paths built from a photo's
path and a mask token."""

import os

import pytest

from logo_eraser.flickrlogos import layout


def test_normalise_list_entry():
    assert layout.normalise_list_entry("./000000/000001.png\n") == "000000/000001.png"
    assert layout.normalise_list_entry("./000000/./000001.png") == "000000/000001.png"
    assert layout.normalise_list_entry(".\\no-logo\\x.y.png") == "no-logo/x.y.png"
    for bad in ("/abs/000001.png", "../000001.png", "./", "  "):
        with pytest.raises(ValueError):
            layout.normalise_list_entry(bad)


def test_paths_are_built_from_the_token_not_by_splitting_on_dots():
    photo = os.path.join("a.b", "train.v1", "000000", "000001.png")
    assert layout.gt_data_path(photo) == os.path.join("a.b", "train.v1", "000000",
                                                      "000001.gt_data.txt")
    assert layout.mask_path(photo, "mask00") == os.path.join(
        "a.b", "train.v1", "000000", "000001.mask00.png")
    assert layout.mask_path(photo, "mask01.png").endswith("000001.mask01.png")
