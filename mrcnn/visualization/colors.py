"""Colour helpers shared by the matplotlib figures and the OpenCV renderer.

* :func:`random_colors`: N visually distinct RGB colours (optionally seeded);
* :func:`apply_mask`: blend a colour into the masked pixels of an image, in place.

Conventions: images are RGB ``[H, W, 3]`` arrays in 0..255 units; a single mask is ``[H, W]``
(instance masks elsewhere are ``[H, W, N]`` bool); colours are RGB floats in 0..1 (an RGBA
colour's alpha is ignored).

Imports only NumPy and the standard library (no matplotlib, no OpenCV), so the renderer can use
it without pulling in matplotlib.
"""

import colorsys
import random

import numpy as np


def random_colors(N, bright=True, seed=None):
    """Generate N visually distinct colours, shuffled.

    Hues are evenly spaced in HSV, then converted to RGB floats in 0..1.
    bright: full brightness if True, else 0.7.
    seed: if given, shuffle with a private ``random.Random(seed)`` so the result is
        reproducible; otherwise shuffle with the global ``random`` module (matterport).
    Returns: list of N ``(r, g, b)`` tuples.
    """
    brightness = 1.0 if bright else 0.7
    colors = [colorsys.hsv_to_rgb(i / N, 1, brightness) for i in range(N)]
    shuffler = random if seed is None else random.Random(seed)
    shuffler.shuffle(colors)
    return colors


def apply_mask(image, mask, color, alpha=0.5):
    """Blend a colour into the masked pixels of an image, in place.

    image: [H, W, 3] array; modified in place and returned (as matterport). Use a wide dtype
        (matterport's callers pass uint32 or float) to avoid truncation surprises.
    mask: [H, W], pixels where ``mask == 1`` (True) are blended.
    color: RGB(A) floats in 0..1; only the first three components are used.
    alpha: opacity of the colour.
    Inside the mask each channel becomes ``image * (1 - alpha) + alpha * color * 255``;
    pixels outside the mask are unchanged.
    """
    inside = np.asarray(mask) == 1
    color_255 = np.asarray(color, dtype=np.float64)[:3] * 255
    blended = image[inside] * (1 - alpha) + alpha * color_255
    image[inside] = blended
    return image
