"""End-to-end training: loss goes down, checkpoints, resume, two replicas, the NaN guard."""

import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from mrcnn import model as modellib
from mrcnn import training, weights_io
from mrcnn.config import Config
from mrcnn.testing import layout_table, load_script_module

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
shapes = load_script_module(REPO_ROOT / "samples" / "shapes" / "shapes.py")


class SmallShapesConfig(shapes.ShapesConfig):
    """matterport's shapes config, shrunk so a CPU test takes seconds per step."""
    NAME = "shapes"
    BACKBONE = "resnet50"
    IMAGES_PER_GPU = 2
    IMAGE_MIN_DIM = IMAGE_MAX_DIM = 64
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
    POST_NMS_ROIS_TRAINING = 200
    TRAIN_ROIS_PER_IMAGE = 16
    FPN_CLASSIF_FC_LAYERS_SIZE = 128
    STEPS_PER_EPOCH = 6
    VALIDATION_STEPS = 1
    MAX_GT_INSTANCES = 4
    # From random weights, frozen BatchNorm normalises nothing: activations explode and the
    # loss of 4-step epochs is chaotic. Batch statistics keep it small and falling.
    TRAIN_BN = True


def shapes_dataset(count, seed):
    dataset = shapes.ShapesDataset()
    dataset.load_shapes(count, 64, 64, seed=seed)
    dataset.prepare()
    return dataset


@pytest.fixture(scope="module")
def datasets():
    return shapes_dataset(8, seed=1), shapes_dataset(4, seed=2)


@pytest.mark.slow
def test_training_lowers_the_loss_writes_checkpoints_and_resumes(datasets, tmp_path):
    import tensorflow as tf
    tf.random.set_seed(0)
    np.random.seed(0)
    _, val_ds = datasets
    # One batch worth of images: every step sees the same two, so the loss must fall as the
    # model fits them (with more images, 4-step epochs are too noisy to compare).
    train_ds = shapes_dataset(SmallShapesConfig.IMAGES_PER_GPU, seed=1)
    config = SmallShapesConfig()
    model = modellib.MaskRCNN("training", config, str(tmp_path))
    history = model.train(train_ds, val_ds, learning_rate=0.002, epochs=2, layers="all")
    assert model.epoch == 2
    assert len(history["loss"]) == 2 and all(np.isfinite(history["loss"]))
    assert history["loss"][1] < history["loss"][0]
    for name in ("rpn_class_loss", "rpn_bbox_loss", "mrcnn_class_loss", "mrcnn_bbox_loss",
                 "mrcnn_mask_loss", "val_loss"):
        assert name in history
    run_dir = pathlib.Path(model.log_dir)
    assert re.fullmatch(r"shapes\d{8}T\d{4}", run_dir.name)
    checkpoints = sorted(p.name for p in run_dir.glob("*.h5"))
    assert checkpoints == ["mask_rcnn_shapes_0001.h5", "mask_rcnn_shapes_0002.h5"]
    assert list(run_dir.glob("events.out.tfevents.*"))
    # The checkpoint is a Keras-2 file with the architecture's layout.
    # ResNet50 has 17 fewer identity blocks than the COCO ResNet101, 18 arrays each.
    table = weights_io.read_weights_table(str(run_dir / checkpoints[-1]))
    coco_names = [(g, n) for g, n, _ in layout_table()]
    assert len(table) == 690 - 17 * 18
    assert [(g, n) for g, n, _ in table] == [row for row in coco_names
                                             if row in {(g, n) for g, n, _ in table}]

    # Resume: a new model loading the last checkpoint continues at epoch 3, in the same folder.
    resumed = modellib.MaskRCNN("training", config, str(tmp_path))
    resumed.load_weights(resumed.find_last(), by_name=True)
    assert resumed.epoch == 2
    history = resumed.train(train_ds, val_ds, learning_rate=0.01, epochs=3, layers="heads")
    assert len(history["loss"]) == 1
    assert (run_dir / "mask_rcnn_shapes_0003.h5").exists()
    assert resumed.find_last() == str(run_dir / "mask_rcnn_shapes_0003.h5")

    # The checkpoint loads into an inference model, which detects.
    class Inference(SmallShapesConfig):
        IMAGES_PER_GPU = 1
        DETECTION_MIN_CONFIDENCE = 0.0
    detector = modellib.MaskRCNN("inference", Inference(), str(tmp_path))
    detector.load_weights(str(run_dir / "mask_rcnn_shapes_0003.h5"))
    result = detector.detect([val_ds.load_image(0)])[0]
    assert result["masks"].shape[:2] == (64, 64)


@pytest.mark.slow
def test_bfloat16_training_computes_in_16_bits_and_writes_the_float32_layout(datasets,
                                                                             tmp_path):
    import keras
    import tensorflow as tf
    tf.random.set_seed(0)
    train_ds, val_ds = datasets

    class BFloat16(SmallShapesConfig):
        MIXED_PRECISION = "bfloat16"
        STEPS_PER_EPOCH = 2

    model = modellib.MaskRCNN("training", BFloat16(), str(tmp_path))
    conv = model.keras_model.get_layer("fpn_p2")
    assert conv.dtype_policy.name == "mixed_bfloat16" and conv.kernel.dtype == "float32"
    # The global policy is restored: an inference model built next computes in float32.
    assert keras.config.dtype_policy().name == "float32"
    history = model.train(train_ds, val_ds, learning_rate=0.002, epochs=1, layers="all")
    assert np.isfinite(history["loss"][0])
    # bfloat16 needs no loss scaling (float16 does).
    trainer = training.Trainer(model.keras_model, BFloat16(), tf.distribute.get_strategy(),
                               learning_rate=0.002)
    assert not isinstance(trainer.optimizer, keras.optimizers.LossScaleOptimizer)
    checkpoint = pathlib.Path(model.log_dir) / "mask_rcnn_shapes_0001.h5"
    float32_model = modellib.MaskRCNN("training", SmallShapesConfig(), str(tmp_path / "f"))
    table = weights_io.read_weights_table(str(checkpoint))
    assert all(name.endswith(":0") for _, name, _ in table)
    float32_path = tmp_path / "f32.h5"
    float32_model.save_weights(str(float32_path))
    assert table == weights_io.read_weights_table(str(float32_path))
    import h5py
    with h5py.File(checkpoint, "r") as handle:
        assert handle["fpn_p2"]["fpn_p2"]["kernel:0"].dtype == np.float32


def test_mixed_precision_values():
    class Value(Config):
        NAME = "x"

    for value, expected in ((False, None), (True, "float16"), ("float16", "float16"),
                            ("bfloat16", "bfloat16")):
        Value.MIXED_PRECISION = value
        assert training.mixed_precision_dtype(Value()) == expected
    Value.MIXED_PRECISION = "int8"
    with pytest.raises(ValueError, match="MIXED_PRECISION"):
        training.mixed_precision_dtype(Value())


@pytest.mark.slow
def test_nan_in_a_batch_stops_training_with_the_image_ids(datasets, tmp_path):
    train_ds, val_ds = datasets
    config = SmallShapesConfig()
    model = modellib.MaskRCNN("training", config, str(tmp_path))
    # A learning rate this large overflows the weights within a few steps.
    with pytest.raises(training.TrainingDivergedError) as err:
        model.train(train_ds, val_ds, learning_rate=1e12, epochs=1, layers="all")
    message = str(err.value)
    assert re.search(r"epoch 1, step \d+", message)
    assert re.search(r"image ids \[\d+, \d+\]", message)
    # No checkpoint is written for the epoch that diverged.
    assert not list(pathlib.Path(model.log_dir).glob("*.h5"))


@pytest.mark.slow
def test_two_replicas_train_through_mirrored_strategy(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tests" / "scripts" / "mirrored_train_step.py"),
         str(tmp_path)], capture_output=True, text=True, timeout=600, env=env,
        cwd=str(REPO_ROOT))
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert np.isfinite(report["loss"]) and np.isfinite(report["val_loss"])
    assert (tmp_path / "mask_rcnn_mirrored_0001.h5").exists()


def test_gpu_count_above_visible_gpus_is_a_clear_error():
    class TwoGpus(Config):
        NAME = "x"
        GPU_COUNT = 2
    with pytest.raises(ValueError, match="GPU_COUNT is 2 but 0 GPU"):
        training.make_strategy(TwoGpus())



def test_learning_rate_warm_up_is_linear_then_constant():
    import keras
    import tensorflow as tf

    class WarmUp(Config):
        NAME = "x"
        LEARNING_RATE_WARMUP_STEPS = 4

    inputs = keras.Input((3,))
    tiny = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    trainer = training.Trainer(tiny, WarmUp(), tf.distribute.get_strategy(), learning_rate=0.04)
    rates = []
    for step in range(6):
        trainer._schedule(step, total_steps=100)
        rates.append(float(trainer.optimizer.learning_rate.numpy()))
    np.testing.assert_allclose(rates, [0.01, 0.02, 0.03, 0.04, 0.04, 0.04], rtol=1e-6)
    # After the warm-up, a rate set by someone else (e.g. a callback) is left alone.
    trainer.optimizer.learning_rate.assign(0.005)
    trainer._schedule(7, total_steps=100)
    assert float(trainer.optimizer.learning_rate.numpy()) == pytest.approx(0.005)


def test_cosine_schedule_decays_from_the_end_of_the_warm_up_to_zero():
    rates = [training.scheduled_learning_rate(0.1, step, warmup_steps=2, total_steps=12,
                                              schedule="cosine") for step in range(14)]
    np.testing.assert_allclose(rates[:3], [0.05, 0.1, 0.1])
    # Half way through the decay (step 7 of 2..12) the rate is half the base rate.
    assert rates[7] == pytest.approx(0.05)
    assert all(a >= b for a, b in zip(rates[2:], rates[3:]))
    assert rates[12] == pytest.approx(0.0) and rates[13] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="LEARNING_RATE_SCHEDULE"):
        training.scheduled_learning_rate(0.1, 0, 0, 10, "linear")


def test_optimizer_option_chooses_sgd_or_adam_with_clipping():
    import keras

    class Adam(Config):
        NAME = "x"
        OPTIMIZER = "adam"
        LEARNING_MOMENTUM = 0.8

    adam = training.make_optimizer(Adam(), 0.001)
    assert isinstance(adam, keras.optimizers.Adam)
    assert adam.beta_1 == pytest.approx(0.8) and adam.clipnorm == Config.GRADIENT_CLIP_NORM
    sgd = training.make_optimizer(Config(), 0.01)
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.momentum == pytest.approx(0.9)

    class Unknown(Config):
        NAME = "x"
        OPTIMIZER = "lbfgs"

    with pytest.raises(ValueError, match="OPTIMIZER"):
        training.make_optimizer(Unknown(), 0.01)


def test_head_channel_options_size_the_rpn_and_mask_head():
    import keras

    from mrcnn.modeling.roi_heads import build_fpn_mask_graph
    from mrcnn.modeling.rpn import build_rpn_model

    rpn = build_rpn_model(anchor_stride=1, anchors_per_location=3, depth=16, conv_channels=24)
    assert rpn.get_layer("rpn_conv_shared").kernel.shape == (3, 3, 16, 24)
    rois = keras.Input((None, 4))
    meta = keras.Input((16,))
    feature_maps = [keras.Input((None, None, 16)) for _ in range(4)]
    masks = build_fpn_mask_graph(rois, feature_maps, meta, pool_size=7, num_classes=3,
                                 channels=20)
    head = keras.Model([rois, meta, *feature_maps], masks)
    assert head.get_layer("mrcnn_mask_conv1").get_weights()[0].shape == (3, 3, 16, 20)
    assert head.get_layer("mrcnn_mask_deconv").get_weights()[0].shape == (2, 2, 20, 20)
    assert head.get_layer("mrcnn_mask").get_weights()[0].shape == (1, 1, 20, 3)
    assert tuple(masks.shape[2:]) == (14, 14, 3)


def test_trained_batchnorm_mask_head_takes_statistics_from_the_positive_rois_only():
    """With TRAIN_BN the mask head still runs on the positive ROIs only, so its batch
    statistics (and masks) ignore the negative ROIs, as at inference, where it sees only
    detections."""
    import keras

    from mrcnn.modeling.roi_heads import build_fpn_mask_graph

    rng = np.random.default_rng(0)
    rois = keras.Input((4, 4))
    selector = keras.Input((4,), dtype="int32")
    meta = keras.Input((16,))
    feature_maps = [keras.Input((8, 8, 6)) for _ in range(4)]
    masks = build_fpn_mask_graph(rois, feature_maps, meta, pool_size=4, num_classes=2,
                                 train_bn=True, row_selector=selector, channels=8)
    head = keras.Model([rois, selector, meta, *feature_maps], masks)
    maps = [rng.normal(size=(1, 8, 8, 6)).astype(np.float32) for _ in range(4)]
    image_meta = np.zeros((1, 16), np.float32)
    image_meta[0, 4:7] = (32, 32, 3)  # image shape: ROIs of these sizes map to P2
    boxes = np.array([[[0.1, 0.1, 0.5, 0.6], [0.2, 0.3, 0.6, 0.9],
                       [0.0, 0.0, 0.3, 0.3], [0.5, 0.5, 0.9, 0.9]]], np.float32)
    positive = np.array([[1, 0, 1, 0]], np.int32)
    moved = boxes.copy()
    moved[0, [1, 3]] = [[0.6, 0.6, 1.0, 1.0], [0.1, 0.0, 0.4, 0.2]]
    first = head([boxes, positive, image_meta, *maps], training=True).numpy()
    second = head([moved, positive, image_meta, *maps], training=True).numpy()
    np.testing.assert_allclose(first[0, [0, 2]], second[0, [0, 2]], rtol=1e-5, atol=1e-6)
    assert not first[0, [1, 3]].any()
    # The positives' masks do depend on which ROIs are positive (their own statistics).
    everything = head([boxes, np.ones_like(positive), image_meta, *maps], training=True).numpy()
    assert np.abs(everything[0, [0, 2]] - first[0, [0, 2]]).max() > 1e-4


def started_time_limit(monkeypatch, seconds):
    """A TimeLimit on a stand-in model, begun at 0 s of a fake clock; returns (limit, clock),
    clock["now"] being the time in seconds that the test moves on."""
    clock = {"now": 0.0}
    monkeypatch.setattr(training.time, "perf_counter", lambda: clock["now"])

    class Model:
        stop_training = False

    limit = training.TimeLimit(seconds=seconds)
    limit.set_model(Model())
    limit.on_train_begin()
    return limit, clock


def test_time_limit_stops_after_the_last_epoch_that_fits(monkeypatch):
    limit, clock = started_time_limit(monkeypatch, seconds=100)
    epochs_run = 0
    for epoch in range(10):
        limit.on_epoch_begin(epoch)
        clock["now"] += 30.0  # each epoch takes 30 s
        limit.on_epoch_end(epoch)
        epochs_run += 1
        if limit.model.stop_training:
            break
    # 3 epochs end at 90 s; a 4th would end at 120 s, past the limit.
    assert epochs_run == 3 and limit.stopped_early


def test_time_limit_predicts_the_last_epoch_that_fits_and_the_schedule_ends_there(monkeypatch):
    limit, clock = started_time_limit(monkeypatch, seconds=300)
    assert training.Trainer._schedule_epochs(20, [limit]) == 20  # nothing measured yet
    predictions = []
    for epoch in range(20):
        limit.on_epoch_begin(epoch)
        clock["now"] += 40.0 if epoch == 0 else 30.0  # the first epoch also traces the graph
        limit.on_epoch_end(epoch)
        predictions.append(limit.last_epoch_that_fits)
        if limit.model.stop_training:
            break
    # After epoch 1 (40 s): 260 s left at 40 s each; then the median of the later epochs, 30 s.
    assert predictions[:3] == [7, 9, 9]
    # It stops where it predicted: epoch 9 ends at 280 s, a 10th (up to 40 s) would overrun.
    assert len(predictions) == 9 and limit.stopped_early
    assert training.Trainer._schedule_epochs(20, [limit]) == 9
    assert training.Trainer._schedule_epochs(5, [limit]) == 5
    assert training.Trainer._schedule_epochs(20, [object()]) == 20
    # So a cosine schedule over 9 epochs of 10 steps reaches 0 with the last step run.
    rates = [training.scheduled_learning_rate(0.1, step, 5, 9 * 10, "cosine")
             for step in range(9 * 10)]
    assert rates[-1] < 1e-3 * 0.1 and rates[45] > 0.04


def test_proposals_append_gt_makes_every_gt_box_a_training_roi():
    import tensorflow as tf

    from mrcnn import utils
    from mrcnn.data import make_training_dataset
    from mrcnn.modeling.builder import build_training_model

    class AppendGt(Config):
        NAME = "append_gt"
        NUM_CLASSES = 4
        IMAGES_PER_GPU = 1
        IMAGE_MIN_DIM = IMAGE_MAX_DIM = 64
        BACKBONE = staticmethod(shapes.small_backbone)
        COMPUTE_BACKBONE_SHAPE = staticmethod(shapes.small_backbone_shapes)
        TOP_DOWN_PYRAMID_SIZE = RPN_CONV_CHANNELS = 32
        FPN_CLASSIF_FC_LAYERS_SIZE = 32
        MASK_HEAD_CHANNELS = 16
        RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
        POST_NMS_ROIS_TRAINING = 50
        TRAIN_ROIS_PER_IMAGE = 16
        MAX_GT_INSTANCES = 4
        PROPOSALS_APPEND_GT = True

    tf.random.set_seed(0)
    config = AppendGt()
    model = build_training_model(config)
    inputs = next(iter(make_training_dataset(shapes_dataset(2, seed=3), config, seed=0)))
    from mrcnn.modeling.builder import TRAINING_OUTPUT_NAMES

    outputs = dict(zip(TRAINING_OUTPUT_NAMES, model(list(inputs), training=True)))
    rois = outputs["output_rois"].numpy()[0]
    gt_ids, gt_boxes = inputs[4].numpy()[0], inputs[5].numpy()[0]
    gt = utils.norm_boxes(gt_boxes[gt_ids > 0], (64, 64))
    assert len(gt) >= 1
    # An untrained RPN proposes nothing this exact; with the GT appended, each GT box is a
    # positive ROI (IoU 1), sampled before any other.
    for box in gt:
        assert np.isclose(rois, box, atol=1e-5).all(axis=1).any(), box


def test_layer_presets_pick_the_same_strides_of_resnet_and_efficientnet_lite():
    """3+ / 4+ / 5+ train the backbone from the stage giving C3 / C4 / C5 up (strides 8, 16,
    32), for ResNet and EfficientNet-Lite alike; the stem and earlier stages stay frozen."""
    names = {"res2a_branch2a": 2, "res3a_branch2a": 3, "bn4b_branch2c": 4, "res5c_branch2b": 5,
             "effnet_stem_conv": 1, "effnet_block2b_dwconv": 2, "effnet_block3a_dw_bn": 3,
             "effnet_block4c_expand_conv": 4, "effnet_block5a_project_conv": 4,
             "effnet_block6d_dw_relu": 5, "effnet_block7a_project_bn": 5}
    for preset, first in (("3+", 3), ("4+", 4), ("5+", 5)):
        chosen = {name for name in names if re.fullmatch(training.LAYER_PRESETS[preset], name)}
        assert chosen == {name for name, level in names.items() if level >= first}, preset
        assert re.fullmatch(training.LAYER_PRESETS[preset], "mrcnn_mask")
