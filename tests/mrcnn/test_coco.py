"""Tests of mrcnn.coco's weights download stub: it never downloads."""
import pytest

from mrcnn.coco import download_trained_weights


def test_download_trained_weights_never_downloads(tmp_path):
    target = tmp_path / "mask_rcnn_coco.h5"
    with pytest.raises(FileNotFoundError) as raised:
        download_trained_weights(str(target), verbose=0)
    message = str(raised.value)
    assert str(target) in message
    assert "https://github.com/matterport/Mask_RCNN/releases" in message
    assert "mask_rcnn_coco.h5" in message and "\n" not in message
    assert not target.exists()
    target.write_bytes(b"weights")
    assert download_trained_weights(str(target), verbose=0) == str(target)
