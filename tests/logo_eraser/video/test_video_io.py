"""Tests of logo_eraser.video_io: what a read-and-rewrite keeps (frames, timestamps, size,
rotation, colour range, audio packets), odd sizes, 10-bit input, content sniffing, and the
errors on files that are no usable video."""

import fractions

import av
import numpy as np
import pytest

from logo_eraser import video_io
from logo_eraser.video_io import VideoReadError, VideoWriter, open_video


def rewrite(source, target, extension=None, crf=18):
    """Decode ``source`` and encode it unchanged into ``target`` with the audio copied."""
    extension = extension or target.suffix
    with open_video(str(source)) as reader:
        with VideoWriter(str(target), reader, extension, crf=crf) as writer:
            reader.packet_sink = writer.copy_packet
            for frame in reader.frames():
                writer.write(frame.rgb, frame.pts)
    return reader, writer


def frame_times(path):
    with av.open(str(path)) as container:
        return [frame.time for frame in container.decode(video=0)]


def test_rewrite_keeps_frames_rate_size_timestamps_and_audio_packets(tmp_path, clip_maker,
                                                                      video_helpers):
    clip = clip_maker(tmp_path / "in.mp4", frames=24)
    reader, writer = rewrite(clip.path, tmp_path / "out.mp4")
    assert writer.pix_fmt == "yuv420p" and writer.skipped_streams == []
    with av.open(str(tmp_path / "out.mp4")) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (240, 160)
        assert stream.average_rate == 25
        assert stream.codec_context.name == "h264"
    assert frame_times(tmp_path / "out.mp4") == pytest.approx(frame_times(clip.path))
    assert len(frame_times(tmp_path / "out.mp4")) == 24
    before, duration_before = video_helpers.audio_packets(clip.path)
    after, duration_after = video_helpers.audio_packets(tmp_path / "out.mp4")
    assert before and after == before  # copied, not re-encoded
    assert duration_after == pytest.approx(duration_before)
    # The pixels survive the round trip (CRF 18: no visible loss).
    frames_in = video_helpers.decode_frames(clip.path)
    frames_out = video_helpers.decode_frames(tmp_path / "out.mp4")
    assert np.abs(frames_in[5].astype(int) - frames_out[5]).mean() < 3


def test_variable_frame_rate_timestamps_are_kept(tmp_path):
    source = tmp_path / "vfr.mkv"
    pts_ms = [0, 40, 80, 200, 240, 400, 433, 466, 900]
    with av.open(str(source), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        stream.codec_context.time_base = fractions.Fraction(1, 1000)
        for index, pts in enumerate(pts_ms):
            frame = av.VideoFrame.from_ndarray(np.full((64, 96, 3), index * 25, np.uint8),
                                               format="rgb24")
            frame.pts, frame.time_base = pts, fractions.Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    for extension in (".mkv", ".mp4"):
        target = tmp_path / f"out{extension}"
        rewrite(source, target)
        assert [round(t * 1000) for t in frame_times(target)] == pts_ms


def test_rotation_and_full_colour_range_are_kept(tmp_path, clip_maker):
    clip = clip_maker(tmp_path / "phone.mp4", frames=6, rotation=90, pix_fmt="yuvj420p",
                      audio=False)
    reader, _ = rewrite(clip.path, tmp_path / "out.mp4")
    assert reader.rotation == 90 and reader.color_range == 2
    with av.open(str(tmp_path / "out.mp4")) as container:
        frame = next(container.decode(video=0))
        assert frame.rotation == 90
        assert frame.color_range == 2


@pytest.mark.parametrize("size", [(161, 121), (160, 121), (161, 120)])
def test_odd_sizes_are_kept_exactly_in_yuv444(tmp_path, clip_maker, video_helpers, size):
    width, height = size
    clip = clip_maker(tmp_path / "odd.mkv", width=width, height=height, frames=5,
                      pix_fmt="yuv444p", audio=False)
    _, writer = rewrite(clip.path, tmp_path / "out.mp4")
    assert writer.pix_fmt == "yuv444p"
    frames = video_helpers.decode_frames(tmp_path / "out.mp4")
    assert len(frames) == 5 and frames[0].shape == (height, width, 3)


def test_ten_bit_input_is_read_and_written_in_eight_bits(tmp_path, clip_maker, video_helpers):
    clip = clip_maker(tmp_path / "hdr.mkv", frames=5, codec="libx265", pix_fmt="yuv420p10le",
                      audio=False)
    reader, writer = rewrite(clip.path, tmp_path / "out.mp4")
    assert reader.bit_depth == 10
    frames = video_helpers.decode_frames(tmp_path / "out.mp4")
    assert len(frames) == 5
    decoded_input = video_helpers.decode_frames(clip.path)[2]
    assert np.abs(frames[2].astype(int) - decoded_input).mean() < 3


def test_webm_output_is_vp9_with_the_aac_it_cannot_hold_re_encoded_to_opus(tmp_path,
                                                                          clip_maker):
    clip = clip_maker(tmp_path / "in.mp4", frames=25)
    _, writer = rewrite(clip.path, tmp_path / "out.webm")
    assert writer.transcoded_streams == ["audio stream 1 (aac) -> libopus"]
    assert writer.skipped_streams == []
    with av.open(str(tmp_path / "out.webm")) as container:
        assert container.streams.video[0].codec_context.name == "vp9"
        assert container.streams.audio[0].codec_context.name == "opus"
        samples = np.concatenate([frame.to_ndarray()[0]  # the first channel
                                  for frame in container.decode(audio=0)])
    # One second of the 440 Hz tone at 48 kHz (give or take the codecs' padding).
    assert abs(len(samples) - 48000) < 2000
    spectrum = np.abs(np.fft.rfft(samples[4800:4800 + 24000]))
    assert abs(np.argmax(spectrum) * 48000 / 24000 - 440) < 5


def test_content_decides_photo_or_video(tmp_path, clip_maker):
    clip = clip_maker(tmp_path / "clip.mp4", frames=3, audio=False)
    disguised = tmp_path / "clip.jpg"
    disguised.write_bytes(clip.path.read_bytes())
    photo = tmp_path / "photo.mp4"
    from PIL import Image
    Image.fromarray(clip.frames[0]).save(photo, format="PNG")
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    assert video_io.is_video(str(clip.path)) and video_io.is_video(str(disguised))
    assert not video_io.is_video(str(photo))
    assert video_io.sniff_kind(str(text)) is None and video_io.is_video(str(text))
    assert not video_io.is_video(str(tmp_path / "photo.png"))  # missing: by extension


def _zero_frame_avi(path):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()


def _audio_only(path):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 4800), np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate = 48000
        for packet in list(stream.encode(frame)) + list(stream.encode(None)):
            container.mux(packet)


def _song_with_cover(path):
    """An MP3 with a cover picture (a one-packet PNG "video" stream marked attached_pic)."""
    import io

    from PIL import Image
    with av.open(str(path), "w", format="mp3") as container:
        audio = container.add_stream("libmp3lame", rate=44100)
        cover = container.add_mux_stream("png", width=32, height=32)
        cover.disposition = av.stream.Disposition.attached_pic
        buffer = io.BytesIO()
        Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(buffer, "PNG")
        packet = av.Packet(buffer.getvalue())
        packet.stream, packet.pts, packet.dts = cover, 0, 0
        container.mux(packet)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 44100), np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate = 44100
        for packet in list(audio.encode(frame)) + list(audio.encode(None)):
            container.mux(packet)


def _unknown_codec_avi(path, clip_maker):
    clip_maker(path, frames=3, codec="mpeg4", audio=False, container_format="avi")
    data = path.read_bytes()
    assert data.count(b"FMP4") == 2  # the stream header's and the bitmap header's FourCC
    path.write_bytes(data.replace(b"FMP4", b"QQZ9"))


def _truncated(path, clip_maker):
    clip_maker(path, frames=10)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _truncated_faststart(path):
    """An MP4 with its index first (web-optimised) cut at 60%: it opens, then ends early."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        for _ in range(30):
            pixels = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = path.read_bytes()
    assert data[4:8] == b"ftyp" and b"moov" in data[:64]
    path.write_bytes(data[:int(len(data) * 0.6)])


@pytest.mark.parametrize("case, expected", [
    ("text", "not a video file"),
    ("truncated", "truncated or damaged"),
    ("truncated_faststart", "truncated or damaged (decoded"),
    ("audio_only", "no video stream (only audio)"),
    ("cover_art", "no video stream (only audio and a cover picture)"),
    ("zero_frames", "has no frames"),
    ("unknown_codec", "no decoder"),
])
def test_unusable_files_raise_one_line_naming_the_file(tmp_path, clip_maker, case, expected):
    path = tmp_path / {"zero_frames": "empty.avi", "unknown_codec": "odd.avi",
                       "cover_art": "song.mp4"}.get(case, "bad.mp4")
    if case == "text":
        path.write_text("hello\nworld\n")
    elif case == "truncated":
        _truncated(path, clip_maker)
    elif case == "truncated_faststart":
        _truncated_faststart(path)
    elif case == "audio_only":
        _audio_only(path)
    elif case == "cover_art":
        _song_with_cover(path)
    elif case == "zero_frames":
        _zero_frame_avi(path)
    else:
        _unknown_codec_avi(path, clip_maker)
    with pytest.raises(VideoReadError) as error:
        with open_video(str(path)) as reader:
            list(reader.frames())
    message = str(error.value)
    assert "\n" not in message and str(path) in message and expected in message


def _clip_with_subtitles(path):
    """A 1-second MKV with an SRT subtitle stream of two cues."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = 96, 64, "yuv420p"
        subtitles = container.add_mux_stream("subrip")
        subtitles.time_base = fractions.Fraction(1, 1000)
        for index in range(25):
            pixels = np.full((64, 96, 3), index * 8, np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for start, text in ((0, "hello"), (500, "world")):
            packet = av.Packet(text.encode())
            packet.pts = packet.dts = start
            packet.duration = 400
            packet.time_base = fractions.Fraction(1, 1000)
            packet.stream = subtitles
            container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)


def subtitle_cues(path):
    with av.open(str(path)) as container:
        if not container.streams.subtitles:
            return []
        stream = container.streams.subtitles[0]
        return [(bytes(p), float(p.pts * p.time_base)) for p in container.demux(stream) if p.size]


def test_subtitles_are_copied_where_the_container_takes_them(tmp_path):
    source = tmp_path / "talk.mkv"
    _clip_with_subtitles(source)
    assert subtitle_cues(source) == [(b"hello", 0.0), (b"world", 0.5)]
    _, writer = rewrite(source, tmp_path / "out.mkv")
    assert writer.skipped_streams == []
    assert subtitle_cues(tmp_path / "out.mkv") == subtitle_cues(source)
    # MP4 takes no SRT: left out, said so, the video still written.
    _, writer = rewrite(source, tmp_path / "out.mp4")
    assert writer.skipped_streams == ["subtitle stream 1 (srt)"]
    assert subtitle_cues(tmp_path / "out.mp4") == []


@pytest.mark.parametrize("name, codec", [("clip.mov", "libx264"), ("clip.mkv", "libx264"),
                                         ("clip.avi", "mpeg4"), ("clip.ts", "libx264"),
                                         ("clip.webm", "libvpx-vp9")])
def test_common_containers_are_read(tmp_path, clip_maker, video_helpers, name, codec):
    clip = clip_maker(tmp_path / name, frames=8, codec=codec, audio=name != "clip.webm")
    assert video_io.is_video(str(clip.path))
    rewrite(clip.path, tmp_path / "out.mp4")
    frames = video_helpers.decode_frames(tmp_path / "out.mp4")
    assert len(frames) == 8
    assert np.abs(frames[4].astype(int) - clip.frames[4]).mean() < 8
