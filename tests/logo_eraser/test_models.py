"""Tests of logo_eraser.models: the brands class names, the configuration chosen from a weights
file (class count, layout checks, all before any model is built), the per-version cache of a
file's weights table, and the default weights lookup. No TensorFlow, no model build."""

import os
import pathlib

import pytest

from logo_eraser import models, photos

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
BLOCK_DIR = REPO_ROOT / "block"


# --- class names ------------------------------------------------------------------------------

def test_brand_class_names_shift_dataset_ids_by_one():
    names = list(models.BRAND_CLASS_NAMES)
    assert len(names) == 48 and len(set(names)) == 48
    # Dataset id k is model class k + 1: HP is class 1, not the background.
    assert names[:3] == ["BG", "HP", "adidas_symbol"]
    assert names[47] == "ups"


# --- the model's configuration from the weights file ------------------------------------------

def test_config_for_brands_weights(brands_weights):
    config = models.eraser_config_for(str(brands_weights), min_confidence=0.4)
    assert config.NUM_CLASSES == 48
    assert config.CLASS_NAMES == list(models.BRAND_CLASS_NAMES)
    assert config.DETECTION_MIN_CONFIDENCE == 0.4
    assert (config.IMAGE_MAX_DIM, config.BATCH_SIZE, config.BACKBONE) == (128, 1, "resnet101")
    assert config.IMAGE_META_SIZE == 60


def test_config_for_class_agnostic_weights(tmp_path):
    from mrcnn.testing import write_coco_layout_weights

    path = tmp_path / "logo_agnostic.h5"
    write_coco_layout_weights(str(path), num_classes=2, seed=1)
    config = models.eraser_config_for(str(path))
    assert config.NUM_CLASSES == 2
    assert config.CLASS_NAMES == ["BG", "logo"]
    assert config.DETECTION_MIN_CONFIDENCE == photos.DEFAULT_MIN_CONFIDENCE


def test_config_refuses_weights_for_another_class_count(tmp_path, write_small_weights):
    path = tmp_path / "coco_like.h5"
    write_small_weights(path, {"mrcnn_class_logits": {"mrcnn_class_logits/kernel:0": (1024, 81),
                                                      "mrcnn_class_logits/bias:0": (81,)}})
    with pytest.raises(models.WeightsLayoutError, match="81 classes") as error:
        models.eraser_config_for(str(path))
    assert str(path) in str(error.value)


def test_weights_table_is_read_once_per_version_of_the_file(tmp_path, monkeypatch,
                                                            write_small_weights):
    from mrcnn import weights_io

    reads = []
    real_read = weights_io.read_weights_table
    monkeypatch.setattr(weights_io, "read_weights_table",
                        lambda path: reads.append(path) or real_read(path))
    path = tmp_path / "versions.h5"
    logits = {"mrcnn_class_logits": {"mrcnn_class_logits/kernel:0": (16, 2),
                                     "mrcnn_class_logits/bias:0": (2,)}}
    write_small_weights(path, logits)
    assert models.read_weights_class_count(str(path)) == 2
    assert models.read_weights_class_count(str(path)) == 2
    assert len(reads) == 1
    # Another file at the same path (another size, inode and time) is read again.
    replacement = tmp_path / "replacement.h5"
    write_small_weights(replacement, {"mrcnn_class_logits": {
        "mrcnn_class_logits/kernel:0": (16, 48), "mrcnn_class_logits/bias:0": (48,)},
        "extra": {"extra/kernel:0": (3, 3)}})
    os.replace(replacement, path)
    assert models.read_weights_class_count(str(path)) == 48
    assert len(reads) == 2


def test_config_refuses_a_wrong_layout_before_any_model_is_built(tmp_path, write_small_weights):
    logits = {"mrcnn_class_logits/kernel:0": (1024, 48), "mrcnn_class_logits/bias:0": (48,)}
    wrong_shape = tmp_path / "wrong_shape.h5"
    write_small_weights(wrong_shape, {"conv1": {"conv1/kernel:0": (7, 7, 3, 32),
                                                "conv1/bias:0": (32,)},
                                      "mrcnn_class_logits": logits})
    with pytest.raises(models.WeightsLayoutError) as error:
        models.eraser_config_for(str(wrong_shape))
    assert str(wrong_shape) in str(error.value)
    assert "conv1/kernel:0" in str(error.value) and "(7, 7, 3, 32)" in str(error.value)

    incomplete = tmp_path / "incomplete.h5"
    write_small_weights(incomplete, {"mrcnn_class_logits": logits})
    with pytest.raises(models.WeightsLayoutError, match="missing"):
        models.eraser_config_for(str(incomplete))

    no_logits = tmp_path / "no_logits.h5"
    write_small_weights(no_logits, {"conv1": {"conv1/kernel:0": (7, 7, 3, 64)}})
    with pytest.raises(models.WeightsLayoutError, match="mrcnn_class_logits"):
        models.eraser_config_for(str(no_logits))


# --- the default weights lookup ---------------------------------------------------------------

def test_default_weights_are_looked_up_at_the_root_then_in_block_then_the_shipped_model():
    assert models.default_weights_paths() == (str(REPO_ROOT / "mask_rcnn_brands.h5"),
                                              str(BLOCK_DIR / "mask_rcnn_brands.h5"),
                                              models.SHIPPED_WEIGHTS_PATH)
    # The shipped model is package data (it used to be block/mask_rcnn_logo.h5).
    assert models.SHIPPED_WEIGHTS_PATH == str(REPO_ROOT / "logo_eraser" / "models"
                                              / "mask_rcnn_logo.h5")


def lite_layers(num_blocks, stage3_channels, num_classes=2):
    """{layer: {weight: shape}} of a weights file with EfficientNet-Lite backbone layer names:
    num_blocks project convs, block 3a's with stage3_channels outputs."""
    layers = {"effnet_stem_conv": {"effnet_stem_conv/kernel:0": (3, 3, 3, 32)}}
    for index in range(num_blocks):
        name = "effnet_block3a" if index == 3 else f"effnet_block9{chr(97 + index)}"
        layers[f"{name}_project_conv"] = {
            f"{name}_project_conv/kernel:0": (1, 1, 8, stage3_channels if index == 3 else 8)}
    layers["mrcnn_class_logits"] = {"mrcnn_class_logits/kernel:0": (256, num_classes),
                                    "mrcnn_class_logits/bias:0": (num_classes,)}
    return layers


def test_efficientnet_lite_logo_weights_choose_the_lite_config(tmp_path, write_small_weights):
    path = tmp_path / "lite0.h5"
    write_small_weights(path, lite_layers(16, 40))
    config = models.eraser_config_for(str(path))
    assert type(config) is models.LogoLiteInferenceConfig
    assert config.BACKBONE == "efficientnet-lite0" and config.NUM_CLASSES == 2
    assert config.DETECTION_MIN_CONFIDENCE == models.LogoLiteInferenceConfig.DETECTION_MIN_CONFIDENCE
    assert config.CLASS_NAMES == ["BG", "logo"]
    table = models.weights._read_table(str(path))
    assert models.weights.efficientnet_lite_variant(table) == "efficientnet-lite0"


@pytest.mark.parametrize("blocks, channels, num_classes, message", [
    (21, 48, 2, r"EfficientNet-Lite backbone \(efficientnet-lite2\)"),
    (16, 40, 48, r"efficientnet-lite0\) and 48 classes"),
    (12, 40, 2, r"\(unknown\)"),
])
def test_other_efficientnet_lite_files_are_refused_in_one_line(tmp_path, write_small_weights,
                                                                blocks, channels, num_classes,
                                                                message):
    path = tmp_path / "other.h5"
    write_small_weights(path, lite_layers(blocks, channels, num_classes))
    with pytest.raises(models.WeightsLayoutError, match=message) as error:
        models.eraser_config_for(str(path))
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_the_shipped_and_resnet_files_have_no_efficientnet_lite_backbone():
    table = models.weights._read_table(str(models.SHIPPED_WEIGHTS_PATH))
    assert models.weights.efficientnet_lite_variant(table) is None


def test_efficientnet_lite_block_table_matches_the_network():
    """The recognition table (no TensorFlow) agrees with the network's own stage specs."""
    from mrcnn.modeling import efficientnet_lite as lite

    for variant in lite.VARIANTS:
        key = (len(lite.block_names(variant)), lite.stage_specs(variant)[2]["out_channels"])
        assert models.weights.EFFICIENTNET_LITE_BLOCKS[key] == variant
