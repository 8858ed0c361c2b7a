"""Tests of mrcnn.image_io: every image kind is read as [H, W, 3] uint8 RGB, every bad file
gives one ImageReadError line naming it, and writes are atomic. All images are made here."""
import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from mrcnn import image_io
from mrcnn.image_io import ImageReadError, ImageWriteError, read_image, write_image_atomic


def assert_rgb(image, shape):
    assert image.shape == shape + (3,)
    assert image.dtype == np.uint8


############################################################
#  Reading: conversions
############################################################

def test_rgb_png_is_read_unchanged(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (7, 9, 3)).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "rgb.png")
    image = read_image(tmp_path / "rgb.png")
    assert_rgb(image, (7, 9))
    np.testing.assert_array_equal(image, pixels)
    assert image.flags.writeable


def test_grayscale_is_replicated_to_three_channels(tmp_path):
    gray = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5
    Image.fromarray(gray).save(tmp_path / "gray.png")
    image = read_image(str(tmp_path / "gray.png"))
    assert_rgb(image, (6, 8))
    for channel in range(3):
        np.testing.assert_array_equal(image[..., channel], gray)


def test_one_bit_image(tmp_path):
    bits = Image.new("1", (4, 3))
    bits.putpixel((1, 2), 1)
    bits.save(tmp_path / "bits.png")
    image = read_image(tmp_path / "bits.png")
    assert_rgb(image, (3, 4))
    assert image[2, 1].tolist() == [255, 255, 255]
    assert image.sum() == 3 * 255


def test_16_bit_grayscale_is_scaled_not_clipped(tmp_path):
    samples = np.array([[0, 257, 32896, 65535]], dtype=np.uint16)
    Image.fromarray(samples).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I;16")
    image = read_image(tmp_path / "deep.png")
    assert_rgb(image, (1, 4))
    # v / 257: 0 -> 0, 257 -> 1, 32896 -> 128, 65535 -> 255.
    assert image[0, :, 0].tolist() == [0, 1, 128, 255]


def test_32_bit_and_float_grayscale(tmp_path):
    integers = np.array([[-1000, 0, 1000]], dtype=np.int32)
    Image.fromarray(integers, mode="I").save(tmp_path / "int.tif")
    # Outside 0..65535: stretched from min..max to 0..255.
    assert read_image(tmp_path / "int.tif")[0, :, 1].tolist() == [0, 128, 255]
    unit = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    Image.fromarray(unit, mode="F").save(tmp_path / "unit.tif")
    assert read_image(tmp_path / "unit.tif")[0, :, 2].tolist() == [0, 128, 255]


def test_rgba_is_composited_over_white(tmp_path):
    pixels = np.array([[[255, 0, 0, 255], [0, 0, 0, 0], [0, 0, 255, 128]]], dtype=np.uint8)
    Image.fromarray(pixels, mode="RGBA").save(tmp_path / "alpha.png")
    image = read_image(tmp_path / "alpha.png")
    assert_rgb(image, (1, 3))
    # Opaque red stays red, transparent becomes white, half-transparent blue is mixed.
    assert image[0].tolist() == [[255, 0, 0], [255, 255, 255], [127, 127, 255]]


def test_gray_with_alpha(tmp_path):
    pixels = np.array([[[10, 255], [10, 0]]], dtype=np.uint8)
    Image.fromarray(pixels, mode="LA").save(tmp_path / "la.png")
    assert read_image(tmp_path / "la.png")[0].tolist() == [[10, 10, 10], [255, 255, 255]]


def test_palette_with_transparent_index(tmp_path):
    palette_image = Image.new("P", (3, 1))
    palette_image.putpalette([0, 0, 0, 0, 255, 0, 200, 100, 50] + [0] * (256 * 3 - 9))
    palette_image.putdata([0, 1, 2])
    palette_image.save(tmp_path / "palette.png", transparency=0)
    image = read_image(tmp_path / "palette.png")
    assert image[0].tolist() == [[255, 255, 255], [0, 255, 0], [200, 100, 50]]
    # Without transparency the palette colours are simply looked up.
    palette_image.save(tmp_path / "palette.gif")
    opaque = read_image(tmp_path / "palette.gif")
    assert opaque[0].tolist() == [[0, 0, 0], [0, 255, 0], [200, 100, 50]]


def test_cmyk_is_converted(tmp_path):
    Image.new("CMYK", (2, 2), (0, 255, 255, 0)).save(tmp_path / "cmyk.tif")
    image = read_image(tmp_path / "cmyk.tif")
    assert_rgb(image, (2, 2))
    assert (image == [255, 0, 0]).all()


def _asymmetric_photo():
    """64 wide x 32 high, red top-left quarter block, blue elsewhere (JPEG-friendly blocks)."""
    pixels = np.zeros((32, 64, 3), np.uint8)
    pixels[...] = (0, 0, 255)
    pixels[:16, :16] = (255, 0, 0)
    return Image.fromarray(pixels)


@pytest.mark.parametrize("orientation, red_corner", [
    (6, (0, -1)),   # rotate 90 degrees clockwise: top-left goes to top-right
    (8, (-1, 0)),   # rotate 90 degrees counter-clockwise: top-left goes to bottom-left
])
def test_exif_orientation_is_applied(tmp_path, orientation, red_corner):
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"rotated{orientation}.jpg"
    _asymmetric_photo().save(path, quality=95, exif=exif)
    image = read_image(path)
    assert_rgb(image, (64, 32))
    row, col = red_corner
    assert image[row, col, 0] > 200 and image[row, col, 2] < 60
    assert image[32, 16, 2] > 200 and image[32, 16, 0] < 60


############################################################
#  Reading: bad files
############################################################

def _assert_one_line_error(error, path, reason_part):
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"cannot read image '{os.fspath(path)}': ")
    assert reason_part in message
    assert isinstance(error.value, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError) as error:
        read_image(tmp_path / "missing.jpg")
    _assert_one_line_error(error, tmp_path / "missing.jpg", "no such file")


def test_directory(tmp_path):
    with pytest.raises(ImageReadError) as error:
        read_image(tmp_path)
    _assert_one_line_error(error, tmp_path, "directory")


def test_empty_file(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ImageReadError) as error:
        read_image(tmp_path / "empty.jpg")
    _assert_one_line_error(error, tmp_path / "empty.jpg", "empty file")


def test_text_file_renamed_jpg(tmp_path):
    (tmp_path / "notes.jpg").write_text("these are\nnot pixels\n")
    with pytest.raises(ImageReadError) as error:
        read_image(tmp_path / "notes.jpg")
    _assert_one_line_error(error, tmp_path / "notes.jpg", "not an image file")


def test_random_bytes(tmp_path):
    (tmp_path / "noise.png").write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(ImageReadError) as error:
        read_image(tmp_path / "noise.png")
    _assert_one_line_error(error, tmp_path / "noise.png", "not an image file")


@pytest.mark.parametrize("extension", ["jpg", "png"])
def test_truncated_file(tmp_path, extension):
    pixels = np.random.default_rng(1).integers(0, 256, (64, 64, 3)).astype(np.uint8)
    whole = tmp_path / f"whole.{extension}"
    Image.fromarray(pixels).save(whole)
    cut = tmp_path / f"cut.{extension}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ImageReadError) as error:
        read_image(cut)
    _assert_one_line_error(error, cut, "truncated or corrupt")


def test_corrupt_data_after_valid_header(tmp_path):
    path = tmp_path / "corrupt.png"
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(path)
    data = bytearray(path.read_bytes())
    data[60:80] = b"\xff" * 20  # inside the compressed pixel data
    path.write_bytes(bytes(data))
    with pytest.raises(ImageReadError) as error:
        read_image(path)
    _assert_one_line_error(error, path, "corrupt")


def _png_header_only(path, width, height):
    """A PNG whose header claims width x height pixels, with no pixel data at all."""
    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused(tmp_path):
    bomb = tmp_path / "bomb.png"
    _png_header_only(bomb, 20000, 20000)  # 400 megapixels from 57 bytes
    with pytest.raises(ImageReadError) as error:
        read_image(bomb)
    _assert_one_line_error(error, bomb, "decompression bomb")
    # Between our limit and Pillow's: refused by our own check, with the limit named.
    medium = tmp_path / "medium.png"
    _png_header_only(medium, 12000, 10000)
    with pytest.raises(ImageReadError) as error:
        read_image(medium)
    _assert_one_line_error(error, medium, "over the limit of 100000000")


def test_max_pixels_argument(tmp_path):
    Image.fromarray(np.zeros((100, 100), np.uint8)).save(tmp_path / "small.png")
    assert read_image(tmp_path / "small.png", max_pixels=10_000).shape == (100, 100, 3)
    with pytest.raises(ImageReadError, match="over the limit of 9999"):
        read_image(tmp_path / "small.png", max_pixels=9_999)
    assert read_image(tmp_path / "small.png", max_pixels=None).shape == (100, 100, 3)


def test_max_pixels_above_pillows_own_limit(tmp_path, monkeypatch):
    Image.fromarray(np.full((30, 30), 9, np.uint8)).save(tmp_path / "picture.png")
    # Pillow alone would refuse 900 pixels now (error above 2 x 100); the caller's
    # max_pixels governs instead.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    image = read_image(tmp_path / "picture.png", max_pixels=1000)
    assert image.shape == (30, 30, 3) and (image == 9).all()
    with pytest.raises(ImageReadError, match="decompression bomb"):
        read_image(tmp_path / "picture.png", max_pixels=150)
    assert Image.MAX_IMAGE_PIXELS == 100  # Pillow's global is restored


def test_zero_size_image(tmp_path):
    path = tmp_path / "zero.png"
    _png_header_only(path, 0, 5)
    with pytest.raises(ImageReadError) as error:
        read_image(path)
    assert "zero.png" in str(error.value) and "\n" not in str(error.value)


############################################################
#  Writing
############################################################

def test_write_png_round_trip_and_permissions(tmp_path):
    pixels = np.random.default_rng(2).integers(0, 256, (10, 12, 3)).astype(np.uint8)
    path = tmp_path / "out.png"
    write_image_atomic(path, pixels)
    np.testing.assert_array_equal(read_image(path), pixels)
    assert os.stat(path).st_mode & 0o777 == 0o644
    os.chmod(path, 0o600)
    write_image_atomic(str(path), pixels[::-1])  # overwrite keeps the file's permissions
    np.testing.assert_array_equal(read_image(path), pixels[::-1])
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert sorted(os.listdir(tmp_path)) == ["out.png"]


def test_write_jpeg_gray_and_bool(tmp_path):
    pixels = np.full((16, 16, 3), (200, 30, 30), np.uint8)
    write_image_atomic(tmp_path / "out.JPG", pixels)
    assert np.abs(read_image(tmp_path / "out.JPG").astype(int) - pixels).max() <= 3
    mask = np.zeros((8, 8), bool)
    mask[2:4] = True
    write_image_atomic(tmp_path / "mask.png", mask)
    np.testing.assert_array_equal(read_image(tmp_path / "mask.png")[..., 0], mask * 255)


def test_write_refuses_bad_requests(tmp_path):
    pixels = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ImageWriteError, match="unsupported extension"):
        write_image_atomic(tmp_path / "out.bmp", pixels)
    with pytest.raises(ImageWriteError, match="expected a uint8 image"):
        write_image_atomic(tmp_path / "out.png", pixels.astype(np.float32))
    with pytest.raises(ImageWriteError, match="alpha"):
        write_image_atomic(tmp_path / "out.jpg", np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(ImageWriteError, match="does not exist"):
        write_image_atomic(tmp_path / "no_folder" / "out.png", pixels)
    source = tmp_path / "photo.png"
    write_image_atomic(source, pixels + 9)
    with pytest.raises(ImageWriteError) as error:
        write_image_atomic(tmp_path / "." / "photo.png", pixels, protect=str(source))
    assert str(error.value) == (f"cannot write image '{tmp_path / '.' / 'photo.png'}': "
                                "refusing to overwrite the input image")
    np.testing.assert_array_equal(read_image(source), pixels + 9)
    assert sorted(os.listdir(tmp_path)) == ["photo.png"]


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "result.png"
    write_image_atomic(path, np.full((4, 4, 3), 7, np.uint8))

    def failing_save(self, handle, *args, **kwargs):
        handle.write(b"half an image")
        raise OSError("disk full")

    monkeypatch.setattr(image_io.Image.Image, "save", failing_save)
    with pytest.raises(ImageWriteError) as error:
        write_image_atomic(path, np.zeros((4, 4, 3), np.uint8))
    assert str(error.value) == f"cannot write image '{path}': disk full"
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["result.png"]
    assert (read_image(path) == 7).all()


def test_list_images_sorted_by_name_skipping_hidden_files_folders_and_other_extensions(tmp_path):
    from mrcnn.image_io import list_images

    for name in ("b.PNG", "a.jpg", ".hidden.png", "notes.txt", "c.tiff"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "folder.png").mkdir()
    assert list_images(tmp_path) == [str(tmp_path / "a.jpg"), str(tmp_path / "b.PNG"),
                                     str(tmp_path / "c.tiff")]
    assert list_images(tmp_path, extensions=(".png",)) == [str(tmp_path / "b.PNG")]
    assert list_images(tmp_path / "folder.png") == []
    with pytest.raises(FileNotFoundError):
        list_images(tmp_path / "missing")
