"""Tests of the video pipeline (logo_eraser.videos.erase_video) with a stand-in detector
(StubModel, conftest.py) on clips made here: frames, rate, size and audio kept; the logo hidden
in every frame, also when the detector misses every third frame and between key frames; a
scene cut ends the track; kept classes stay visible; the mosaic does not shimmer; the JSON
record; nothing written on an error or Ctrl-C."""

import os

import av
import numpy as np
import pytest

from logo_eraser import hiding, videos

HIDDEN_NCC = 0.5  # detail correlation below this: the logo's fine detail is gone


def erase(stub, clip, output, **options):
    options.setdefault("progress", False)
    return videos.erase_video(stub, str(clip.path), str(output), **options)


def correlations(helpers, clip, output):
    before = helpers.decode_frames(clip.path)
    after = helpers.decode_frames(output)
    assert len(after) == len(before)
    return [helpers.detail_correlation(b, a, box) if box is not None else None
            for b, a, box in zip(before, after, clip.boxes)]


def test_control_an_untouched_logo_scores_high(tmp_path, moving_logo_clip, stub_model_class,
                                               video_helpers):
    """The measure can fail: with a detector that finds nothing, the logo stays (NCC ~1)."""
    stub = stub_model_class(moving_logo_clip, miss=lambda index: True)
    record = erase(stub, moving_logo_clip, tmp_path / "out.mp4", detect_every=1)
    assert record["tracks"] == []
    assert min(correlations(video_helpers, moving_logo_clip, tmp_path / "out.mp4")) > 0.95


@pytest.mark.parametrize("detect_every", [1, videos.DEFAULT_DETECT_EVERY, 5])
def test_logo_hidden_in_every_frame_and_the_rest_kept(tmp_path, moving_logo_clip,
                                                      stub_model_class, video_helpers,
                                                      detect_every):
    clip = moving_logo_clip
    stub = stub_model_class(clip)
    output = tmp_path / "out.mp4"
    record = erase(stub, clip, output, detect_every=detect_every)
    scores = correlations(video_helpers, clip, output)
    assert max(scores) < HIDDEN_NCC, scores
    # The detector ran on the key frames only.
    assert stub.asked == list(range(0, 30, detect_every))
    assert record["key_frames"] == len(stub.asked) and record["frames"] == 30
    (track,) = record["tracks"]
    assert (track["first_frame"], track["last_frame"]) == (0, 29)
    assert len(track["frames"]) == 30
    # Boxes between key frames follow the logo (3 px a frame) within a few pixels.
    for entry in track["frames"]:
        truth = clip.boxes[entry["frame"]]
        assert abs(entry["box"][1] - truth[1]) <= 3, (entry, truth)
    # Same frame count, rate, size; the audio packets copied.
    with av.open(str(output)) as container:
        stream = container.streams.video[0]
        assert stream.frames == 30 and stream.average_rate == 25
        assert (stream.codec_context.width, stream.codec_context.height) == (240, 160)
    before, duration_before = video_helpers.audio_packets(clip.path)
    after, duration_after = video_helpers.audio_packets(output)
    assert after == before and duration_after == pytest.approx(duration_before)
    # Far from the logo the frames are the input's (up to the re-encoding).
    frames_in = video_helpers.decode_frames(clip.path)
    frames_out = video_helpers.decode_frames(output)
    assert np.abs(frames_in[20][:40].astype(int) - frames_out[20][:40]).mean() < 3


@pytest.mark.parametrize("detect_every", [1, videos.DEFAULT_DETECT_EVERY])
def test_a_detector_missing_every_third_frame_never_shows_the_logo(
        tmp_path, moving_logo_clip, stub_model_class, video_helpers, detect_every):
    clip = moving_logo_clip
    stub = stub_model_class(clip, miss=lambda index: index % 3 == 1)
    output = tmp_path / "out.mp4"
    record = erase(stub, clip, output, detect_every=detect_every)
    assert max(correlations(video_helpers, clip, output)) < HIDDEN_NCC
    assert len(record["tracks"]) == 1


def test_a_miss_at_every_other_key_frame_is_held(tmp_path, moving_logo_clip, stub_model_class,
                                                 video_helpers):
    clip = moving_logo_clip
    # Key frames 0, 3, 6...: the detector misses 3, 9, 15... (every other one).
    stub = stub_model_class(clip, miss=lambda index: index % 6 == 3)
    output = tmp_path / "out.mp4"
    record = erase(stub, clip, output, detect_every=3, hold=6)
    assert max(correlations(video_helpers, clip, output)) < HIDDEN_NCC
    (track,) = record["tracks"]
    detected = {entry["frame"] for entry in track["frames"] if entry["detected"]}
    assert detected == set(range(0, 30, 6))


def test_without_hold_a_miss_shows_the_logo(tmp_path, moving_logo_clip, stub_model_class,
                                            video_helpers):
    """The hold is what hides the missed frames: with --hold 0 they show (the test can fail)."""
    clip = moving_logo_clip
    stub = stub_model_class(clip, miss=lambda index: index % 3 == 1)
    output = tmp_path / "out.mp4"
    erase(stub, clip, output, detect_every=1, hold=0)
    scores = correlations(video_helpers, clip, output)
    assert all(scores[i] > 0.9 for i in range(1, 30, 3))
    assert all(scores[i] < HIDDEN_NCC for i in range(0, 30, 3))


def test_a_scene_cut_ends_the_track(tmp_path, clip_maker, stub_model_class, video_helpers):
    clip = clip_maker(tmp_path / "cut.mp4", frames=30, cut_at=15, logo_after_cut=True)
    # Misses right after the cut: without the cut the old track would be held there.
    stub = stub_model_class(clip, miss=lambda index: index in (15, 16))
    output = tmp_path / "out.mp4"
    record = erase(stub, clip, output, detect_every=1, hold=12)
    assert record["scene_cuts"] == [15]
    first, second = record["tracks"]
    assert (first["first_frame"], first["last_frame"]) == (0, 14)
    assert second["first_frame"] == 17 and second["last_frame"] == 29
    # Frames 15 and 16 are untouched where the old logo was.
    frames_in = video_helpers.decode_frames(clip.path)
    frames_out = video_helpers.decode_frames(output)
    y1, x1, y2, x2 = clip.boxes[14]
    for index in (15, 16):
        difference = np.abs(frames_in[index][y1:y2, x1:x2].astype(int)
                            - frames_out[index][y1:y2, x1:x2]).mean()
        assert difference < 3


def test_kept_class_is_kept_in_every_frame(tmp_path, moving_logo_clip, stub_model_class,
                                           video_helpers):
    clip = moving_logo_clip
    stub = stub_model_class(clip, miss=lambda index: index % 3 == 1, class_id=2,
                            class_names=("BG", "adidas", "nike"))
    output = tmp_path / "out.mp4"
    record = erase(stub, clip, output, detect_every=2, keep_class_ids=[2])
    assert min(correlations(video_helpers, clip, output)) > 0.95
    (track,) = record["tracks"]
    assert track["class_name"] == "nike" and track["hidden"] is False
    assert len(track["frames"]) == 30


@pytest.mark.parametrize("jitter", [0, 4])
def test_mosaic_is_stable_over_time(tmp_path, moving_logo_clip, stub_model_class,
                                    video_helpers, jitter):
    """Inside the moving logo's box (in the logo's own coordinates) consecutive output frames
    barely change, unlike a mosaic redrawn each frame with new random picks; also when the
    detector's boxes wobble by up to ``jitter`` px a side."""
    clip = moving_logo_clip
    stub = stub_model_class(clip, jitter=jitter)
    output = tmp_path / "out.mp4"
    erase(stub, clip, output, detect_every=1)
    frames_in = video_helpers.decode_frames(clip.path)
    frames_out = video_helpers.decode_frames(output)
    redrawn = []
    for index, frame in enumerate(frames_in):
        result = stub.detect_multiscale([frame])[0]
        redrawn.append(hiding.hide_instances(frame, result["rois"], result["masks"],
                                             seed=index, dilate=2))

    def change(frames):
        steps = []
        for index in range(1, len(frames)):
            (a1, b1, _, _), (a2, b2, _, _) = clip.boxes[index - 1], clip.boxes[index]
            h, w = 40, 60  # inside the mark's box, away from its edges
            before = frames[index - 1][a1 + 8:a1 + 8 + h, b1 + 6:b1 + 6 + w].astype(int)
            after = frames[index][a2 + 8:a2 + 8 + h, b2 + 6:b2 + 6 + w].astype(int)
            steps.append(np.abs(after - before).mean())
        return float(np.mean(steps))

    limit = 0.15 if jitter == 0 else 0.4
    assert change(frames_out) < limit * change(redrawn), (change(frames_out), change(redrawn))


@pytest.mark.parametrize("style", ["blur", "solid"])
def test_other_styles_hide_too(tmp_path, moving_logo_clip, stub_model_class, video_helpers,
                               style):
    stub = stub_model_class(moving_logo_clip, miss=lambda index: index % 3 == 1)
    output = tmp_path / "out.mkv"
    erase(stub, moving_logo_clip, output, style=style)
    assert max(correlations(video_helpers, moving_logo_clip, output)) < HIDDEN_NCC


def test_interrupt_leaves_no_file(tmp_path, moving_logo_clip, stub_model_class):
    class Interrupting(stub_model_class):
        def detect_multiscale(self, images, image_sizes=None, verbose=0):
            if len(self.asked) == 3:
                raise KeyboardInterrupt
            return super().detect_multiscale(images, image_sizes, verbose)

    output = tmp_path / "out" / "eraser.mp4"
    output.parent.mkdir()
    with pytest.raises(KeyboardInterrupt):
        erase(Interrupting(moving_logo_clip), moving_logo_clip, output)
    assert os.listdir(output.parent) == []


def test_odd_size_video_through_the_pipeline(tmp_path, clip_maker, stub_model_class,
                                             video_helpers):
    clip = clip_maker(tmp_path / "odd.mov", width=201, height=151, frames=12, pix_fmt="yuv444p")
    output = tmp_path / "out.mp4"
    record = erase(stub_model_class(clip), clip, output)
    assert record["pixel_format"] == "yuv444p"
    frames = video_helpers.decode_frames(output)
    assert len(frames) == 12 and frames[0].shape == (151, 201, 3)
    assert max(correlations(video_helpers, clip, output)) < HIDDEN_NCC


class WideMarkDetector:
    """Finds the bright pixels of an image as one "logo", only when they are wider than tall
    (as a detector that learnt upright wordmarks)."""

    def __init__(self, config):
        self.config = config

    def detect_multiscale(self, images, image_sizes=None, verbose=0):
        (image,) = images
        bright = image.min(axis=2) > 200
        ys, xs = np.nonzero(bright)
        empty = {"rois": np.zeros((0, 4), np.int32), "class_ids": np.zeros(0, np.int32),
                 "scores": np.zeros(0, np.float32),
                 "masks": np.zeros(image.shape[:2] + (0,), bool)}
        if not len(ys) or np.ptp(ys) >= np.ptp(xs):
            return [empty]
        box = [ys.min(), xs.min(), ys.max() + 1, xs.max() + 1]
        return [{"rois": np.array([box], np.int32), "class_ids": np.array([1], np.int32),
                 "scores": np.array([0.9], np.float32), "masks": bright[:, :, None]}]


@pytest.mark.parametrize("rotation", [0, 90, -90, 180])
def test_detection_runs_on_the_upright_frame(stub_model_class, moving_logo_clip, rotation):
    stored = np.zeros((120, 200, 3), np.uint8)
    turns = (rotation // 90) % 4
    # A mark 60 wide and 20 high as the viewer sees it: stored turned back.
    upright = np.zeros_like(np.rot90(stored, turns))
    upright[30:50, 40:100] = 255
    stored = np.ascontiguousarray(np.rot90(upright, -turns))
    detector = WideMarkDetector(stub_model_class(moving_logo_clip).config)
    result = videos.detect_upright(detector, stored, rotation)
    (box,) = result["rois"]
    ys, xs = np.nonzero(stored.min(axis=2) > 200)
    assert list(box) == [ys.min(), xs.min(), ys.max() + 1, xs.max() + 1]
    assert result["masks"].shape == (120, 200, 1)
    np.testing.assert_array_equal(result["masks"][:, :, 0], stored.min(axis=2) > 200)
    if rotation in (90, -90):  # the stored mark is taller than wide: not found sideways
        assert len(videos.detect_upright(detector, stored, 0)["rois"]) == 0


def test_rotated_phone_video_keeps_its_rotation(tmp_path, clip_maker, stub_model_class,
                                                video_helpers):
    clip = clip_maker(tmp_path / "phone.mp4", frames=10, rotation=90)
    output = tmp_path / "out.mp4"
    stub = stub_model_class(clip, rotation=90)
    record = erase(stub, clip, output, detect_every=2)
    assert record["rotation"] == 90
    assert max(correlations(video_helpers, clip, output)) < HIDDEN_NCC
    with av.open(str(output)) as container:
        assert next(container.decode(video=0)).rotation == 90


def test_same_seed_same_output_and_the_seed_changes_the_mosaic(moving_logo_clip,
                                                               stub_model_class):
    """The hidden frames (before encoding: x264's threads need not be bit-exact) depend on the
    seed only."""
    from logo_eraser.video_io import open_video

    outputs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        with open_video(str(moving_logo_clip.path)) as reader:
            eraser = videos.VideoEraser(stub_model_class(moving_logo_clip), hold=12, seed=seed)
            outputs[name] = np.stack([rgb for _, rgb in eraser.run(reader.frames())])
    assert np.array_equal(outputs["a"], outputs["b"])
    assert not np.array_equal(outputs["a"], outputs["c"])


def test_4k_video(tmp_path, clip_maker, stub_model_class, video_helpers):
    """A 3840x2160 clip (3 frames): same size out, the mark hidden."""
    clip = clip_maker(tmp_path / "uhd.mp4", width=3840, height=2160, frames=3, logo_size=480,
                      audio=False)
    output = tmp_path / "out.mp4"
    record = erase(stub_model_class(clip), clip, output, detect_every=2)
    assert record["frames"] == 3 and (record["width"], record["height"]) == (3840, 2160)
    with av.open(str(clip.path)) as before, av.open(str(output)) as after:
        pairs = zip(before.decode(video=0), after.decode(video=0), clip.boxes, strict=True)
        for frame_in, frame_out, box in pairs:
            pixels_out = frame_out.to_ndarray(format="rgb24")
            assert pixels_out.shape == (2160, 3840, 3)
            correlation = video_helpers.detail_correlation(frame_in.to_ndarray(format="rgb24"),
                                                           pixels_out, box)
            assert correlation < HIDDEN_NCC


class _Region:
    """A text_hiding.TextRegion stand-in: a hidden brand name over the given box."""

    def __init__(self, box):
        y1, x1, y2, x2 = box
        self.polygon = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)
        self.hidden, self.score, self.text, self.brand = True, 0.9, "ADIDAS", "Adidas"


class _StubTextFinder:
    """Reads the clip's logo as a brand name wherever it is; records the frames it read."""

    mode = "brands"

    def __init__(self, stub):
        self.stub, self.read = stub, []

    def find(self, image):
        index = self.stub.frame_index(image)
        self.read.append(index)
        box = self.stub.clip.boxes[index]
        return [] if box is None else [_Region(box)]


@pytest.mark.parametrize("text_every", [1, 3])
def test_text_read_on_every_nth_key_frame_stays_hidden_between_reads(
        tmp_path, moving_logo_clip, stub_model_class, video_helpers, text_every):
    clip = moving_logo_clip
    stub = stub_model_class(clip, miss=lambda index: True)  # no logo: text only
    finder = _StubTextFinder(stub)
    output = tmp_path / "out.mp4"
    record = erase(stub, clip, output, detect_every=5, hold=0, text_finder=finder,
                   text_every=text_every)
    # Logos on every key frame, text on every text_every-th of them.
    assert stub.asked == list(range(0, 30, 5))
    assert finder.read == list(range(0, 30, 5 * text_every))
    assert record["text_reads"] == len(finder.read) and record["text_every"] == text_every
    # With no hold at all, the text track still lives until the next read can confirm it.
    (track,) = record["tracks"]
    assert track["class_name"] == "text" and track["read"][0]["brand"] == "Adidas"
    assert (track["first_frame"], track["last_frame"]) == (0, 29)
    assert max(correlations(video_helpers, clip, output)) < HIDDEN_NCC


def test_text_reading_restarts_at_a_scene_cut(tmp_path, clip_maker, stub_model_class):
    clip = clip_maker(tmp_path / "cut.mp4", frames=30, cut_at=12, logo_after_cut=True)
    stub = stub_model_class(clip, miss=lambda index: True)
    finder = _StubTextFinder(stub)
    record = erase(stub, clip, tmp_path / "out.mp4", detect_every=5, hold=0,
                   text_finder=finder, text_every=3)
    # Key frames 0, 5, 10, then the cut's 12, 17, 22, 27: the first of each shot reads text.
    assert stub.asked == [0, 5, 10, 12, 17, 22, 27]
    assert finder.read == [0, 12, 27]
    first, second = record["tracks"]
    assert (first["first_frame"], first["last_frame"]) == (0, 11)
    assert (second["first_frame"], second["last_frame"]) == (12, 29)


def test_text_every_must_be_positive(moving_logo_clip, stub_model_class):
    with pytest.raises(ValueError, match="text_every"):
        videos.VideoEraser(stub_model_class(moving_logo_clip), text_every=0)
