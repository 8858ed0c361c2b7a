"""Tests of logo_eraser.flickrlogos.reader: ``.gt_data.txt`` lines and className2ClassID.txt."""

import pytest

from logo_eraser.flickrlogos import reader
from logo_eraser.flickrlogos.layout import FlickrLogosError


@pytest.mark.parametrize("line, reason", [
    ("1 2 3 4 0 -1 mask00 0", "expected 9 fields"),
    ("1 2 3 4 0 -1 mask00 0 0 7", "expected 9 fields"),
    ("1 2.5 3 4 0 -1 mask00 0 0", "not an integer: y1"),
    ("1 2 3 4 HP -1 mask00 0 0", "not an integer: class_id"),
    ("1 2 3 4 47 -1 mask00 0 0", "unknown class id 47"),
    ("1 2 3 4 -1 -1 mask00 0 0", "unknown class id -1"),
    ("1 2 3 4 0 -1 mask00 2 0", "difficult must be 0 or 1"),
    ("5 2 3 4 0 -1 mask00 0 0", "corners swapped"),
    ("1 2 3 4 0 -1 ../mask00 0 0", "not a plain name"),
])
def test_parse_gt_line_rejects_malformed_lines(line, reason):
    with pytest.raises(ValueError, match=reason):
        reader.parse_gt_line(line, num_classes=47)


def test_parse_gt_line_fields():
    instance = reader.parse_gt_line("3 4 30 40 46 -1 mask01 1 0", line_number=7)
    assert (instance.x1, instance.y1, instance.x2, instance.y2) == (3, 4, 30, 40)
    assert instance.class_id == 46 and instance.mask_token == "mask01"
    assert instance.difficult and not instance.truncated and instance.line_number == 7


def test_read_class_names_checks_ids(tmp_path):
    path = tmp_path / "className2ClassID.txt"
    path.write_text("b\t1\na\t0\n\n")
    assert reader.read_class_names(path) == ["a", "b"]
    path.write_text("a\t0\nb\t2\n")
    with pytest.raises(FlickrLogosError, match="0..1"):
        reader.read_class_names(path)
    path.write_text("a\t0\nb x\n")
    with pytest.raises(FlickrLogosError, match="line 2"):
        reader.read_class_names(path)
