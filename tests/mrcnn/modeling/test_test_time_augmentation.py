"""Test-time multi-scale detection: molding at another size, merging the results of several
sizes, and MaskRCNN.detect_multiscale on a tiny random-weight model."""

import numpy as np
import pytest

from mrcnn.config import Config
from mrcnn.modeling.test_time_augmentation import merge_detections
from mrcnn.modeling.transform import mold_inputs


def _result(boxes, class_ids, scores, shape=(60, 80)):
    """A detect() result whose masks fill the given boxes."""
    masks = np.zeros(shape + (len(boxes),), bool)
    for i, (y1, x1, y2, x2) in enumerate(boxes):
        masks[y1:y2, x1:x2, i] = True
    return {"rois": np.array(boxes, np.int32).reshape(-1, 4),
            "class_ids": np.array(class_ids, np.int32),
            "scores": np.array(scores, np.float32), "masks": masks}


def test_merge_folds_copies_of_one_instance_and_keeps_the_others():
    at_small = _result([[10, 10, 30, 30], [40, 50, 55, 70]], [1, 1], [0.9, 0.8])
    # [12, 12, 32, 32] overlaps the first box with IoU 324 / 476 = 0.68; the class-2 box on the
    # same place is another instance; [40, 62, 55, 78] overlaps the second box with IoU 0.28.
    at_large = _result([[12, 12, 32, 32], [10, 10, 30, 30], [40, 62, 55, 78]], [1, 2, 1],
                       [0.95, 0.6, 0.85])
    merged = merge_detections([at_small, at_large])
    assert merged["scores"].tolist() == pytest.approx([0.95, 0.85, 0.8, 0.6])
    assert merged["class_ids"].tolist() == [1, 1, 1, 2]
    assert merged["rois"].tolist() == [[10, 10, 32, 32], [40, 62, 55, 78], [40, 50, 55, 70],
                                       [10, 10, 30, 30]]
    assert merged["masks"].shape == (60, 80, 4)
    # The folded instance's mask is the union of both copies.
    union = at_small["masks"][:, :, 0] | at_large["masks"][:, :, 0]
    assert np.array_equal(merged["masks"][:, :, 0], union)
    # Nothing any input masked is lost.
    everything = np.concatenate([at_small["masks"], at_large["masks"]], axis=2).any(axis=2)
    assert np.array_equal(merged["masks"].any(axis=2), everything)


def test_merge_of_one_result_without_overlaps_is_that_result_by_score():
    result = _result([[0, 0, 10, 10], [20, 20, 40, 40]], [1, 1], [0.7, 0.9])
    merged = merge_detections([result])
    assert merged["scores"].tolist() == pytest.approx([0.9, 0.7])
    assert np.array_equal(merged["masks"], result["masks"][:, :, ::-1])
    assert np.array_equal(merged["rois"], result["rois"][::-1])


def test_merge_of_empty_results_is_empty_with_the_photo_shape():
    merged = merge_detections([_result([], [], []), _result([], [], [])])
    assert merged["rois"].shape == (0, 4) and merged["masks"].shape == (60, 80, 0)
    assert merged["scores"].shape == (0,) and merged["class_ids"].shape == (0,)
    with pytest.raises(ValueError):
        merge_detections([])


class _SquareConfig(Config):
    NAME = "tta"
    NUM_CLASSES = 3
    IMAGES_PER_GPU = 1
    IMAGE_MIN_DIM = IMAGE_MAX_DIM = 128


def test_mold_inputs_at_another_size():
    photo = np.random.default_rng(0).integers(0, 255, (100, 150, 3), dtype=np.uint8)
    config = _SquareConfig()
    own, _, own_windows = mold_inputs([photo], config)
    larger, metas, windows = mold_inputs([photo], config, image_size=192)
    assert own.shape == (1, 128, 128, 3) and larger.shape == (1, 192, 192, 3)
    # The photo fills the width and is centred vertically, at the size's scale.
    assert windows[0].tolist() == [32, 0, 160, 192]
    assert own_windows[0].tolist() == [21, 0, 106, 128]
    assert metas[0][4:7].tolist() == [192, 192, 3]
    for bad in (100, 0, -64, 64.5, True):
        with pytest.raises(ValueError, match="multiple of 64"):
            mold_inputs([photo], config, image_size=bad)

    class Pad64(_SquareConfig):
        IMAGE_RESIZE_MODE = "pad64"

    with pytest.raises(ValueError, match="square"):
        mold_inputs([photo], Pad64(), image_size=192)


def test_detect_at_other_sizes_and_multiscale(tmp_path):
    import keras

    from mrcnn import model as modellib
    from mrcnn.testing import tiny_backbone, tiny_backbone_shapes

    class Tiny(_SquareConfig):
        BACKBONE = staticmethod(tiny_backbone)
        COMPUTE_BACKBONE_SHAPE = staticmethod(tiny_backbone_shapes)
        RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
        POST_NMS_ROIS_INFERENCE = 50
        FPN_CLASSIF_FC_LAYERS_SIZE = 32
        TOP_DOWN_PYRAMID_SIZE = 32
        DETECTION_MIN_CONFIDENCE = 0.0
        TEST_IMAGE_SIZES = (128, 192)

    keras.utils.set_random_seed(0)
    model = modellib.MaskRCNN("inference", Tiny(), str(tmp_path))
    photo = np.random.default_rng(1).integers(0, 255, (100, 150, 3), dtype=np.uint8)
    per_size = {size: model.detect([photo], image_size=size)[0] for size in (128, 192)}
    for result in per_size.values():
        n = len(result["scores"])
        assert n > 0 and result["masks"].shape == (100, 150, n)
    # Anchors are made once per molded size.
    assert {(128, 128), (192, 192)} <= set(model._anchor_cache)
    # One size: detect()'s detections, less the copies folded together (random weights give
    # many identical sliver boxes at the photo's edge), with the same masked pixels.
    single = model.detect_multiscale([photo], image_sizes=[128])[0]
    assert 0 < len(single["scores"]) <= len(per_size[128]["scores"])
    assert set(single["scores"].tolist()) <= set(per_size[128]["scores"].tolist())
    assert np.array_equal(single["masks"].any(axis=2), per_size[128]["masks"].any(axis=2))
    # The config's sizes by default; every pixel any size masked is kept.
    both = model.detect_multiscale([photo])[0]
    assert len(both["scores"]) <= sum(len(r["scores"]) for r in per_size.values())
    everything = np.concatenate([r["masks"] for r in per_size.values()], axis=2).any(axis=2)
    assert np.array_equal(both["masks"].any(axis=2), everything)
    assert np.all(np.diff(both["scores"]) <= 0)
