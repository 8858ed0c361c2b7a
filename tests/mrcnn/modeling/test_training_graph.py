"""Training graph pieces: layer presets, losses, detection targets, the NaN guard."""

import math
import re

import numpy as np
import pytest
import tensorflow as tf

from mrcnn import training
from mrcnn.config import Config
from mrcnn.modeling import losses
from mrcnn.modeling.builder import build_training_model
from mrcnn.modeling.detection_targets import detection_targets_graph
from mrcnn.testing import layout_table


class TinyTrainConfig(Config):
    NAME = "tiny"
    NUM_CLASSES = 81
    IMAGES_PER_GPU = 2
    IMAGE_MIN_DIM = IMAGE_MAX_DIM = 128
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
    TRAIN_ROIS_PER_IMAGE = 8
    MAX_GT_INSTANCES = 4
    ROI_POSITIVE_RATIO = 0.25


@pytest.fixture(scope="module")
def train_model():
    return build_training_model(TinyTrainConfig())


@pytest.mark.parametrize("preset", ["heads", "3+", "4+", "5+", "all"])
def test_layer_presets_make_the_right_weights_trainable(train_model, preset):
    regex = training.layer_regex(preset)
    names = training.set_trainable(train_model, regex)
    # Expected, from the layout table alone: the arrays of matching layers (for the nested
    # rpn_model, its inner layers' names), except BatchNorm's moving statistics.
    expected = []
    for group, weight, shape in layout_table():
        layer = weight.rsplit("/", 1)[0] if group == "rpn_model" else group
        short = weight.rsplit("/", 1)[1].split(":")[0]
        if re.fullmatch(regex, layer) and short not in ("moving_mean", "moving_variance"):
            expected.append((layer, short, tuple(shape)))
    owner = {}
    for layer in train_model.layers:
        for inner in (layer.layers if hasattr(layer, "layers") else [layer]):
            for w in inner.weights:
                owner[id(w)] = inner.name
    actual = [(owner[id(v)], v.name, tuple(v.shape)) for v in train_model.trainable_variables]
    assert sorted(actual) == sorted(expected)
    assert len({layer for layer, _, _ in expected}) == len(names)
    # heads: FPN 8x2 + RPN 3x2 + classifier 6x2 + mask 10x2 arrays; all: every array but the
    # moving statistics of the 110 BatchNorm layers (104 in the ResNet101, 6 in the heads).
    counts = {"heads": 54, "all": 690 - 2 * 110}
    if preset in counts:
        assert len(actual) == counts[preset]


def test_weight_decay_skips_gamma_and_beta_and_divides_by_size():
    import keras
    dense = keras.layers.Dense(2, name="d")
    dense.build((None, 3))
    dense.kernel.assign(np.full((3, 2), 2.0, np.float32))
    dense.bias.assign(np.array([1.0, 3.0], np.float32))
    bn = keras.layers.BatchNormalization(name="b")
    bn.build((None, 2))
    value = training.weight_decay_loss(dense.trainable_variables + bn.trainable_variables, 0.1)
    # kernel: 0.1 * 24 / 6; bias: 0.1 * 10 / 2; gamma and beta skipped.
    assert float(value) == pytest.approx(0.1 * 24 / 6 + 0.1 * 10 / 2)


def test_rpn_class_loss_hand_computed():
    match = tf.constant([[[1], [-1], [0]]], tf.int32)
    logits = tf.constant([[[0.0, 2.0], [1.0, 0.0], [5.0, -5.0]]])
    value = float(losses.rpn_class_loss_graph(match, logits))
    expected = (-math.log(math.exp(2) / (1 + math.exp(2)))
                - math.log(math.exp(1) / (1 + math.exp(1)))) / 2
    assert value == pytest.approx(expected, rel=1e-5)
    assert float(losses.rpn_class_loss_graph(tf.zeros([1, 3, 1], tf.int32), logits)) == 0.0


def test_rpn_bbox_loss_hand_computed():
    config = TinyTrainConfig()
    match = tf.constant([[[1], [0], [1]], [[0], [1], [-1]]], tf.int32)
    predicted = tf.constant([[[0.5, 0, 0, 0], [9, 9, 9, 9], [2, 0, 0, 0]],
                             [[9, 9, 9, 9], [0, 0, 0, 0.2], [9, 9, 9, 9]]], tf.float32)
    target = tf.constant([[[0, 0, 0, 0], [0, 0, 0, 0]], [[0, 0, 0, 0], [7, 7, 7, 7]]],
                         tf.float32)
    value = float(losses.rpn_bbox_loss_graph(config, target, match, predicted))
    # Three positives, 12 elements: 0.5*0.5^2 + (2-0.5) + 0.5*0.2^2, the rest 0.
    assert value == pytest.approx((0.125 + 1.5 + 0.02) / 12, rel=1e-5)


def test_mrcnn_class_loss_ignores_inactive_predictions():
    target = tf.constant([[1, 0]], tf.int32)
    logits = tf.constant([[[0.0, 1.0, 0.0], [0.0, 0.0, 3.0]]])
    active = tf.constant([[1.0, 1.0, 0.0]])
    value = float(losses.mrcnn_class_loss_graph(target, logits, active))
    # ROI 2 predicts class 2, inactive: ignored. ROI 1's cross-entropy only.
    assert value == pytest.approx(-math.log(math.e / (2 + math.e)), rel=1e-5)


def test_mrcnn_bbox_and_mask_losses_hand_computed():
    target_ids = tf.constant([[2, 0]], tf.int32)
    target_bbox = tf.constant([[[1.0, 0, 0, 0], [5, 5, 5, 5]]])
    pred_bbox = np.zeros((1, 2, 3, 4), np.float32)
    pred_bbox[0, 0, 2] = [0.0, 0.5, 0, 0]
    pred_bbox[0, 0, 1] = [9, 9, 9, 9]  # another class: ignored
    value = float(losses.mrcnn_bbox_loss_graph(target_bbox, target_ids, tf.constant(pred_bbox)))
    assert value == pytest.approx((0.5 + 0.125) / 4, rel=1e-5)

    target_masks = tf.constant([[[[1.0, 0.0]], [[1.0, 1.0]]]])        # [1, 2, 1, 2]
    pred = np.full((1, 2, 1, 2, 3), 0.5, np.float32)
    pred[0, 0, 0, :, 2] = [0.8, 0.1]
    value = float(losses.mrcnn_mask_loss_graph(target_masks, target_ids, tf.constant(pred)))
    assert value == pytest.approx((-math.log(0.8) - math.log(0.9)) / 2, rel=1e-5)


def test_detection_targets_on_hand_made_boxes():
    config = TinyTrainConfig()
    tf.random.set_seed(0)
    gt_boxes = np.zeros((4, 4), np.float32)
    gt_boxes[0] = [0.1, 0.1, 0.5, 0.5]
    gt_ids = np.array([3, 0, 0, 0], np.int32)
    gt_masks = np.zeros((56, 56, 4), bool)
    gt_masks[:, :28, 0] = True  # mini mask: left half of the GT box
    proposals = np.zeros((20, 4), np.float32)
    proposals[0] = [0.1, 0.1, 0.5, 0.5]        # IoU 1 -> positive
    proposals[1] = [0.1, 0.1, 0.5, 0.45]       # IoU 0.875 -> positive
    proposals[2:9] = [0.6, 0.6, 0.9, 0.9]      # IoU 0 -> negatives
    rois, class_ids, deltas, masks = [t.numpy() for t in detection_targets_graph(
        tf.constant(proposals), tf.constant(gt_ids), tf.constant(gt_boxes),
        tf.constant(gt_masks), config)]
    assert rois.shape == (8, 4) and masks.shape == (8, 28, 28)
    # At most 25% positives (2 of 8), then negatives up to 8 in all: 2 positive + 6 negative.
    assert int(8 * 0.25) == 2
    np.testing.assert_array_equal(class_ids, [3, 3, 0, 0, 0, 0, 0, 0])
    assert sorted(map(tuple, rois[:2].round(4))) == sorted(
        [(0.1, 0.1, 0.5, 0.45), (0.1, 0.1, 0.5, 0.5)])
    np.testing.assert_allclose(rois[2:], [[0.6, 0.6, 0.9, 0.9]] * 6)
    exact = np.where(np.isclose(rois[:2, 3], 0.5))[0][0]
    np.testing.assert_allclose(deltas[exact], 0, atol=1e-6)
    other = 1 - exact
    # dx = (0.3 - 0.275) / 0.35 / 0.1; dw = log(0.4 / 0.35) / 0.2
    np.testing.assert_allclose(deltas[other], [0, 0.025 / 0.35 / 0.1, 0,
                                               math.log(0.4 / 0.35) / 0.2], atol=1e-4)
    # The exact ROI's mask target is the left half. (Its bottom row can fall a float32 ulp
    # outside the mini mask and read 0, as in the reference.)
    assert masks[exact][:-1, :13].all() and not masks[exact][:, 15:].any()
    assert not masks[2:].any()


def test_nan_guard_names_epoch_step_and_image_ids():
    trainer = training.Trainer.__new__(training.Trainer)
    trainer.strategy = tf.distribute.get_strategy()
    meta = np.zeros((2, 93), np.float32)
    meta[:, 0] = [17, 42]
    batch = (np.zeros((2, 8, 8, 3)), tf.constant(meta))
    names = [*losses.LOSS_NAMES, "weight_decay", "loss"]
    trainer._check_finite(np.ones(7), names, 0, 0, batch)  # finite: no error
    values = np.ones(7)
    values[2] = np.nan
    values[-1] = np.inf
    with pytest.raises(training.TrainingDivergedError) as err:
        trainer._check_finite(values, names, 2, 4, batch)
    message = str(err.value)
    assert "epoch 3, step 5" in message and "[17, 42]" in message
    assert "mrcnn_class_loss=nan" in message
