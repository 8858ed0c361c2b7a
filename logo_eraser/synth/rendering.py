"""Artwork rendering: brand names as wordmarks, and the styling of a mark (fill colour,
gradient, outline, plate) into a premultiplied RGB patch and its alpha."""

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .artwork import _font
from .textures import _random_colour

WORDMARK_FONT_PIXELS = 96


def render_wordmark(text, font_path, rng):
    """A brand name as a coverage map [h, w] float32 0..1, cropped to the ink.

    Random case, letter spacing and (for names of several words) stacking.
    """
    case = rng.random()
    if case < 0.3:
        text = text.upper()
    elif case < 0.45:
        text = text.lower()
    elif case < 0.55:
        text = " ".join(word[:1].upper() + word[1:].lower() for word in text.split())
    font = _font(font_path, WORDMARK_FONT_PIXELS)
    ascent, descent = font.getmetrics()
    pad = WORDMARK_FONT_PIXELS // 4
    words = text.split()
    if len(words) > 1 and rng.random() < 0.25:
        lines = [" ".join(words[:len(words) // 2]), " ".join(words[len(words) // 2:])]
        line_height = ascent + descent
        width = int(max(font.getlength(line) for line in lines)) + 2 * pad
        canvas = Image.new("L", (width, line_height * len(lines) + 2 * pad), 0)
        draw = ImageDraw.Draw(canvas)
        for i, line in enumerate(lines):
            draw.text((width / 2, pad + ascent + i * line_height), line, font=font, fill=255,
                      anchor="ms")
    else:
        spacing = rng.choice([0.0, 0.0, rng.uniform(-0.04, 0.08), rng.uniform(0.1, 0.35)]) * \
            WORDMARK_FONT_PIXELS
        advances = [font.getlength(ch) for ch in text]
        width = int(sum(advances) + spacing * max(len(text) - 1, 0)) + 2 * pad + \
            WORDMARK_FONT_PIXELS
        canvas = Image.new("L", (max(width, 1), ascent + descent + 2 * pad), 0)
        draw = ImageDraw.Draw(canvas)
        position = float(pad)
        for ch, advance in zip(text, advances):
            draw.text((position, pad + ascent), ch, font=font, fill=255, anchor="ls")
            position += advance + spacing
    coverage = np.asarray(canvas, np.float32) / 255
    rows = np.flatnonzero(coverage.max(axis=1) > 0)
    columns = np.flatnonzero(coverage.max(axis=0) > 0)
    if rows.size == 0:
        return np.ones((8, 8), np.float32)   # a font without these glyphs: a solid chip
    return coverage[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def _contrasting(colour, rng):
    """White, black or a random colour that differs clearly in brightness from ``colour``."""
    luma = float(np.dot(colour, (0.299, 0.587, 0.114)))
    if rng.random() < 0.6:
        return np.full(3, 1.0 if luma < 0.5 else 0.0, np.float32)
    value = (0.0, 0.35) if luma > 0.5 else (0.75, 1.0)
    return _random_colour(rng, (0.0, 1.0), value)


def _plate_alpha(height, width, shape, rng):
    """[h, w] float32 coverage of a plate: rectangle, rounded rectangle, ellipse or circle."""
    canvas = np.zeros((height, width), np.uint8)
    if shape == "ellipse":
        cv2.ellipse(canvas, (width // 2, height // 2), (width // 2 - 1, height // 2 - 1), 0, 0,
                    360, 255, -1, cv2.LINE_AA)
    elif shape == "rounded":
        radius = int(min(height, width) * rng.uniform(0.1, 0.4))
        cv2.rectangle(canvas, (radius, 0), (width - 1 - radius, height - 1), 255, -1)
        cv2.rectangle(canvas, (0, radius), (width - 1, height - 1 - radius), 255, -1)
        for cy in (radius, height - 1 - radius):
            for cx in (radius, width - 1 - radius):
                cv2.circle(canvas, (cx, cy), radius, 255, -1, cv2.LINE_AA)
    else:
        canvas[:] = 255
    return canvas.astype(np.float32) / 255


def style_artwork(coverage, brand_colour, rng, kind):
    """Colour a mark: coverage [h, w] 0..1 -> (premultiplied RGB [h', w', 3], alpha [h', w'])
    float32, with random fill colour, gradient, outline and plate (which enlarge the patch)."""
    choice = rng.random()
    if brand_colour is not None and choice < 0.45:
        fill = np.asarray(brand_colour, np.float32) / 255
    elif choice < 0.6:
        fill = np.ones(3, np.float32)
    elif choice < 0.75:
        fill = np.full(3, rng.uniform(0, 0.15), np.float32)
    else:
        fill = _random_colour(rng)
    height, width = coverage.shape
    colour = np.broadcast_to(fill, (height, width, 3)).astype(np.float32)
    if rng.random() < 0.15:     # two-tone gradient fill
        ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
        other = np.clip(fill * rng.uniform(0.5, 1.5) + rng.uniform(-0.2, 0.2), 0, 1)
        colour = colour * (1 - ramp) + other * ramp
    alpha = coverage
    if rng.random() < (0.25 if kind == "wordmark" else 0.1):     # outline
        radius = max(1, int(round(max(height, width) * rng.uniform(0.008, 0.025))))
        alpha = np.pad(alpha, radius + 1)
        colour = np.pad(colour, ((radius + 1,) * 2, (radius + 1,) * 2, (0, 0)))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)
        outer = cv2.dilate(alpha, kernel)
        outline = _contrasting(fill, rng)
        colour = colour * alpha[..., None] + outline * (1 - alpha[..., None])
        alpha = outer
    if rng.random() < (0.3 if kind == "wordmark" else 0.2):      # plate (label, badge)
        mark_h, mark_w = alpha.shape
        shape = ("rect", "rounded", "ellipse")[rng.integers(3)]
        margin = rng.uniform(0.08, 0.3) * min(mark_h, mark_w) + 2
        if shape == "ellipse":
            plate_h, plate_w = int(mark_h * 1.45 + 2 * margin), int(mark_w * 1.45 + 2 * margin)
        else:
            plate_h, plate_w = int(mark_h + 2 * margin), int(mark_w + 2 * margin)
        top, left = (plate_h - mark_h) // 2, (plate_w - mark_w) // 2
        mark_alpha = np.zeros((plate_h, plate_w), np.float32)
        mark_alpha[top:top + mark_h, left:left + mark_w] = alpha
        mark_colour = np.zeros((plate_h, plate_w, 3), np.float32)
        mark_colour[top:top + mark_h, left:left + mark_w] = colour
        plate = _plate_alpha(plate_h, plate_w, shape, rng)
        plate_colour = _contrasting(fill, rng)
        colour = mark_colour * mark_alpha[..., None] + plate_colour * (1 - mark_alpha[..., None])
        alpha = np.maximum(plate, mark_alpha)
    return colour * alpha[..., None], alpha.astype(np.float32)
