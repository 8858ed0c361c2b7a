"""Tests of tools/vendor_debian_photos.py's logic that needs no .deb file: which copyright
paragraph licenses a file, and which stamps are photographs rather than drawings."""

import pathlib

import cv2
import numpy as np

from mrcnn.testing import load_script_module

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
tool = load_script_module(REPO_ROOT / "tools" / "vendor_debian_photos.py")

COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2014 Some Group
License: GPL-2+

Files: 16.04/Bridge_by_Someone.jpg
Copyright: 2018. Some
 One
License: CC-BY-SA-4.0

Files: debian/*
Copyright: 2020 A Packager
License: Expat
"""


def test_the_last_matching_paragraph_licenses_a_file(tmp_path):
    path = tmp_path / "copyright"
    path.write_text(COPYRIGHT)
    paragraphs = tool.copyright_paragraphs(str(path))
    assert len(paragraphs) == 3
    bridge = tool.licence_of(paragraphs, "usr/share/backgrounds/Bridge_by_Someone.jpg")
    assert bridge["License"] == "CC-BY-SA-4.0" and bridge["Copyright"] == "2018. Some One"
    # "debian/*" names the packaging, not every file: the catch-all licenses the others.
    other = tool.licence_of(paragraphs, "usr/share/wallpapers/Path/contents/images/a.jpg")
    assert other["License"] == "GPL-2+"
    assert tool.licence_of(paragraphs, "debian/rules")["License"] == "Expat"


def test_drawings_are_told_from_photographs():
    rng = np.random.default_rng(0)
    drawing = np.zeros((80, 80, 4), np.uint8)
    cv2.circle(drawing, (40, 40), 35, (30, 40, 200, 255), -1)
    cv2.circle(drawing, (40, 40), 15, (250, 250, 250, 255), -1)
    photo = drawing.copy()
    # Shading and sensor noise: a photograph's colours spread over many values.
    noise = rng.normal(0, 25, (80, 80, 3)) + np.linspace(-40, 40, 80)[None, :, None]
    photo[:, :, :3] = np.clip(photo[:, :, :3] + noise, 0, 255).astype(np.uint8)
    assert tool.is_drawing(drawing)
    assert not tool.is_drawing(photo)
    assert tool.is_drawing(np.zeros((80, 80, 4), np.uint8))  # nothing opaque
