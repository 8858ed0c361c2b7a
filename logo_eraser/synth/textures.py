"""Backgrounds: procedural textures (gradients, noise, stripes, fabric, wood, brushed metal,
tiles) and random crops of background photos, as [H, W, 3] float32 0..1."""

import cv2
import numpy as np

from .artwork import _photo_pixels


def _random_colour(rng, saturation=(0.0, 1.0), value=(0.0, 1.0)):
    """An RGB colour (float32 [3], 0..1) from a random hue and the given S, V ranges."""
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(*saturation) * 255,
                      rng.uniform(*value) * 255]]], np.float32)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255


def _value_noise(height, width, rng, cell=32, octaves=3):
    """Smooth noise [H, W] float32 in 0..1: bicubic up-sampled random grids, summed."""
    total = np.zeros((height, width), np.float32)
    weight_sum = 0.0
    for octave in range(octaves):
        size = max(2, cell >> octave)
        grid = rng.random((height // size + 2, width // size + 2)).astype(np.float32)
        layer = cv2.resize(grid, ((width // size + 2) * size, (height // size + 2) * size),
                           interpolation=cv2.INTER_CUBIC)[:height, :width]
        weight = 0.5 ** octave
        total += weight * layer
        weight_sum += weight
    total /= weight_sum
    low, high = total.min(), total.max()
    return (total - low) / max(high - low, 1e-6)


def _palette_map(t, colours):
    """t [H, W] in 0..1 -> [H, W, 3]: piecewise-linear through ``colours`` [K, 3]."""
    colours = np.asarray(colours, np.float32)
    position = np.clip(t, 0, 1) * (len(colours) - 1)
    lower = np.minimum(position.astype(np.int32), len(colours) - 2)
    fraction = (position - lower)[..., None]
    return colours[lower] * (1 - fraction) + colours[lower + 1] * fraction


def procedural_background(height, width, rng):
    """A texture [H, W, 3] float32 0..1: gradient, noise, stripes, fabric, wood, metal or
    tiles, in random colours."""
    kind = ("gradient", "noise", "stripes", "fabric", "wood", "metal", "tiles")[
        rng.integers(7)]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    along = (x * np.cos(angle) + y * np.sin(angle)) / max(height, width)
    colours = [_random_colour(rng) for _ in range(3)]
    fine_noise = rng.normal(0, 1, (height, width)).astype(np.float32)
    if kind == "gradient":
        t = along - along.min()
        t /= max(t.max(), 1e-6)
        if rng.random() < 0.5:
            cy, cx = rng.uniform(0, height), rng.uniform(0, width)
            radial = np.hypot(y - cy, x - cx) / max(height, width)
            t = 0.5 * t + 0.5 * np.clip(radial, 0, 1)
        image = _palette_map(t, colours[:2])
    elif kind == "noise":
        t = _value_noise(height, width, rng, cell=int(rng.integers(8, 96)))
        image = _palette_map(t, colours)
    elif kind == "stripes":
        period = rng.uniform(0.02, 0.2)
        wave = 0.5 + 0.5 * np.sin(2 * np.pi * along / period)
        sharpness = rng.uniform(1, 12)
        t = 1 / (1 + np.exp(-sharpness * (wave - 0.5)))
        image = _palette_map(t, colours[:2])
    elif kind == "fabric":
        period = rng.uniform(2.5, 8)
        weave = np.sin(2 * np.pi * x / period) * np.sin(2 * np.pi * y / period)
        plaid_period = rng.uniform(0.05, 0.25) * max(height, width)
        plaid = (np.sin(2 * np.pi * x / plaid_period) > 0.4).astype(np.float32) + \
            (np.sin(2 * np.pi * y / plaid_period) > 0.4).astype(np.float32)
        use_plaid = rng.random() < 0.5
        t = 0.5 + 0.15 * weave + 0.05 * fine_noise + (0.2 * plaid - 0.2 if use_plaid else 0)
        image = _palette_map(t, colours[:2])
    elif kind == "wood":
        cy, cx = rng.uniform(-height, 2 * height), rng.uniform(-width, 2 * width)
        stretch = rng.uniform(0.05, 0.3)
        distance = np.hypot((x - cx) * stretch, y - cy) if rng.random() < 0.5 else \
            np.hypot(x - cx, (y - cy) * stretch)
        distance += 12 * _value_noise(height, width, rng, cell=64)
        rings = (distance / rng.uniform(4, 14)) % 1.0
        t = 0.3 + 0.5 * rings ** 2 + 0.03 * fine_noise
        brown = np.array([rng.uniform(0.35, 0.7), rng.uniform(0.2, 0.45),
                          rng.uniform(0.05, 0.25)], np.float32)
        image = _palette_map(t, [brown * 0.5, brown, np.minimum(brown * 1.5, 1)])
    elif kind == "metal":
        length = int(rng.integers(15, 61))
        brushed = cv2.blur(fine_noise, (length, 1))
        t = 0.5 + 0.075 * brushed / max(float(brushed.std()), 1e-6) + 0.3 * (along - 0.5)
        grey = rng.uniform(0.3, 0.8)
        tint = _random_colour(rng, saturation=(0, 0.15), value=(0.8, 1.0))
        image = np.clip(t, 0, 1)[..., None] * grey * 1.6 * tint
    else:  # tiles / bricks
        tile_h = rng.uniform(0.04, 0.15) * max(height, width)
        tile_w = tile_h * rng.uniform(1, 3)
        row = np.floor(y / tile_h)
        offset = (row % 2) * tile_w * 0.5 * (rng.random() < 0.6)
        column = np.floor((x + offset) / tile_w)
        cell_ids = (row * 7919 + column * 104729) % 257 / 257.0
        t = 0.3 + 0.4 * cell_ids + 0.04 * fine_noise
        image = _palette_map(t, colours[:2])
        grout = np.minimum((y % tile_h), ((x + offset) % tile_w)) < max(1.0, tile_h * 0.06)
        image[grout] = colours[2] * 0.6 + 0.2
    return np.clip(image, 0, 1).astype(np.float32)


def photo_background(height, width, rng, photos):
    """A random crop of a random photo, flipped or not, resized to [H, W, 3] float32 0..1;
    gray photos (textures) are tinted."""
    pixels = _photo_pixels(photos[rng.integers(len(photos))])
    photo_h, photo_w = pixels.shape[:2]
    aspect = width / height
    crop_w = min(photo_w, photo_h * aspect)
    scale = rng.uniform(0.35, 1.0) ** 0.5
    crop_w, crop_h = max(8, int(crop_w * scale)), max(8, int(crop_w * scale / aspect))
    crop_h = min(crop_h, photo_h)
    top = int(rng.integers(0, photo_h - crop_h + 1))
    left = int(rng.integers(0, photo_w - crop_w + 1))
    crop = pixels[top:top + crop_h, left:left + crop_w]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    interpolation = cv2.INTER_AREA if crop_w > width else cv2.INTER_LINEAR
    image = cv2.resize(np.ascontiguousarray(crop), (width, height),
                       interpolation=interpolation).astype(np.float32) / 255
    channel_spread = image.reshape(-1, 3).std(axis=1).mean()
    if channel_spread < 0.01:   # a gray texture: give it a colour
        image = image * (0.3 + 0.7 * _random_colour(rng, (0.3, 0.9), (0.8, 1.0)))
    return image
