"""The models the eraser knows: configurations, class names, the shipped weights file, and
choosing the configuration that fits a weights file.

* `configs`: ``BrandsConfig`` / ``BrandsInferenceConfig`` (FlickrLogos-47, 48 classes) and
  ``LogoConfig`` / ``LogoInferenceConfig`` (the class-agnostic light model);
* `weights`: recognising a weights file (``eraser_config_for``), loading it
  (``load_eraser_model``), the default lookup (``resolve_weights``) and
  ``SHIPPED_WEIGHTS_PATH`` (``mask_rcnn_logo.h5``, package data beside this file).

No TensorFlow import until a model is loaded.
"""

from .configs import (AGNOSTIC_CLASS_NAMES, BRAND_CLASS_NAMES, BrandsConfig,
                      BrandsInferenceConfig, LogoConfig, LogoInferenceConfig, LogoLiteConfig,
                      LogoLiteInferenceConfig)
from .weights import (BRANDS_NUM_CLASSES, SHIPPED_WEIGHTS_PATH, WeightsLayoutError,
                      class_names_for, default_weights_paths, eraser_config_for,
                      load_eraser_model, read_weights_class_count, resolve_weights)

__all__ = [
    "AGNOSTIC_CLASS_NAMES", "BRAND_CLASS_NAMES", "BrandsConfig", "BrandsInferenceConfig",
    "LogoConfig", "LogoInferenceConfig", "LogoLiteConfig", "LogoLiteInferenceConfig",
    "BRANDS_NUM_CLASSES", "SHIPPED_WEIGHTS_PATH",
    "WeightsLayoutError", "class_names_for", "default_weights_paths", "eraser_config_for",
    "load_eraser_model", "read_weights_class_count", "resolve_weights",
]
