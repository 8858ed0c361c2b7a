"""Fast pixel renderer: draws detections straight into image arrays with NumPy/OpenCV.

* :func:`draw_instances` renders masks, boxes and "name score" labels into a new ``uint8``
  image, for scripts and video where a matplotlib figure is too slow;
* :func:`draw_box` (matterport's) draws a 2-pixel box outline into an array, in place.

Importing this module does not import matplotlib.

Conventions: images are RGB ``[H, W, 3]``; boxes are ``[N, (y1, x1, y2, x2)]`` in pixels with
``y2``/``x2`` exclusive; instance masks are ``[H, W, N]`` bool; colours are RGB floats in 0..1.
"""

import cv2
import numpy as np

from .colors import apply_mask, random_colors


############################################################
#  Fast pixel renderer (no matplotlib)
############################################################

def draw_box(image, box, color):
    """Draw a 2-pixel-wide box outline into an image array, in place.

    image: [H, W, C] array. box: (y1, x1, y2, x2) int pixels.
    color: value(s) assigned to the outline pixels, in the image's units (e.g. 0..255).
    Returns the image.
    """
    y1, x1, y2, x2 = (int(v) for v in box)
    image[y1:y1 + 2, x1:x2] = color
    image[y2:y2 + 2, x1:x2] = color
    image[y1:y2, x1:x1 + 2] = color
    image[y1:y2, x2:x2 + 2] = color
    return image


def _as_rgb_uint8(image):
    """Return a uint8 [H, W, 3] copy of an RGB, RGBA or greyscale image."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[:, :, np.newaxis]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ValueError(f"draw_instances: image must be [H, W], [H, W, 1], [H, W, 3] or "
                         f"[H, W, 4], got shape {image.shape}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif image.shape[2] == 4:
        image = image[:, :, :3]
    if image.dtype != np.uint8:
        image = np.clip(np.rint(image.astype(np.float64)), 0, 255)
    return image.astype(np.uint8, copy=True)


def draw_instances(image, boxes, masks, class_ids, class_names, scores=None,
                   colors=None, show_mask=True, show_bbox=True):
    """Render instances into a new image with NumPy/OpenCV (no matplotlib; fast).

    image: [H, W, 3] RGB (greyscale or RGBA are converted), uint8 or 0..255 floats.
    boxes: [N, (y1, x1, y2, x2)] pixels, y2/x2 exclusive; all-zero rows are skipped.
    masks: [H, W, N] bool instance masks (or None to draw boxes only).
    class_ids: [N] ints indexing ``class_names``.
    scores: optional [N] scores; labels read "name 0.97" (just "name" without scores).
    colors: optional list of N RGB(A) floats 0..1; default is a fixed, seeded palette so the
        same call always gives the same picture.
    show_mask: blend each mask at 50% and outline it; show_bbox: draw the box outline.
    The "name score" label, on a filled background, is always drawn at the box's corner.
    Line width and font size scale with the image so labels stay readable at any size.
    Returns: [H, W, 3] uint8, a new array; with zero instances a copy of the input.
    """
    canvas = _as_rgb_uint8(image)
    boxes = np.zeros((0, 4)) if boxes is None else np.asarray(boxes)
    count = boxes.shape[0]
    if count == 0:
        return canvas
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"draw_instances: boxes must be [N, 4], got shape {boxes.shape}")
    if len(class_ids) != count:
        raise ValueError(f"draw_instances: {count} boxes but {len(class_ids)} class_ids")
    if masks is not None:
        masks = np.asarray(masks)
        if masks.ndim != 3 or masks.shape[2] != count or masks.shape[:2] != canvas.shape[:2]:
            raise ValueError(f"draw_instances: masks must be [H, W, N] = "
                             f"{canvas.shape[:2] + (count,)}, got shape {masks.shape}")
    if scores is not None and len(scores) != count:
        raise ValueError(f"draw_instances: {count} boxes but {len(scores)} scores")
    if colors is None:
        colors = random_colors(count, seed=0)
    elif len(colors) < count:
        raise ValueError(f"draw_instances: {count} instances but {len(colors)} colors")

    height, width = canvas.shape[:2]
    # ~2 px lines and a 0.5 font at 640 px; grow with the long side.
    size_factor = max(height, width) / 640.0
    thickness = max(1, int(round(2 * size_factor)))
    font_scale = max(0.35, 0.5 * size_factor)
    font_thickness = max(1, int(round(size_factor)))
    font = cv2.FONT_HERSHEY_SIMPLEX
    colors_01 = [np.asarray(color, dtype=np.float64)[:3] for color in colors[:count]]
    colors_255 = [tuple(float(c) * 255 for c in color) for color in colors_01]

    # Masks first, so boxes and labels stay on top of every blend.
    if show_mask and masks is not None:
        blended = canvas.astype(np.float32)
        for i in range(count):
            apply_mask(blended, masks[:, :, i], colors_01[i], alpha=0.5)
        canvas = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
        for i in range(count):
            contours, _ = cv2.findContours(masks[:, :, i].astype(np.uint8),
                                           cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(canvas, contours, -1, colors_255[i], thickness, cv2.LINE_AA)

    # Labels are drawn even without boxes, like display_instances' captions.
    for i in range(count):
        if not np.any(boxes[i]):
            continue  # padding
        y1, x1, y2, x2 = (int(round(v)) for v in boxes[i])
        if show_bbox:
            cv2.rectangle(canvas, (x1, y1), (x2 - 1, y2 - 1), colors_255[i], thickness)

        label = str(class_names[int(class_ids[i])])
        if scores is not None:
            label = "{} {:.2f}".format(label, float(scores[i]))
        (text_w, text_h), baseline = cv2.getTextSize(label, font, font_scale,
                                                     font_thickness)
        pad = max(1, thickness)
        label_h = text_h + baseline + 2 * pad
        # Above the box when there is room, else just inside its top edge.
        top = y1 - label_h if y1 - label_h >= 0 else max(y1, 0)
        left = min(max(x1, 0), max(width - text_w - 2 * pad, 0))
        cv2.rectangle(canvas, (left, top), (left + text_w + 2 * pad, top + label_h),
                      colors_255[i], cv2.FILLED)
        # Dark text on light fills, white on dark ones (Rec. 601 luma).
        r, g, b = colors_255[i]
        text_color = (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else \
            (255, 255, 255)
        cv2.putText(canvas, label, (left + pad, top + pad + text_h), font, font_scale,
                    text_color, font_thickness, cv2.LINE_AA)
    return canvas
