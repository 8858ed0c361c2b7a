"""Tests of logo_eraser.synth.artwork: the vendored artwork (package data) and its licence."""

import json
import os
import pathlib

import numpy as np
import pytest

from logo_eraser import synth


def test_artwork_is_vendored_with_licence():
    artwork = pathlib.Path(synth.ARTWORK_DIR)
    for name in ("LICENSE.md", "DISCLAIMER.md", "manifest.json"):
        assert (artwork / name).is_file()
    assert "CC0" in (artwork / "LICENSE.md").read_text(encoding="utf-8")
    with open(artwork / "manifest.json", encoding="utf-8") as file:
        manifest = json.load(file)
    slugs = {record["slug"] for record in manifest["icons"]}
    for sources in synth.FLICKRLOGOS_ARTWORK.values():
        assert {source for kind, source in sources if kind == "icon"} <= slugs
    for record in manifest["icons"]:
        assert (artwork / record["file"]).is_file()
        assert len(record["hex"]) == 6


def test_artwork_is_package_data():
    """The artwork is found beside the package's modules, not through the repository root."""
    package_dir = pathlib.Path(synth.__file__).resolve().parent
    assert pathlib.Path(synth.ARTWORK_DIR).resolve() == package_dir / "data"


def test_list_photos_sorted_visible_photos_and_errors(tmp_path):
    for name in ("b.JPG", "a.png", ".hidden.jpg", "notes.txt", "c.webp"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "folder.jpg").mkdir()
    assert synth.list_photos(str(tmp_path)) == [str(tmp_path / name)
                                                 for name in ("a.png", "b.JPG", "c.webp")]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(synth.ArtworkError, match="no photo"):
        synth.list_photos(str(empty))
    with pytest.raises(synth.ArtworkError, match="not found"):
        synth.list_photos(str(tmp_path / "missing"))


def test_checkout_photos_can_be_left_out_of_the_backgrounds():
    """The checkout's images/ are the real-photo benchmark's photos: data for a model measured
    on them leaves them out (SynthOptions(checkout_photos=False), --no-checkout-photos)."""
    with_them = synth.load_library()
    without = synth.SynthOptions(checkout_photos=False).library()
    checkout = [path for path in with_them.photos if path.startswith(synth.PHOTOS_DIR + os.sep)]
    assert len(checkout) == 30
    assert not [path for path in without.photos if path.startswith(synth.PHOTOS_DIR + os.sep)]
    assert set(without.photos) == set(with_them.photos) - set(checkout)
    assert len(without.photos) >= 5
    sample = synth.generate_sample(synth.SynthOptions(seed=3, checkout_photos=False), "train", 0)
    assert sample.image.dtype == np.uint8 and sample.image.ndim == 3
