"""The camera: what happens to a composited photo between the scene and the file (colour
balance, lighting, blur, noise, low resolution, JPEG artefacts)."""

import cv2
import numpy as np


def _photo_effects(photo, rng):
    """Camera and lighting: colour balance, brightness, contrast, gamma, saturation, vignette,
    blur, noise, down-up sampling, JPEG artefacts. [H, W, 3] float32 -> uint8."""
    height, width = photo.shape[:2]
    image = photo * rng.uniform(0.9, 1.1, 3).astype(np.float32)             # white balance
    image = (image - 0.5) * rng.uniform(0.75, 1.25) + 0.5 + rng.uniform(-0.12, 0.12)
    image = np.clip(image, 0, 1) ** rng.uniform(0.8, 1.25)
    grey = image @ np.array([0.299, 0.587, 0.114], np.float32)
    image = grey[..., None] + (image - grey[..., None]) * rng.uniform(0.6, 1.3)
    if rng.random() < 0.3:      # vignette
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        radius = np.hypot((x - width / 2) / width, (y - height / 2) / height) * 2
        image = image * (1 - rng.uniform(0.1, 0.45) * radius ** 2)[..., None]
    if rng.random() < 0.3:      # light falling from one side
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = ((x / width - 0.5) * np.cos(angle) + (y / height - 0.5) * np.sin(angle))
        image = image * (1 + rng.uniform(0.2, 0.6) * ramp)[..., None]
    if rng.random() < 0.03:
        image = np.repeat((image @ np.array([0.299, 0.587, 0.114], np.float32))[..., None],
                          3, axis=2)
    image = np.clip(image, 0, 1).astype(np.float32)
    blur = rng.random()
    if blur < 0.2:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 1.6))
    elif blur < 0.28:           # motion blur
        length = int(rng.integers(3, 10))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2] = 1 / length
        rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5),
                                           rng.uniform(0, 180), 1)
        kernel = cv2.warpAffine(kernel, rotation, (length, length))
        image = cv2.filter2D(image, -1, kernel / max(kernel.sum(), 1e-6))
    if rng.random() < 0.15:     # a low-resolution camera
        factor = rng.uniform(0.45, 0.8)
        small = cv2.resize(image, (max(1, int(width * factor)), max(1, int(height * factor))),
                           interpolation=cv2.INTER_AREA)
        image = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        sigma = rng.uniform(0.004, 0.03)
        shape = (height, width, 3) if rng.random() < 0.5 else (height, width, 1)
        image = image + rng.normal(0, sigma, shape).astype(np.float32)
    pixels = np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        quality = int(rng.integers(30, 96))
        ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR),
                                   [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            pixels = cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return pixels
