"""Hiding: where each detected logo is hidden (its region) and how (its style).

``hide_instances(image, boxes, masks, style=...)`` paints over instance masks with a mosaic, a
blur, a solid colour or OpenCV inpainting, each scaled to the logo's size; ``hidden_region``
says which pixels that changes. NumPy and OpenCV only: no TensorFlow, no model.

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

import math

import cv2
import numpy as np

STYLES = ("mosaic", "blur", "solid", "inpaint")
DEFAULT_STYLE = "mosaic"
# What of each instance is hidden: its mask's convex hull, the mask pixels only, or its box.
REGIONS = ("hull", "mask", "box")
DEFAULT_REGION = "hull"
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
