"""Video benchmark: end-to-end frames per second, peak memory, and the share of frames in which a
logo of known position is not hidden, with the shipped model.

Usage:
    python bench/bench_video.py                              # 720p and 1080p, 4 s each
    python bench/bench_video.py --heights 720 --seconds 2    # a quick run
    python bench/bench_video.py --detect-every 1 3 5 --json results.json

For each height it writes a synthetic clip (25 fps, H.264 CRF 12, AAC tone): a photo background
(images/sample_image_0.jpg) panning 1 px a frame, and a brand mark of the vendored artwork
(logo_eraser/synth/data/icons, in its brand colour on a white plate, about a fifth of the frame
height) crossing the frame on a gently curved path, so its box is known in every frame. Then,
for each --detect-every value, a fresh process loads the shipped model
(logo_eraser.models.SHIPPED_WEIGHTS_PATH) and runs logo_eraser.videos.erase_video on the clip:

* fps: frames / wall time of erase_video (decode, detect, track, hide, encode, audio copy), the
  model load and a warm-up detection (TensorFlow builds its graphs on the first call) excluded
  and reported apart as "model load";
* peak RSS: the process's peak resident memory (ru_maxrss), model included. The pipeline
  streams, so it should not grow with the video's length: the run also samples the current RSS
  at half and at the end of the frames, and "10 min" extrapolates the peak to a 10-minute video
  at 25 fps (15000 frames) with that slope (peak + slope x the frames left, a slope below 0
  counted as 0), for runs of at least 4 s (100 frames; shorter: "-");
* not hidden: the share of frames in which the mark is visible whose fine detail survives
  (bench/bench_real_photos.py's measure: NCC of the high-passed grey box before/after >= 0.5),
  and "flashes": frames not hidden between a hidden frame before and a hidden frame after (within
  --hold frames), the failure users see as a logo flashing through.

``--text brands`` (the default, as the command's) also reads the key frames' text and hides brand
names (RapidOCR, `logo_eraser.text_hiding`); ``--text off`` measures logos only.
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
BACKGROUND = REPO_ROOT / "images" / "sample_image_0.jpg"
ICONS = REPO_ROOT / "logo_eraser" / "synth" / "data" / "icons"
MANIFEST = REPO_ROOT / "logo_eraser" / "synth" / "data" / "manifest.json"
FPS = 25
SAMPLE_RATE = 48000
HIDDEN_NCC = 0.5
# The 10-minute memory extrapolation needs at least this many frames in the run's second half.
MIN_SLOPE_FRAMES = 50
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


############################################################
#  The clip
############################################################

def logo_sprite(name, height):
    """(RGB [h, w, 3] float32, alpha [h, w] float32 0..1): the mark in its brand colour on a
    white rounded plate, ``height`` px high."""
    import cv2
    from PIL import Image

    manifest = json.loads(MANIFEST.read_text())
    colour = next((icon.get("hex") for icon in manifest["icons"]
                   if isinstance(icon, dict) and icon.get("slug", icon.get("name")) == name),
                  None) or "1a1a1a"
    rgb = np.array([int(colour[i:i + 2], 16) for i in (0, 2, 4)], np.float32)
    coverage = np.asarray(Image.open(ICONS / f"{name}.png").convert("L"), np.float32) / 255
    inner = int(height * 0.8)
    scale = inner / coverage.shape[0]
    coverage = cv2.resize(coverage, (max(1, round(coverage.shape[1] * scale)), inner),
                          interpolation=cv2.INTER_AREA)
    pad = (height - inner) // 2
    plate_h, plate_w = coverage.shape[0] + 2 * pad, coverage.shape[1] + 2 * pad
    sprite = np.full((plate_h, plate_w, 3), 250, np.float32)
    sprite[pad:pad + coverage.shape[0], pad:pad + coverage.shape[1]] += (
        coverage[:, :, None] * (rgb - 250))
    alpha = np.zeros((plate_h, plate_w), np.float32)
    cv2.rectangle(alpha, (0, 0), (plate_w - 1, plate_h - 1), 1.0, -1)
    return sprite, alpha


def logo_path(frame_index, frames, width, height, sprite_shape):
    """(y1, x1) of the mark in a frame: left to right, on a slow sine up and down."""
    h, w = sprite_shape[:2]
    t = frame_index / max(1, frames - 1)
    x1 = int(round(0.05 * width + t * (0.9 * width - w)))
    y1 = int(round((height - h) / 2 + 0.2 * (height - h) * np.sin(2 * np.pi * t)))
    return y1, x1


def make_clip(path, width, height, seconds, logo="adidas"):
    """Write the benchmark clip; returns the mark's box (y1, x1, y2, x2) px per frame."""
    import av
    import cv2
    from PIL import Image

    frames = int(round(seconds * FPS))
    photo = np.asarray(Image.open(BACKGROUND).convert("RGB"))
    scale = max((width + frames) / photo.shape[1], height / photo.shape[0])
    photo = cv2.resize(photo, (int(np.ceil(photo.shape[1] * scale)),
                               int(np.ceil(photo.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA)
    sprite, alpha = logo_sprite(logo, max(24, height // 5))
    boxes = []
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS,
                                      options={"crf": "12", "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=SAMPLE_RATE)
        for index in range(frames):
            image = photo[:height, index:index + width].astype(np.float32)
            y1, x1 = logo_path(index, frames, width, height, sprite.shape)
            h, w = alpha.shape
            window = image[y1:y1 + h, x1:x1 + w]
            window += alpha[:, :, None] * (sprite - window)
            boxes.append((y1, x1, y1 + h, x1 + w))
            frame = av.VideoFrame.from_ndarray(image.astype(np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        samples = int(SAMPLE_RATE * frames / FPS)
        tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) / SAMPLE_RATE))
        audio_frame = av.AudioFrame.from_ndarray(tone.astype(np.float32)[None], format="fltp",
                                                 layout="mono")
        audio_frame.sample_rate = SAMPLE_RATE
        for packet in list(audio.encode(audio_frame)) + list(audio.encode(None)):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return boxes


############################################################
#  Measures
############################################################

def detail_correlation(before, after, box):
    """NCC of the high-passed grey box (y1, x1, y2, x2) before and after: bench_real_photos'
    measure, on a box."""
    from mrcnn.testing import load_script_module

    real_photos = load_script_module(pathlib.Path(__file__).with_name("bench_real_photos.py"))
    return real_photos.detail_correlation(before, after, {"box": [int(v) for v in box]})


def hidden_flags(source, output, boxes):
    """Per frame, whether the mark is hidden in ``output``; both videos decoded side by side
    (streaming: two frames in memory)."""
    import av

    flags = []
    with av.open(str(source)) as a, av.open(str(output)) as b:
        for frame_a, frame_b, box in zip(a.decode(video=0), b.decode(video=0), boxes):
            flags.append(detail_correlation(frame_a.to_ndarray(format="rgb24"),
                                            frame_b.to_ndarray(format="rgb24"), box) < HIDDEN_NCC)
    return flags


def flashes(flags, hold):
    """Frames not hidden that have a hidden frame within ``hold`` frames on both sides."""
    count = 0
    for index, hidden in enumerate(flags):
        if hidden:
            continue
        before = any(flags[max(0, index - hold):index])
        after = any(flags[index + 1:index + 1 + hold])
        count += before and after
    return count


def write_strip(path, source, output, count=4, width=1600):
    """A PNG of ``count`` evenly spaced frames: ``source`` above, ``output`` below, ``width``
    px wide."""
    import av
    import cv2

    from mrcnn.image_io import write_image_atomic

    rows = []
    for video in (source, output):
        with av.open(str(video)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        picks = np.linspace(0, len(frames) - 1, count + 2).round().astype(int)[1:-1]
        rows.append(np.concatenate([frames[i] for i in picks], axis=1))
    strip = np.concatenate(rows, axis=0)
    height = round(strip.shape[0] * width / strip.shape[1])
    write_image_atomic(path, cv2.resize(strip, (width, height), interpolation=cv2.INTER_AREA))


############################################################
#  One run (in a fresh process)
############################################################

def current_rss_mb():
    """The process's resident memory now, in MB (Linux /proc)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def ten_minute_peak(run, frames_10_min=15000, min_frames=MIN_SLOPE_FRAMES):
    """Peak RSS extrapolated to ``frames_10_min`` frames from the RSS slope over the second
    half of the run (MB); None when that half is shorter than ``min_frames`` (the first frames
    fill the encoder's look-ahead and the allocator's pools: no slope to read there)."""
    samples = {int(k): v for k, v in run["rss_samples_mb"].items()}
    if len(samples) < 2:
        return None
    (half, rss_half), (end, rss_end) = sorted(samples.items())[:2]
    if end - half < min_frames:
        return None
    slope = max(0.0, (rss_end - rss_half) / max(1, end - half))
    return run["peak_rss_mb"] + slope * max(0, frames_10_min - end)


def run_child(args):
    """Load the shipped model, erase args.clip into args.output; print a JSON line."""
    from logo_eraser import cli, models, videos
    from mrcnn.cli import import_tensorflow_quietly

    import_tensorflow_quietly()
    start = time.perf_counter()
    weights = models.SHIPPED_WEIGHTS_PATH
    model = models.load_eraser_model(weights, models.eraser_config_for(weights))
    # Warm-up: the first detection at each input size builds TensorFlow's graphs (seconds),
    # paid once per process, not per frame; counted with the load.
    import av
    with av.open(args.clip) as container:
        context = container.streams.video[0].codec_context
        blank = np.zeros((context.height, context.width, 3), np.uint8)
    model.detect_multiscale([blank], verbose=0)
    load_s = time.perf_counter() - start
    rss_samples = {}
    original_run = videos.VideoEraser.run

    def sampled_run(self, frames):
        for count, item in enumerate(original_run(self, frames), start=1):
            if count in (args.frames // 2, args.frames):
                rss_samples[count] = current_rss_mb()
            yield item

    videos.VideoEraser.run = sampled_run
    start = time.perf_counter()
    # The command's own choice of text finder for --text (None for off).
    text_finder = cli.text_finder_for(argparse.Namespace(text=args.text, brands_file=None), [])
    record = videos.erase_video(model, args.clip, args.output, detect_every=args.child_detect_every,
                                progress=False, text_finder=text_finder,
                                text_every=args.text_every)
    elapsed = time.perf_counter() - start
    print(json.dumps({"frames": record["frames"], "seconds": elapsed, "load_s": load_s,
                      "key_frames": record["key_frames"], "tracks": len(record["tracks"]),
                      "hold": record["hold"], "text_reads": record["text_reads"],
                      "rss_samples_mb": rss_samples,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_once(clip, output, frames, detect_every, text, text_every):
    command = [sys.executable, __file__, "--child", "--clip", str(clip), "--output", str(output),
               "--frames", str(frames), "--child-detect-every", str(detect_every),
               "--text", text, "--text-every", str(text_every)]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"run failed: {completed.stderr.strip()[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv=None):
    from logo_eraser import videos

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--heights", type=int, nargs="+", default=[720, 1080],
                        help="clip heights, 16:9 (default: 720 1080)")
    parser.add_argument("--seconds", type=float, default=4.0, help="clip length (default: 4)")
    parser.add_argument("--detect-every", type=int, nargs="+",
                        default=sorted({1, videos.DEFAULT_DETECT_EVERY}),
                        help=f"values to compare (default: 1 and the default, "
                        f"{videos.DEFAULT_DETECT_EVERY})")
    parser.add_argument("--text", choices=("brands", "all", "off"), default="brands",
                        help="text read on the key frames and hidden, as the command's --text "
                        "(default: brands, the command's default; off: logos only)")
    parser.add_argument("--text-every", type=int, default=videos.DEFAULT_TEXT_EVERY,
                        help="read text on every Nth key frame, as the command's --text-every "
                        f"(default: {videos.DEFAULT_TEXT_EVERY})")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--strip", metavar="PNG",
                        help="also write a before/after strip (4 frames of the first clip, "
                        "input above, output of the last --detect-every value below)")
    parser.add_argument("--keep-files", metavar="FOLDER",
                        help="write the clips and outputs here (default: a temporary folder)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clip", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--frames", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--child-detect-every", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args)
        return 0

    with tempfile.TemporaryDirectory() as scratch:
        folder = pathlib.Path(args.keep_files or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        results = []
        print(f"{os.cpu_count()} CPUs; clips of {args.seconds:g} s at {FPS} fps; shipped model; "
              f"--text {args.text}"
              + (f", read every {args.text_every} key frames" if args.text != "off" else ""))
        print(f"{'clip':>10} {'detect every':>12} {'fps':>6} {'model load':>10} "
              f"{'peak RSS':>9} {'RSS half/end':>13} {'10 min':>7} {'not hidden':>10} "
              f"{'flashes':>7} {'tracks':>6}")
        for height in args.heights:
            width = int(round(height * 16 / 9 / 2)) * 2
            clip = folder / f"clip_{height}p.mp4"
            boxes = make_clip(clip, width, height, args.seconds)
            for detect_every in args.detect_every:
                output = folder / f"erased_{height}p_every{detect_every}.mp4"
                run = run_once(clip, output, len(boxes), detect_every, args.text,
                               args.text_every)
                flags = hidden_flags(clip, output, boxes)
                result = dict(run, height=height, width=width, detect_every=detect_every,
                              text=args.text, text_every=args.text_every,
                              fps=run["frames"] / run["seconds"],
                              not_hidden=1 - float(np.mean(flags)),
                              flashes=flashes(flags, run["hold"]),
                              peak_rss_10_min_mb=ten_minute_peak(run))
                results.append(result)
                ten_min = (f"{result['peak_rss_10_min_mb']:5.0f}MB"
                           if result["peak_rss_10_min_mb"] is not None else "-")
                half_end = "/".join(f"{v:.0f}" for _, v in
                                    sorted(run["rss_samples_mb"].items(), key=lambda i: int(i[0])))
                print(f"{f'{width}x{height}':>10} {detect_every:>12} {result['fps']:6.2f} "
                      f"{run['load_s']:9.1f}s {run['peak_rss_mb']:7.0f}MB {half_end:>11}MB "
                      f"{ten_min:>7} {result['not_hidden']:10.3f} "
                      f"{result['flashes']:>7} {run['tracks']:>6}")
            if args.strip and height == args.heights[0]:
                write_strip(args.strip, clip, output)
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
