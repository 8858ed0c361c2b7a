"""Tests of logo_eraser.flickrlogos.writer: FlickrLogosWriter writes the exact FlickrLogos-47
layout, and rejects instances it cannot write."""

import numpy as np
import pytest

from logo_eraser.flickrlogos.writer import FlickrLogosWriter


def test_writer_writes_the_flickrlogos_layout(dataset_root):
    root, expected = dataset_root
    assert (root / "className2ClassID.txt").read_text().splitlines()[:2] == ["HP\t0",
                                                                             "adidas_symbol\t1"]
    assert len((root / "className2ClassID.txt").read_text().splitlines()) == 47
    all_lines = (root / "train" / "filelist.txt").read_text().splitlines()
    assert all_lines[:3] == ["./000000/000001.png", "./000000/000002.png",
                             "./000000/000003.png"]
    assert "./no-logo/000004.png" in all_lines and len(all_lines) == 10
    assert len((root / "test" / "filelist-logosonly.txt").read_text().splitlines()) == 2
    gt_lines = (root / "train" / "000000" / "000001.gt_data.txt").read_text().splitlines()
    assert len(gt_lines) == 2
    fields = gt_lines[0].split()
    assert len(fields) == 9 and fields[4:7] == ["0", "-1", "mask00"] and fields[7:] == ["0", "0"]
    # The box is the mask's extent, lower-right corner inclusive.
    masks = expected[("train", "./000000/000001.png")]["masks"]
    rows, columns = np.flatnonzero(masks[..., 0].any(1)), np.flatnonzero(masks[..., 0].any(0))
    assert [int(v) for v in fields[:4]] == [columns[0], rows[0], columns[-1], rows[-1]]
    assert (root / "train" / "000000" / "000002.logo.v2.png").is_file()
    assert not (root / "train" / "no-logo" / "000004.gt_data.txt").exists()
    with pytest.raises(FileExistsError):
        FlickrLogosWriter(root)


def test_writer_rejects_bad_instances(tmp_path, drawing):
    writer = FlickrLogosWriter(tmp_path / "ds")
    photo = np.zeros((32, 32, 3), np.uint8)
    mask = drawing.rectangle_mask(32, 32, 2, 2, 10, 10)[..., None]
    with pytest.raises(ValueError, match="class ids"):
        writer.add_image("train", photo, mask, [47])
    with pytest.raises(ValueError, match="do not fit"):
        writer.add_image("train", photo, mask[:16], [0])
    with pytest.raises(ValueError, match="empty"):
        writer.add_image("train", photo, np.zeros((32, 32, 1), bool), [0])
    with pytest.raises(ValueError, match="split"):
        writer.add_image("val", photo, mask, [0])
    # An explicit box allows an empty mask (as the real data can have).
    writer.add_image("train", photo, np.zeros((32, 32, 1), bool), [0], boxes=[[1, 1, 5, 5]])
