"""Reading and writing photos safely.

`read_image` turns any still image Pillow can decode into ``[H, W, 3]`` uint8 RGB, the
format the whole library works in, and reports anything it cannot read as one
`ImageReadError` naming the file. `write_image_atomic` writes PNG/JPEG files without ever
leaving a half-written file behind.

Conversions done by `read_image`:

* EXIF orientation is applied (a phone photo tagged "rotate 90" comes out upright).
* Grayscale (``1``, ``L``, ``I``, ``I;16*``, ``F``) is replicated to three channels.
  16-bit data is scaled to 8 bits as ``round(v / 257)`` (0 -> 0, 65535 -> 255, linear in
  between), never clipped. 32-bit integer data outside 0..65535 and float data outside 0..1
  are stretched linearly from their own minimum/maximum to 0..255.
* Palette (``P``, ``PA``), CMYK, YCbCr, LAB, HSV are converted to RGB by Pillow.
  (Pillow itself reduces 48-bit RGB PNGs to 8 bits by keeping the high byte.)
* Transparency (``RGBA``, ``LA``, ``PA``, palette with a transparent colour): the image is
  composited over a white background. Matterport dropped the alpha channel instead, which
  shows whatever colour happens to be stored under transparent pixels (often black or
  garbage); for fully opaque images both give identical pixels.
* Only the first frame of multi-frame files (GIF, TIFF) is read.
"""
import os
import threading
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .atomic import atomic_path
from .cli import same_path

# Largest image `read_image` accepts by default, in pixels (width * height). Bigger files
# are far more likely to be decompression bombs than photos for Mask R-CNN.
DEFAULT_MAX_PIXELS = 100_000_000

# Pillow's decompression-bomb limit is a module global; it is raised only while a caller
# explicitly asked for a bigger limit, under this lock.
_PILLOW_LIMIT_LOCK = threading.Lock()

_WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
# Extensions of the files `list_images` takes for photos by default (what read_image decodes).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm",
                    ".pgm", ".pnm")
# Extensions `write_image_atomic` writes.
WRITE_EXTENSIONS = tuple(_WRITE_FORMATS)


class ImageReadError(ValueError):
    """A file could not be read as an image; str() is one line naming the file and why."""

    def __init__(self, path, reason):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"cannot read image '{self.path}': {reason}")


class ImageWriteError(OSError):
    """An image could not be written; str() is one line naming the file and why."""

    def __init__(self, path, reason):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"cannot write image '{self.path}': {reason}")

    def __str__(self):
        return f"cannot write image '{self.path}': {self.reason}"


def _one_line(error):
    """An exception message squeezed onto one line."""
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _open_image(path, max_pixels):
    """Image.open under the caller's pixel limit instead of Pillow's global one."""
    with warnings.catch_warnings():
        # Our own limit is checked after opening; Pillow's warning would only be noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(path)
        except Image.DecompressionBombError:
            if max_pixels is not None and max_pixels <= 2 * (Image.MAX_IMAGE_PIXELS or 0):
                raise
        # The caller allows more pixels than Pillow does: open once more without its check.
        with _PILLOW_LIMIT_LOCK:
            saved_limit = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                return Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = saved_limit


def _gray_to_uint8(gray, mode):
    """[H, W] grayscale of any depth -> [H, W] uint8, scaled rather than clipped."""
    if gray.dtype == bool:
        return gray.astype(np.uint8) * 255
    if gray.dtype == np.uint8:
        return gray
    values = gray.astype(np.float64)
    if mode.startswith("I;16") or (
        gray.dtype.kind in "iu" and values.min() >= 0 and values.max() <= 65535
    ):
        # 16-bit samples (mode "I" is how Pillow often hands over 16-bit PNG/TIFF data).
        return np.rint(values / 257.0).astype(np.uint8)
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    if gray.dtype.kind == "f" and values.min() >= 0.0 and values.max() <= 1.0:
        return np.rint(values * 255.0).astype(np.uint8)
    low, high = values.min(), values.max()
    if high <= low:
        return np.zeros(gray.shape, np.uint8)
    return np.rint((values - low) * (255.0 / (high - low))).astype(np.uint8)


def _composite_over_white(rgba):
    """[H, W, 4] uint8 RGBA -> [H, W, 3] uint8 RGB on a white background."""
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    rgb = rgba[..., :3].astype(np.float32)
    return np.rint(rgb * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


def _to_rgb_array(image):
    """A loaded PIL image of any mode -> [H, W, 3] uint8 RGB array."""
    mode = image.mode
    if mode in ("1", "L", "I", "F") or mode.startswith("I;16"):
        gray = _gray_to_uint8(np.asarray(image), mode)
        return np.repeat(gray[:, :, None], 3, axis=2)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        return _composite_over_white(np.asarray(image.convert("RGBA")))
    if mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)


def read_image(path, max_pixels=DEFAULT_MAX_PIXELS):
    """Read an image file as RGB.

    path: file path (str or os.PathLike).
    max_pixels: largest accepted width * height; None for no limit. Protects against
        decompression bombs (tiny files that expand to gigabytes).

    Returns [H, W, 3] uint8 RGB, EXIF orientation applied (see the module docstring for
    how grayscale, 16-bit, palette and transparent images are converted).
    Raises ImageReadError (a ValueError) for a missing path, a folder, an empty, truncated
    or corrupt file, a non-image file, an image with no pixels or one over max_pixels.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ImageReadError(path, "no such file")
    if os.path.isdir(path):
        raise ImageReadError(path, "is a directory, not an image file")
    try:
        if os.path.getsize(path) == 0:
            raise ImageReadError(path, "empty file")
        image = _open_image(path, max_pixels)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(path, "not an image file (unknown or unsupported format)") from None
    except Image.DecompressionBombError as error:
        raise ImageReadError(
            path, f"too many pixels, refused as a possible decompression bomb ({_one_line(error)})"
        ) from None
    except OSError as error:
        raise ImageReadError(path, _one_line(error)) from None

    with image:
        width, height = image.size
        if width == 0 or height == 0:
            raise ImageReadError(path, f"image has no pixels ({width}x{height})")
        if max_pixels is not None and width * height > max_pixels:
            raise ImageReadError(
                path,
                f"{width}x{height} = {width * height} pixels is over the limit of "
                f"{max_pixels} (a possible decompression bomb); shrink the image first "
                "(in code: read_image(..., max_pixels=...) raises the limit)",
            )
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
        except MemoryError:
            raise
        except Exception as error:  # Pillow's decoders raise many types for bad data
            raise ImageReadError(
                path, f"truncated or corrupt image data ({_one_line(error)})") from None
        try:
            rgb = _to_rgb_array(upright)
        except (ValueError, OSError) as error:
            raise ImageReadError(
                path, f"cannot convert image mode {upright.mode} to RGB ({_one_line(error)})"
            ) from None
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ImageReadError(path, f"unexpected decoded array {rgb.dtype}{list(rgb.shape)}")
    # np.asarray on a PIL image may be read-only; callers expect to own their array.
    return np.array(rgb, copy=True)




def write_image_atomic(path, image, protect=None, jpeg_quality=95):
    """Write an image file so that `path` is either the complete new image or untouched.

    path: destination; the format comes from its extension (.png, .jpg, .jpeg).
    image: [H, W, 3] uint8 RGB, [H, W, 4] uint8 RGBA (PNG only) or [H, W] uint8 / bool
        grayscale (bool is written as 0/255).
    protect: optional path (or list of paths) that must never be overwritten, e.g. the input
        photo an edited copy is made from.
    jpeg_quality: JPEG quality, 1..95.

    The data goes to a temporary file in the destination folder, is flushed to disk and
    then renamed over `path` (mrcnn.atomic.atomic_path).
    Raises ImageWriteError naming the file; no partial or temporary file is left behind.
    """
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    if extension not in _WRITE_FORMATS:
        raise ImageWriteError(
            path, f"unsupported extension '{extension}' (use .png, .jpg or .jpeg)"
        )
    image_format = _WRITE_FORMATS[extension]
    if protect is not None:
        protected = [protect] if isinstance(protect, (str, bytes, os.PathLike)) else protect
        for protected_path in protected:
            if same_path(path, os.fspath(protected_path)):
                raise ImageWriteError(path, "refusing to overwrite the input image")

    array = np.asarray(image)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    if array.dtype != np.uint8:
        raise ImageWriteError(path, f"expected a uint8 image, got {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ImageWriteError(
            path, f"expected [H, W], [H, W, 3] or [H, W, 4], got {list(array.shape)}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageWriteError(path, f"image has no pixels {list(array.shape)}")
    if image_format == "JPEG" and array.ndim == 3 and array.shape[2] == 4:
        raise ImageWriteError(path, "JPEG cannot store an alpha channel; drop it or write a PNG")

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ImageWriteError(path, f"folder '{folder}' does not exist")
    try:
        with atomic_path(path) as temporary_path, open(temporary_path, "wb") as handle:
            options = {"quality": int(jpeg_quality)} if image_format == "JPEG" else {}
            Image.fromarray(np.ascontiguousarray(array)).save(handle, format=image_format,
                                                              **options)
    except (OSError, ValueError, TypeError) as error:
        raise ImageWriteError(path, _one_line(error)) from None


def list_images(folder, extensions=IMAGE_EXTENSIONS):
    """The image files directly in ``folder``, sorted by name: full paths.

    A file counts when its extension (case-insensitive) is one of ``extensions``; hidden files
    (".name") and sub-folders are left out. Returns [] for a folder without images; raises
    NotADirectoryError / FileNotFoundError when ``folder`` is not a folder.
    """
    folder = os.fspath(folder)
    names = sorted(name for name in os.listdir(folder)
                   if not name.startswith(".")
                   and os.path.splitext(name)[1].lower() in extensions
                   and os.path.isfile(os.path.join(folder, name)))
    return [os.path.join(folder, name) for name in names]
