"""MaskRCNN weights: COCO-layout files load, save/load round-trips, class-count mismatches."""

import h5py
import numpy as np
import pytest

from mrcnn import model as modellib
from mrcnn import weights_io
from mrcnn.config import Config
from mrcnn.image_io import read_image
from mrcnn.testing import layout_table


class SmallCocoConfig(Config):
    """The COCO network (ResNet101, 81 classes) at 128 px so tests run fast."""
    NAME = "coco"
    NUM_CLASSES = 81
    GPU_COUNT = 1
    IMAGES_PER_GPU = 1
    IMAGE_MIN_DIM = IMAGE_MAX_DIM = 128
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
    DETECTION_MIN_CONFIDENCE = 0.0


class Brands48Config(SmallCocoConfig):
    NAME = "brands"
    NUM_CLASSES = 48


@pytest.fixture(scope="module")
def photo(sample_image_path):
    return read_image(sample_image_path)


@pytest.fixture(scope="module")
def coco_model(coco_weights_path, tmp_path_factory):
    model = modellib.MaskRCNN("inference", SmallCocoConfig(), str(tmp_path_factory.mktemp("l")))
    model.load_weights(str(coco_weights_path), by_name=True)
    return model


def file_array(path, group, weight):
    with h5py.File(path, "r") as f:
        return f[group][weight][()]


def test_coco_layout_file_loads_every_array(coco_model, coco_weights_path):
    km = coco_model.keras_model
    np.testing.assert_array_equal(km.get_layer("conv1").get_weights()[0],
                                  file_array(coco_weights_path, "conv1", "conv1/kernel:0"))
    bn = km.get_layer("bn5c_branch2c").get_weights()
    np.testing.assert_array_equal(
        bn[3], file_array(coco_weights_path, "bn5c_branch2c", "bn5c_branch2c/moving_variance:0"))
    rpn = km.get_layer("rpn_model").get_layer("rpn_bbox_pred").get_weights()[1]
    np.testing.assert_array_equal(
        rpn, file_array(coco_weights_path, "rpn_model", "rpn_bbox_pred/bias:0"))
    head = km.get_layer("mrcnn_class_conv1").get_weights()[0]
    np.testing.assert_array_equal(
        head, file_array(coco_weights_path, "mrcnn_class_conv1", "mrcnn_class_conv1/kernel:0"))


def test_topological_load_equals_by_name_load(coco_model, coco_weights_path, tmp_path):
    model = modellib.MaskRCNN("inference", SmallCocoConfig(), str(tmp_path))
    model.load_weights(str(coco_weights_path), by_name=False)
    for name in ("res4w_branch2c", "fpn_p3", "mrcnn_mask", "mrcnn_bbox_fc"):
        for a, b in zip(model.keras_model.get_layer(name).get_weights(),
                        coco_model.keras_model.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


def test_save_then_load_reproduces_detect(coco_model, photo, tmp_path):
    before = coco_model.detect([photo])[0]
    assert len(before["class_ids"]) > 0
    path = tmp_path / "mask_rcnn_copy.h5"
    coco_model.save_weights(str(path))
    # The written file has exactly the COCO layout.
    table = [(g, n, tuple(s)) for g, n, s in weights_io.read_weights_table(str(path))]
    assert table == [(g, n, tuple(s)) for g, n, s in layout_table()]
    with h5py.File(path, "r") as f:
        assert f.attrs["backend"] == b"tensorflow"
        assert f.attrs["keras_version"].startswith(b"2.")

    reloaded = modellib.MaskRCNN("inference", SmallCocoConfig(), str(tmp_path))
    reloaded.load_weights(str(path), by_name=True)
    after = reloaded.detect([photo])[0]
    np.testing.assert_array_equal(before["rois"], after["rois"])
    np.testing.assert_array_equal(before["class_ids"], after["class_ids"])
    np.testing.assert_allclose(before["scores"], after["scores"], atol=1e-6)
    np.testing.assert_array_equal(before["masks"], after["masks"])


def test_other_class_count_fails_with_exclude_hint_then_loads_with_it(coco_weights_path,
                                                                      tmp_path):
    model = modellib.MaskRCNN("inference", Brands48Config(), str(tmp_path))
    km = model.keras_model
    conv1_before = km.get_layer("conv1").get_weights()[0].copy()
    with pytest.raises(weights_io.WeightsMismatchError) as err:
        model.load_weights(str(coco_weights_path), by_name=True)
    message = str(err.value)
    assert "mrcnn_class_logits" in message or "mrcnn_bbox_fc" in message or "mrcnn_mask" in message
    assert "(1024, 48)" in message or "(1024, 192)" in message or "48)" in message
    assert "exclude=" in message and "mrcnn_bbox_fc" in message
    assert "\n" not in message
    # Nothing was assigned by the failed load.
    np.testing.assert_array_equal(km.get_layer("conv1").get_weights()[0], conv1_before)

    excluded_before = {name: [w.copy() for w in km.get_layer(name).get_weights()]
                       for name in ("mrcnn_class_logits", "mrcnn_bbox_fc", "mrcnn_mask")}
    model.load_weights(str(coco_weights_path), by_name=True,
                       exclude=list(weights_io.CLASS_DEPENDENT_LAYERS))
    np.testing.assert_array_equal(km.get_layer("conv1").get_weights()[0],
                                  file_array(coco_weights_path, "conv1", "conv1/kernel:0"))
    for name, arrays in excluded_before.items():
        for a, b in zip(km.get_layer(name).get_weights(), arrays):
            np.testing.assert_array_equal(a, b)


def test_loading_a_checkpoint_sets_the_epoch(coco_model, tmp_path):
    run_dir = tmp_path / "coco20260102T0304"
    run_dir.mkdir()
    path = run_dir / "mask_rcnn_coco_0007.h5"
    coco_model.save_weights(str(path))
    model = modellib.MaskRCNN("inference", SmallCocoConfig(), str(tmp_path))
    assert model.find_last() == str(path)
    model.load_weights(model.find_last(), by_name=True)
    assert model.epoch == 7
    assert model.log_dir == str(run_dir)
    assert model.checkpoint_path.endswith("mask_rcnn_coco_{epoch:04d}.h5")


def test_detect_with_no_detection_returns_empty_results(coco_weights_path, photo, tmp_path):
    class NothingPasses(SmallCocoConfig):
        DETECTION_MIN_CONFIDENCE = 1.01  # no softmax score reaches it

    model = modellib.MaskRCNN("inference", NothingPasses(), str(tmp_path))
    model.load_weights(str(coco_weights_path), by_name=True)
    result = model.detect([photo])[0]
    assert result["rois"].shape == (0, 4)
    assert result["class_ids"].shape == (0,) and result["scores"].shape == (0,)
    assert result["masks"].shape == photo.shape[:2] + (0,)


def test_detect_accepts_gray_rgba_and_16bit_arrays(coco_model, photo):
    gray = photo.mean(axis=2).astype(np.uint8)
    reference = coco_model.detect([np.stack([gray] * 3, axis=2)])[0]
    for variant in (gray,                                                  # [H, W]
                    np.dstack([np.stack([gray] * 3, axis=2),
                               np.full(gray.shape, 128, np.uint8)]),       # RGBA
                    np.stack([gray] * 3, axis=2).astype(np.uint16) * 257):  # 16-bit
        result = coco_model.detect([variant])[0]
        assert result["masks"].shape[:2] == gray.shape
        np.testing.assert_array_equal(result["rois"], reference["rois"])
        np.testing.assert_array_equal(result["class_ids"], reference["class_ids"])
        np.testing.assert_array_equal(result["masks"], reference["masks"])
