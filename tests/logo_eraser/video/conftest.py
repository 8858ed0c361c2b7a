"""Fixtures of the video tests: small clips made here with PyAV, and a stand-in detector.

``make_clip(path, ...)`` writes a clip of a brand mark (the vendored simple-icons artwork,
coloured) moving left to right over a crop of images/sample_image_0.jpg, 25 fps, with a 440 Hz
sine tone as AAC audio; it returns a `Clip` with the logo's box in every frame (the ground truth)
and the frames as generated. ``StubModel(clip, miss=...)`` has the eraser model's interface
(``detect_multiscale``, ``config``) and "detects" the clip's logo where the ground truth says,
after recognising which frame it was given (nearest generated frame); ``miss(index)`` True makes
it miss that frame. ``detail_correlation`` is the real-photo benchmark's fine-detail measure
(bench/bench_real_photos.py) on a box: about 1 when the logo is intact, low once hidden.
"""

import dataclasses
import pathlib

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from mrcnn.config import Config as MrcnnConfig
from mrcnn.testing import load_script_module

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
BACKGROUND = REPO_ROOT / "images" / "sample_image_0.jpg"
ICONS = REPO_ROOT / "logo_eraser" / "synth" / "data" / "icons"
_REAL_PHOTOS_BENCH = load_script_module(REPO_ROOT / "bench" / "bench_real_photos.py")
SAMPLE_RATE = 48000


@dataclasses.dataclass
class Clip:
    path: pathlib.Path
    frames: list          # generated [H, W, 3] uint8 RGB frames (before encoding)
    boxes: list           # per frame: (y1, x1, y2, x2) int px of the logo, or None (no logo)
    logo_alpha: np.ndarray  # [h, w] float 0..1, the mark's coverage at its drawn size
    fps: int


def _background(width, height, variant=0):
    photo = np.asarray(Image.open(BACKGROUND).convert("RGB"))
    if variant:  # another shot: a different crop, mirrored and darkened (another histogram)
        photo = (photo[::-1, ::-1] * 0.35).astype(np.uint8)
    scale = max(width / photo.shape[1], height / photo.shape[0]) * 1.5
    resized = cv2.resize(photo, (round(photo.shape[1] * scale), round(photo.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(resized[:height, :width])


def _logo_alpha(name, size):
    alpha = np.asarray(Image.open(ICONS / f"{name}.png").convert("L"), np.float32) / 255.0
    scale = size / max(alpha.shape)
    return cv2.resize(alpha, (max(1, round(alpha.shape[1] * scale)),
                              max(1, round(alpha.shape[0] * scale))),
                      interpolation=cv2.INTER_AREA)


def make_clip(path, width=240, height=160, frames=30, fps=25, logo="adidas", logo_size=72,
              audio=True, cut_at=None, codec="libx264", pix_fmt="yuv420p", rotation=0,
              logo_after_cut=False, container_format=None):
    """Write the clip (see the module docstring) and return its `Clip`.

    cut_at: frame index where the shot changes (another background; the logo is gone unless
    logo_after_cut). The mark is drawn in white with a dark outline over the photo, so its
    fine detail is strong; it moves 3 px per frame from the left edge."""
    path = pathlib.Path(path)
    alpha = _logo_alpha(logo, logo_size)
    lh, lw = alpha.shape
    dark = cv2.dilate(alpha, np.ones((3, 3), np.uint8))
    generated, boxes = [], []
    for index in range(frames):
        after_cut = cut_at is not None and index >= cut_at
        image = _background(width, height, variant=1 if after_cut else 0).astype(np.float32)
        box = None
        if not after_cut or logo_after_cut:
            y1 = (height - lh) // 2
            x1 = 4 + 3 * index
            if after_cut:
                y1, x1 = 2, width - lw - 4 - index
            window = image[y1:y1 + lh, x1:x1 + lw]
            window *= (1 - dark)[:, :, None] * 0.7 + 0.3
            window += alpha[:, :, None] * (np.array([255, 240, 40], np.float32) - window)
            box = (y1, x1, y1 + lh, x1 + lw)
        generated.append(np.clip(image, 0, 255).astype(np.uint8))
        boxes.append(box)
    container = av.open(str(path), "w", format=container_format)
    stream = container.add_stream(codec, rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
    if codec == "libx264":
        stream.options = {"crf": "12", "preset": "ultrafast"}
    elif codec == "libx265":
        stream.options = {"crf": "12", "preset": "ultrafast", "x265-params": "log-level=error"}
    if rotation:
        stream.set_display_rotation(rotation)
    audio_stream = container.add_stream("aac", rate=SAMPLE_RATE) if audio else None
    for image in generated:
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
    if audio_stream is not None:
        samples = int(SAMPLE_RATE * frames / fps)
        tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / SAMPLE_RATE)
        audio_frame = av.AudioFrame.from_ndarray(tone.astype(np.float32)[None], format="fltp",
                                                 layout="mono")
        audio_frame.sample_rate = SAMPLE_RATE
        for packet in list(audio_stream.encode(audio_frame)) + list(audio_stream.encode(None)):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    return Clip(path, generated, boxes, alpha, fps)


def decode_frames(path):
    """Every frame of the video at ``path`` as [H, W, 3] uint8 RGB (as stored, not rotated)."""
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def audio_packets(path):
    """(bytes of every audio packet, in order; duration of the audio stream in seconds)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        packets = [bytes(p) for p in container.demux(stream) if p.size]
        duration = float(stream.duration * stream.time_base) if stream.duration else None
    return packets, duration


def detail_correlation(before, after, box):
    """NCC of the high-passed grey ``box`` (y1, x1, y2, x2) before and after: 1 untouched,
    about 0 once its detail is gone (bench/bench_real_photos.py's measure, on a box)."""
    return _REAL_PHOTOS_BENCH.detail_correlation(before, after,
                                                 {"box": [int(v) for v in box]})


class StubModel:
    """Stands in for the eraser's Mask R-CNN on a `Clip`: detects its logo where the ground
    truth says (box and the mark's mask), unless ``miss(frame index)``; records the frame
    indices it was asked about in ``asked``. class_id: the class it reports (1: "logo")."""

    def __init__(self, clip, miss=lambda index: False, class_id=1,
                 class_names=("BG", "logo"), side=128, rotation=0, jitter=0):
        self.clip = clip
        self.jitter = jitter  # px: each box edge moved by up to this much (seeded by the frame)
        self.turns = (rotation // 90) % 4  # the clip's display rotation: images come upright
        self.miss = miss
        self.class_id = class_id
        self.asked = []
        small = [cv2.resize(f, (32, 24), interpolation=cv2.INTER_AREA).astype(np.float32)
                 for f in clip.frames]
        self._small = np.stack(small)

        class Config(MrcnnConfig):
            NAME = "stub"
            CLASS_NAMES = list(class_names)
            IMAGE_MAX_DIM = side

        self.config = Config()

    def frame_index(self, image):
        small = cv2.resize(image, (32, 24), interpolation=cv2.INTER_AREA).astype(np.float32)
        return int(np.argmin(np.abs(self._small - small[None]).mean(axis=(1, 2, 3))))

    def detect_multiscale(self, images, image_sizes=None, verbose=0):
        (image,) = images
        upright_shape = image.shape
        image = np.ascontiguousarray(np.rot90(image, -self.turns))  # back to the stored frame
        result = self._detect_stored(image)
        if self.turns:  # answer in the upright frame's pixels, as the real model would
            masks = np.rot90(result["masks"], self.turns, axes=(0, 1))
            rois = []
            for index in range(masks.shape[2]):
                ys, xs = np.nonzero(masks[:, :, index])
                rois.append([ys.min(), xs.min(), ys.max() + 1, xs.max() + 1])
            result = dict(result, masks=masks, rois=np.array(rois, np.int32).reshape(-1, 4))
            assert masks.shape[:2] == upright_shape[:2]
        return [result]

    def _detect_stored(self, image):
        index = self.frame_index(image)
        self.asked.append(index)
        box = self.clip.boxes[index]
        height, width = image.shape[:2]
        if box is None or self.miss(index):
            return {"rois": np.zeros((0, 4), np.int32), "class_ids": np.zeros(0, np.int32),
                    "scores": np.zeros(0, np.float32), "masks": np.zeros((height, width, 0), bool)}
        y1, x1, y2, x2 = box
        masks = np.zeros((height, width, 1), bool)
        masks[y1:y2, x1:x2, 0] = self.clip.logo_alpha > 0.3
        if self.jitter:  # a real detector's boxes wobble from frame to frame
            shift = np.random.default_rng(index).integers(-self.jitter, self.jitter + 1, 4)
            y1, x1 = max(0, y1 + shift[0]), max(0, x1 + shift[1])
            y2, x2 = min(height, y2 + shift[2]), min(width, x2 + shift[3])
            box = (y1, x1, y2, x2)
        return {"rois": np.array([box], np.int32), "class_ids": np.array([self.class_id], np.int32),
                "scores": np.array([0.95], np.float32), "masks": masks}


@pytest.fixture(scope="session")
def clip_maker():
    return make_clip


@pytest.fixture(scope="session")
def stub_model_class():
    return StubModel


@pytest.fixture(scope="session")
def video_helpers():
    """decode_frames, audio_packets, detail_correlation."""
    return dataclasses.make_dataclass("Helpers", ["decode_frames", "audio_packets",
                                                  "detail_correlation"])(
        decode_frames, audio_packets, detail_correlation)


@pytest.fixture(scope="module")
def moving_logo_clip(tmp_path_factory):
    """The standard test clip: 240x160, 30 frames at 25 fps, a mark moving, AAC tone."""
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")

