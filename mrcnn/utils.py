"""Mask R-CNN common utilities: boxes, masks, image resizing, anchors, datasets, AP metrics.

Same public API and numbers as matterport's ``mrcnn.utils`` (NumPy side). Boxes are
``[N, (y1, x1, y2, x2)]`` in pixels with (y2, x2) just outside the box, unless a function
says they are normalised.

Resizing reproduces scikit-image's ``skimage.transform.resize`` (which matterport called)
without depending on scikit-image: bilinear resizing goes through OpenCV in float64 and
agrees with scikit-image 0.26 to about 1e-12 (see `resize`).
"""
import logging
import os
import random
import warnings

import cv2
import numpy as np

from mrcnn.image_io import read_image

# Where matterport published its COCO-trained weights (kept for API compatibility only;
# nothing in this library downloads anything).
COCO_MODEL_URL = "https://github.com/matterport/Mask_RCNN/releases/download/v2.0/mask_rcnn_coco.h5"
COCO_RELEASES_PAGE = "https://github.com/matterport/Mask_RCNN/releases"


############################################################
#  Bounding boxes
############################################################

def extract_bboxes(mask):
    """Bounding boxes of instance masks.

    mask: [height, width, num_instances], bool or 0/1.
    Returns: int32 [num_instances, (y1, x1, y2, x2)] pixels, y2/x2 one past the last mask
        row/column. Instances with an empty mask get all-zero boxes.
    """
    mask = np.asarray(mask)
    height, width = mask.shape[:2]
    rows_used = np.any(mask, axis=1)  # [height, N]
    cols_used = np.any(mask, axis=0)  # [width, N]
    y1 = np.argmax(rows_used, axis=0)
    y2 = height - np.argmax(rows_used[::-1], axis=0)
    x1 = np.argmax(cols_used, axis=0)
    x2 = width - np.argmax(cols_used[::-1], axis=0)
    boxes = np.stack([y1, x1, y2, x2], axis=1).astype(np.int32).reshape(-1, 4)
    boxes[~rows_used.any(axis=0)] = 0
    return boxes


def compute_iou(box, boxes, box_area, boxes_area):
    """IoU of one box with each of a set of boxes.

    box: [(y1, x1, y2, x2)]; boxes: [N, (y1, x1, y2, x2)].
    box_area: area of `box`; boxes_area: [N] areas of `boxes` (passed in so callers
        compute them once).
    Returns: [N] IoU values.
    """
    y1 = np.maximum(box[0], boxes[:, 0])
    y2 = np.minimum(box[2], boxes[:, 2])
    x1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[3], boxes[:, 3])
    intersection = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    union = box_area + boxes_area[:] - intersection[:]
    return intersection / union


def compute_overlaps(boxes1, boxes2):
    """IoU of every box of boxes1 with every box of boxes2.

    boxes1: [N1, (y1, x1, y2, x2)]; boxes2: [N2, (y1, x1, y2, x2)].
    Returns: float64 [N1, N2] IoU matrix.
    """
    boxes1 = np.asarray(boxes1)
    boxes2 = np.asarray(boxes2)
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    # Same arithmetic as compute_iou, broadcast to [N1, N2].
    y1 = np.maximum(boxes2[None, :, 0], boxes1[:, None, 0])
    y2 = np.minimum(boxes2[None, :, 2], boxes1[:, None, 2])
    x1 = np.maximum(boxes2[None, :, 1], boxes1[:, None, 1])
    x2 = np.minimum(boxes2[None, :, 3], boxes1[:, None, 3])
    intersection = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    union = area2[None, :] + area1[:, None] - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        overlaps = intersection / union
    return np.asarray(overlaps, dtype=np.float64).reshape(boxes1.shape[0], boxes2.shape[0])


def compute_overlaps_masks(masks1, masks2):
    """IoU of every mask of masks1 with every mask of masks2.

    masks1: [height, width, N1]; masks2: [height, width, N2]; values > 0.5 count as inside.
    Returns: [N1, N2] IoU (float32; float64 zeros when either set is empty). Two empty
        masks have IoU nan (0 / 0), as in matterport.
    """
    if masks1.shape[-1] == 0 or masks2.shape[-1] == 0:
        return np.zeros((masks1.shape[-1], masks2.shape[-1]))
    flat1 = np.reshape(masks1 > 0.5, (-1, masks1.shape[-1])).astype(np.float32)
    flat2 = np.reshape(masks2 > 0.5, (-1, masks2.shape[-1])).astype(np.float32)
    area1 = np.sum(flat1, axis=0)
    area2 = np.sum(flat2, axis=0)
    intersections = np.dot(flat1.T, flat2)
    union = area1[:, None] + area2[None, :] - intersections
    with np.errstate(divide="ignore", invalid="ignore"):
        return intersections / union


def non_max_suppression(boxes, scores, threshold):
    """Greedy non-maximum suppression.

    boxes: [N, (y1, x1, y2, x2)], N > 0; scores: [N]; threshold: boxes whose IoU with a
        kept, higher-scoring box is above this are dropped.
    Returns: int32 indices of the kept boxes, highest score first.
    """
    if boxes.shape[0] == 0:
        raise ValueError("non_max_suppression needs at least one box")
    if boxes.dtype.kind != "f":
        boxes = boxes.astype(np.float32)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    # Same (unstable) sort as matterport so ties resolve identically.
    remaining = scores.argsort()[::-1]
    kept = []
    while len(remaining) > 0:
        best = remaining[0]
        kept.append(best)
        iou = compute_iou(boxes[best], boxes[remaining[1:]], area[best], area[remaining[1:]])
        remaining = remaining[1:][~(iou > threshold)]
    return np.array(kept, dtype=np.int32)


def apply_box_deltas(boxes, deltas):
    """Apply refinement deltas to boxes.

    boxes: [N, (y1, x1, y2, x2)] pixels; deltas: [N, (dy, dx, log(dh), log(dw))].
    Returns: float32 [N, (y1, x1, y2, x2)].
    """
    boxes = boxes.astype(np.float32)
    height = boxes[:, 2] - boxes[:, 0]
    width = boxes[:, 3] - boxes[:, 1]
    center_y = boxes[:, 0] + 0.5 * height
    center_x = boxes[:, 1] + 0.5 * width
    center_y += deltas[:, 0] * height
    center_x += deltas[:, 1] * width
    height *= np.exp(deltas[:, 2])
    width *= np.exp(deltas[:, 3])
    y1 = center_y - 0.5 * height
    x1 = center_x - 0.5 * width
    return np.stack([y1, x1, y1 + height, x1 + width], axis=1)


def box_refinement(box, gt_box):
    """Deltas that turn `box` into `gt_box` (the inverse of apply_box_deltas).

    box, gt_box: [N, (y1, x1, y2, x2)] pixels, (y2, x2) outside the box.
    Returns: float32 [N, (dy, dx, log(dh), log(dw))].
    """
    box = box.astype(np.float32)
    gt_box = gt_box.astype(np.float32)
    height = box[:, 2] - box[:, 0]
    width = box[:, 3] - box[:, 1]
    center_y = box[:, 0] + 0.5 * height
    center_x = box[:, 1] + 0.5 * width
    gt_height = gt_box[:, 2] - gt_box[:, 0]
    gt_width = gt_box[:, 3] - gt_box[:, 1]
    gt_center_y = gt_box[:, 0] + 0.5 * gt_height
    gt_center_x = gt_box[:, 1] + 0.5 * gt_width
    dy = (gt_center_y - center_y) / height
    dx = (gt_center_x - center_x) / width
    dh = np.log(gt_height / height)
    dw = np.log(gt_width / width)
    return np.stack([dy, dx, dh, dw], axis=1)


############################################################
#  Dataset
############################################################

class Dataset:
    """Base class for datasets (matterport's API).

    Subclass it, call add_class()/add_image() to register classes and images, override
    load_mask() (and image_reference() if useful), then call prepare() before use:

        class ShapesDataset(Dataset):
            def load_shapes(self): ...  # add_class / add_image
            def load_mask(self, image_id): ...

    Class and image ids used everywhere after prepare() are internal, contiguous ids;
    "source" ids are those of the original dataset, joined as "source.id" in the maps.
    """

    def __init__(self, class_map=None):
        self._image_ids = []
        self.image_info = []
        # Background is always the first class.
        self.class_info = [{"source": "", "id": 0, "name": "BG"}]
        self.source_class_ids = {}

    def add_class(self, source, class_id, class_name):
        """Register class `class_id` of dataset `source` (ignored if already registered)."""
        if "." in source:
            raise ValueError(f"source name cannot contain a dot: {source!r}")
        for info in self.class_info:
            if info["source"] == source and info["id"] == class_id:
                return
        self.class_info.append({"source": source, "id": class_id, "name": class_name})

    def add_image(self, source, image_id, path, **kwargs):
        """Register an image; extra keyword arguments are stored in its image_info dict."""
        image_info = {"id": image_id, "source": source, "path": path}
        image_info.update(kwargs)
        self.image_info.append(image_info)

    def image_reference(self, image_id):
        """A link or description of the image for debugging; override in subclasses."""
        return ""

    def prepare(self, class_map=None):
        """Build the internal id tables; call after all add_class()/add_image() calls."""

        def clean_name(name):
            # Keep the part before the first comma: "person, human" -> "person".
            return ",".join(name.split(",")[:1])

        self.num_classes = len(self.class_info)
        self.class_ids = np.arange(self.num_classes)
        self.class_names = [clean_name(info["name"]) for info in self.class_info]
        self.num_images = len(self.image_info)
        self._image_ids = np.arange(self.num_images)
        self.class_from_source_map = {
            f"{info['source']}.{info['id']}": class_id
            for info, class_id in zip(self.class_info, self.class_ids)
        }
        self.image_from_source_map = {
            f"{info['source']}.{info['id']}": image_id
            for info, image_id in zip(self.image_info, self.image_ids)
        }
        # Matterport used list(set(...)), whose order changes between runs; first
        # appearance order holds the same sources, deterministically.
        self.sources = list(dict.fromkeys(info["source"] for info in self.class_info))
        self.source_class_ids = {}
        for source in self.sources:
            # Each source's classes, plus the background class 0.
            self.source_class_ids[source] = [
                class_id for class_id, info in enumerate(self.class_info)
                if class_id == 0 or info["source"] == source
            ]

    def map_source_class_id(self, source_class_id):
        """Internal class id of a "source.id" string, e.g. "coco.12" -> 23."""
        return self.class_from_source_map[source_class_id]

    def get_source_class_id(self, class_id, source):
        """The source dataset's id of internal class `class_id`, which must be from `source`."""
        info = self.class_info[class_id]
        if info["source"] != source:
            raise ValueError(
                f"class {class_id} comes from source {info['source']!r}, not {source!r}"
            )
        return info["id"]

    @property
    def image_ids(self):
        return self._image_ids

    def source_image_link(self, image_id):
        """Path or URL of the image in its source dataset."""
        return self.image_info[image_id]["path"]

    def load_image(self, image_id):
        """The image as [H, W, 3] uint8 RGB.

        Grayscale, 16-bit, palette, RGBA (composited over white) and EXIF-rotated files
        are all converted (see mrcnn.image_io.read_image); unreadable files raise
        mrcnn.image_io.ImageReadError naming the file.
        """
        return read_image(self.image_info[image_id]["path"])

    def load_mask(self, image_id):
        """Instance masks of an image; override in subclasses.

        Returns:
            masks: bool [height, width, instance count], one mask per instance.
            class_ids: int32 [instance count] internal class ids.
        The base class has no annotations and returns an empty mask [0, 0, 0] and no ids.
        """
        logging.warning(
            "You are using the default load_mask(), maybe you need to define your own one.")
        return np.empty([0, 0, 0], dtype=bool), np.empty([0], np.int32)


############################################################
#  Resizing (reproduces skimage.transform.resize)
############################################################

# numpy.pad-style mode names (what skimage accepts) -> scipy.ndimage mode names.
_NDIMAGE_MODES = {
    "constant": "grid-constant",
    "edge": "nearest",
    "symmetric": "reflect",
    "reflect": "mirror",
    "wrap": "grid-wrap",
}


def _to_float(image, preserve_range):
    """skimage's convert_to_float: float32/float64 kept, others -> float64, scaled like
    img_as_float unless preserve_range. bool -> 0.0/1.0 (old skimage accepted bool here)."""
    if image.dtype == np.float16:
        return image.astype(np.float32)
    if image.dtype.char in "df":
        return image
    if image.dtype == bool or preserve_range:
        return image.astype(np.float64)
    if image.dtype.kind == "u":
        return np.multiply(image, 1.0 / np.iinfo(image.dtype).max, dtype=np.float64)
    if image.dtype.kind == "i":
        scaled = np.multiply(image, 1.0 / np.iinfo(image.dtype).max, dtype=np.float64)
        return np.maximum(scaled, -1.0, out=scaled)
    raise ValueError(f"cannot resize an image of dtype {image.dtype}")


def _nearest_indices(size_in, size_out):
    """Source index of each output sample for order-0 resizing on the half-pixel grid,
    computed the way scipy.ndimage.zoom(grid_mode=True) does."""
    zoom = size_in / size_out
    coordinates = (np.arange(size_out) + 0.5) * zoom - 0.5
    return np.clip(np.floor(coordinates + 0.5).astype(np.intp), 0, size_in - 1)


def _border_weights(size_in, size_out):
    """Weight of the image (vs. the constant outside it) in each output sample of
    half-pixel bilinear resizing; below 1 only where upscaling samples past the edge."""
    coordinates = (np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5
    weights = np.ones(size_out)
    before = coordinates < 0
    weights[before] = 1.0 + coordinates[before]
    after = coordinates > size_in - 1
    weights[after] = size_in - coordinates[after]
    return weights


def _linear_along_axis(array, size_out, axis):
    """Half-pixel linear resampling of one axis, edge pixels replicated (float64 NumPy)."""
    size_in = array.shape[axis]
    coordinates = (np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5
    lower = np.floor(coordinates)
    fraction = coordinates - lower
    lower = lower.astype(np.intp)
    shape = [1] * array.ndim
    shape[axis] = size_out
    below = np.take(array, np.clip(lower, 0, size_in - 1), axis=axis)
    above = np.take(array, np.clip(lower + 1, 0, size_in - 1), axis=axis)
    return below * (1.0 - fraction).reshape(shape) + above * fraction.reshape(shape)


def _channel_groups(channels):
    """Split a channel count into groups of 4, 3 or 1: cv2.resize computes float64
    bilinear in double precision only for 1, 3 or 4 channels (float weights otherwise)."""
    groups = [4] * (channels // 4)
    remainder = channels % 4
    groups += [1, 1] if remainder == 2 else ([remainder] if remainder else [])
    return groups


def _bilinear_resize(image, out_height, out_width, mode, cval):
    """Half-pixel bilinear resize of a float [H, W] or [H, W, C] image, float64 result.

    cv2.resize (INTER_LINEAR) samples at the same coordinates as
    scipy.ndimage.zoom(grid_mode=True) and replicates the edge pixels, which is skimage's
    mode 'edge'. For mode 'constant' the samples that fall between the outermost pixel and
    the constant outside are then blended with cval, one weight per row and per column.
    """
    source = np.asarray(image, dtype=np.float64)
    if min(source.shape[:2]) < 2:
        # cv2 takes a single-precision path for 1-pixel-wide inputs.
        resized = _linear_along_axis(_linear_along_axis(source, out_height, 0), out_width, 1)
    else:
        if source.ndim == 2:
            source = source[:, :, None]
        pieces = []
        start = 0
        for group in _channel_groups(source.shape[2]):
            piece = cv2.resize(np.ascontiguousarray(source[:, :, start:start + group]),
                               (out_width, out_height), interpolation=cv2.INTER_LINEAR)
            pieces.append(piece.reshape(out_height, out_width, group))
            start += group
        resized = pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=2)
        if image.ndim == 2:
            resized = resized[:, :, 0]
    if mode == "constant":
        row_weights = _border_weights(source.shape[0], out_height)
        col_weights = _border_weights(source.shape[1], out_width)
        extra_axes = (None,) * (resized.ndim - 2)
        rows = np.nonzero(row_weights != 1.0)[0]
        if rows.size:
            weight = row_weights[rows][(slice(None), None) + extra_axes]
            resized[rows] = resized[rows] * weight + cval * (1.0 - weight)
        cols = np.nonzero(col_weights != 1.0)[0]
        if cols.size:
            weight = col_weights[cols][(slice(None),) + extra_axes]
            resized[:, cols] = resized[:, cols] * weight + cval * (1.0 - weight)
    return resized


def _scipy_resize(image, output_shape, order, ndimage_mode, cval, anti_aliasing_sigma):
    """The general case, done exactly as skimage does it (rarely used options)."""
    import scipy.ndimage as ndi

    if anti_aliasing_sigma is not None:
        image = ndi.gaussian_filter(image, anti_aliasing_sigma, cval=cval, mode=ndimage_mode)
    factors = np.divide(image.shape, output_shape)
    return ndi.zoom(image, [1 / f for f in factors], order=order, mode=ndimage_mode,
                    cval=cval, grid_mode=True)


def _clip_to_input_range(source, resized, mode, cval):
    """skimage's output clipping: to the input's value range, widened to cval when the
    constant border contributed values outside it."""
    low_function, high_function = np.min, np.max
    low = low_function(source)
    if np.isnan(low):
        low_function, high_function = np.nanmin, np.nanmax
        low = low_function(source)
    high = high_function(source)
    if (mode == "constant" and not low <= cval <= high
            and low_function(resized) <= cval <= high_function(resized)):
        cval = source.dtype.type(cval)
        low, high = min(low, cval), max(high, cval)
    np.clip(resized, np.asarray(low), np.asarray(high), out=resized)


def resize(image, output_shape, order=1, mode="constant", cval=0, clip=True,
           preserve_range=False, anti_aliasing=False, anti_aliasing_sigma=None):
    """Resize an image; same arguments and same values as skimage.transform.resize.

    image: [H, W] or [H, W, C] (any n-d array works).
    output_shape: (height, width) keeps the channels, or the full output shape.
    order: 0 nearest neighbour, 1 bilinear (2..5: splines, via scipy).
    mode: 'constant' (outside samples are cval), 'edge', 'symmetric', 'reflect', 'wrap'.
    preserve_range: keep the value range; otherwise integers are scaled to [0, 1] first.
    anti_aliasing / anti_aliasing_sigma: Gaussian pre-filter when downscaling.

    Returns: the resized array. dtype as skimage: the input dtype for order 0, float32 for
    float16/float32 input, float64 otherwise.

    Like skimage, samples lie on half-pixel centres and with mode 'constant' the outside
    counts as cval, so upscaled outermost rows/columns are blended towards cval.
    Bilinear resizing (order 1, mode 'constant' or 'edge', no anti-aliasing) uses OpenCV in
    float64, 10-30x faster than skimage, and agrees with skimage 0.26 to about 1e-12
    relative (1 ulp for float32): only the rounding of the sums differs. So where the exact
    result is a whole number (flat image areas) either may land a hair below it, and after
    a uint8 truncation such values differ by 1: about 0.04% of the values of real photos
    resized by resize_image (0.25% at worst in our tests), never more than 1.
    Order 0 is exact. Everything else calls scipy.ndimage exactly as skimage does.
    One extension: bool images with order > 0 are interpolated as 0.0/1.0 floats (old
    skimage, which matterport used, did this; skimage 0.26 raises).
    """
    image = np.asarray(image)
    output_shape = tuple(int(size) for size in output_shape)
    if len(output_shape) > image.ndim:
        image = image.reshape(image.shape + (1,) * (len(output_shape) - image.ndim))
    elif len(output_shape) == image.ndim - 1:
        output_shape = output_shape + (image.shape[-1],)
    elif len(output_shape) < image.ndim:
        raise ValueError(
            f"output_shape {output_shape} has fewer dimensions than the image {image.shape}"
        )
    if order is None:
        order = 0 if image.dtype == bool else 1
    if not 0 <= order <= 5:
        raise ValueError("Spline interpolation order has to be in the range 0-5.")
    if mode not in _NDIMAGE_MODES:
        raise ValueError(f"unknown resize mode {mode!r}; use one of {sorted(_NDIMAGE_MODES)}")
    if image.dtype == np.float16:
        image = image.astype(np.float32)
    if order > 0:
        image = _to_float(image, preserve_range)
    elif anti_aliasing and image.dtype == bool:
        raise ValueError("anti_aliasing must be False for boolean images")

    sigma = None
    if anti_aliasing:
        factors = np.divide(image.shape, output_shape)
        if anti_aliasing_sigma is None:
            sigma = np.maximum(0, (factors - 1) / 2)
        else:
            sigma = np.atleast_1d(anti_aliasing_sigma) * np.ones_like(factors)
            if np.any(sigma < 0):
                raise ValueError(
                    "Anti-aliasing standard deviation must be greater than or equal to zero")
            if np.any((sigma > 0) & (factors <= 1)):
                warnings.warn("Anti-aliasing standard deviation greater than zero but "
                              "not down-sampling along all axes")

    all_sizes_positive = min(image.shape + output_shape) > 0
    if sigma is None and order == 0 and all_sizes_positive:
        resized = image
        for axis, (size_in, size_out) in enumerate(zip(image.shape, output_shape)):
            if size_in != size_out:
                resized = np.take(resized, _nearest_indices(size_in, size_out), axis=axis)
        # Nearest-neighbour values are input values: clipping would change nothing.
        return np.array(resized, copy=True) if resized is image else resized
    if (sigma is None and order == 1 and mode in ("constant", "edge") and all_sizes_positive
            and image.ndim in (2, 3) and output_shape[2:] == image.shape[2:]):
        resized = _bilinear_resize(image, output_shape[0], output_shape[1], mode, cval)
    else:
        resized = _scipy_resize(image, output_shape, order, _NDIMAGE_MODES[mode], cval, sigma)
    resized = resized.astype(image.dtype if image.dtype.kind == "f" else np.float64, copy=False)
    if clip and order > 0:
        _clip_to_input_range(image, resized, mode, cval)
    return resized


def resize_image(image, min_dim=None, max_dim=None, min_scale=None, mode="square"):
    """Resize an image keeping its aspect ratio, as matterport's resize_image.

    image: [H, W, C] (or [H, W]).
    min_dim: scale up (never down) so the shorter side is at least this.
    max_dim: in "square" mode, scale down so the longer side fits, then pad to
        [max_dim, max_dim].
    min_scale: scale up by at least this factor.
    mode: "none" (unchanged), "square" (resize + zero-pad to max_dim x max_dim),
        "pad64" (resize + zero-pad height/width to multiples of 64; min_dim must be a
        multiple of 64), "crop" (resize + random min_dim x min_dim crop drawn with Python's
        `random` module as matterport did; training only).

    Returns:
        image: resized image, same dtype as the input (bilinear values truncated by astype).
        window: (y1, x1, y2, x2) of the image inside the padded result, pixels, y2/x2 excluded.
        scale: the scale factor applied.
        padding: [(top, bottom), (left, right), (0, 0)] pixels added.
        crop: (y, x, height, width) of the crop in "crop" mode, else None.
    """
    image_dtype = image.dtype
    h, w = image.shape[:2]
    window = (0, 0, h, w)
    scale = 1
    padding = [(0, 0), (0, 0), (0, 0)]
    crop = None

    if mode == "none":
        return image, window, scale, padding, crop
    if mode not in ("square", "pad64", "crop"):
        raise ValueError(f"Mode {mode} not supported")

    if min_dim:
        # Scale up but not down.
        scale = max(1, min_dim / min(h, w))
    if min_scale and scale < min_scale:
        scale = min_scale
    if max_dim and mode == "square":
        image_max = max(h, w)
        if round(image_max * scale) > max_dim:
            scale = max_dim / image_max
    if scale != 1:
        image = resize(image, (round(h * scale), round(w * scale)), preserve_range=True)

    h, w = image.shape[:2]
    if mode == "square":
        top_pad = (max_dim - h) // 2
        bottom_pad = max_dim - h - top_pad
        left_pad = (max_dim - w) // 2
        right_pad = max_dim - w - left_pad
        padding = [(top_pad, bottom_pad), (left_pad, right_pad), (0, 0)]
        image = np.pad(image, padding[:image.ndim], mode="constant", constant_values=0)
        window = (top_pad, left_pad, h + top_pad, w + left_pad)
    elif mode == "pad64":
        if min_dim % 64 != 0:
            raise ValueError(f"Minimum dimension must be a multiple of 64, got {min_dim}")
        padded_h = h if h % 64 == 0 else h - (h % 64) + 64
        padded_w = w if w % 64 == 0 else w - (w % 64) + 64
        top_pad = (padded_h - h) // 2
        left_pad = (padded_w - w) // 2
        padding = [(top_pad, padded_h - h - top_pad), (left_pad, padded_w - w - left_pad), (0, 0)]
        image = np.pad(image, padding[:image.ndim], mode="constant", constant_values=0)
        window = (top_pad, left_pad, h + top_pad, w + left_pad)
    else:  # crop
        y = random.randint(0, h - min_dim)
        x = random.randint(0, w - min_dim)
        crop = (y, x, min_dim, min_dim)
        image = image[y:y + min_dim, x:x + min_dim]
        window = (0, 0, min_dim, min_dim)
    return image.astype(image_dtype), window, scale, padding, crop


############################################################
#  Masks
############################################################

def _zoom_nearest_indices(size_in, scale):
    """Output size and source index (-1 = outside, i.e. 0) of each output sample of
    scipy.ndimage.zoom(order=0, grid_mode=False, mode='constant') along one axis.

    Corner-aligned grid: sample i reads input coordinate i * (size_in - 1) / (size_out - 1).
    Float rounding can put the last coordinate a hair past the last pixel; scipy then
    returns the constant 0, so the last row/column of a zoomed mask is sometimes empty.
    matterport's masks had this quirk; it is reproduced here.
    """
    size_out = int(round(size_in * scale))
    zoom = (size_in - 1) / (size_out - 1) if size_out > 1 else 1.0
    coordinates = np.arange(size_out) * zoom
    indices = np.clip(np.floor(coordinates + 0.5).astype(np.intp), 0, max(size_in - 1, 0))
    indices[coordinates > size_in - 1] = -1
    return indices


def resize_mask(mask, scale, padding, crop=None):
    """Resize and pad (or crop) instance masks the way resize_image did the image.

    mask: [height, width, instances] (bool or numbers); scale, padding, crop: from
        resize_image.
    Returns: [new height, new width, instances], same dtype. Identical to matterport's
        scipy.ndimage.zoom(mask, [scale, scale, 1], order=0) + np.pad (or crop), done with
        index arithmetic.
    """
    mask = np.asarray(mask)
    row_indices = _zoom_nearest_indices(mask.shape[0], scale)
    col_indices = _zoom_nearest_indices(mask.shape[1], scale)
    zoomed = mask[np.maximum(row_indices, 0)][:, np.maximum(col_indices, 0)]
    zoomed[row_indices < 0] = 0
    zoomed[:, col_indices < 0] = 0
    if crop is not None:
        y, x, h, w = crop
        return zoomed[y:y + h, x:x + w]
    return np.pad(zoomed, padding[:zoomed.ndim], mode="constant", constant_values=0)


def minimize_mask(bbox, mask, mini_shape):
    """Crop each instance mask to its box and resize it to mini_shape (saves memory).

    bbox: [instances, (y1, x1, y2, x2)] pixels; mask: [height, width, instances];
    mini_shape: (height, width) of the mini masks, e.g. (56, 56).
    Returns: bool [mini_height, mini_width, instances]. Undo with expand_mask().
    """
    mini_mask = np.zeros(tuple(mini_shape) + (mask.shape[-1],), dtype=bool)
    for i in range(mask.shape[-1]):
        y1, x1, y2, x2 = bbox[i][:4]
        instance = mask[y1:y2, x1:x2, i].astype(bool)
        if instance.size == 0:
            raise ValueError(f"Invalid bounding box with area of zero: instance {i}, "
                             f"box {tuple(int(v) for v in bbox[i][:4])}")
        # Bilinear on 0/1 values, then rounded: the majority vote of the covered pixels.
        mini_mask[:, :, i] = np.around(resize(instance, mini_shape)).astype(bool)
    return mini_mask


def expand_mask(bbox, mini_mask, image_shape):
    """Paste mini masks back at their boxes in full-image masks (inverse of minimize_mask).

    bbox: [instances, (y1, x1, y2, x2)] pixels; mini_mask: [mini_h, mini_w, instances];
    image_shape: (height, width[, channels]).
    Returns: bool [height, width, instances].
    """
    mask = np.zeros(tuple(image_shape[:2]) + (mini_mask.shape[-1],), dtype=bool)
    for i in range(mask.shape[-1]):
        y1, x1, y2, x2 = bbox[i][:4]
        resized = resize(mini_mask[:, :, i], (y2 - y1, x2 - x1))
        mask[y1:y2, x1:x2, i] = np.around(resized).astype(bool)
    return mask


def mold_mask(mask, config):
    """Resize a box-cropped instance mask to the network's mask size (config.MASK_SHAPE).

    matterport left this as an empty stub that returned None; this is the natural
    inverse of unmold_mask, done as the training targets are made.
    mask: [h, w] bool or float mask already cropped to its box.
    Returns: float32 [MASK_SHAPE] of 0.0/1.0 (bilinear resize, then rounded).
    """
    resized = resize(np.asarray(mask).astype(np.float32), tuple(config.MASK_SHAPE))
    return np.round(resized).astype(np.float32)


def unmold_mask(mask, bbox, image_shape, out=None, threshold=0.5):
    """Turn a small network mask into a full-image binary mask.

    mask: [height, width] float, e.g. 28x28 probabilities.
    bbox: (y1, x1, y2, x2) pixels, the box the mask covers.
    image_shape: (height, width[, channels]) of the image.
    out: optional all-False bool [image height, image width] array (or view, e.g. one
        instance of an [H, W, N] stack) to paste into; only the box region is written.
    threshold: probability at and above which a pixel is inside (matterport: 0.5).
    Returns: bool [image height, image width] (``out`` when given): the mask resized to the
        box (bilinear), thresholded at ``threshold`` and pasted at the box. Parts of the box
        outside the image are dropped; an empty box gives an all-False mask.
    """
    y1, x1, y2, x2 = (int(value) for value in bbox[:4])
    full_mask = np.zeros(tuple(image_shape[:2]), dtype=bool) if out is None else out
    if y2 <= y1 or x2 <= x1:
        return full_mask
    box_mask = resize(mask, (y2 - y1, x2 - x1)) >= threshold
    # Clip to the image (matterport assumed boxes inside it).
    height, width = full_mask.shape
    top, left = max(y1, 0), max(x1, 0)
    bottom, right = min(y2, height), min(x2, width)
    if bottom > top and right > left:
        full_mask[top:bottom, left:right] = box_mask[top - y1:bottom - y1, left - x1:right - x1]
    return full_mask


############################################################
#  Anchors
############################################################

def generate_anchors(scales, ratios, shape, feature_stride, anchor_stride):
    """Anchor boxes of one feature map.

    scales: anchor side(s) in pixels, e.g. 32; ratios: width/height ratios, e.g. [0.5, 1, 2];
    shape: [height, width] of the feature map; feature_stride: image pixels per feature
    map cell; anchor_stride: place anchors every this many cells.
    Returns: [N, (y1, x1, y2, x2)] pixels, centred on cell corners (y*stride, x*stride);
        ordered by row, then column, then ratio (then scale).
    """
    scale_grid, ratio_grid = np.meshgrid(np.array(scales), np.array(ratios))
    scale_grid = scale_grid.flatten()
    ratio_grid = ratio_grid.flatten()
    heights = scale_grid / np.sqrt(ratio_grid)
    widths = scale_grid * np.sqrt(ratio_grid)
    centers_y = np.arange(0, shape[0], anchor_stride) * feature_stride
    centers_x = np.arange(0, shape[1], anchor_stride) * feature_stride
    centers_x, centers_y = np.meshgrid(centers_x, centers_y)
    # [positions, anchors per position] grids, then flattened to one row per anchor.
    box_widths, box_centers_x = np.meshgrid(widths, centers_x)
    box_heights, box_centers_y = np.meshgrid(heights, centers_y)
    box_centers = np.stack([box_centers_y, box_centers_x], axis=2).reshape([-1, 2])
    box_sizes = np.stack([box_heights, box_widths], axis=2).reshape([-1, 2])
    return np.concatenate([box_centers - 0.5 * box_sizes, box_centers + 0.5 * box_sizes], axis=1)


def generate_pyramid_anchors(scales, ratios, feature_shapes, feature_strides, anchor_stride):
    """Anchors of all pyramid levels, level by level (one scale per level).

    scales: one anchor size per level, e.g. (32, 64, 128, 256, 512); ratios: as in
    generate_anchors; feature_shapes: [levels, (height, width)]; feature_strides: [levels].
    Returns: [N, (y1, x1, y2, x2)] pixels. The COCO config (1024x1024, strides 4..64,
        3 ratios, anchor_stride 1) gives 261,888 anchors.
    """
    anchors = [
        generate_anchors(scales[level], ratios, feature_shapes[level], feature_strides[level],
                         anchor_stride)
        for level in range(len(scales))
    ]
    return np.concatenate(anchors, axis=0)


############################################################
#  Miscellaneous
############################################################

def trim_zeros(x):
    """Drop all-zero rows (padding) of a 2-D array, e.g. boxes [N, 4]."""
    if len(x.shape) != 2:
        raise ValueError(f"trim_zeros expects a 2-D array, got shape {x.shape}")
    return x[~np.all(x == 0, axis=1)]


def compute_matches(gt_boxes, gt_class_ids, gt_masks,
                    pred_boxes, pred_class_ids, pred_scores, pred_masks,
                    iou_threshold=0.5, score_threshold=0.0):
    """Match predictions to ground truth by mask IoU, highest score first.

    gt_boxes: [G, 4] (zero rows are padding and dropped); gt_class_ids: [G];
    gt_masks: [H, W, G]; pred_boxes: [P, 4]; pred_class_ids, pred_scores: [P];
    pred_masks: [H, W, P].
    iou_threshold: minimum mask IoU of a match; score_threshold: candidate ground truths
        with an IoU below this are not considered.
    Returns:
        gt_match: [G] index of the matched prediction (in score order) or -1.
        pred_match: [P] index of the matched ground truth, in score order, or -1.
        overlaps: [P, G] mask IoUs, predictions in score order.
    """
    gt_boxes = trim_zeros(gt_boxes)
    gt_masks = gt_masks[..., :gt_boxes.shape[0]]
    pred_boxes = trim_zeros(pred_boxes)
    pred_scores = pred_scores[:pred_boxes.shape[0]]
    order = np.argsort(pred_scores)[::-1]
    pred_boxes = pred_boxes[order]
    pred_class_ids = pred_class_ids[order]
    pred_scores = pred_scores[order]
    pred_masks = pred_masks[..., order]

    overlaps = compute_overlaps_masks(pred_masks, gt_masks)

    pred_match = -1 * np.ones([pred_boxes.shape[0]])
    gt_match = -1 * np.ones([gt_boxes.shape[0]])
    for i in range(len(pred_boxes)):
        # Candidate ground truths, best IoU first, cut at the first one below score_threshold.
        candidates = np.argsort(overlaps[i])[::-1]
        too_low = np.where(overlaps[i, candidates] < score_threshold)[0]
        if too_low.size > 0:
            candidates = candidates[:too_low[0]]
        for j in candidates:
            if gt_match[j] > -1:
                continue  # already taken by a higher-scoring prediction
            if overlaps[i, j] < iou_threshold:
                break
            if pred_class_ids[i] == gt_class_ids[j]:
                gt_match[j] = i
                pred_match[i] = j
                break
    return gt_match, pred_match, overlaps


def compute_ap(gt_boxes, gt_class_ids, gt_masks,
               pred_boxes, pred_class_ids, pred_scores, pred_masks,
               iou_threshold=0.5):
    """Average precision at one mask-IoU threshold (VOC-style, all points interpolated).

    Arguments as compute_matches.
    Returns:
        mAP: the area under the interpolated precision/recall curve.
        precisions: [P + 2] interpolated precisions (padded with 0 at both ends).
        recalls: [P + 2] recalls (padded with 0 and 1).
        overlaps: [P, G] mask IoUs.
    """
    gt_match, pred_match, overlaps = compute_matches(
        gt_boxes, gt_class_ids, gt_masks, pred_boxes, pred_class_ids, pred_scores, pred_masks,
        iou_threshold)
    true_positives = np.cumsum(pred_match > -1)
    precisions = true_positives / (np.arange(len(pred_match)) + 1)
    # float32 division as matterport, so the returned numbers are identical.
    recalls = true_positives.astype(np.float32) / len(gt_match)
    precisions = np.concatenate([[0], precisions, [0]])
    recalls = np.concatenate([[0], recalls, [1]])
    # Each precision becomes the best precision at this or any higher recall.
    precisions = np.maximum.accumulate(precisions[::-1])[::-1]
    steps = np.where(recalls[:-1] != recalls[1:])[0] + 1
    mAP = np.sum((recalls[steps] - recalls[steps - 1]) * precisions[steps])
    return mAP, precisions, recalls, overlaps


def compute_ap_range(gt_box, gt_class_id, gt_mask,
                     pred_box, pred_class_id, pred_score, pred_mask,
                     iou_thresholds=None, verbose=1):
    """AP averaged over IoU thresholds (default 0.5:0.95 in steps of 0.05, COCO style).

    Arguments as compute_ap; verbose prints each AP. Returns the mean AP (float).
    """
    if iou_thresholds is None:
        iou_thresholds = np.arange(0.5, 1.0, 0.05)
    ap_values = []
    for iou_threshold in iou_thresholds:
        ap, _, _, _ = compute_ap(gt_box, gt_class_id, gt_mask, pred_box, pred_class_id,
                                 pred_score, pred_mask, iou_threshold=iou_threshold)
        if verbose:
            print(f"AP @{iou_threshold:.2f}:\t {ap:.3f}")
        ap_values.append(ap)
    mean_ap = np.array(ap_values).mean()
    if verbose:
        print(f"AP @{iou_thresholds[0]:.2f}-{iou_thresholds[-1]:.2f}:\t {mean_ap:.3f}")
    return mean_ap


def compute_recall(pred_boxes, gt_boxes, iou):
    """Recall of ground-truth boxes by predicted boxes.

    pred_boxes: [P, (y1, x1, y2, x2)]; gt_boxes: [G, (y1, x1, y2, x2)]; iou: threshold.
    Returns:
        recall: fraction of ground-truth boxes that are the best match (IoU >= iou) of at
            least one prediction.
        positive_ids: indices of the predictions with IoU >= iou with some ground truth.
    """
    overlaps = compute_overlaps(pred_boxes, gt_boxes)
    iou_max = np.max(overlaps, axis=1)
    iou_argmax = np.argmax(overlaps, axis=1)
    positive_ids = np.where(iou_max >= iou)[0]
    matched_gt_boxes = iou_argmax[positive_ids]
    recall = len(set(matched_gt_boxes)) / gt_boxes.shape[0]
    return recall, positive_ids


def norm_boxes(boxes, shape):
    """Pixel boxes -> normalised boxes.

    boxes: [N, (y1, x1, y2, x2)] pixels, (y2, x2) outside the box.
    shape: (height, width[, ...]) of the image.
    Returns: float32 [N, (y1, x1, y2, x2)] normalised, (y2, x2) inside the box:
        (boxes - [0, 0, 1, 1]) / [h - 1, w - 1, h - 1, w - 1].
    """
    h, w = shape[:2]
    scale = np.array([h - 1, w - 1, h - 1, w - 1])
    shift = np.array([0, 0, 1, 1])
    return np.divide((boxes - shift), scale).astype(np.float32)


def denorm_boxes(boxes, shape):
    """Normalised boxes -> pixel boxes (inverse of norm_boxes).

    boxes: [N, (y1, x1, y2, x2)] normalised; shape: (height, width[, ...]).
    Returns: int32 [N, (y1, x1, y2, x2)] pixels, rounded, (y2, x2) outside the box.
    """
    h, w = shape[:2]
    scale = np.array([h - 1, w - 1, h - 1, w - 1])
    shift = np.array([0, 0, 1, 1])
    return np.around(np.multiply(boxes, scale) + shift).astype(np.int32)


def download_trained_weights(coco_model_path, verbose=1):
    """Kept for matterport API compatibility; this library never downloads anything.

    If `coco_model_path` already exists it is left alone (returns its path). Otherwise
    raises FileNotFoundError saying where the file must go and where to get it:
    mask_rcnn_coco.h5 from https://github.com/matterport/Mask_RCNN/releases (v2.0).
    """
    path = os.path.abspath(os.fspath(coco_model_path))
    if os.path.isfile(path):
        if verbose > 0:
            print(f"COCO weights already present: {path}")
        return path
    raise FileNotFoundError(
        f"COCO weights not found at '{path}': this library does not download files; "
        f"get mask_rcnn_coco.h5 from matterport's GitHub releases page "
        f"({COCO_RELEASES_PAGE}, release v2.0) by hand and save it at that path"
    )


############################################################
#  Graph utilities (TensorFlow), kept here for matterport compatibility
############################################################

def batch_slice(inputs, graph_fn, batch_size, names=None):
    """Run ``graph_fn`` on each item of a batch and stack the results.

    inputs: a tensor or list of tensors, all with batch size ``batch_size`` on axis 0.
    graph_fn: called with one item of each input; returns a tensor or a list of tensors.
    names: optional names of the stacked outputs.
    Returns the stacked output(s), batch axis first.
    """
    import tensorflow as tf

    if not isinstance(inputs, list):
        inputs = [inputs]
    outputs = []
    for i in range(batch_size):
        output_slice = graph_fn(*[x[i] for x in inputs])
        if not isinstance(output_slice, (tuple, list)):
            output_slice = [output_slice]
        outputs.append(output_slice)
    # Per-item outputs -> per-output lists of items.
    outputs = list(zip(*outputs))
    if names is None:
        names = [None] * len(outputs)
    result = [tf.stack(o, axis=0, name=n) for o, n in zip(outputs, names)]
    return result[0] if len(result) == 1 else result


def box_refinement_graph(box, gt_box):
    """Deltas [N, (dy, dx, log(dh), log(dw))] from box [N, 4] to gt_box [N, 4] (TensorFlow)."""
    from .modeling.box_ops import box_refinement_graph as graph_fn
    return graph_fn(box, gt_box)
