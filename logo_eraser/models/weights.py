"""Recognising a weights file and choosing the model that fits it.

``eraser_config_for(weights_path)`` reads the layer table of a Keras-2 HDF5 weights file (no
TensorFlow, metadata only): the class count from ``mrcnn_class_logits`` (48 = the FlickrLogos-47
brands model, 2 = a class-agnostic "logo" model), the small backbone's first layer (the light
logo model shipped in this package) and, for ResNet101 files, every array name and shape against
matterport's layout. ``load_eraser_model`` builds the network and loads the file by layer name.
``resolve_weights`` finds the weights file to use when none is given.

Errors are ``WeightsLayoutError`` (a ``UsageError``): one line naming the file.
"""

import functools
import os

from mrcnn.cli import UsageError

from .. import paths
from .configs import (AGNOSTIC_CLASS_NAMES, BRAND_CLASS_NAMES, BrandsInferenceConfig,
                      LogoConfig, LogoInferenceConfig, LogoLiteInferenceConfig)

# The brands model: background + the 47 FlickrLogos-47 classes.
BRANDS_NUM_CLASSES = len(BRAND_CLASS_NAMES)
# The first layer of the small backbone: its presence marks the light logo model's files.
SMALL_BACKBONE_FIRST_LAYER = "small_c1a"
# EfficientNet-Lite backbones (mrcnn.modeling.efficientnet_lite): the variant a file holds, told
# by its number of blocks and the output channels of block 3a (computed from the variants'
# depth and width multipliers; kept here so that recognising a file needs no TensorFlow).
EFFICIENTNET_LITE_BLOCKS = {(16, 40): "efficientnet-lite0", (21, 40): "efficientnet-lite1",
                            (21, 48): "efficientnet-lite2"}
# Logo configurations by backbone name (the light small backbone is told by SMALL_BACKBONE_...).
LOGO_CONFIGS = {"efficientnet-lite0": LogoLiteInferenceConfig}
# The layer whose kernel [features, NUM_CLASSES] tells the class count of a weights file.
CLASS_LOGITS_LAYER = "mrcnn_class_logits"

# The class-agnostic logo model shipped in the package (trained on synthetic logos).
SHIPPED_WEIGHTS_PATH = os.path.join(paths.PACKAGE_DIR, "models", "mask_rcnn_logo.h5")
# What fine-tuning on FlickrLogos-47 writes (logo-train --model brands).
BRANDS_WEIGHTS_FILENAME = "mask_rcnn_brands.h5"
TRAIN_COMMAND = "logo-train (samples/brands/fine_tune_brands.py)"


class WeightsLayoutError(UsageError):
    """A weights file that is missing, unreadable or does not fit the eraser's model."""


def default_weights_paths():
    """Where the eraser looks for weights when none are given, in order: a brands model
    trained by ``logo-train`` (``<checkout>/mask_rcnn_brands.h5`` and
    ``<checkout>/block/mask_rcnn_brands.h5`` in a source checkout, ``./mask_rcnn_brands.h5``
    for an installed package), then the shipped logo model."""
    if paths.CHECKOUT_ROOT is not None:
        trained = [os.path.join(paths.CHECKOUT_ROOT, BRANDS_WEIGHTS_FILENAME),
                   os.path.join(paths.CHECKOUT_ROOT, "block", BRANDS_WEIGHTS_FILENAME)]
    else:
        trained = [os.path.join(os.getcwd(), BRANDS_WEIGHTS_FILENAME)]
    return tuple(trained) + (SHIPPED_WEIGHTS_PATH,)


def resolve_weights(weights_path=None):
    """The weights file to use: ``weights_path`` if given (it must exist), else the first of
    `default_weights_paths` that exists. Raises UsageError saying how to train one."""
    if weights_path is not None:
        if not os.path.exists(weights_path):
            raise UsageError(f"weights file not found: {weights_path}; nothing is downloaded: "
                             f"train it with {TRAIN_COMMAND}")
        return weights_path
    candidates = default_weights_paths()
    for path in candidates:
        if os.path.exists(path):
            return path
    raise UsageError(f"weights file not found: {candidates[0]} (nor "
                     f"{', '.join(candidates[1:])}); nothing is downloaded: train it with "
                     f"{TRAIN_COMMAND} (--model logo for the class-agnostic model) or pass "
                     "--weights PATH")


def class_names_for(num_classes):
    """Class names (background first, a list) for a model with ``num_classes`` classes: the
    brands list for 48, ["BG", "logo"] for 2."""
    if num_classes == BRANDS_NUM_CLASSES:
        return list(BRAND_CLASS_NAMES)
    if num_classes == len(AGNOSTIC_CLASS_NAMES):
        return list(AGNOSTIC_CLASS_NAMES)
    raise ValueError(f"no class names for a {num_classes}-class model")


def read_weights_class_count(weights_path):
    """NUM_CLASSES (background included) of a Keras-2 HDF5 weights file, from the shape of
    mrcnn_class_logits' kernel [features, NUM_CLASSES]. Reads metadata only.

    Raises WeightsLayoutError (one line naming the file) for a missing, non-HDF5 or foreign file.
    """
    return _class_count_from_table(_read_table(weights_path), weights_path)


def _read_table(weights_path):
    """[(layer, weight name, shape)] of a weights file; WeightsLayoutError when unreadable."""
    import h5py

    from mrcnn.weights_io import WeightsFormatError

    if not os.path.exists(weights_path):
        raise WeightsLayoutError(f"weights file not found: {weights_path}")
    if not os.path.isfile(weights_path):
        raise WeightsLayoutError(f"weights path is not a file: {weights_path}")
    if not h5py.is_hdf5(weights_path):
        raise WeightsLayoutError(f"weights file {weights_path} is not an HDF5 (.h5) file")
    stat = os.stat(weights_path)
    try:
        return _table_of_version(weights_path, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    except (WeightsFormatError, OSError, KeyError, ValueError) as error:
        detail = " ".join(str(error).split()).removeprefix(f"{weights_path}: ")
        raise WeightsLayoutError(f"weights file {weights_path} is not a Keras Mask R-CNN "
                                 f"weights file: {detail}") from None


@functools.lru_cache(maxsize=4)
def _table_of_version(weights_path, inode, size, mtime_ns):
    """read_weights_table, once per version (inode, size, mtime) of a file: choosing the
    config and checking the loaded model both need it (0.14 s on a 250 MB file)."""
    from mrcnn.weights_io import read_weights_table

    return tuple(read_weights_table(weights_path))


def _class_count_from_table(table, weights_path):
    kernels = [shape for layer, weight, shape in table
               if layer == CLASS_LOGITS_LAYER and weight.split("/")[-1].startswith("kernel")]
    if len(kernels) != 1 or len(kernels[0]) != 2:
        raise WeightsLayoutError(f"weights file {weights_path} does not fit the eraser's Mask "
                                 f"R-CNN model: no {CLASS_LOGITS_LAYER} kernel [features, "
                                 f"classes] in it")
    return int(kernels[0][1])


def _has_coco_architecture(config):
    """True when ``config`` builds matterport's COCO network (up to the class count), whose
    exact weights layout is packaged with mrcnn (mrcnn.weights_layout.coco_layout_table)."""
    return (config.BACKBONE == "resnet101" and config.FPN_CLASSIF_FC_LAYERS_SIZE == 1024
            and config.TOP_DOWN_PYRAMID_SIZE == 256 and config.IMAGE_CHANNEL_COUNT == 3
            and len(config.RPN_ANCHOR_RATIOS) == 3 and list(config.MASK_SHAPE) == [28, 28])


def _check_table_against_layout(table, expected, weights_path):
    """Every expected array must be in the file with the expected shape (extra ones are
    ignored, as loading by name does). Raises WeightsLayoutError naming the first misfit."""
    def key(layer, weight):
        # Keras 2 names end in ":0"; files written without it are accepted by the loader too.
        return layer, weight.removesuffix(":0")

    in_file = {key(layer, weight): shape for layer, weight, shape in table}
    missing = []
    for layer, weight, shape in expected:
        found = in_file.get(key(layer, weight))
        if found is None:
            missing.append(f"{layer}/{weight}")
        elif tuple(found) != tuple(shape):
            raise WeightsLayoutError(
                f"weights file {weights_path} does not fit the eraser's model (ResNet101 Mask "
                f"R-CNN): {layer}/{weight} has shape {tuple(found)} instead of {tuple(shape)}")
    if missing:
        raise WeightsLayoutError(
            f"weights file {weights_path} does not fit the eraser's model (ResNet101 Mask "
            f"R-CNN): {len(missing)} of its {len(expected)} arrays are missing, e.g. "
            f"{', '.join(missing[:3])}")


def efficientnet_lite_variant(table):
    """The EfficientNet-Lite variant ("efficientnet-lite0".."-lite2") whose backbone layers a
    weights table [(layer, weight, shape)] holds, "unknown" for other EfficientNet-Lite layers,
    None when it has none."""
    blocks = {layer for layer, _, _ in table
              if layer.startswith("effnet_block") and layer.endswith("_project_conv")}
    if not blocks:
        return None
    stage3 = [shape[-1] for layer, weight, shape in table
              if layer == "effnet_block3a_project_conv" and "kernel" in weight]
    return EFFICIENTNET_LITE_BLOCKS.get((len(blocks), stage3[0] if stage3 else None), "unknown")


def eraser_config_for(weights_path, min_confidence=None):
    """The inference configuration that fits a weights file, checked against the file.

    The class count comes from the file (mrcnn_class_logits): 48 gives the FlickrLogos-47
    brands model (``BrandsInferenceConfig``: ResNet101, 128-px input), 2 gives the same network
    as a class-agnostic "logo" detector. A file with the small backbone's layers
    (``small_c1a``...) is the light class-agnostic model (``LogoInferenceConfig``, the one
    shipped in this package). The ResNet101 file's whole layout (every array name and shape) is
    checked here, in about a second, rather than after the slow model build.

    Returns a ``BrandsInferenceConfig`` (or ``LogoInferenceConfig``) instance with NUM_CLASSES
    from the file, DETECTION_MIN_CONFIDENCE = ``min_confidence`` (None: the model's own:
    Config's 0.7 for ResNet101 files, LogoInferenceConfig's for the light logo model) and
    ``CLASS_NAMES`` (background first, a list).
    Raises WeightsLayoutError (one line naming the file) when the file does not fit.
    """
    table = _read_table(weights_path)
    num_classes = _class_count_from_table(table, weights_path)
    if num_classes not in (BRANDS_NUM_CLASSES, len(AGNOSTIC_CLASS_NAMES)):
        raise WeightsLayoutError(
            f"weights file {weights_path} is for {num_classes} classes; the eraser needs the "
            f"brands model ({BRANDS_NUM_CLASSES} classes: background + FlickrLogos-47) or a "
            f"class-agnostic logo model (2 classes)")
    small = any(layer == SMALL_BACKBONE_FIRST_LAYER for layer, _, _ in table)
    if small and num_classes != LogoConfig.NUM_CLASSES:
        raise WeightsLayoutError(
            f"weights file {weights_path} has the small backbone of the logo model but "
            f"{num_classes} classes; the logo model has {LogoConfig.NUM_CLASSES}")
    base = LogoInferenceConfig if small else BrandsInferenceConfig
    lite = efficientnet_lite_variant(table)
    if lite is not None:
        if lite not in LOGO_CONFIGS or num_classes != LogoConfig.NUM_CLASSES:
            raise WeightsLayoutError(
                f"weights file {weights_path} has an EfficientNet-Lite backbone ({lite}) and "
                f"{num_classes} classes; the eraser knows the class-agnostic logo model on "
                f"{', '.join(LOGO_CONFIGS)}")
        base = LOGO_CONFIGS[lite]
    if min_confidence is None:
        # The model's own threshold (BrandsInferenceConfig keeps Config's 0.7).
        min_confidence = base.DETECTION_MIN_CONFIDENCE

    config = base().with_overrides(NUM_CLASSES=num_classes,
                                   DETECTION_MIN_CONFIDENCE=float(min_confidence),
                                   CLASS_NAMES=class_names_for(num_classes))
    if _has_coco_architecture(config):
        from mrcnn.weights_layout import coco_layout_table

        _check_table_against_layout(table, coco_layout_table(num_classes), weights_path)
    return config


def load_eraser_model(weights_path, config, model_dir=None):
    """Build the inference model for ``config`` and load ``weights_path`` by layer name.

    Slow (tens of seconds on a CPU: ResNet101). Imports TensorFlow.
    Raises WeightsLayoutError naming the file when its weights do not fit the model.
    """
    import mrcnn.model as modellib
    from mrcnn.weights_io import WeightsFormatError, WeightsMismatchError

    if model_dir is None:
        model_dir = os.path.join(paths.work_folder(), "logs")
    model = modellib.MaskRCNN(mode="inference", config=config, model_dir=model_dir)
    try:
        model.load_weights(weights_path, by_name=True)
        in_file = {layer for layer, _, _ in _read_table(weights_path)}
    except (WeightsMismatchError, WeightsFormatError) as error:
        detail = " ".join(str(error).split()).removeprefix(f"{weights_path}: ")
        raise WeightsLayoutError(f"weights file {weights_path} does not fit the eraser's model: "
                                 f"{detail}") from None
    # Loading by name silently keeps random weights for layers the file lacks.
    missing = [layer.name for layer in model.keras_model.layers
               if layer.weights and layer.name not in in_file]
    if missing:
        raise WeightsLayoutError(f"weights file {weights_path} does not fit the eraser's model: "
                                 f"{len(missing)} layers are missing, e.g. "
                                 f"{', '.join(missing[:3])}")
    return model
