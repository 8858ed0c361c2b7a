"""Reading and writing video with PyAV (FFmpeg inside the ``av`` wheel), streaming frame by frame.

    with open_video("clip.mp4") as reader:                 # checks the file, decodes frame 0
        with atomic_path("eraser.mp4") as temporary:
            with VideoWriter(temporary, reader, extension=".mp4") as writer:
                reader.packet_sink = writer.copy_packet    # audio and subtitles, unchanged
                for frame in reader.frames():              # VideoFrame: index, pts, rgb
                    writer.write(frame.rgb, frame.pts)

What is kept from the input:

* every frame and its timestamp (pts in the input stream's time base, so a variable frame rate
  stays variable; AVI has no timestamps and gets a constant rate);
* the size: 4:2:0 (``yuv420p``, what every player plays) needs even sides, so a video with an
  odd width or height is written as 4:4:4 (``yuv444p``, H.264 High 4:4:4) at its exact size;
* the rotation (display matrix: frames are processed as stored, the player rotates them), the
  colour range (limited or full) and colour space tags;
* audio and subtitle streams, whose packets are remuxed unchanged (no re-encoding) when the output
  container takes their codec; audio it does not take (AAC in WebM) is re-encoded (Opus for
  WebM, else AAC), a subtitle stream it does not take is left out with a warning.

The video itself is re-encoded: H.264 (libx264, ``--crf``, default 18: no visible loss) for mp4,
m4v, mov, mkv and avi, VP9 for webm. Pixels go through 8-bit RGB, so 10-bit input comes out as
8-bit. Errors the user can fix (not a video, damaged, no video stream, no frame, a codec FFmpeg
cannot decode) raise `VideoReadError`, one line naming the file.
"""

import dataclasses
import fractions
import os
import sys

import av
import numpy as np

from mrcnn.cli import UsageError, one_line

# Extensions written (the output format follows the output's extension), and those taken as
# video on input when the content does not say (any container FFmpeg reads is read).
OUTPUT_VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi")
VIDEO_EXTENSIONS = OUTPUT_VIDEO_EXTENSIONS + (".ts", ".mts", ".m2ts", ".mpg", ".mpeg", ".3gp",
                                              ".flv", ".wmv", ".ogv")
# FFmpeg muxer per output extension (the output is first written to a .tmp file).
MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm",
          ".avi": "avi"}
DEFAULT_CRF = 18
# libx264's speed preset: "veryfast" keeps encoding a small share of the time on 2 cores; at
# CRF 18 the loss stays invisible, the file is somewhat larger than with "medium".
X264_PRESET = "veryfast"
# Decoded frames missing against the container's declared count before the file is reported as
# truncated (edit lists can drop a frame or two of a sound file).
TRUNCATION_TOLERANCE = 2

# Magic numbers: the first bytes of a file say what it is, whatever its extension.
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00",
                     b"MM\x00*")
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")


class VideoReadError(UsageError):
    """A video that cannot be read: the message is one line naming the file."""


def sniff_kind(path):
    """"image", "video" or None (unknown) from the first bytes of the file at ``path``.

    Recognises PNG, JPEG, GIF, TIFF, WebP, BMP and PNM images; MP4/MOV, Matroska/WebM and AVI
    containers (an audio-only MP4 counts as video here: reading it says it has no picture)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    if head[4:8] in _MP4_BOXES or head.startswith(b"\x1a\x45\xdf\xa3") or (
            head.startswith(b"RIFF") and head[8:12] == b"AVI "):
        return "video"
    if (head.startswith(_IMAGE_SIGNATURES) or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
            or (head.startswith(b"BM") and len(head) >= 14)
            or (len(head) >= 3 and head[0:1] == b"P" and head[1:2] in b"1234567"
                and head[2:3].isspace())):
        return "image"
    return None


def is_video(path):
    """True when ``path`` is to be read as a video: by its content when recognisable (so a video
    named .jpg is read as a video and a photo named .mp4 as a photo), else by its extension."""
    kind = sniff_kind(path)
    if kind is not None:
        return kind == "video"
    return os.path.splitext(path)[1].lower() in VIDEO_EXTENSIONS


@dataclasses.dataclass
class VideoFrame:
    """One decoded frame: ``index`` (0-based, decoding order = display order), ``pts`` (in the
    stream's time base, or None), ``time`` (seconds), ``rgb`` [H, W, 3] uint8 as stored (before
    the display rotation)."""
    index: int
    pts: object
    time: float
    rgb: np.ndarray


def _frame_to_rgb(frame):
    """[H, W, 3] uint8 RGB of a decoded av.VideoFrame, honouring its colour range and space."""
    options = {}
    if frame.color_range:
        options["src_color_range"] = frame.color_range
    if frame.colorspace in (1, 5, 6, 7, 9):  # tagged spaces sws knows: 709, 601 (x2), 240M, 2020
        options["src_colorspace"] = frame.colorspace
    try:
        return frame.to_ndarray(format="rgb24", **options)
    except (ValueError, av.error.FFmpegError):
        return frame.to_ndarray(format="rgb24")


class VideoReader:
    """An open input video, checked: it has a decodable video stream and at least one frame.

    Attributes: ``path``; ``width``, ``height`` (pixels, as stored); ``fps`` (average frames per
    second, float); ``time_base`` (Fraction, seconds per pts unit); ``declared_frames`` (the
    container's count, 0 when unknown); ``rotation`` (degrees counter-clockwise the player turns
    the frames); ``color_range``, ``colorspace``, ``color_primaries``, ``color_trc`` (FFmpeg
    enum values); ``bit_depth``; ``codec``; ``copy_streams`` (audio and subtitle av streams).
    ``packet_sink``: called with every demuxed audio or subtitle packet (None: dropped).
    Raises VideoReadError (one line naming the file) on a file it cannot use.
    """

    def __init__(self, path):
        self.path = path
        self.packet_sink = None
        self._pending = []  # copied-stream packets demuxed before a sink was set
        self.decoded_frames = 0
        try:
            self.container = av.open(path, "r", metadata_errors="ignore")
        except FileNotFoundError:
            raise VideoReadError(f"cannot read video {path}: no such file") from None
        except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError) as error:
            raise VideoReadError(f"cannot read video {path}: not a video file, or truncated or "
                                 f"damaged ({one_line(error)})") from None
        try:
            self._check_and_start()
        except BaseException:
            self.container.close()
            raise

    def _check_and_start(self):
        path = self.path
        # A cover picture attached to a song is a "video" stream of one still: not a video.
        pictures = av.stream.Disposition.attached_pic | av.stream.Disposition.still_image
        videos = [stream for stream in self.container.streams.video
                  if not stream.disposition & pictures]
        if not videos:
            kinds = sorted({stream.type for stream in self.container.streams
                            if stream not in self.container.streams.video})
            raise VideoReadError(f"cannot read video {path}: it has no video stream"
                                 + (f" (only {', '.join(kinds)}" if kinds else "")
                                 + (" and a cover picture" if self.container.streams.video
                                    else "") + (")" if kinds else ""))
        self.stream = videos[0]
        if self.stream.codec_context is None:
            raise VideoReadError(f"cannot read video {path}: FFmpeg has no decoder for its "
                                 f"video codec")
        self.stream.thread_type = "AUTO"  # frame threads: decoding uses both cores
        self.codec = self.stream.codec_context.name
        self.copy_streams = [stream for stream in self.container.streams
                             if stream.type in ("audio", "subtitle")
                             and stream.codec_context is not None]
        self.time_base = self.stream.time_base or fractions.Fraction(1, 25)
        rate = self.stream.average_rate or self.stream.guessed_rate or self.stream.base_rate
        self.rate = fractions.Fraction(rate) if rate else fractions.Fraction(25)
        self.fps = float(self.rate)
        self.declared_frames = int(self.stream.frames or 0)
        self._frames = self._decode()
        first = self._next_raw()
        if first is None:
            raise VideoReadError(f"cannot read video {path}: it has no frames")
        self._first = first
        self.width, self.height = first.width, first.height
        self.rotation = int(first.rotation or 0)
        self.color_range = int(first.color_range or 0)
        self.colorspace = int(first.colorspace or 2)
        self.color_primaries = int(first.color_primaries or 2)
        self.color_trc = int(first.color_trc or 2)
        components = first.format.components
        self.bit_depth = int(components[0].bits) if components else 8

    @property
    def frame_count_estimate(self):
        """The number of frames, declared or from the duration (0 when neither is known)."""
        if self.declared_frames:
            return self.declared_frames
        duration = self.stream.duration
        if duration:
            return int(round(float(duration * self.time_base) * self.fps))
        if self.container.duration:
            return int(round(self.container.duration / 1e6 * self.fps))
        return 0

    def _decode(self):
        """Generator of decoded av.VideoFrames; hands other streams' packets to the sink."""
        streams = [self.stream] + self.copy_streams
        for packet in self.container.demux(streams):
            if packet.stream.index == self.stream.index:
                yield from packet.decode()
            elif packet.dts is not None:  # a None dts marks the demuxer's flush packets
                if self.packet_sink is None:
                    self._pending.append(packet)
                else:
                    self.packet_sink(packet)

    def _next_raw(self):
        try:
            return next(self._frames, None)
        except av.error.FFmpegError as error:
            raise VideoReadError(f"cannot read video {self.path}: damaged at frame "
                                 f"{self.decoded_frames} ({one_line(error)})") from None

    def frames(self):
        """Yield every frame as a `VideoFrame`, streaming (one decoded frame held at a time).

        Raises VideoReadError if decoding fails or the file ends before its declared count."""
        frame = self._first
        self._first = None
        while frame is not None:
            if self.packet_sink is not None and self._pending:
                for packet in self._pending:
                    self.packet_sink(packet)
                self._pending = []
            time = float(frame.pts * self.time_base) if frame.pts is not None else (
                self.decoded_frames / self.fps)
            yield VideoFrame(self.decoded_frames, frame.pts, time, _frame_to_rgb(frame))
            self.decoded_frames += 1
            frame = self._next_raw()
        if self.declared_frames - self.decoded_frames > TRUNCATION_TOLERANCE:
            raise VideoReadError(f"cannot read video {self.path}: truncated or damaged (decoded "
                                 f"{self.decoded_frames} of {self.declared_frames} frames)")

    def close(self):
        self.container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_video(path):
    """Open and check the video at ``path`` (decodes its first frame): a `VideoReader`."""
    return VideoReader(path)


class VideoWriter:
    """Encodes frames like the reader's video into ``path``, copying its audio and subtitles.

    path: the file to write (usually atomic_path's temporary file); extension: the output's
    extension, choosing the muxer and the codec (``path`` may end in .tmp); reader: the
    `VideoReader` whose size, time base, rate, rotation and colour tags are kept; crf: the
    encoder's constant rate factor (lower: better and larger; 18: no visible loss).
    Attributes: ``pix_fmt`` ("yuv420p", or "yuv444p" for odd sizes); ``transcoded_streams``
    (audio streams re-encoded because the container does not take their codec) and
    ``skipped_streams`` (subtitle streams it does not take), as descriptions.
    """

    def __init__(self, path, reader, extension, crf=DEFAULT_CRF):
        extension = extension.lower()
        if extension not in MUXERS:
            raise UsageError(f"output {path}: unsupported video extension {extension!r}; use "
                             f"one of {', '.join(OUTPUT_VIDEO_EXTENSIONS)}")
        self.reader = reader
        self.container = av.open(path, "w", format=MUXERS[extension])
        try:
            self._add_video_stream(extension, crf)
            self._add_copied_streams(extension)
        except BaseException:
            self.container.close()
            raise
        self._last_pts = None
        self.frames_written = 0

    def _add_video_stream(self, extension, crf):
        reader = self.reader
        even = reader.width % 2 == 0 and reader.height % 2 == 0
        self.pix_fmt = "yuv420p" if even else "yuv444p"
        if extension == ".webm":
            codec, options = "libvpx-vp9", {"crf": str(crf), "b": "0", "row-mt": "1",
                                            "deadline": "good", "cpu-used": "5"}
        else:
            codec, options = "libx264", {"crf": str(crf), "preset": X264_PRESET}
            if extension == ".avi":  # AVI stores no reordering: no B-frames
                options["x264-params"] = "bframes=0"
        stream = self.container.add_stream(codec, rate=reader.rate, options=options)
        stream.width, stream.height, stream.pix_fmt = reader.width, reader.height, self.pix_fmt
        # AVI has no timestamps: its frames are counted at the reader's rate.
        self._timestamps = extension != ".avi"
        time_base = reader.time_base if self._timestamps else 1 / reader.rate
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        context = stream.codec_context
        context.color_range = reader.color_range
        context.colorspace = reader.colorspace
        context.color_primaries = reader.color_primaries
        context.color_trc = reader.color_trc
        stream.thread_type = "AUTO"
        if reader.rotation and extension != ".avi":  # AVI cannot store a rotation
            stream.set_display_rotation(reader.rotation)
        self.stream = stream

    def _add_copied_streams(self, extension):
        supported = self.container.supported_codecs
        self._copied, self._transcoded = {}, {}
        self.skipped_streams, self.transcoded_streams = [], []
        for stream in self.reader.copy_streams:
            name = stream.codec_context.name
            description = f"{stream.type} stream {stream.index} ({name})"
            if name in supported:
                try:
                    self._copied[stream.index] = self.container.add_stream_from_template(stream)
                    continue
                except (ValueError, av.error.FFmpegError):
                    pass
            if stream.type == "audio":
                # Sound is never dropped: re-encoded to what the container takes.
                codec = "libopus" if extension == ".webm" else "aac"
                rate = 48000 if codec == "libopus" else stream.codec_context.sample_rate
                self._transcoded[stream.index] = self.container.add_stream(
                    codec, rate=rate, layout=stream.codec_context.layout.name)
                self.transcoded_streams.append(f"{description} -> {codec}")
            else:
                self.skipped_streams.append(description)

    def copy_packet(self, packet):
        """Mux one demuxed audio or subtitle packet of the reader unchanged, or re-encoded
        when the container does not take its codec (others dropped)."""
        stream = self._copied.get(packet.stream.index)
        if stream is not None:
            packet.stream = stream  # mux rescales its timestamps to the output stream
            self.container.mux(packet)
            return
        stream = self._transcoded.get(packet.stream.index)
        if stream is not None:
            for frame in packet.decode():
                frame.pts = None  # the encoder counts samples (its frame size may differ)
                for encoded in stream.encode(frame):
                    self.container.mux(encoded)

    def write(self, rgb, pts=None):
        """Encode one frame. rgb: [H, W, 3] uint8 at the reader's size; pts: its timestamp in
        the reader's time base (None: the frame's index at the reader's rate)."""
        if not self._timestamps:
            pts = self.frames_written
        elif pts is None:
            pts = int(round(self.frames_written / (self.reader.rate * self.reader.time_base)))
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # encoders need strictly increasing timestamps
        self._last_pts = pts
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame = frame.reformat(format=self.pix_fmt, dst_colorspace=self._sws_colorspace(),
                               src_color_range=2, dst_color_range=self.reader.color_range or 1)
        frame.pts = pts
        frame.time_base = self.stream.codec_context.time_base
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames_written += 1

    def _sws_colorspace(self):
        space = self.reader.colorspace
        return space if space in (1, 5, 6, 7, 9) else 5  # untagged: BT.601, as it was decoded

    def close(self):
        """Flush the encoders and finish the file."""
        for stream in [self.stream, *self._transcoded.values()]:
            for packet in stream.encode(None):
                self.container.mux(packet)
        self.container.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:  # the file is about to be removed: finish nothing
            try:
                self.container.close()
            except Exception:  # noqa: BLE001 - already failing; the first error matters
                pass


def warn(message):
    """One warning line on stderr."""
    print(f"warning: {one_line(message)}", file=sys.stderr)
