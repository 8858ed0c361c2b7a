"""Hide brand logos in photos: the logic behind block/final_project.py, as importable functions.

Three layers, usable on their own:

* model choice: ``eraser_config_for(weights_path)`` reads the class count from a weights file
  (48 = the FlickrLogos-47 brands model, 2 = a class-agnostic "logo" model) and returns the
  inference configuration, class names included; ``load_eraser_model`` builds and loads it.
* hiding: ``hide_instances(image, boxes, masks, style=...)`` paints over instance masks with a
  mosaic, a blur, a solid colour or OpenCV inpainting, each scaled to the logo's size. NumPy and
  OpenCV only, no TensorFlow.
* both together: ``erase_logos(model, image, ...)`` detects and hides, and describes what it did.

How a logo is hidden (per instance, smallest box first, so where two overlap the larger logo's
coarser treatment wins):

1. its mask (full photo resolution, from ``MaskRCNN.detect``; an empty mask falls back to the
   box) is replaced by its convex hull (``region="hull"``, the default), kept as it is
   (``region="mask"``, as the original eraser) or replaced by the whole box
   (``region="box"``). A wordmark's mask follows its letters; hiding only the letter shapes
   leaves their silhouette readable, most of all with solid or blur;
2. that region is grown by ``dilate`` pixels (Euclidean distance), because the mask comes from a
   28x28 prediction on a 128-px copy of the photo and its edges are coarse;
3. only pixels inside the grown region change (always inside the box grown by ``dilate``).

Styles:

* ``mosaic``: squares of ``mosaic_block_size(box)`` pixels (about 7 blocks across the logo's
  longer side, never below 4 px), on a grid anchored at the grown box's top-left corner; each
  square takes the colour of one pixel picked at random (seeded) inside the square, as in the
  original eraser. Blocks scale with the logo, so a logo stays unreadable at any photo size.
* ``blur``: a Gaussian blur with sigma = 1/6 of the logo's longer side (at least 2 px),
  computed on a downscaled copy (same result to the eye, fast for big logos).
* ``solid``: the mean colour of a ring just outside the grown region.
* ``inpaint``: ``cv2.inpaint`` (Telea) from the surroundings, on a copy of at most 256 px.
"""

import functools
import math
import os
import sys

# Import the library from this checkout, whatever the current folder is.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BRANDS_SAMPLE_DIR = os.path.join(REPO_ROOT, "samples", "brands")
for _path in (REPO_ROOT, BRANDS_SAMPLE_DIR):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import brands  # noqa: E402
from mrcnn.cli import UsageError  # noqa: E402

STYLES = ("mosaic", "blur", "solid", "inpaint")
DEFAULT_STYLE = "mosaic"
# What of each instance is hidden: its mask's convex hull, the mask pixels only, or its box.
REGIONS = ("hull", "mask", "box")
DEFAULT_REGION = "hull"
# Detections scoring below this are ignored: the brands model's (and the original eraser's)
# default; the shipped logo model has its own, LogoInferenceConfig.DETECTION_MIN_CONFIDENCE.
DEFAULT_MIN_CONFIDENCE = 0.7
DEFAULT_SEED = 0

# Mosaic: about this many blocks across the logo's longer side; never smaller than MIN_BLOCK.
MOSAIC_BLOCKS_ACROSS = 7
MIN_MOSAIC_BLOCK = 4
# Blur: sigma as a fraction of the logo's longer side, at least MIN_BLUR_SIGMA pixels.
BLUR_SIGMA_FRACTION = 1.0 / 6.0
MIN_BLUR_SIGMA = 2.0
# Blur is computed on a copy shrunk so that sigma is about this many pixels there.
BLUR_WORKING_SIGMA = 4.0
# Solid: width of the ring whose mean colour fills the mask, as a fraction of the longer side.
SOLID_RING_FRACTION = 0.1
MIN_SOLID_RING = 2
# Inpaint: context kept around the mask, and the largest side of the working copy.
INPAINT_CONTEXT_FRACTION = 0.25
MIN_INPAINT_CONTEXT = 8
INPAINT_WORKING_SIDE = 256
INPAINT_RADIUS = 5
# Dilation when none is given: one pixel of the model's input, in photo pixels, at least this.
MIN_DEFAULT_DILATION = 2

# The brands model: background + the 47 FlickrLogos-47 classes (model class = dataset id + 1).
BRANDS_NUM_CLASSES = 1 + len(brands.CLASS_NAMES)
AGNOSTIC_CLASS_NAMES = ("BG", "logo")
# The first layer of the small backbone: its presence marks the light logo model's files.
SMALL_BACKBONE_FIRST_LAYER = "small_c1a"
# The layer whose kernel [features, NUM_CLASSES] tells the class count of a weights file.
CLASS_LOGITS_LAYER = "mrcnn_class_logits"


class WeightsLayoutError(UsageError):
    """A weights file that is missing, unreadable or does not fit the eraser's model."""


############################################################
#  Class names and model configuration
############################################################

def brand_class_names():
    """The brands model's 48 class names: "BG", then the 47 FlickrLogos-47 classes in dataset-id
    order (samples/brands)."""
    return ["BG"] + list(brands.CLASS_NAMES)


def class_names_for(num_classes):
    """Class names (background first) for a model with ``num_classes`` classes: the brands list
    for 48, ["BG", "logo"] for 2."""
    if num_classes == BRANDS_NUM_CLASSES:
        return brand_class_names()
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
    exact weights layout is packaged with mrcnn (mrcnn.testing.coco_layout_table)."""
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


def eraser_config_for(weights_path, min_confidence=None):
    """The inference configuration that fits a weights file, checked against the file.

    The class count comes from the file (mrcnn_class_logits): 48 gives the FlickrLogos-47
    brands model (``BrandsInferenceConfig``: ResNet101, 128-px input), 2 gives the same network
    as a class-agnostic "logo" detector. A file with the small backbone's layers
    (``small_c1a``...) is the light class-agnostic model (``LogoInferenceConfig``, the one
    shipped in block/). The ResNet101 file's whole layout (every array name and shape) is
    checked here, in about a second, rather than after the slow model build.

    Returns a ``BrandsInferenceConfig`` (or ``LogoInferenceConfig``) instance with NUM_CLASSES
    from the file, DETECTION_MIN_CONFIDENCE = ``min_confidence`` (None: DEFAULT_MIN_CONFIDENCE
    for ResNet101 files, LogoInferenceConfig's own value for the light logo model) and
    ``CLASS_NAMES`` (background first).
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
    if small and num_classes != brands.LogoConfig.NUM_CLASSES:
        raise WeightsLayoutError(
            f"weights file {weights_path} has the small backbone of the logo model but "
            f"{num_classes} classes; the logo model has {brands.LogoConfig.NUM_CLASSES}")
    base = brands.LogoInferenceConfig if small else brands.BrandsInferenceConfig
    if min_confidence is None:
        # The model's own threshold (BrandsInferenceConfig keeps Config's 0.7).
        min_confidence = base.DETECTION_MIN_CONFIDENCE

    class EraserConfig(base):
        NUM_CLASSES = num_classes
        DETECTION_MIN_CONFIDENCE = float(min_confidence)
        CLASS_NAMES = class_names_for(num_classes)

    EraserConfig.__name__ = f"EraserConfig{num_classes}"
    config = EraserConfig()
    if _has_coco_architecture(config):
        from mrcnn.testing import coco_layout_table

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
        model_dir = os.path.join(REPO_ROOT, "logs")
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


############################################################
#  Sizes derived from the photo and the logo
############################################################

def default_dilation(image_shape, model_side=128):
    """Default mask growth in pixels: one pixel of the model's input (the photo is shrunk to
    ``model_side`` px for detection) in photo pixels, at least 2. image_shape: (H, W[, C])."""
    longer_side = max(int(image_shape[0]), int(image_shape[1]))
    return max(MIN_DEFAULT_DILATION, math.ceil(longer_side / float(model_side)))


def _longer_side(box):
    y1, x1, y2, x2 = (int(v) for v in box[:4])
    return max(y2 - y1, x2 - x1, 1)


def mosaic_block_size(box):
    """Mosaic block side in pixels for a logo with box (y1, x1, y2, x2) in pixels: about
    MOSAIC_BLOCKS_ACROSS blocks across its longer side, never below MIN_MOSAIC_BLOCK."""
    return max(MIN_MOSAIC_BLOCK, math.ceil(_longer_side(box) / MOSAIC_BLOCKS_ACROSS))


def blur_sigma(box):
    """Gaussian sigma in pixels for a logo with box (y1, x1, y2, x2) in pixels."""
    return max(MIN_BLUR_SIGMA, _longer_side(box) * BLUR_SIGMA_FRACTION)


def _context_margin(style, box):
    """Pixels of photo needed around the grown region to compute ``style``."""
    if style == "blur":
        return int(math.ceil(2 * blur_sigma(box)))
    if style == "solid":
        return max(MIN_SOLID_RING, int(round(_longer_side(box) * SOLID_RING_FRACTION)))
    if style == "inpaint":
        return max(MIN_INPAINT_CONTEXT, int(round(_longer_side(box) * INPAINT_CONTEXT_FRACTION)))
    return 0


############################################################
#  Hiding
############################################################

def pixelate(image, block, rng):
    """Mosaic of a whole image: squares of ``block`` px on a grid from its top-left corner, each
    filled with the colour of one random pixel inside that square (edge squares are clipped).

    image: [H, W, C] (or [H, W]) array. rng: numpy Generator. Returns an array like ``image``.
    """
    height, width = image.shape[:2]
    rows, cols = -(-height // block), -(-width // block)
    starts_y = np.arange(rows) * block
    starts_x = np.arange(cols) * block
    block_heights = np.minimum(block, height - starts_y)
    block_widths = np.minimum(block, width - starts_x)
    pick_y = starts_y[:, None] + (rng.random((rows, cols)) * block_heights[:, None]).astype(int)
    pick_x = starts_x[None, :] + (rng.random((rows, cols)) * block_widths[None, :]).astype(int)
    colours = image[pick_y, pick_x]
    expanded = np.repeat(np.repeat(colours, block, axis=0), block, axis=1)
    return expanded[:height, :width]


def _grow(mask, radius):
    """Bool mask grown by ``radius`` px (Euclidean); pixels within the radius of the mask."""
    if radius <= 0 or not mask.any():
        return mask.copy()
    distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2,
                                     cv2.DIST_MASK_PRECISE)
    return distance <= radius


def _blurred(patch, sigma):
    """Gaussian blur of a [h, w, C] uint8 patch with a large sigma, through a shrunk copy."""
    height, width = patch.shape[:2]
    shrink = max(1.0, sigma / BLUR_WORKING_SIGMA)
    small_size = (max(1, round(width / shrink)), max(1, round(height / shrink)))
    small = cv2.resize(patch, small_size, interpolation=cv2.INTER_AREA) if shrink > 1 else patch
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma / shrink, borderType=cv2.BORDER_REFLECT)
    if shrink > 1:
        small = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return small.reshape(patch.shape)


def _inpainted(patch, region):
    """cv2.inpaint (Telea) of ``region`` in a [h, w, 3] uint8 patch, on a copy of at most
    INPAINT_WORKING_SIDE px (inpainting time grows with the area)."""
    height, width = patch.shape[:2]
    shrink = max(1.0, max(height, width) / INPAINT_WORKING_SIDE)
    if shrink > 1:
        small_size = (max(1, round(width / shrink)), max(1, round(height / shrink)))
        small = cv2.resize(patch, small_size, interpolation=cv2.INTER_AREA)
        # Any working pixel touched by the region is repainted, so none of the logo leaks.
        small_region = cv2.resize(region.astype(np.uint8) * 255, small_size,
                                  interpolation=cv2.INTER_AREA) > 0
        small_region = cv2.dilate(small_region.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    else:
        small, small_region = patch, region
    repaired = cv2.inpaint(np.ascontiguousarray(small), small_region.astype(np.uint8) * 255,
                           INPAINT_RADIUS, cv2.INPAINT_TELEA)
    if shrink > 1:
        repaired = cv2.resize(repaired, (width, height), interpolation=cv2.INTER_LINEAR)
    return repaired.reshape(patch.shape)


def _instance_window(box, image_shape, margin):
    """Slices (rows, cols) of the photo around a box grown by ``margin`` px, clipped."""
    height, width = image_shape[:2]
    y1, x1, y2, x2 = (int(v) for v in box[:4])
    rows = slice(max(0, y1 - margin), min(height, max(y2, y1 + 1) + margin))
    cols = slice(max(0, x1 - margin), min(width, max(x2, x1 + 1) + margin))
    return rows, cols


def convex_hull(mask):
    """The convex hull of a bool mask's pixels, as a bool mask of the same shape: the polygon
    through the outermost pixel centres, rasterised by cv2.fillConvexPoly (edge pixels
    included), so it stays inside the mask's bounding box."""
    points = cv2.findNonZero(mask.astype(np.uint8))
    if points is None:
        return mask.copy()
    hull = np.zeros(mask.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(points), 1)
    return hull.astype(bool) | mask


def instance_region(mask, box, image_shape, dilate, margin=0, region=DEFAULT_REGION):
    """Where one instance is hidden, in a window of the photo.

    mask: [H, W] bool full-resolution instance mask (an all-False mask falls back to its box);
    box: (y1, x1, y2, x2) pixels, y2/x2 exclusive; dilate: growth in px; margin: extra context
    px around the grown box; region: "hull" (the mask's convex hull), "mask" or "box" (the
    whole box, whatever the mask).
    Returns (rows, cols, hidden): the window's slices and its [h, w] bool area to hide (the
    hull or mask, grown). It never leaves the box grown by ``dilate`` px.
    """
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; choose from {', '.join(REGIONS)}")
    rows, cols = _instance_window(box, image_shape, dilate + margin)
    window_mask = np.asarray(mask[rows, cols], dtype=bool)
    if region == "box" or not window_mask.any():
        y1, x1, y2, x2 = (int(v) for v in box[:4])
        window_mask = np.zeros(window_mask.shape, dtype=bool)
        window_mask[max(0, y1 - rows.start):max(0, y2 - rows.start),
                    max(0, x1 - cols.start):max(0, x2 - cols.start)] = True
    elif region == "hull":
        window_mask = convex_hull(window_mask)
    return rows, cols, _grow(window_mask, dilate)


def hidden_region(image_shape, boxes, masks, dilate, region=DEFAULT_REGION, instances=None):
    """The photo pixels that hide_instances repaints: the union of the instances' regions.

    image_shape: (H, W[, C]); boxes, masks, dilate, region, instances: as hide_instances.
    Returns [H, W] bool. Used to measure what the eraser covers against ground-truth masks.
    """
    boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    masks = np.asarray(masks)
    if masks.ndim == 2:
        masks = masks[:, :, None]
    instances = (np.arange(len(boxes)) if instances is None
                 else np.asarray(instances, dtype=np.int64).reshape(-1))
    union = np.zeros(tuple(image_shape[:2]), dtype=bool)
    for index in instances:
        rows, cols, hidden = instance_region(masks[:, :, index], boxes[index], image_shape,
                                             int(dilate), 0, region)
        union[rows, cols] |= hidden
    return union


def hide_instances(image, boxes, masks, style=DEFAULT_STYLE, dilate=None, seed=DEFAULT_SEED,
                   model_side=128, region=DEFAULT_REGION, instances=None):
    """Hide instances in a photo.

    image: [H, W, 3] uint8 RGB (not modified).
    boxes: [N, (y1, x1, y2, x2)] int pixels of the photo (y2, x2 exclusive), as from detect().
    masks: [H, W, N] bool full-resolution instance masks.
    style: one of STYLES (see the module docstring).
    dilate: px to grow each mask by; None: default_dilation(image.shape, model_side).
    seed: seeds the mosaic's random pixel choice (same seed, same output).
    region: "hull" (each mask's convex hull), "mask" (the mask pixels only) or "box".
    instances: indices of the instances to hide (default: all); saves copying a subset of a
        large [H, W, N] mask stack.
    Returns a new [H, W, 3] uint8 image; only pixels inside the grown hulls (or masks) differ.
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; choose from {', '.join(REGIONS)}")
    image = np.asarray(image)
    boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    masks = np.asarray(masks)
    if masks.ndim == 2:
        masks = masks[:, :, None]
    if masks.shape[:2] != image.shape[:2] or masks.shape[2] != len(boxes):
        raise ValueError(f"masks {masks.shape} do not match image {image.shape[:2]} and "
                         f"{len(boxes)} boxes")
    if dilate is None:
        dilate = default_dilation(image.shape, model_side)
    dilate = int(dilate)
    instances = (np.arange(len(boxes)) if instances is None
                 else np.asarray(instances, dtype=np.int64).reshape(-1))
    rng = np.random.default_rng(seed)
    output = image.copy()
    # Smallest first: where logos overlap, the larger one's coarser treatment is painted last.
    chosen = boxes[instances]
    areas = (chosen[:, 2] - chosen[:, 0]) * (chosen[:, 3] - chosen[:, 1])
    for index in instances[np.argsort(areas, kind="stable")]:
        box = boxes[index]
        margin = _context_margin(style, box)
        rows, cols, hidden = instance_region(masks[:, :, index], box, image.shape, dilate,
                                             margin, region)
        if not hidden.any():
            continue
        # Read from the output so far: a logo hidden earlier is not copied back by a neighbour.
        patch = output[rows, cols]
        if style == "mosaic":
            filled = pixelate(patch, mosaic_block_size(box), rng)
        elif style == "blur":
            filled = _blurred(patch, blur_sigma(box))
        elif style == "solid":
            ring_width = _context_margin("solid", box)
            ring = _grow(hidden, ring_width) & ~hidden
            source = ring if ring.any() else hidden
            colour = np.rint(patch[source].reshape(-1, patch.shape[2]).mean(axis=0))
            filled = np.broadcast_to(colour.astype(patch.dtype), patch.shape)
        else:
            filled = _inpainted(patch, hidden)
        patch[hidden] = filled[hidden]
    return output


############################################################
#  Detection + hiding
############################################################

def resolve_keep(keep_names, class_names):
    """Map user class names (case-insensitive) to class ids of ``class_names`` (BG first).

    Returns a sorted list of ids. Raises UsageError listing the valid names for an unknown one.
    """
    by_lower = {name.lower(): class_id for class_id, name in enumerate(class_names) if class_id}
    unknown = [name for name in keep_names if name.lower() not in by_lower]
    if unknown:
        raise UsageError(f"--keep: unknown class {', '.join(repr(n) for n in unknown)}; valid "
                         f"names: {', '.join(class_names[1:])}")
    return sorted({by_lower[name.lower()] for name in keep_names})


def describe_detections(result, class_names, hidden):
    """JSON-ready detections: box [y1, x1, y2, x2] in photo pixels, class, score, hidden."""
    return [
        {"box": [int(v) for v in box], "class_id": int(class_id),
         "class_name": class_names[int(class_id)], "score": round(float(score), 6),
         "hidden": bool(is_hidden)}
        for box, class_id, score, is_hidden in zip(result["rois"], result["class_ids"],
                                                   result["scores"], hidden)
    ]


def erase_logos(model, image, style=DEFAULT_STYLE, keep_class_ids=(), dilate=None,
                seed=DEFAULT_SEED, region=DEFAULT_REGION, image_sizes=None):
    """Detect logos with ``model`` (from load_eraser_model) and hide all but the kept classes.

    image: [H, W, 3] uint8 RGB photo (any size: detect() shrinks a copy to the model's input and
    returns full-resolution masks). keep_class_ids: class ids left visible. style, dilate, seed,
    region: as hide_instances. image_sizes: input sizes to detect at and merge
    (``MaskRCNN.detect_multiscale``; None: the config's TEST_IMAGE_SIZES, e.g. the shipped
    logo model's 192/256/320, or its single size).
    Returns (hidden image [H, W, 3] uint8, detections: list of dicts as describe_detections,
    dilate actually used in px).
    """
    result = model.detect_multiscale([image], image_sizes=image_sizes, verbose=0)[0]
    return erase_detections(image, result, model.config, style=style,
                            keep_class_ids=keep_class_ids, dilate=dilate, seed=seed,
                            region=region)


def erase_detections(image, result, config, style=DEFAULT_STYLE, keep_class_ids=(), dilate=None,
                     seed=DEFAULT_SEED, region=DEFAULT_REGION):
    """The hiding half of erase_logos, for a detect() ``result`` on ``image`` (dict with
    "rois", "class_ids", "scores", "masks") from a model with ``config``. Same returns."""
    if dilate is None:
        dilate = default_dilation(image.shape, int(config.IMAGE_MAX_DIM))
    hidden = ~np.isin(result["class_ids"], np.asarray(list(keep_class_ids), dtype=np.int64))
    output = hide_instances(image, result["rois"], result["masks"], style=style, dilate=dilate,
                            seed=seed, region=region, instances=np.flatnonzero(hidden))
    return output, describe_detections(result, config.CLASS_NAMES, hidden), dilate
