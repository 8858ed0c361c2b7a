"""The logo model shipped in the package (logo_eraser/models/mask_rcnn_logo.h5,
logo_eraser.models.SHIPPED_WEIGHTS_PATH): it loads as the eraser's default and hides logos of
brands it never saw in training (logo_eraser.synth's held-out test split), from a fresh clone's
state."""

import pathlib
import subprocess
import sys

import numpy as np
import pytest

from logo_eraser import hiding, photos, synth
from logo_eraser.models import (SHIPPED_WEIGHTS_PATH, LogoInferenceConfig, eraser_config_for,
                                load_eraser_model)
from logo_eraser.models.weights import SMALL_BACKBONE_FIRST_LAYER

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
SHIPPED = pathlib.Path(SHIPPED_WEIGHTS_PATH)
ERASER_SCRIPT = REPO_ROOT / "block" / "final_project.py"

# Held-out photos to try: the first ones of the test split (seed 1: not the seed the shipped
# model's documented training data uses) whose logos cover at least MIN_LOGO_SHARE of the photo.
SEED = 1
NUM_PHOTOS = 6
MIN_LOGO_SHARE = 0.02
# What the eraser must do on them, pixel-weighted over the photos: regression bounds below what
# the shipped model does at its defaults (detection at 192/256/320 px: 0.82 of the logo pixels
# hidden and 0.059 of the other pixels changed on these six large-logo photos; 0.39 / 0.031 at
# 256 px alone; on the 300 held-out photos of BENCHMARKS.md 0.80 hidden and 0.047 changed). An
# untrained model hides next to nothing, or changes much more of the photo.
MIN_HIDDEN = 0.60
MAX_OTHER_CHANGED = 0.08


@pytest.fixture(scope="module")
def held_out_photos():
    """(image, union of logo masks) of NUM_PHOTOS generated held-out-brand photos."""
    options = synth.SynthOptions(seed=SEED, labels="logo", negatives=0.0)
    library = synth.load_library(())
    photos = []
    for index in range(200):
        sample = synth.generate_sample(options, "test", index, library)
        truth = sample.masks.any(axis=2)
        if truth.mean() >= MIN_LOGO_SHARE:
            photos.append((sample.image, truth))
        if len(photos) == NUM_PHOTOS:
            return photos
    raise AssertionError("the generator gave too few photos with large logos")


@pytest.fixture(scope="module")
def shipped_model():
    assert SHIPPED.is_file(), (f"{SHIPPED} is missing: the eraser's default model ships in "
                               "logo_eraser/models/")
    config = eraser_config_for(str(SHIPPED))
    return load_eraser_model(str(SHIPPED), config)


def test_shipped_model_is_the_small_class_agnostic_model_under_50_mb():
    assert SHIPPED.stat().st_size <= 50 * 1000 * 1000
    config = eraser_config_for(str(SHIPPED))
    assert config.NAME == "logo" and config.CLASS_NAMES == ["BG", "logo"]
    # The eraser's default threshold for this model is the model's own, not the brands one.
    assert config.DETECTION_MIN_CONFIDENCE == LogoInferenceConfig.DETECTION_MIN_CONFIDENCE
    assert eraser_config_for(str(SHIPPED), 0.9).DETECTION_MIN_CONFIDENCE == 0.9
    from mrcnn.weights_io import read_weights_table

    layers = {layer for layer, _, _ in read_weights_table(str(SHIPPED))}
    assert SMALL_BACKBONE_FIRST_LAYER in layers and "mrcnn_mask" in layers


def test_shipped_model_hides_held_out_logos(shipped_model, held_out_photos):
    logo = hidden = other = changed = 0
    for image, truth in held_out_photos:
        # At the model's test sizes (192/256/320 px), as the eraser detects.
        result = shipped_model.detect_multiscale([image], verbose=0)[0]
        output, _, dilate = photos.erase_detections(image, result, shipped_model.config)
        assert output.shape == image.shape and output.dtype == np.uint8
        repainted = np.any(output != image, axis=2)
        # Each logo pixel inside the repainted region counts as hidden (the mosaic may give a
        # pixel its own colour back).
        region = hiding.hidden_region(image.shape, result["rois"], result["masks"], dilate)
        assert not (repainted & ~region).any()
        logo += truth.sum()
        hidden += (truth & region).sum()
        other += (~truth).sum()
        changed += (repainted & ~truth).sum()
    assert hidden / logo >= MIN_HIDDEN, f"only {hidden / logo:.3f} of the logo pixels hidden"
    assert changed / other <= MAX_OTHER_CHANGED, f"{changed / other:.3f} of other pixels changed"


def test_eraser_cli_uses_the_shipped_model_by_default(tmp_path, held_out_photos):
    """A fresh clone has neither mask_rcnn_brands.h5 nor block/mask_rcnn_brands.h5: the command
    finds the shipped model by itself."""
    from mrcnn.image_io import read_image, write_image_atomic

    image, truth = held_out_photos[0]
    photo = tmp_path / "photo.png"
    write_image_atomic(str(photo), image)
    output = tmp_path / "eraser.png"
    completed = subprocess.run([sys.executable, str(ERASER_SCRIPT), "-i", str(photo), "-o",
                                str(output)], capture_output=True, text=True, timeout=300,
                               cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "mask_rcnn_logo.h5" in completed.stdout + completed.stderr
    erased = read_image(str(output))
    changed = np.any(erased != image, axis=2)
    assert changed[truth].mean() >= 0.15  # 0.36 with the shipped model
    assert read_image(str(photo)).tobytes() == image.tobytes()
