"""The photo pipeline: read a photo, detect its logos, hide them, write the result.

``erase_logos(model, image, ...)`` detects with a loaded model (``logo_eraser.models
.load_eraser_model``) at one or several input sizes and hides every logo whose class is not
kept; ``erase_detections`` is its hiding half for detections made elsewhere. ``erase_photo``
does one file end to end (read, erase, write atomically) and returns the JSON record the
command line writes with ``--json``.
"""

import numpy as np

from mrcnn import image_io
from mrcnn.cli import UsageError, one_line

from .hiding import DEFAULT_REGION, DEFAULT_SEED, DEFAULT_STYLE, default_dilation, hide_instances

# Detections scoring below this are ignored: the brands model's (and the original eraser's)
# default; the shipped logo model has its own, LogoInferenceConfig.DETECTION_MIN_CONFIDENCE.
DEFAULT_MIN_CONFIDENCE = 0.7
# Pictures the pipeline writes (what mrcnn.image_io.write_image_atomic supports).
OUTPUT_EXTENSIONS = image_io.WRITE_EXTENSIONS


def detection_sizes(config, image_sizes=None):
    """The input sizes (px) a photo is detected at: ``image_sizes`` if given, else the model's
    own (``config.TEST_IMAGE_SIZES``, else its single ``IMAGE_MAX_DIM``). A list of ints."""
    return [int(size) for size in (image_sizes or config.TEST_IMAGE_SIZES
                                   or [config.IMAGE_MAX_DIM])]


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


def read_photo(path):
    """The photo at ``path`` as [H, W, 3] uint8 RGB (grayscale, RGBA, 16-bit converted);
    UsageError naming the file when it cannot be read."""
    try:
        return image_io.read_image(path)
    except image_io.ImageReadError as error:
        raise UsageError(one_line(error)) from None


def write_photo(path, pixels, protect):
    """Write [H, W, 3] uint8 RGB ``pixels`` to ``path`` (PNG or JPEG by extension) atomically,
    never over ``protect`` (the input); UsageError naming the file when it cannot be written."""
    try:
        image_io.write_image_atomic(path, pixels, protect=protect)
    except image_io.ImageWriteError as error:  # already names the file
        raise UsageError(one_line(error)) from None


def erase_photo(model, image_path, output_path, image=None, style=DEFAULT_STYLE,
                keep_class_ids=(), dilate=None, seed=DEFAULT_SEED, region=DEFAULT_REGION,
                image_sizes=None):
    """Read ``image_path`` (unless its pixels are given as ``image``, [H, W, 3] uint8 RGB),
    hide its logos (`erase_logos`), write ``output_path``.

    Returns the photo's JSON record: paths, height/width in pixels, the options used
    ("image_sizes": the sizes detected at; "min_confidence": the model's threshold) and
    "detections" (describe_detections). Raises UsageError naming the file it cannot read or
    write; nothing is written then.
    """
    if image is None:
        image = read_photo(image_path)
    pixels, detections, dilate = erase_logos(
        model, image, style=style, keep_class_ids=keep_class_ids, dilate=dilate, seed=seed,
        region=region, image_sizes=image_sizes)
    write_photo(output_path, pixels, protect=image_path)
    config = model.config
    return {"image": image_path, "output": output_path,
            "height": int(image.shape[0]), "width": int(image.shape[1]),
            "style": style, "region": region, "dilate_px": int(dilate),
            "image_sizes": detection_sizes(config, image_sizes),
            "min_confidence": float(config.DETECTION_MIN_CONFIDENCE), "detections": detections}
