"""The photo pipeline: read a photo, detect its logos, hide them, write the result.

``erase_logos(model, image, ...)`` detects with a loaded model (``logo_eraser.models
.load_eraser_model``) at one or several input sizes and hides every logo whose class is not
kept; ``erase_detections`` is its hiding half for detections made elsewhere. ``erase_photo``
does one file end to end (read, erase, write atomically) and returns the JSON record the
command line writes with ``--json``. Given a ``text_finder`` (`logo_eraser.text_hiding
.TextFinder`), the text it picks (brand names read in the photo) is hidden too, with the same
style, merged with the detections.
"""

import numpy as np

from mrcnn import image_io
from mrcnn.cli import UsageError, one_line

from .hiding import DEFAULT_REGION, DEFAULT_SEED, DEFAULT_STYLE, default_dilation, hide_instances
from .text_hiding import describe_text, text_detections

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


def resolve_keep(keep_names, class_names, brands=None):
    """Map user class names (case-insensitive) to class ids of ``class_names`` (BG first).

    brands: a brand_names.BrandLexicon when text is hidden too: a name that is no class but
    one of its brands is accepted (it keeps that brand's text) and gives no id.
    Returns a sorted list of ids. Raises UsageError listing the valid names for an unknown one.
    """
    by_lower = {name.lower(): class_id for class_id, name in enumerate(class_names) if class_id}
    unknown = [name for name in keep_names if name.lower() not in by_lower
               and (brands is None or name not in brands)]
    if unknown:
        raise UsageError(f"--keep: unknown class {', '.join(repr(n) for n in unknown)}; valid "
                         f"names: {', '.join(class_names[1:])}"
                         + (", or a brand name (simple-icons, FlickrLogos-47, --brands-file)"
                            if brands is not None else ""))
    return sorted({by_lower[name.lower()] for name in keep_names if name.lower() in by_lower})


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
                seed=DEFAULT_SEED, region=DEFAULT_REGION, image_sizes=None, text_regions=()):
    """Detect logos with ``model`` (from load_eraser_model) and hide all but the kept classes.

    image: [H, W, 3] uint8 RGB photo (any size: detect() shrinks a copy to the model's input and
    returns full-resolution masks). keep_class_ids: class ids left visible. style, dilate, seed,
    region: as hide_instances. image_sizes: input sizes to detect at and merge
    (``MaskRCNN.detect_multiscale``; None: the config's TEST_IMAGE_SIZES, e.g. the shipped
    logo model's 192/256/320, or its single size). text_regions: text_hiding.TextRegion list
    (TextFinder.find on ``image``); the hidden ones are hidden as well.
    Returns (hidden image [H, W, 3] uint8, detections: list of dicts as describe_detections,
    dilate actually used in px).
    """
    result = model.detect_multiscale([image], image_sizes=image_sizes, verbose=0)[0]
    return erase_detections(image, result, model.config, style=style,
                            keep_class_ids=keep_class_ids, dilate=dilate, seed=seed,
                            region=region, text_regions=text_regions)


def erase_detections(image, result, config, style=DEFAULT_STYLE, keep_class_ids=(), dilate=None,
                     seed=DEFAULT_SEED, region=DEFAULT_REGION, text_regions=()):
    """The hiding half of erase_logos, for a detect() ``result`` on ``image`` (dict with
    "rois", "class_ids", "scores", "masks") from a model with ``config``, and the hidden
    ``text_regions`` (their grown polygons, hidden in the same pass: where a word and a logo
    overlap, the larger one's treatment wins). Same returns."""
    if dilate is None:
        dilate = default_dilation(image.shape, int(config.IMAGE_MAX_DIM))
    hidden = ~np.isin(result["class_ids"], np.asarray(list(keep_class_ids), dtype=np.int64))
    boxes, masks = result["rois"], result["masks"]
    instances = np.flatnonzero(hidden)
    text = text_detections(text_regions, image.shape)
    if len(text["rois"]):  # the hidden detections, then the text
        boxes = np.concatenate([np.asarray(boxes, np.int64).reshape(-1, 4)[instances],
                                text["rois"]])
        masks = np.concatenate([np.asarray(masks)[:, :, instances], text["masks"]], axis=2)
        instances = None
    output = hide_instances(image, boxes, masks, style=style, dilate=dilate, seed=seed,
                            region=region, instances=instances)
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
                image_sizes=None, text_finder=None):
    """Read ``image_path`` (unless its pixels are given as ``image``, [H, W, 3] uint8 RGB),
    hide its logos (`erase_logos`) and, with a ``text_finder`` (text_hiding.TextFinder), the
    text it picks; write ``output_path``.

    Returns the photo's JSON record: paths, height/width in pixels, the options used
    ("image_sizes": the sizes detected at; "min_confidence": the model's threshold),
    "detections" (describe_detections) and, with a text_finder, "text"
    (text_hiding.describe_text: what was read and why each region was hidden or kept). Raises
    UsageError naming the file it cannot read or write; nothing is written then.
    """
    if image is None:
        image = read_photo(image_path)
    text_regions = text_finder.find(image) if text_finder is not None else []
    pixels, detections, dilate = erase_logos(
        model, image, style=style, keep_class_ids=keep_class_ids, dilate=dilate, seed=seed,
        region=region, image_sizes=image_sizes, text_regions=text_regions)
    write_photo(output_path, pixels, protect=image_path)
    config = model.config
    record = {"image": image_path, "output": output_path,
              "height": int(image.shape[0]), "width": int(image.shape[1]),
              "style": style, "region": region, "dilate_px": int(dilate),
              "image_sizes": detection_sizes(config, image_sizes),
              "min_confidence": float(config.DETECTION_MIN_CONFIDENCE), "detections": detections}
    if text_finder is not None:
        record["text"] = describe_text(text_finder.mode, text_finder.lines, text_regions,
                                       image.shape)
    return record
