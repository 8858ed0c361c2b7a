"""Warps and compositing: bending a styled mark onto a surface (cylinders, cloth folds),
projecting it (rotation, shear, perspective), pasting it into the photo with light and the
surface's texture, and pasting occluders; each returns the exact pixels it covers.

A pixel belongs to a mark or occluder when its warped alpha is at least COVERAGE_THRESHOLD.
"""

import dataclasses

import cv2
import numpy as np

from .artwork import _icon_coverage, _object_pixels
from .rendering import render_wordmark, style_artwork
from .textures import _random_colour, photo_background, procedural_background

COVERAGE_THRESHOLD = 0.25        # alpha at and above which a pixel belongs to a mark (low, so
                                 # that thin strokes of small marks are not left out)
MIN_LOGO_SIDE = 12               # pixels, longer side of the smallest mark
MAX_LOGO_FRACTION = 0.6          # of the photo's longer side, for the largest mark


def _surface_warp(premultiplied, alpha, rng):
    """Bend a patch onto a cylinder (can, bottle; vertical or horizontal axis) or cloth folds,
    or leave it flat. Returns (premultiplied RGB, alpha), with shading and highlights."""
    kind = rng.choice(["flat", "cylinder", "cloth"], p=[0.5, 0.3, 0.2])
    if kind == "flat":
        return premultiplied, alpha
    transpose = kind == "cylinder" and rng.random() < 0.25
    if transpose:
        premultiplied, alpha = premultiplied.transpose(1, 0, 2), alpha.T
    height, width = alpha.shape
    layers = np.dstack([premultiplied, alpha])
    if kind == "cylinder":
        half_angle = np.deg2rad(rng.uniform(25, 65))
        out_width = max(2, int(round(width * np.sin(half_angle) / half_angle)))
        u = (np.arange(out_width, dtype=np.float32) + 0.5) / out_width * 2 - 1
        angle = np.arcsin(np.clip(u * np.sin(half_angle), -1, 1))
        source_x = (angle / half_angle + 1) / 2 * width - 0.5
        bow = rng.uniform(-0.08, 0.08) * height           # top/bottom seen from above or below
        pad = int(abs(bow)) + 1
        yy = np.arange(height + 2 * pad, dtype=np.float32)[:, None] - pad
        map_y = yy - bow * (np.cos(angle)[None, :] - np.cos(half_angle))
        map_x = np.broadcast_to(source_x[None, :], map_y.shape)
        warped = cv2.remap(layers, np.ascontiguousarray(map_x, np.float32),
                           np.ascontiguousarray(map_y, np.float32), cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        light = rng.uniform(-0.6, 0.6)
        shade = 0.55 + 0.45 * np.clip(np.cos(angle - light), 0, 1)
        highlight = rng.uniform(0, 0.4) * np.exp(-((angle - light * 0.8) / 0.12) ** 2)
        warped[..., :3] = warped[..., :3] * shade[None, :, None] + \
            highlight[None, :, None] * warped[..., 3:4]
    else:
        amplitude = rng.uniform(0.02, 0.06) * height
        wavelength = rng.uniform(0.3, 0.9) * width
        phase = rng.uniform(0, 2 * np.pi)
        pad = int(amplitude) + 2
        layers = np.pad(layers, ((pad, pad), (0, 0), (0, 0)))
        y, x = np.mgrid[0:height + 2 * pad, 0:width].astype(np.float32)
        wave = np.sin(2 * np.pi * x / wavelength + phase)
        map_y = y + amplitude * wave
        map_x = x + 0.3 * amplitude * np.sin(2 * np.pi * y / wavelength + phase)
        warped = cv2.remap(layers, map_x, map_y, cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        fold_shade = 1 + rng.uniform(0.1, 0.3) * np.cos(2 * np.pi * x / wavelength + phase)
        warped[..., :3] *= fold_shade[..., None]
    premultiplied, alpha = warped[..., :3], warped[..., 3]
    if transpose:
        premultiplied, alpha = premultiplied.transpose(1, 0, 2), alpha.T
    return np.ascontiguousarray(premultiplied), np.ascontiguousarray(alpha)


def _projection(height, width, rng):
    """A homography of a [height, width] patch centred on the origin: rotation, anisotropic
    scale, shear and perspective. Returns (3x3 float64, destination corners [4, 2])."""
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    centred = corners - [width / 2, height / 2]
    rotation = rng.normal(0, 12) if rng.random() < 0.85 else rng.uniform(-60, 60)
    theta = np.deg2rad(rotation)
    stretch = rng.uniform(0.85, 1.15)
    shear = rng.uniform(-0.3, 0.3) if rng.random() < 0.15 else 0.0
    linear = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]) @ \
        np.array([[stretch, shear], [0, 1 / stretch]])
    destination = centred @ linear.T
    if rng.random() < 0.5:      # perspective: move the corners independently
        size = max(height, width)
        destination += rng.uniform(-0.1, 0.1, (4, 2)) * size
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32),
                                         destination.astype(np.float32))
    return matrix, destination


def _box_overlaps(box, boxes):
    """True when box (x1, y1, x2, y2) overlaps one of ``boxes`` by more than a small part."""
    for other in boxes:
        inter_w = min(box[2], other[2]) - max(box[0], other[0])
        inter_h = min(box[3], other[3]) - max(box[1], other[1])
        if inter_w <= 0 or inter_h <= 0:
            continue
        smaller = min((box[2] - box[0]) * (box[3] - box[1]),
                      (other[2] - other[0]) * (other[3] - other[1]))
        if inter_w * inter_h > 0.15 * smaller:
            return True
    return False


@dataclasses.dataclass
class _Layer:
    """A mark or occluder pasted into the photo: its full-frame coverage and bookkeeping."""

    coverage: np.ndarray      # [H, W] bool, pixels at or above COVERAGE_THRESHOLD in the photo
    full_area: int            # those pixels counted before the photo border cropped them
    frame_area: int           # and after (before anything hid them)
    class_id: object          # dataset id, None for distractors and occluders
    brand: object
    box: tuple                # (x1, y1, x2, y2) of the warped patch, may exceed the photo


def _finish(alpha, region, rng):
    """A metal or relief finish for a mark of coverage ``alpha`` [h, w] over ``region``
    [h, w, 3] (0..1): a chrome badge (grey bands and a bevel lit from one side: car and
    appliance emblems) or the surface itself pressed or printed tone-on-tone (embossed
    leather, moulded plastic, a racket's painted strings). Returns premultiplied RGB."""
    sigma = max(0.7, 0.03 * max(alpha.shape))
    soft = cv2.GaussianBlur(alpha, (0, 0), sigma)
    grad_y, grad_x = np.gradient(soft)
    light = rng.uniform(0, 2 * np.pi)
    # A blurred step's steepest slope is about 0.4 / sigma: this maps the bevel to about +-1.
    bevel = np.clip((grad_x * np.cos(light) + grad_y * np.sin(light)) * 2.5 * sigma, -1, 1)
    if rng.random() < 0.5:      # chrome
        t = np.linspace(0, 1, alpha.shape[0], dtype=np.float32)[:, None]
        bands = rng.uniform(0.45, 0.75) + 0.3 * np.cos(
            2 * np.pi * (t * rng.uniform(0.5, 1.5) + rng.uniform(0, 1)))
        grey = np.clip(bands + rng.uniform(0.25, 0.5) * bevel, 0, 1)
        tint = 1 + rng.uniform(-0.06, 0.06, 3).astype(np.float32)
        colour = grey[..., None] * tint
    else:                       # relief or tone-on-tone
        tone = rng.choice([rng.uniform(0.6, 0.85), rng.uniform(1.15, 1.4), 1.0])
        colour = region * (tone + rng.uniform(0.3, 0.8) * bevel)[..., None]
    return (np.clip(colour, 0, 1) * alpha[..., None]).astype(np.float32)


def _place_mark(photo, artwork, library, split, boxes, rng, plates=0.0,
                max_fraction=MAX_LOGO_FRACTION, finishes=0.0):
    """Render, warp, light and paste one artwork into ``photo`` ([H, W, 3] float32, changed in
    place), on a plate with chance ``plates``, in a metal or relief finish (_finish) with
    chance ``finishes``. Returns (coverage [H, W] bool, pixels before and
    after cropping to the photo, box, painted [H, W] bool: coverage and plate) or None when it
    found no place."""
    height, width = photo.shape[:2]
    if artwork.kind == "icon":
        coverage = _icon_coverage(library.icon_files[artwork.source])
    else:
        fonts = library.fonts[split]
        coverage = render_wordmark(artwork.source, fonts[rng.integers(len(fonts))], rng)
    premultiplied, alpha = style_artwork(coverage, artwork.colour, rng, artwork.kind)

    longest = max(height, width)
    # Log-uniform sizes; a third of the draws from 12 px up, the rest from 32 px up, so that
    # tiny marks are common but not the majority.
    smallest = MIN_LOGO_SIDE if rng.random() < 0.35 else 32
    target = float(np.exp(rng.uniform(np.log(smallest), np.log(max_fraction * longest))))
    allow_truncation = rng.random() < 0.12
    for _ in range(12):
        scale = target / max(alpha.shape)
        size = (max(2, int(round(alpha.shape[1] * scale))),
                max(2, int(round(alpha.shape[0] * scale))))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        patch_rgb = cv2.resize(premultiplied, size, interpolation=interpolation)
        patch_alpha = cv2.resize(alpha, size, interpolation=interpolation)
        patch_rgb, patch_alpha = _surface_warp(patch_rgb, patch_alpha, rng)
        matrix, corners = _projection(*patch_alpha.shape, rng)
        low, high = corners.min(axis=0), corners.max(axis=0)
        box_w, box_h = high - low
        if box_w > width or box_h > height:
            target *= 0.75
            continue
        slack = 0.35 if allow_truncation else 0.0
        x0 = rng.uniform(-slack * box_w, width - box_w * (1 - slack))
        y0 = rng.uniform(-slack * box_h, height - box_h * (1 - slack))
        box = (x0, y0, x0 + box_w, y0 + box_h)
        if _box_overlaps(box, boxes):
            target *= 0.9
            continue
        break
    else:
        return None

    plate = None
    if plates and rng.random() < plates:
        plate = _paste_plate(photo, corners - low + (x0, y0), rng)
    # Warp into the patch's own window (unclipped), then crop that to the photo.
    left, top = int(np.floor(x0)), int(np.floor(y0))
    window_w, window_h = int(np.ceil(box_w)) + 2, int(np.ceil(box_h)) + 2
    shift = np.array([[1, 0, x0 - low[0] - left], [0, 1, y0 - low[1] - top], [0, 0, 1]])
    layers = cv2.warpPerspective(np.dstack([patch_rgb, patch_alpha]), shift @ matrix,
                                 (window_w, window_h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    full_area = int((layers[..., 3] >= COVERAGE_THRESHOLD).sum())
    y1, x1 = max(top, 0), max(left, 0)
    y2, x2 = min(top + window_h, height), min(left + window_w, width)
    if full_area == 0 or y2 <= y1 or x2 <= x1:
        return None if plate is None else _empty_mark(plate)
    layers = layers[y1 - top:y2 - top, x1 - left:x2 - left]
    rgb, alpha = layers[..., :3], np.clip(layers[..., 3], 0, 1)
    region = photo[y1:y2, x1:x2]
    if finishes and rng.random() < finishes:
        rgb = _finish(alpha, region, rng)

    # Light and surface: a brightness ramp across the mark and the background's fine texture.
    ramp_y, ramp_x = np.mgrid[0:y2 - y1, 0:x2 - x1].astype(np.float32)
    direction = rng.uniform(-1, 1, 2)
    ramp = (ramp_x * direction[0] + ramp_y * direction[1]) / max(x2 - x1, y2 - y1, 1)
    light = rng.uniform(0.75, 1.1) * (1 + rng.uniform(0, 0.3) * (ramp - ramp.mean()))
    luminance = region @ np.array([0.299, 0.587, 0.114], np.float32)
    texture = luminance - cv2.GaussianBlur(luminance, (0, 0), 2.0)
    rgb = rgb * (light * (1 + rng.uniform(0, 0.8) * texture))[..., None]
    opacity = 1.0 if rng.random() < 0.6 else rng.uniform(0.8, 1.0)
    before = region.copy()
    region[:] = np.clip(region * (1 - opacity * alpha[..., None]) + opacity * rgb, 0, 1)

    coverage_window = alpha >= COVERAGE_THRESHOLD
    if not coverage_window.any():
        region[:] = before
        return None if plate is None else _empty_mark(plate)
    # A mark that cannot be seen against its background would be label noise: undo it (a
    # plate stays, as a blank sign).
    contrast = np.abs(region - before).max(axis=2)[coverage_window].mean()
    if contrast < 0.08:
        region[:] = before
        return None if plate is None else _empty_mark(plate)
    coverage_frame = np.zeros((height, width), bool)
    coverage_frame[y1:y2, x1:x2] = coverage_window
    painted = coverage_frame if plate is None else coverage_frame | plate
    return coverage_frame, full_area, int(coverage_window.sum()), box, painted


def _empty_mark(plate):
    """What _place_mark returns for a plate without a visible mark: nothing labelled, but the
    plate hides what lies beneath."""
    return np.zeros_like(plate), 0, 0, None, plate


def _paste_plate(photo, quad, rng):
    """Paint a sign, badge or label under a mark: the mark's warped quadrilateral ``quad``
    ([4, 2] photo x, y), grown by a margin, as a rounded quadrilateral or an ellipse; a flat,
    brushed-metal or two-tone fill with a rim. Changes ``photo`` in place; returns its coverage
    [H, W] bool."""
    height, width = photo.shape[:2]
    centre = quad.mean(axis=0)
    grown = centre + (quad - centre) * rng.uniform(1.1, 1.6, (1, 2))
    canvas = np.zeros((height, width), np.uint8)
    if rng.random() < 0.3:
        axes = np.abs(grown - centre).max(axis=0)
        cv2.ellipse(canvas, (int(centre[0]), int(centre[1])),
                    (max(2, int(axes[0])), max(2, int(axes[1]))), 0, 0, 360, 255, -1,
                    cv2.LINE_AA)
    else:
        cv2.fillConvexPoly(canvas, grown.astype(np.int32), 255, cv2.LINE_AA)
    alpha = canvas.astype(np.float32) / 255
    if not alpha.any():
        return alpha > 0
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    colour = _random_colour(rng, (0, 1), (0.05, 1))
    direction = rng.uniform(-1, 1, 2)
    ramp = ((x - centre[0]) * direction[0] + (y - centre[1]) * direction[1]) / max(
        np.ptp(grown[:, 0]), np.ptp(grown[:, 1]), 1)
    fill = colour * (1 + rng.uniform(0, 0.4) * ramp)[..., None]
    if rng.random() < 0.25:     # brushed metal
        streaks = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32),
                                   (0, 0), sigmaX=8, sigmaY=0.5)
        fill = fill + 0.08 * streaks[..., None]
    if rng.random() < 0.4:      # a rim in another colour
        rim = cv2.erode(canvas, np.ones((3, 3), np.uint8),
                        iterations=int(rng.integers(1, 4))).astype(np.float32) / 255
        fill = fill * rim[..., None] + _random_colour(rng) * (1 - rim[..., None])
    fill = fill + rng.normal(0, 0.01, (height, width, 1)).astype(np.float32)
    photo[:] = photo * (1 - alpha[..., None]) + np.clip(fill, 0, 1) * alpha[..., None]
    return alpha >= COVERAGE_THRESHOLD


def _paste_clutter(photo, library, rng):
    """Paint a patterned thing that is not a logo into ``photo`` ([H, W, 3] float32 0..1,
    changed in place): an ellipse, a blob or a polygon, 10-70% of the photo's side, filled
    with a texture (stripes, fabric, tiles, wood...), spots or a piece of a photo, shaded."""
    height, width = photo.shape[:2]
    side = max(height, width)
    canvas = np.zeros((height, width), np.uint8)
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    size = rng.uniform(0.1, 0.7) * side
    shape = ("ellipse", "blob", "polygon")[rng.integers(3)]
    if shape == "ellipse":
        cv2.ellipse(canvas, (int(cx), int(cy)), (max(2, int(size / 2)),
                    max(2, int(size / 2 * rng.uniform(0.3, 1)))), rng.uniform(0, 180), 0, 360,
                    255, -1, cv2.LINE_AA)
    elif shape == "blob":
        for _ in range(int(rng.integers(2, 6))):
            offset = rng.normal(0, size / 4, 2)
            axes = (max(2, int(rng.uniform(0.15, 0.4) * size)),
                    max(2, int(rng.uniform(0.15, 0.4) * size)))
            cv2.ellipse(canvas, (int(cx + offset[0]), int(cy + offset[1])), axes,
                        rng.uniform(0, 180), 0, 360, 255, -1, cv2.LINE_AA)
    else:
        count = int(rng.integers(3, 9))
        angles = np.sort(rng.uniform(0, 2 * np.pi, count))
        radii = rng.uniform(0.2, 0.5, count) * size
        points = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)
        cv2.fillPoly(canvas, [points.astype(np.int32)], 255, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(canvas.astype(np.float32) / 255, (0, 0), rng.uniform(0.5, 2))
    kind = rng.random()
    if kind < 0.5:
        fill = procedural_background(height, width, rng)
    elif kind < 0.75:
        fill = _spots(height, width, rng)
    else:
        fill = photo_background(height, width, rng, library.photos)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 1 + rng.uniform(0, 0.5) * ((x - cx) * rng.uniform(-1, 1) +
                                        (y - cy) * rng.uniform(-1, 1)) / side
    fill = fill * shade[..., None]
    photo[:] = photo * (1 - alpha[..., None]) + np.clip(fill, 0, 1) * alpha[..., None]


def _paste_object(photo, path, rng):
    """Paste the cut-out object photo at ``path`` (an animal, a fruit, a tool...) into
    ``photo`` ([H, W, 3] float32 0..1, changed in place): 10-60% of the photo's longer side,
    turned by up to 20 degrees, mirrored or not, its brightness changed by up to 25%; it may
    hang over the photo's edge. Real things that are not logos, as hard negatives."""
    rgb, alpha = _object_pixels(path)
    height, width = photo.shape[:2]
    side = rng.uniform(0.1, 0.6) * max(height, width)
    scale = side / max(rgb.shape[:2])
    angle = rng.uniform(-20, 20)
    if rng.random() < 0.5:
        rgb, alpha = rgb[:, ::-1], alpha[:, ::-1]
    obj_h, obj_w = rgb.shape[:2]
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    matrix = cv2.getRotationMatrix2D((obj_w / 2, obj_h / 2), angle, scale)
    matrix[:, 2] += (cx - obj_w / 2, cy - obj_h / 2)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    warped_alpha = cv2.warpAffine(np.ascontiguousarray(alpha), matrix, (width, height),
                                  flags=interpolation, borderValue=0)
    warped = cv2.warpAffine(np.ascontiguousarray(rgb), matrix, (width, height),
                            flags=interpolation, borderValue=(0, 0, 0))
    warped *= rng.uniform(0.75, 1.25)
    photo[:] = (photo * (1 - warped_alpha[..., None])
                + np.clip(warped, 0, 1) * warped_alpha[..., None])


def _spots(height, width, rng):
    """Animal-like patches (giraffe, leopard, cow, zebra-ish): thresholded smooth noise in two
    colours, [H, W, 3] float32 0..1."""
    cell = max(4, int(rng.uniform(0.02, 0.1) * max(height, width)))
    small = rng.random((height // cell + 2, width // cell + 2)).astype(np.float32)
    noise = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    if rng.random() < 0.3:      # stripes bent by the noise
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        noise = 0.5 + 0.5 * np.sin(x / cell * rng.uniform(1, 3) + 6 * noise)
    edge = np.clip((noise - rng.uniform(0.35, 0.65)) / 0.05, 0, 1)[..., None]
    base, patch = _random_colour(rng, (0, 0.7)), _random_colour(rng, (0, 0.9))
    texture = rng.normal(0, 0.03, (height, width, 1)).astype(np.float32)
    return base * edge + patch * (1 - edge) + texture


def _paste_occluder(photo, target_box, library, rng):
    """Paste a bar, blob or polygon over part of ``target_box``, filled with a piece of another
    photo or a shaded colour. Returns its coverage [H, W] bool."""
    height, width = photo.shape[:2]
    canvas = np.zeros((height, width), np.uint8)
    x1, y1, x2, y2 = target_box
    box_w, box_h = max(x2 - x1, 2), max(y2 - y1, 2)
    shape = ("bar", "blob", "polygon")[rng.integers(3)]
    if shape == "bar":
        thickness = max(2, int(rng.uniform(0.1, 0.35) * min(box_w, box_h)))
        angle = rng.uniform(0, np.pi)
        cx, cy = rng.uniform(x1, x2), rng.uniform(y1, y2)
        reach = 2 * max(box_w, box_h)
        start = (int(cx - reach * np.cos(angle)), int(cy - reach * np.sin(angle)))
        end = (int(cx + reach * np.cos(angle)), int(cy + reach * np.sin(angle)))
        cv2.line(canvas, start, end, 255, thickness, cv2.LINE_AA)
    elif shape == "blob":
        side = rng.integers(4)
        cx = (x1, x2, rng.uniform(x1, x2), rng.uniform(x1, x2))[side]
        cy = (rng.uniform(y1, y2), rng.uniform(y1, y2), y1, y2)[side]
        axes = (max(2, int(rng.uniform(0.2, 0.5) * box_w)),
                max(2, int(rng.uniform(0.2, 0.5) * box_h)))
        cv2.ellipse(canvas, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, 255, -1,
                    cv2.LINE_AA)
    else:
        corner = np.array([(x1, y1), (x2, y1), (x2, y2), (x1, y2)][rng.integers(4)])
        count = int(rng.integers(3, 7))
        angles = np.sort(rng.uniform(0, 2 * np.pi, count))
        radii = rng.uniform(0.3, 0.7, count) * min(box_w, box_h)
        points = corner + np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
        cv2.fillPoly(canvas, [points.astype(np.int32)], 255, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(canvas.astype(np.float32) / 255, (0, 0), 0.7)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 1 + 0.3 * ((x - x1) / width - (y - y1) / height)
    if rng.random() < 0.55:
        fill = photo_background(height, width, rng, library.photos) * shade[..., None]
    else:
        colour = _random_colour(rng, (0, 0.8), (0.1, 0.95))
        fill = colour * shade[..., None] + \
            rng.normal(0, 0.02, (height, width, 1)).astype(np.float32)
    photo[:] = photo * (1 - alpha[..., None]) + np.clip(fill, 0, 1) * alpha[..., None]
    return alpha >= COVERAGE_THRESHOLD
