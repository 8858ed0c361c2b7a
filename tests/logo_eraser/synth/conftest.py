"""Fixtures shared by the generator's tests: reading a written dataset back."""

import pathlib

import pytest

from logo_eraser.flickrlogos.dataset import BrandsDataset


def _load(folder, subset, **kwargs):
    dataset = BrandsDataset()
    dataset.load_brands(folder, subset, **kwargs)
    dataset.prepare()
    return dataset


def _all_files(folder):
    return sorted(str(path.relative_to(folder)) for path in pathlib.Path(folder).rglob("*")
                  if path.is_file())


@pytest.fixture
def load():
    """load(folder, subset, **load_brands options) -> a prepared BrandsDataset."""
    return _load


@pytest.fixture
def all_files():
    """all_files(folder) -> the sorted relative paths of every file under it."""
    return _all_files
