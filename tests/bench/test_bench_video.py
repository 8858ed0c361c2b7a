"""Tests of bench/bench_video.py's clip and measures (not its timing): the mark is where the
clip says, the hidden/flash counts respond to a hidden and an untouched mark."""

import pathlib

import av
import numpy as np

from mrcnn.testing import load_script_module

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
bench_video = load_script_module(REPO_ROOT / "bench" / "bench_video.py")


def test_clip_boxes_and_hidden_flags(tmp_path):
    clip = tmp_path / "clip.mp4"
    boxes = bench_video.make_clip(clip, 320, 180, 0.4)  # 10 frames
    assert len(boxes) == 10
    with av.open(str(clip)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert container.streams.audio
    assert len(frames) == 10 and frames[0].shape == (180, 320, 3)
    # The mark's white plate is where the box says; it moves right.
    y1, x1, y2, x2 = boxes[0]
    assert frames[0][y1 + 1, x1 + 1].min() > 200
    assert boxes[-1][1] > boxes[0][1]
    # Untouched: never hidden. Every other frame's box painted flat grey: those are hidden.
    assert bench_video.hidden_flags(clip, clip, boxes) == [False] * 10
    erased = tmp_path / "erased.mp4"
    with av.open(str(erased), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"crf": "12"})
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for index, frame in enumerate(frames):
            frame = frame.copy()
            if index % 2 == 0:
                y1, x1, y2, x2 = boxes[index]
                frame[y1:y2, x1:x2] = 128
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    flags = bench_video.hidden_flags(clip, erased, boxes)
    assert flags == [index % 2 == 0 for index in range(10)]
    # Frames 1, 3, 5, 7 are shown between hidden ones; 9 has none after it.
    assert bench_video.flashes(flags, hold=1) == 4
    assert bench_video.flashes(np.ones(10, bool).tolist(), hold=3) == 0


def test_ten_minute_memory_extrapolation():
    flat = {"peak_rss_mb": 1000.0, "rss_samples_mb": {"100": 950.0, "200": 949.0}}
    assert bench_video.ten_minute_peak(flat) == 1000.0
    growing = {"peak_rss_mb": 1000.0, "rss_samples_mb": {"100": 900.0, "200": 910.0}}
    assert bench_video.ten_minute_peak(growing) == 1000.0 + 0.1 * (15000 - 200)
    short = {"peak_rss_mb": 1000.0, "rss_samples_mb": {"12": 900.0, "25": 901.0}}
    assert bench_video.ten_minute_peak(short) is None


def test_before_after_strip(tmp_path):
    clip = tmp_path / "clip.mp4"
    bench_video.make_clip(clip, 320, 180, 0.4)
    bench_video.write_strip(tmp_path / "strip.png", clip, clip, count=4, width=640)
    from mrcnn.image_io import read_image
    strip = read_image(tmp_path / "strip.png")
    assert strip.shape == (180, 640, 3)  # 4 frames of 320x180 side by side, two rows, halved
    np.testing.assert_allclose(strip[:90].astype(int), strip[90:], atol=2)
