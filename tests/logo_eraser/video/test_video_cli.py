"""Tests of ``logo-eraser`` (logo_eraser.cli) on videos: the default output, --json tracks,
--keep, --detect-every/--hold/--crf, folders of photos and videos, content over extension, the
bad inputs of issue 15 (exit 2, one line naming the file, nothing written), SIGTERM, and one
end-to-end run of block/final_project.py with the shipped model.

Runs in-process through ``cli.main(argv)`` with the model build replaced by the stand-in
detector (StubModel, conftest.py), except the last test.
"""

import json
import os
import pathlib
import signal
import subprocess
import sys

import av
import numpy as np
import pytest
from PIL import Image

from logo_eraser import cli, models, videos

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
HIDDEN_NCC = 0.5


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in pathlib.Path(folder).rglob("*"))


def error_lines(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def assert_one_line_error(status, capsys, *fragments):
    lines = error_lines(capsys)
    assert status == 2
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture
def use_stub(monkeypatch, stub_model_class):
    """Make the command use a StubModel of ``clip``; returns the setter."""
    def setter(clip, **options):
        stub = stub_model_class(clip, **options)
        monkeypatch.setattr(models, "load_eraser_model", lambda path, config: stub)
        return stub
    return setter


def frame_count(path):
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_default_output_json_tracks_and_hidden_logo(tmp_path, monkeypatch, capsys,
                                                    moving_logo_clip, use_stub, video_helpers):
    use_stub(moving_logo_clip, miss=lambda index: index % 3 == 1)
    monkeypatch.chdir(tmp_path)
    status = cli.main(["-i", str(moving_logo_clip.path), "--json", "tracks.json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "1 logo track hidden in 30 frames; wrote eraser.mp4" in captured.out
    assert sorted(os.listdir(tmp_path)) == ["eraser.mp4", "tracks.json"]
    record = json.loads((tmp_path / "tracks.json").read_text())
    assert record["detect_every"] == videos.DEFAULT_DETECT_EVERY
    assert record["hold"] == videos.default_hold(25) == 25 and record["frames"] == 30
    (track,) = record["tracks"]
    assert track["id"] == 1 and track["class_name"] == "logo" and track["hidden"] is True
    assert (track["first_frame"], track["last_frame"]) == (0, 29)
    assert [entry["frame"] for entry in track["frames"]] == list(range(30))
    before = video_helpers.decode_frames(moving_logo_clip.path)
    after = video_helpers.decode_frames(tmp_path / "eraser.mp4")
    assert len(after) == 30
    assert max(video_helpers.detail_correlation(b, a, box) for b, a, box in
               zip(before, after, moving_logo_clip.boxes)) < HIDDEN_NCC


def test_flags_keep_detect_every_hold_crf(tmp_path, capsys, moving_logo_clip, use_stub,
                                          video_helpers):
    stub = use_stub(moving_logo_clip)
    output = tmp_path / "kept.mkv"
    status = cli.main(["-i", str(moving_logo_clip.path), "-o", str(output), "--keep", "logo",
                       "--detect-every", "4", "--hold", "2", "--crf", "30", "--json",
                       str(tmp_path / "t.json")])
    assert status == 0, capsys.readouterr().err
    assert stub.asked == list(range(0, 30, 4))
    record = json.loads((tmp_path / "t.json").read_text())
    assert record["hold"] == 2 and record["tracks"][0]["hidden"] is False
    before = video_helpers.decode_frames(moving_logo_clip.path)
    after = video_helpers.decode_frames(output)
    assert min(video_helpers.detail_correlation(b, a, box) for b, a, box in
               zip(before, after, moving_logo_clip.boxes)) > 0.8  # kept (CRF 30 blurs a bit)


def test_content_wins_over_extension(tmp_path, monkeypatch, capsys, moving_logo_clip, use_stub):
    use_stub(moving_logo_clip)
    monkeypatch.chdir(tmp_path)
    disguised = tmp_path / "clip.jpg"
    disguised.write_bytes(moving_logo_clip.path.read_bytes())
    assert cli.main(["-i", str(disguised)]) == 0, capsys.readouterr().err
    assert frame_count(tmp_path / "eraser.mp4") == 30
    # A photo named .mp4 is erased as a photo.
    photo = tmp_path / "still.mp4"
    Image.fromarray(moving_logo_clip.frames[0]).save(photo, format="PNG")
    assert cli.main(["-i", str(photo), "-o", "still.png"]) == 0, capsys.readouterr().err
    assert np.asarray(Image.open(tmp_path / "still.png")).shape == (160, 240, 3)


def test_folder_of_photos_and_videos(tmp_path, capsys, moving_logo_clip, use_stub):
    use_stub(moving_logo_clip)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "clip.mp4").write_bytes(moving_logo_clip.path.read_bytes())
    Image.fromarray(moving_logo_clip.frames[3]).save(folder / "photo.jpg")
    (folder / "broken.mov").write_text("not a video")
    status = cli.main(["-i", str(folder), "-o", str(tmp_path / "out"), "--json",
                       str(tmp_path / "all.json")])
    captured = capsys.readouterr()
    assert status == 2  # the broken video is reported and skipped
    assert "broken.mov" in captured.err and "2 of 3 photos and videos" in captured.out
    assert files_under(tmp_path / "out") == ["clip.mp4", "photo.png"]
    assert frame_count(tmp_path / "out" / "clip.mp4") == 30
    records = json.loads((tmp_path / "all.json").read_text())["images"]
    assert [("tracks" in r, "detections" in r, "error" in r) for r in records] == [
        (False, False, True), (True, False, False), (False, True, False)]


# --- bad inputs: one line naming the file, exit 2, nothing written -----------------------------

def _text(path, clip_maker):
    path.write_text("just some notes\n")


def _truncated(path, clip_maker):
    clip_maker(path, frames=10)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _audio_only(path, clip_maker):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 9600), np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate = 48000
        for packet in list(stream.encode(frame)) + list(stream.encode(None)):
            container.mux(packet)


def _zero_frames(path, clip_maker):
    with av.open(str(path), "w", format="avi") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()


def _unknown_codec(path, clip_maker):
    clip_maker(path, frames=3, codec="mpeg4", audio=False, container_format="avi")
    path.write_bytes(path.read_bytes().replace(b"FMP4", b"QQZ9"))


@pytest.mark.parametrize("name, make, expected", [
    ("notes.mp4", _text, "not a video file"),
    ("cut.mp4", _truncated, "truncated or damaged"),
    ("song.m4a.mp4", _audio_only, "no video stream"),
    ("empty.avi", _zero_frames, "no frames"),
    ("strange.avi", _unknown_codec, "no decoder"),
])
def test_bad_video_inputs(tmp_path, monkeypatch, capsys, clip_maker, name, make, expected):
    source_folder = tmp_path / "src"
    source_folder.mkdir()
    source = source_folder / name
    make(source, clip_maker)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(models, "load_eraser_model",
                        lambda *a: pytest.fail("the model is not built for a bad input"))
    status = cli.main(["-i", str(source), "--json", "t.json"])
    assert_one_line_error(status, capsys, source, expected)
    assert os.listdir(work) == []


def test_video_ending_early_is_an_error_after_the_model_ran(tmp_path, capsys, clip_maker,
                                                           use_stub):
    """A web-optimised MP4 cut short opens fine and ends early: found at the end, exit 2,
    nothing written."""
    source = tmp_path / "src" / "cut.mp4"
    source.parent.mkdir()
    clip = clip_maker(source, frames=30, audio=False)
    with av.open(str(source)) as container:
        assert container.streams.video[0].frames == 30
    # Rewrite it with the index first, then cut it.
    faststart = tmp_path / "src" / "fast.mp4"
    with av.open(str(source)) as reader, av.open(str(faststart), "w",
                                                  options={"movflags": "faststart"}) as writer:
        template = reader.streams.video[0]
        stream = writer.add_stream_from_template(template)
        for packet in reader.demux(template):
            if packet.dts is not None:
                packet.stream = stream
                writer.mux(packet)
    data = faststart.read_bytes()
    faststart.write_bytes(data[:int(len(data) * 0.6)])
    use_stub(clip)
    out = tmp_path / "out"
    out.mkdir()
    status = cli.main(["-i", str(faststart), "-o", str(out / "e.mp4"), "--json",
                       str(out / "t.json")])
    assert_one_line_error(status, capsys, faststart, "truncated or damaged (decoded")
    assert os.listdir(out) == []


def test_output_equal_to_input_and_wrong_output_extension(tmp_path, capsys, moving_logo_clip):
    source = tmp_path / "clip.mp4"
    source.write_bytes(moving_logo_clip.path.read_bytes())
    before = source.read_bytes()
    status = cli.main(["-i", str(source), "-o", str(source)])
    assert_one_line_error(status, capsys, "is the input video")
    status = cli.main(["-i", str(source), "-o", str(tmp_path / "frame.png")])
    assert_one_line_error(status, capsys, "is a video", "frame.png")
    assert source.read_bytes() == before and os.listdir(tmp_path) == ["clip.mp4"]


def test_bad_flag_values(capsys, moving_logo_clip):
    for argv in (["--detect-every", "0"], ["--hold", "-1"], ["--crf", "52"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["-i", str(moving_logo_clip.path)] + argv)
        assert exit_info.value.code == 2
        assert len(error_lines(capsys)) == 1


def test_sigterm_leaves_no_file_and_prints_one_line(tmp_path, capsys, moving_logo_clip,
                                                    use_stub):
    stub = use_stub(moving_logo_clip)
    original = stub.detect_multiscale

    def detect_then_terminated(images, image_sizes=None, verbose=0):
        if len(stub.asked) == 4:
            os.kill(os.getpid(), signal.SIGTERM)
        return original(images, image_sizes, verbose)

    stub.detect_multiscale = detect_then_terminated
    out = tmp_path / "out"
    out.mkdir()
    handler = signal.getsignal(signal.SIGTERM)
    status = cli.main(["-i", str(moving_logo_clip.path), "-o", str(out / "e.mp4")])
    assert status == 130
    assert error_lines(capsys) == ["interrupted"]
    assert os.listdir(out) == []
    assert signal.getsignal(signal.SIGTERM) is handler  # restored


@pytest.mark.slow
def test_final_project_script_with_the_shipped_model(tmp_path, clip_maker):
    """End to end: block/final_project.py -i clip.mp4 (the shipped model, 8 small frames)."""
    clip = clip_maker(tmp_path / "clip.mp4", width=160, height=120, frames=8, logo_size=56)
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "block" / "final_project.py"), "-i", str(clip.path),
         "--json", "t.json"], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr
    assert "wrote eraser.mp4" in completed.stdout
    assert frame_count(tmp_path / "eraser.mp4") == 8
    record = json.loads((tmp_path / "t.json").read_text())
    assert record["frames"] == 8
    assert record["key_frames"] == len(range(0, 8, videos.DEFAULT_DETECT_EVERY))
    with av.open(str(tmp_path / "eraser.mp4")) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
