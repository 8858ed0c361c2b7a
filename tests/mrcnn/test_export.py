"""mrcnn-export: SavedModel, TFLite and ONNX exports agree with MaskRCNN.detect().

Each export runs in its own runtime in a fresh process where ``mrcnn`` cannot be imported
(``tests/mrcnn/export/run_exported.py``), on photos of several sizes; its detections must match
``detect()``'s: same count and classes, boxes IoU > 0.99, scores within 1e-3, masks IoU > 0.98.
Models: the COCO layout (ResNet101, 81 classes, random weights written by
``write_coco_layout_weights``) and the class-agnostic logo model on its two backbones (the small
one and EfficientNet-Lite0), with weights generated here.
"""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from mrcnn import model as modellib
from mrcnn.export.cli import main as export_main
from mrcnn.image_io import read_image

RUNNER = pathlib.Path(__file__).resolve().parent / "export" / "run_exported.py"
FORMATS = ("saved_model", "onnx", "tflite")
# The photo size the TFLite exports take (TFLite plans for one input size).
TFLITE_SIZE = (320, 320)


# ---------------------------------------------------------------- photos and comparison
@pytest.fixture(scope="module")
def photo(sample_image_path):
    return read_image(sample_image_path)                       # 768x1024 RGB


def photos_for(export_format, photo):
    """Photos of several sizes (downscaled, upscaled, odd sizes, square or not); TFLite: three
    photos of its fixed size."""
    if export_format == "tflite":
        height, width = TFLITE_SIZE
        return [photo[:height, :width], photo[200:200 + height, 500:500 + width],
                photo[-height:, -width:]]
    return [photo, photo[100:401, 150:550], photo[168:768, 300:900], photo[300:397, 600:757],
            photo[400:600, 50:250]]


def box_iou(boxes_a, boxes_b):
    """[Na, Nb] IoU of (y1, x1, y2, x2) boxes."""
    boxes_a = np.asarray(boxes_a, np.float64)[:, None]
    boxes_b = np.asarray(boxes_b, np.float64)[None]
    top_left = np.maximum(boxes_a[..., :2], boxes_b[..., :2])
    bottom_right = np.minimum(boxes_a[..., 2:], boxes_b[..., 2:])
    intersection = np.prod(np.clip(bottom_right - top_left, 0, None), axis=-1)
    area_a = np.prod(boxes_a[..., 2:] - boxes_a[..., :2], axis=-1)
    area_b = np.prod(boxes_b[..., 2:] - boxes_b[..., :2], axis=-1)
    return intersection / (area_a + area_b - intersection)


# Random weights put some boxes in the molded image's padding or past the photo's edge; clipped
# to the photo they become slivers 1 pixel thick, whose non-max suppression among each other
# (IoU of near-zero areas) is decided by float rounding: TFLite's and ONNX Runtime's kernels
# keep other slivers than TensorFlow's. Boxes this thin (pixels) are left out of the comparison.
SLIVER_PIXELS = 2


def without_slivers(detections, boxes_key):
    """``detections`` without the boxes at most SLIVER_PIXELS thick (see above)."""
    boxes = np.asarray(detections[boxes_key])
    keep = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) > SLIVER_PIXELS
    out = {key: (value[..., keep] if key == "masks" and boxes_key == "rois" else value[keep])
           for key, value in detections.items()}
    return out


def assert_same_detections(exported, expected):
    """``exported`` (the model's outputs) match ``detect()``'s dict ``expected``: each
    detection of one is paired with the same-class detection of the other with the highest
    box IoU (equal scores may come in another order); slivers are left out (see above).
    Returns the number of detections compared."""
    assert exported["masks"].ndim == 3 and exported["boxes"].dtype == np.float32
    exported = without_slivers(exported, "boxes")
    expected = without_slivers(expected, "rois")
    count = len(expected["class_ids"])
    assert exported["boxes"].dtype == np.float32 and exported["boxes"].shape == (count, 4)
    assert exported["class_ids"].dtype == np.int32 and exported["class_ids"].shape == (count,)
    assert exported["scores"].dtype == np.float32 and exported["scores"].shape == (count,)
    height, width = expected["masks"].shape[:2]
    assert exported["masks"].dtype == np.uint8
    assert exported["masks"].shape == (count, height, width)
    assert set(np.unique(exported["masks"])) <= {0, 1}
    if count == 0:
        return 0
    ious = box_iou(expected["rois"], exported["boxes"])
    ious[expected["class_ids"][:, None] != exported["class_ids"][None, :]] = -1.0
    # Pair greedily, one to one, by box IoU, then by score (boxes clipped to the photo's
    # edges can coincide).
    affinity = ious - np.abs(expected["scores"][:, None] - exported["scores"][None, :])
    pairs = np.full(count, -1)
    for _ in range(count):
        i, j = np.unravel_index(np.argmax(affinity), affinity.shape)
        pairs[i] = j
        affinity[i, :] = -np.inf
        affinity[:, j] = -np.inf
    assert ious[np.arange(count), pairs].min() > 0.99
    np.testing.assert_array_equal(exported["class_ids"][pairs], expected["class_ids"])
    np.testing.assert_allclose(exported["scores"][pairs], expected["scores"], atol=1e-3)
    expected_masks = np.moveaxis(expected["masks"], -1, 0)
    exported_masks = exported["masks"][pairs].astype(bool)
    intersection = (expected_masks & exported_masks).sum(axis=(1, 2))
    union = (expected_masks | exported_masks).sum(axis=(1, 2))
    mask_ious = np.where(union > 0, intersection / np.maximum(union, 1), 1.0)
    assert mask_ious.min() > 0.98, mask_ious.min()
    return count


def run_exported(export_format, model_path, photos, folder):
    """The exported model's outputs for each photo, from a fresh process without mrcnn."""
    photos_path = folder / "photos.npz"
    results_path = folder / "results.npz"
    np.savez(photos_path, **{f"photo{i}": p for i, p in enumerate(photos)})
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    completed = subprocess.run(
        [sys.executable, str(RUNNER), export_format, str(model_path), str(photos_path),
         str(results_path)], capture_output=True, text=True, timeout=600, cwd=str(folder),
        env=env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = np.load(results_path)
    return [{name: results[f"{name}_{i}"] for name in ("boxes", "class_ids", "scores", "masks")}
            for i in range(len(photos))]


def check_export(model, export_format, model_path, photo, folder):
    photos = photos_for(export_format, photo)
    outputs = run_exported(export_format, model_path, photos, folder)
    compared = [assert_same_detections(exported, model.detect([image])[0])
                for image, exported in zip(photos, outputs)]
    assert sum(compared) >= 3, f"too few detections to compare: {compared}"


# ---------------------------------------------------------------- logo models (via the command)
# Per backbone: below DETECTION_MAX_INSTANCES detections (which of the 100th and 101st is kept
# would be float noise) and no score near the threshold, with the weights written below.
LOGO_MIN_CONFIDENCE = {"small": 0.85, "efficientnet-lite0": 0.75}


def write_logo_weights(path, lite, seed, photo=None):
    """A logo model (small backbone, or EfficientNet-Lite0 with ``lite``) with seeded random
    weights, made to behave a little like a trained one, saved at ``path``: box deltas damped
    (boxes stay near their anchors instead of being pushed off the photo) and class logits
    scaled to a spread of about 1.5 on ``photo``'s ROIs (scores over 0.5..0.95 instead of all
    1.0 or all 0.5000x, depending on the backbone). Returns the config it was built with."""
    import keras
    from logo_eraser.models import LogoInferenceConfig, LogoLiteInferenceConfig

    keras.utils.set_random_seed(seed)
    config = (LogoLiteInferenceConfig if lite else LogoInferenceConfig)()
    model = modellib.MaskRCNN("inference", config, str(path.parent / "logs"))
    network = model.keras_model
    for layer in (network.get_layer("rpn_model").get_layer("rpn_bbox_pred"),
                  network.get_layer("mrcnn_bbox_fc")):
        layer.set_weights([w * 0.1 for w in layer.get_weights()])
    if photo is None:
        photo = np.random.default_rng(seed).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    molded, metas, _ = model.mold_inputs([photo])
    anchors = model.get_anchors(molded[0].shape)[None]
    probabilities = network([molded.astype(np.float32), metas.astype(np.float32), anchors],
                            training=False)[1][0].numpy()                  # [ROIs, 2]
    logit_gaps = np.log(probabilities[:, 1]) - np.log(probabilities[:, 0])
    logits = network.get_layer("mrcnn_class_logits")
    logits.set_weights([w * (1.5 / logit_gaps.std()) for w in logits.get_weights()])
    model.save_weights(str(path))
    return config


@pytest.fixture(scope="module", params=["small", "efficientnet-lite0"])
def logo_model(request, tmp_path_factory, sample_image_path):
    """(weights path, score threshold, in-library model) for each logo backbone."""
    from logo_eraser.models import eraser_config_for, load_eraser_model

    folder = tmp_path_factory.mktemp(f"logo_{request.param}")
    weights = folder / "mask_rcnn_logo.h5"
    write_logo_weights(weights, lite=request.param != "small", seed=3,
                       photo=read_image(sample_image_path))
    min_confidence = LOGO_MIN_CONFIDENCE[request.param]
    config = eraser_config_for(str(weights), min_confidence=min_confidence)
    if request.param != "small":
        assert config.BACKBONE == "efficientnet-lite0"
    return (weights, min_confidence,
            load_eraser_model(str(weights), config, model_dir=str(folder / "logs")))


@pytest.mark.slow
@pytest.mark.parametrize("export_format", FORMATS)
def test_logo_model_export_matches_detect(logo_model, export_format, photo, tmp_path, capsys):
    weights, min_confidence, model = logo_model
    output = tmp_path / f"logo.{export_format}"
    argv = ["--weights", str(weights), "--config", "logo", "--format", export_format,
            "-o", str(output), "--min-confidence", str(min_confidence)]
    if export_format == "tflite":
        argv += ["--input-size", "{}x{}".format(*TFLITE_SIZE)]
    assert export_main(argv) == 0
    assert f"wrote {export_format} {output}" in capsys.readouterr().out
    assert output.exists()
    # Nothing but the export is left beside it (the temporary folder is gone).
    assert sorted(p.name for p in tmp_path.iterdir()) == [output.name]
    check_export(model, export_format, output, photo, tmp_path)


# ---------------------------------------------------------------- the COCO layout (the command)
@pytest.fixture(scope="module")
def coco_model(coco_weights_path, tmp_path_factory):
    """The COCO network (ResNet101, 81 classes) with the COCO-layout file, at 128 px (the
    layout does not depend on the input size), made to behave a little like a trained one as
    the logo models above: box deltas damped, class logits scaled so that the best scores
    spread over about 0.3..0.85 (the file's give all 81 classes about 1/81), score >= 0.5."""
    from mrcnn.coco import CocoConfig
    from mrcnn.export.cli import load_model

    config = CocoConfig().with_overrides(GPU_COUNT=1, IMAGES_PER_GPU=1, IMAGE_MIN_DIM=128,
                                         IMAGE_MAX_DIM=128, DETECTION_MIN_CONFIDENCE=0.5)
    model = load_model(config, str(coco_weights_path), "coco")
    network = model.keras_model
    for layer, factor in ((network.get_layer("rpn_model").get_layer("rpn_bbox_pred"), 0.1),
                          (network.get_layer("mrcnn_bbox_fc"), 0.1),
                          (network.get_layer("mrcnn_class_logits"), 0.03)):
        layer.set_weights([w * factor for w in layer.get_weights()])
    return model


@pytest.fixture(scope="module")
def coco_model_weights(coco_model, tmp_path_factory):
    """``coco_model``'s weights (the scaled ones) as a Keras-2 file for the command."""
    path = tmp_path_factory.mktemp("coco_scaled") / "coco_scaled.h5"
    coco_model.save_weights(str(path))
    return path


@pytest.mark.slow
# Converting the COCO network takes 8-10 GB (tf2onnx, the TFLite converter): in a command, so
# the test process does not keep it, and one conversion at a time (pytest --dist loadgroup).
@pytest.mark.xdist_group("coco_export")
@pytest.mark.parametrize("export_format", FORMATS)
def test_coco_layout_export_matches_detect(coco_model, coco_model_weights, export_format,
                                           photo, tmp_path):
    output = tmp_path / f"coco.{export_format}"
    argv = ["--weights", str(coco_model_weights), "--config", "coco", "--image-size", "128",
            "--min-confidence", "0.5", "--format", export_format, "-o", str(output)]
    if export_format == "tflite":
        # Its proposals tie at score 1.0 and include degenerate boxes and boxes at the
        # feature maps' edge: each once made the interpreter's detections differ
        # (mrcnn.export.portable_layers).
        argv += ["--input-size", "{}x{}".format(*TFLITE_SIZE)]
    completed = run_command(argv, tmp_path, timeout=1200)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert f"wrote {export_format} {output}" in completed.stdout
    check_export(coco_model, export_format, output, photo, tmp_path)


# ---------------------------------------------------------------- bad input
TINY_CONFIG_MODULE = """\
from mrcnn.config import Config
from mrcnn.testing import tiny_backbone, tiny_backbone_shapes


class TinyConfig(Config):
    NAME = "tiny"
    NUM_CLASSES = 2
    IMAGE_MIN_DIM = IMAGE_MAX_DIM = 128
    BACKBONE = staticmethod(tiny_backbone)
    COMPUTE_BACKBONE_SHAPE = staticmethod(tiny_backbone_shapes)
    TOP_DOWN_PYRAMID_SIZE = 32
"""


def run_command(argv, cwd, pythonpath=None, timeout=300):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-m", "mrcnn.export", *argv], capture_output=True,
                          text=True, timeout=timeout, cwd=str(cwd), env=env)


def assert_one_line_usage_error(completed, *fragments):
    assert completed.returncode == 2, completed.stderr[-2000:]
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in completed.stderr


def test_help_lists_the_formats_and_configs(tmp_path):
    script = pathlib.Path(sys.executable).with_name("mrcnn-export")
    completed = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                               timeout=120, cwd=str(tmp_path))
    assert completed.returncode == 0
    assert completed.stdout.startswith("usage: mrcnn-export")
    for word in ("saved_model", "tflite", "onnx", "coco", "brands", "logo", "MODULE:CLASS"):
        assert word in completed.stdout


@pytest.fixture(scope="module")
def small_logo_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("small_logo") / "logo.h5"
    write_logo_weights(path, lite=False, seed=5)
    return path


@pytest.mark.parametrize("config", ["cocoa", "no_such_module_xyz:Config", "mrcnn.coco:nothing"])
def test_bad_config_is_one_line_exit_2_and_writes_nothing(config, small_logo_weights, tmp_path):
    completed = run_command(["--weights", str(small_logo_weights), "--config", config,
                             "--format", "saved_model", "-o", "out"], tmp_path)
    assert_one_line_usage_error(completed, "--config")
    assert list(tmp_path.iterdir()) == []


def test_weights_of_another_model_are_one_line_exit_2(small_logo_weights, coco_weights_path,
                                                      tmp_path):
    # A COCO file is no logo model (told from its table, before any build).
    completed = run_command(["--weights", str(coco_weights_path), "--config", "logo",
                             "--format", "onnx", "-o", "out.onnx"], tmp_path)
    assert_one_line_usage_error(completed, str(coco_weights_path))
    assert list(tmp_path.iterdir()) == []
    # A logo file does not fit a user's configuration, a tiny backbone (told after the build).
    modules = tmp_path.parent / f"{tmp_path.name}_modules"
    modules.mkdir()
    (modules / "tiny_export_config.py").write_text(TINY_CONFIG_MODULE)
    completed = run_command(["--weights", str(small_logo_weights), "--config",
                             "tiny_export_config:TinyConfig", "--format", "saved_model",
                             "-o", "out"], tmp_path, pythonpath=modules)
    assert_one_line_usage_error(completed, "does not fit --config tiny_export_config:TinyConfig")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_left_alone_exit_2(small_logo_weights, tmp_path):
    existing = tmp_path / "model.tflite"
    existing.write_bytes(b"keep me")
    completed = run_command(["--weights", str(small_logo_weights), "--config", "logo",
                             "--format", "onnx", "-o", str(existing)], tmp_path)
    assert_one_line_usage_error(completed, "already exists")
    assert existing.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["model.tflite"]


@pytest.mark.slow
def test_tflite_self_check_refuses_unless_no_check(small_logo_weights, tmp_path, monkeypatch,
                                                   capsys):
    """A model whose TFLite detections differ from TensorFlow's is refused (exit 1, one line,
    nothing written); --no-check writes it anyway."""
    import mrcnn.export.tflite as tflite

    def differ(*args):
        raise tflite.TFLiteMismatchError("the TFLite interpreter's detections differ (stand-in)")

    monkeypatch.setattr(tflite, "check_against_tensorflow", differ)
    output = tmp_path / "logo.tflite"
    argv = ["--weights", str(small_logo_weights), "--config", "logo", "--format", "tflite",
            "--input-size", "128x160", "-o", str(output)]
    assert export_main(argv) == 1
    assert "detections differ (stand-in)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert export_main(argv + ["--no-check"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["logo.tflite"]
    assert output.stat().st_size > 100_000


def test_no_check_is_for_tflite_only_exit_2(small_logo_weights, tmp_path):
    completed = run_command(["--weights", str(small_logo_weights), "--config", "logo",
                             "--format", "onnx", "--no-check", "-o", "out.onnx"], tmp_path)
    assert_one_line_usage_error(completed, "--no-check")
    assert list(tmp_path.iterdir()) == []


def test_tflite_photo_without_detections_gives_no_rows(tmp_path):
    """The TFLite interpreter crashes on empty tensors, so the export pads to one row and says
    how many are detections; a photo where nothing scores above the threshold gives none."""
    import tensorflow as tf

    from mrcnn.export.graph import unmold_detections
    from mrcnn.export.tflite import detections_of

    class Tiny:
        IMAGE_MAX_DIM = 64
        NUM_CLASSES = 3
        DETECTION_MASK_THRESHOLD = 0.5

    detections = np.zeros((5, 6), np.float32)
    masks = np.zeros((5, 7, 7, 3), np.float32)
    window = tf.constant([0, 0, 64, 64], tf.int32)
    padded = unmold_detections(tf.constant(detections), tf.constant(masks), window, 48, 64,
                               Tiny(), pad_empty=True)
    assert int(padded["num_detections"]) == 0 and padded["boxes"].shape == (1, 4)
    assert padded["masks"].shape == (1, 48, 64) and not np.asarray(padded["masks"]).any()
    empty = detections_of({k: v.numpy() for k, v in padded.items()})
    assert [empty[k].shape[0] for k in ("boxes", "class_ids", "scores", "masks")] == [0] * 4
    # Two detections (class 2, then 1) and padding: the same rows as without padding.
    detections[0] = [0.1, 0.1, 0.5, 0.6, 2, 0.9]
    detections[1] = [0.2, 0.3, 0.9, 0.8, 1, 0.7]
    masks[:2] = 0.8
    args = (tf.constant(detections), tf.constant(masks), window, 48, 64, Tiny())
    plain = {k: v.numpy() for k, v in unmold_detections(*args).items()}
    padded = detections_of({k: v.numpy() for k, v in
                            unmold_detections(*args, pad_empty=True).items()})
    assert len(plain["scores"]) == 2
    for key in ("boxes", "class_ids", "scores", "masks"):
        np.testing.assert_array_equal(padded[key], plain[key])
