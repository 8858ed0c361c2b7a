"""Tests of logo_eraser.photos: --keep names, and erase_logos (detect, then hide all but the
kept classes) with a stand-in model (no TensorFlow)."""

import numpy as np
import pytest

from logo_eraser import hiding, models, photos
from mrcnn.cli import UsageError

# --- keep, erase_logos ------------------------------------------------------------------------

def test_resolve_keep_is_case_insensitive_and_lists_valid_names_on_error():
    names = list(models.BRAND_CLASS_NAMES)
    assert photos.resolve_keep(["google", "HP", "Google"], names) == [1, names.index("google")]
    with pytest.raises(UsageError) as error:
        photos.resolve_keep(["googel", "BG"], names)
    message = str(error.value)
    assert "'googel'" in message and "'BG'" in message
    assert "adidas_symbol" in message and "ups" in message


def test_erase_logos_hides_all_but_the_kept_classes(textured_image, fake_result,
                                                    fake_model_class):
    image = textured_image(128, 160, seed=13)
    names = list(models.BRAND_CLASS_NAMES)
    result = fake_result(image, [(10, 10, 40, 60), (70, 80, 110, 150)], [3, 5])
    model = fake_model_class(result, names)
    hidden, detections, dilate = photos.erase_logos(model, image, keep_class_ids=[5],
                                                    dilate=2)
    assert dilate == 2
    assert [d["hidden"] for d in detections] == [True, False]
    assert [d["class_name"] for d in detections] == [names[3], names[5]]
    assert detections[0]["box"] == [10, 10, 40, 60]
    changed = np.any(hidden != image, axis=2)
    assert changed[10:40, 10:60].mean() > 0.9
    assert not changed[60:, 70:].any()


def test_erase_logos_detects_at_the_sizes_asked(textured_image, fake_result, fake_model_class):
    image = textured_image(64, 64, seed=16)
    model = fake_model_class(fake_result(image, [(5, 5, 20, 20)], [1]), ["BG", "logo"])
    photos.erase_logos(model, image)
    photos.erase_logos(model, image, image_sizes=[192, 320])
    # None lets MaskRCNN.detect_multiscale use the config's TEST_IMAGE_SIZES.
    assert model.image_sizes_asked == [None, [192, 320]]


def test_erase_logos_without_detections_returns_the_photo_unchanged(textured_image, fake_result,
                                                                    fake_model_class):
    image = textured_image(50, 70, seed=14)
    model = fake_model_class(fake_result(image, [], []), list(models.BRAND_CLASS_NAMES))
    hidden, detections, dilate = photos.erase_logos(model, image)
    assert detections == [] and np.array_equal(hidden, image) and hidden is not image
    assert dilate == hiding.default_dilation(image.shape, 128)
