"""Fixtures shared by the logo eraser's tests (test_hiding, test_models, test_photos, test_cli).

Test files cannot import each other (pytest runs with --import-mode=importlib), so the helpers
several of them need are fixtures here: a plain helper function is a session fixture returning
the function, under the helper's own name.

``brands_weights``: random weights in the exact 48-class layout (write_coco_layout_weights),
edited so that detections are few, of one known class (``favoured_class_id``), and of the RPN
proposals' size: mrcnn_class_logits keeps a random kernel column only for that class (others
zero) and its bias favours the background by 2, so a proposal is that class or background
depending on its features; mrcnn_bbox_fc's four columns of that class are zeroed (no box
refinement, which with random weights stretches boxes over the whole photo).
"""

import h5py
import numpy as np
import pytest

from mrcnn.config import Config as MrcnnConfig

FAVOURED_CLASS_ID = 7


def _textured_image(height, width, seed=0):
    """[H, W, 3] uint8: noise over a colour gradient, so any repainting changes pixels."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    base = np.stack([ys * 200 // max(height, 1), xs * 200 // max(width, 1),
                     (ys + xs) * 100 // max(height + width, 1)], axis=2)
    return (base + rng.integers(0, 56, (height, width, 3))).astype(np.uint8)


def _write_small_weights(path, layers):
    """A Keras-2 HDF5 weights file holding only ``layers`` = {layer: {weight: shape}}."""
    with h5py.File(path, "w") as h5_file:
        h5_file.attrs["layer_names"] = np.asarray([name.encode() for name in layers])
        h5_file.attrs["backend"] = np.bytes_(b"tensorflow")
        h5_file.attrs["keras_version"] = np.bytes_(b"2.2.4")
        for layer, weights in layers.items():
            group = h5_file.create_group(layer)
            group.attrs["weight_names"] = np.asarray([w.encode() for w in weights])
            for weight, shape in weights.items():
                group.create_dataset(weight, data=np.zeros(shape, np.float32))


def _fake_result(image, boxes, class_ids):
    """A detect() result on ``image``: one box-shaped mask per box, scores 0.9 down to 0.8."""
    masks = np.zeros(image.shape[:2] + (len(boxes),), bool)
    for index, (y1, x1, y2, x2) in enumerate(boxes):
        masks[y1:y2, x1:x2, index] = True
    return {"rois": np.asarray(boxes, np.int32).reshape(-1, 4),
            "class_ids": np.asarray(class_ids, np.int32),
            "scores": np.linspace(0.9, 0.8, len(boxes)).astype(np.float32), "masks": masks}


class FakeModel:
    """Stands in for a MaskRCNN: returns fixed detections.

    Its config is a real ``mrcnn.config.Config`` (so DETECTION_MIN_CONFIDENCE 0.7 and no
    TEST_IMAGE_SIZES, as a brands model's, which logo_eraser.photos.erase_photo reports from
    ``model.config``) with the given class names and input side."""

    def __init__(self, result, class_names, side=128):
        self.result = result
        self.image_sizes_asked = []

        class Config(MrcnnConfig):
            CLASS_NAMES = class_names
            IMAGE_MAX_DIM = side

        self.config = Config()

    def detect(self, images, verbose=0):
        assert len(images) == 1
        return [self.result]

    def detect_multiscale(self, images, image_sizes=None, verbose=0):
        self.image_sizes_asked.append(image_sizes)
        return self.detect(images, verbose=verbose)


@pytest.fixture(scope="session")
def textured_image():
    """textured_image(height, width, seed=0): [H, W, 3] uint8 noise over a colour gradient."""
    return _textured_image


@pytest.fixture(scope="session")
def write_small_weights():
    """write_small_weights(path, layers): a Keras-2 HDF5 file of zeros in ``layers``' shapes."""
    return _write_small_weights


@pytest.fixture(scope="session")
def fake_result():
    """fake_result(image, boxes, class_ids): a detect() result with box-shaped masks."""
    return _fake_result


@pytest.fixture(scope="session")
def fake_model_class():
    """The FakeModel class: FakeModel(result, class_names, side=128) stands in for a MaskRCNN
    (``detect`` and ``detect_multiscale`` return ``result``; the sizes asked are recorded)."""
    return FakeModel


@pytest.fixture(scope="session")
def favoured_class_id():
    """The one class ``brands_weights`` detects."""
    return FAVOURED_CLASS_ID


@pytest.fixture(scope="session")
def brands_weights(tmp_path_factory, favoured_class_id):
    """48-class random weights edited as described in the module docstring (written once per
    test process)."""
    from mrcnn.testing import write_coco_layout_weights

    path = tmp_path_factory.mktemp("eraser_weights") / "mask_rcnn_brands_random.h5"
    write_coco_layout_weights(str(path), num_classes=48, seed=0)
    k = favoured_class_id
    with h5py.File(path, "r+") as h5_file:
        logits_kernel = h5_file["mrcnn_class_logits/mrcnn_class_logits/kernel:0"]
        kernel = np.zeros(logits_kernel.shape, np.float32)
        kernel[:, k] = logits_kernel[:, k]
        logits_kernel[...] = kernel
        bias = np.zeros(48, np.float32)
        bias[0] = 2.0
        h5_file["mrcnn_class_logits/mrcnn_class_logits/bias:0"][...] = bias
        bbox_kernel = h5_file["mrcnn_bbox_fc/mrcnn_bbox_fc/kernel:0"]
        kernel = bbox_kernel[()]
        kernel[:, 4 * k:4 * k + 4] = 0.0
        bbox_kernel[...] = kernel
        bbox_bias = h5_file["mrcnn_bbox_fc/mrcnn_bbox_fc/bias:0"]
        values = bbox_bias[()]
        values[4 * k:4 * k + 4] = 0.0
        bbox_bias[...] = values
    return path
