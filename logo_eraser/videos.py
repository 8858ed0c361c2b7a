"""The video pipeline: read -> detect every N frames -> track -> hide -> write, streaming.

``erase_video(model, "clip.mp4", "eraser.mp4")`` hides every logo of a video with the photo
pipeline's model (``logo_eraser.models.load_eraser_model``) and hiding (`logo_eraser.hiding`),
and returns the JSON record the command line writes with ``--json`` (the tracks).

Temporal consistency (see `logo_eraser.tracking`):

* the detector runs on key frames: the first, every ``detect_every``-th after it, and the first
  of every shot; the frames between are held back (a look-ahead of at most ``detect_every - 1``
  frames) until the next key frame, so that each logo's box there is known from both sides:
  carried forward by optical flow, then corrected by the next detection (the flow's drift is
  spread linearly over the frames between); a logo first found at a key frame is carried back
  by flow over the frames held back before it;
* a logo the detector misses stays hidden, following its track, for ``hold`` frames (default
  one second) after its last detection; a scene cut ends every track;
* a box that was carried rather than detected is grown by CARRIED_MARGIN_FRACTION of its size,
  since flow can lag a few pixels;
* text (``text_finder``, see `logo_eraser.text_hiding`: brand names read, or all text) is
  read on every ``text_every``-th key frame (and the first of every shot), and each hidden
  text region joins the detections as one of class "text" (id: the model's class count):
  tracked, carried and held like a logo, a text track living at least until the next key
  frame that reads text; text that appears between two reads is hidden from the later one
  (and the frames held back before it) on;
* the mosaic is stable: each track has its own grid of block colours, anchored to its box (the
  blocks move and scale with the logo; the box smoothed over frames, `grid_box`, so that a
  detector's wobble does not shift them); each block's colour is that of one point picked at
  random (seeded) inside it at the first detection, as the photo mosaic, and followed at the
  same point at later detections with smoothing (TILE_SMOOTHING); nothing is drawn anew at
  random each frame.
  Blur, solid and inpaint are computed per frame from the track's region (`hiding`).

Memory: one decoded frame plus the held-back ones (``detect_every - 1`` RGB frames) and the
tracks' boxes; the video is never in memory as a whole.
"""

import math
import os
import sys

import cv2
import numpy as np

from mrcnn.atomic import atomic_path

from . import hiding
from .hiding import DEFAULT_REGION, DEFAULT_SEED, DEFAULT_STYLE, default_dilation
from .text_hiding import text_detections
from .tracking import SceneCuts, Tracker, detections_from_result, flow_shift
from .video_io import DEFAULT_CRF, VideoWriter, open_video, warn

# Key frames: the detector runs on every Nth frame. bench/bench_video.py chose 5: at 720p
# on 2 cores (idle, logos only) 14.3 fps against 4.5 with 1, no logo frame shown in either.
DEFAULT_DETECT_EVERY = 5
# A missed logo stays hidden this long after its last detection (default --hold, in seconds).
# Half a second let a logo flash through on the 60-second benchmark clip (bench/bench_video.py,
# 720p, the shipped model): the detector missed the mark on 5 key frames in a row (1.2 s), the
# track expired and 13 frames showed it before the next detection. With 1 s: no frame shown,
# and 34 tracks instead of 80 (false alarms keep one track instead of restarting).
HOLD_SECONDS = 1.0
# Text is read on every Nth key frame only: reading costs more than detecting logos (at 1080p
# on 2 cores about 0.7 s a read against 0.4 s for a key frame's logos), and words on screen
# seldom appear for less than a second. bench/bench_video.py --text brands chose it (BENCHMARKS).
DEFAULT_TEXT_EVERY = 3
# Optical flow and cut detection work on a grey copy of at most this many pixels a side.
FLOW_SIDE = 320
# A carried (not detected) box is grown by this fraction of its longer side, at least 2 px.
CARRIED_MARGIN_FRACTION = 0.05
# Mosaic colours: weight of a new detection's colours against the track's running colours.
TILE_SMOOTHING = 0.25
# The mosaic grid follows a smoothed box, so that a detector's wobbling boxes do not resize and
# shift the blocks every frame: its centre by an alpha-beta filter (constant velocity: no lag
# behind a logo moving steadily), its size by an exponential average (weight of the new box).
# The region hidden is the frame's own; the grid's edge blocks extend to cover it.
GRID_CENTRE_ALPHA = 0.3
GRID_CENTRE_BETA = 0.05
GRID_SIZE_SMOOTHING = 0.3


def default_hold(fps):
    """Default --hold in frames: about HOLD_SECONDS of video at ``fps``, at least 1."""
    return max(1, int(round(float(fps) * HOLD_SECONDS)))


def small_grey(rgb, side=FLOW_SIDE):
    """([h, w] uint8 grey copy of ``rgb`` [H, W, 3] shrunk to at most ``side`` px, scale: small
    px per frame px)."""
    height, width = rgb.shape[:2]
    scale = min(1.0, side / float(max(height, width)))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(width * scale)), max(1, round(height * scale))),
                          interpolation=cv2.INTER_AREA)
    return grey, scale


def track_mask(track, box, detected, image_shape):
    """Where a track's logo is in one frame: ([H, W] bool mask, [4] int box).

    box: [4] float (y1, x1, y2, x2) px, the track's box in this frame; the track's latest
    detection mask is scaled to it; a carried box (``detected`` False) is grown, mask too, by
    CARRIED_MARGIN_FRACTION. The mask is clipped to the frame; the int box is not.
    """
    height, width = image_shape[:2]
    y1, x1, y2, x2 = (int(round(v)) for v in box)
    y2, x2 = max(y2, y1 + 1), max(x2, x1 + 1)
    crop = cv2.resize(track.mask.astype(np.uint8), (x2 - x1, y2 - y1),
                      interpolation=cv2.INTER_NEAREST)
    if not detected:
        margin = max(2, int(math.ceil(CARRIED_MARGIN_FRACTION * max(y2 - y1, x2 - x1))))
        crop = cv2.copyMakeBorder(crop, margin, margin, margin, margin, cv2.BORDER_CONSTANT, 0)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
        crop = cv2.dilate(crop, kernel)
        y1, x1, y2, x2 = y1 - margin, x1 - margin, y2 + margin, x2 + margin
    mask = np.zeros((height, width), bool)
    top, left = max(0, y1), max(0, x1)
    bottom, right = min(height, y2), min(width, x2)
    if bottom > top and right > left:
        mask[top:bottom, left:right] = crop[top - y1:bottom - y1, left - x1:right - x1] > 0
    return mask, np.array([y1, x1, y2, x2])


def _grown_box_pixels(rgb, box, dilate):
    """Pixels of ``rgb`` over ``box`` grown by ``dilate`` px, edges replicated where it leaves
    the frame: [gh, gw, 3] uint8 (the unclipped grown box's size)."""
    height, width = rgb.shape[:2]
    y1, x1, y2, x2 = box[0] - dilate, box[1] - dilate, box[2] + dilate, box[3] + dilate
    top, left = min(max(0, y1), height - 1), min(max(0, x1), width - 1)
    bottom, right = max(min(height, y2), top + 1), max(min(width, x2), left + 1)
    crop = rgb[top:bottom, left:right]
    return cv2.copyMakeBorder(crop, top - y1, y2 - bottom, left - x1, x2 - right,
                              cv2.BORDER_REPLICATE)


def update_tile(track, rgb, box, dilate, seed=DEFAULT_SEED):
    """Set or smooth the track's mosaic colours from frame ``rgb`` where it was detected at
    ``box`` ([4] int px).

    The grid (about hiding.MOSAIC_BLOCKS_ACROSS blocks across the box grown by ``dilate``) and
    the point each block takes its colour from (random inside the block, as the photo mosaic,
    seeded by ``seed`` and the track's id) are fixed at the track's first detection, relative
    to the box; later detections move the colours towards the same points' new colours by
    TILE_SMOOTHING. ``track.style_state``: {"picks": [rows, cols, 2] 0..1, "colours":
    [rows, cols, 3] float32}."""
    pixels = _grown_box_pixels(rgb, box, dilate)
    height, width = pixels.shape[:2]
    if track.style_state is None:
        block = hiding.mosaic_block_size(box)
        rows, cols = max(1, -(-height // block)), max(1, -(-width // block))
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, track.id])
        track.style_state = {"picks": rng.random((rows, cols, 2)), "colours": None}
    picks = track.style_state["picks"]
    rows, cols = picks.shape[:2]
    ys = ((np.arange(rows)[:, None] + picks[..., 0]) * (height / rows)).astype(int)
    xs = ((np.arange(cols)[None, :] + picks[..., 1]) * (width / cols)).astype(int)
    colours = pixels[np.clip(ys, 0, height - 1), np.clip(xs, 0, width - 1)].astype(np.float32)
    previous = track.style_state["colours"]
    track.style_state["colours"] = (colours if previous is None else
                                    (1 - TILE_SMOOTHING) * previous + TILE_SMOOTHING * colours)


def grid_box(track, box, store=True):
    """The box ([4] int px) the track's mosaic grid spans in this frame: ``box`` ([4] float px)
    with its centre and size smoothed over the frames painted so far (kept in
    ``track.style_state["grid"]`` when ``store``: once per painted frame, in order)."""
    box = np.asarray(box, dtype=np.float64)
    centre, size = (box[:2] + box[2:]) / 2, box[2:] - box[:2]
    velocity, count = np.zeros(2), 1
    previous = (track.style_state or {}).get("grid")
    if previous is not None:
        old_centre, old_size, old_velocity, count = previous
        if count == 1:  # the second frame starts the velocity, from the first two boxes
            velocity = centre - old_centre
        else:
            predicted = old_centre + old_velocity
            residual = centre - predicted
            centre = predicted + GRID_CENTRE_ALPHA * residual
            velocity = old_velocity + GRID_CENTRE_BETA * residual
        size = (1 - GRID_SIZE_SMOOTHING) * old_size + GRID_SIZE_SMOOTHING * size
        count += 1
    if store:
        track.style_state["grid"] = (centre, size, velocity, count)
    return _int_box(np.concatenate([centre - size / 2, centre + size / 2]))


def paint_tile(output, track, box, hidden, rows, cols, dilate):
    """Paint the track's mosaic into ``output`` [H, W, 3] uint8 (in place) where ``hidden``
    ([h, w] bool over the window ``rows``, ``cols``) is set. The grid spans the track's ``box``
    ([4] int px) grown by ``dilate``, so blocks follow the logo; a window reaching past it (a
    carried box's margin) extends the edge blocks."""
    y1, x1 = int(box[0]) - dilate, int(box[1]) - dilate
    y2, x2 = int(box[2]) + dilate, int(box[3]) + dilate
    tile = np.clip(np.rint(track.style_state["colours"]), 0, 255).astype(np.uint8)
    painted = cv2.resize(tile, (max(1, x2 - x1), max(1, y2 - y1)),
                         interpolation=cv2.INTER_NEAREST)
    top, left = max(0, y1 - rows.start), max(0, x1 - cols.start)
    painted = cv2.copyMakeBorder(painted, top, max(0, rows.stop - y2), left,
                                 max(0, cols.stop - x2), cv2.BORDER_REPLICATE)
    origin_y, origin_x = min(y1, rows.start), min(x1, cols.start)
    window = painted[rows.start - origin_y:rows.stop - origin_y,
                     cols.start - origin_x:cols.stop - origin_x]
    patch = output[rows, cols]
    patch[hidden] = window[hidden]


def unrotate_boxes(boxes, turns, stored_shape):
    """Boxes found on the upright frame (``np.rot90(stored, turns)``) in stored-frame pixels.

    boxes: [N, (y1, x1, y2, x2)] px of the upright frame (y2, x2 exclusive); turns: quarter
    turns counter-clockwise, 0..3; stored_shape: (H, W) of the stored frame. Returns [N, 4]."""
    boxes = np.asarray(boxes).reshape(-1, 4)
    height, width = stored_shape[:2]
    y1, x1, y2, x2 = boxes.T
    if turns == 1:
        return np.stack([x1, width - y2, x2, width - y1], axis=1)
    if turns == 2:
        return np.stack([height - y2, width - x2, height - y1, width - x1], axis=1)
    if turns == 3:
        return np.stack([height - x2, y1, height - x1, y2], axis=1)
    return boxes


def detect_upright(model, rgb, rotation=0, image_sizes=None, text_finder=None):
    """Detect on the frame as the viewer sees it (a phone video's frames are stored sideways
    and turned by the player; the detector learnt upright logos) and return the detect() result
    in stored-frame pixels ("rois" [N, 4], "masks" [H, W, N], "class_ids", "scores").

    rgb: [H, W, 3] uint8 stored frame; rotation: degrees counter-clockwise the player turns it
    (video_io.VideoReader.rotation; multiples of 90, others are treated as 0); text_finder: a
    text_hiding.TextFinder whose hidden regions (read upright too) are appended as detections
    of class id ``text_class_id(model.config)``."""
    turns = (int(round(rotation / 90.0)) % 4) if rotation % 90 == 0 else 0
    upright = np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb
    result = model.detect_multiscale([upright], image_sizes=image_sizes, verbose=0)[0]
    if text_finder is not None:
        text = text_detections(text_finder.find(upright), upright.shape)
        if len(text["rois"]):
            result = dict(result)
            result["rois"] = np.concatenate([np.asarray(result["rois"]).reshape(-1, 4),
                                             text["rois"]])
            result["masks"] = np.concatenate([result["masks"], text["masks"]], axis=2)
            result["class_ids"] = np.concatenate([
                result["class_ids"], np.full(len(text["rois"]), text_class_id(model.config))])
            result["scores"] = np.concatenate([result["scores"], text["scores"]])
            result["labels"] = [None] * (len(result["scores"]) - len(text["labels"])) + \
                text["labels"]
    if not turns:
        return result
    result = dict(result)
    result["masks"] = np.rot90(result["masks"], -turns, axes=(0, 1))
    result["rois"] = unrotate_boxes(result["rois"], turns, rgb.shape)
    return result


def text_class_id(config):
    """The class id of hidden text regions in a video's tracks: one past the model's classes."""
    return len(config.CLASS_NAMES)


class VideoEraser:
    """Hides the logos of a stream of frames; see the module docstring.

    model: a loaded eraser model (``detect_multiscale`` and ``config``); detect_every: frames
    between key frames (1: detect every frame); hold: frames a missed logo stays hidden; style,
    region, keep_class_ids, dilate, seed, image_sizes: as photos.erase_logos (``seed`` seeds
    the mosaic's picks, once per track, see update_tile); rotation: the video's display
    rotation in degrees (detection runs on upright frames, see detect_upright); text_finder:
    text_hiding.TextFinder (None: logos only), run on every ``text_every``-th key frame and on
    the first key frame of every shot.
    `run(frames)` yields (VideoFrame, hidden [H, W, 3] uint8) in order; afterwards ``tracker``
    holds the tracks, ``key_frames`` the count of detector runs and ``scene_cuts`` the frame
    indices starting a new shot.
    """

    def __init__(self, model, detect_every=DEFAULT_DETECT_EVERY, hold=12, style=DEFAULT_STYLE,
                 region=DEFAULT_REGION, keep_class_ids=(), dilate=None, seed=DEFAULT_SEED,
                 image_sizes=None, rotation=0, text_finder=None,
                 text_every=DEFAULT_TEXT_EVERY):
        if style not in hiding.STYLES:
            raise ValueError(f"unknown style {style!r}")
        if int(text_every) < 1:
            raise ValueError(f"text_every must be at least 1, got {text_every}")
        self.model = model
        self.detect_every = max(1, int(detect_every))
        self.style, self.region, self.seed = style, region, seed
        self.dilate = dilate
        self.image_sizes = image_sizes
        self.rotation = rotation
        self.text_finder = text_finder
        self.text_every = int(text_every)
        keep = {int(class_id) for class_id in keep_class_ids}
        # A text track lives until the next key frame that reads text can confirm it.
        text_lifetime = self.text_every * self.detect_every - 1
        self.tracker = Tracker(hold, self.detect_every,
                               is_hidden=lambda class_id: class_id not in keep,
                               class_lifetimes={text_class_id(model.config): text_lifetime})
        self.cuts = SceneCuts()
        self.scene_cuts = []
        self.key_frames = 0
        self.text_reads = 0
        self._keys_since_text = None  # key frames since text was last read; None: new shot
        self._ended = []  # tracks ended while frames they cover are still held back

    def run(self, frames):
        """Yield (VideoFrame, hidden RGB [H, W, 3] uint8) for each `VideoFrame` of ``frames``,
        in order, at most ``detect_every - 1`` frames late."""
        pending = []  # [(VideoFrame, grey)] held back since the last key frame
        previous = None  # (grey, scale) of the previous frame
        since_key = None
        for frame in frames:
            if self.dilate is None:
                self.dilate = default_dilation(frame.rgb.shape,
                                               int(self.model.config.IMAGE_MAX_DIM))
            grey, scale = small_grey(frame.rgb)
            cut = self.cuts.is_cut(grey) and previous is not None
            key = since_key is None or cut or since_key + 1 >= self.detect_every
            if cut:
                yield from self._flush(pending)
                pending = []
                self.scene_cuts.append(frame.index)
                self._ended.extend(self.tracker.end_all(frame.index))
                self._keys_since_text = None
            elif not key:  # a key frame first looks for its missed tracks (_key_frame)
                self._ended.extend(self.tracker.expire(frame.index))
            if previous is not None and not cut:
                for track in self.tracker.live:
                    track.carried(flow_shift(track.box, previous[0], grey, scale), frame.index)
            if key:
                self._key_frame(frame, grey, scale, pending)
                yield from self._flush(pending + [(frame, grey)])
                pending, since_key = [], 0
            else:
                pending.append((frame, grey))
                since_key += 1
            previous = (grey, scale)
        yield from self._flush(pending)

    def _key_frame(self, frame, grey, scale, pending):
        """Detect on a key frame (and read text on every text_every-th); correct the held-back
        frames' boxes of the tracks found again and carry the new tracks back over them."""
        index = frame.index
        read_text = self.text_finder is not None and (
            self._keys_since_text is None or self._keys_since_text + 1 >= self.text_every)
        result = detect_upright(self.model, frame.rgb, self.rotation, self.image_sizes,
                                self.text_finder if read_text else None)
        self.key_frames += 1
        if read_text:
            self.text_reads += 1
            self._keys_since_text = 0
        elif self._keys_since_text is not None:
            self._keys_since_text += 1
        matched, new = self.tracker.associate(index, detections_from_result(result))
        previous_key = pending[0][0].index - 1 if pending else None
        for track, carried_box in matched:
            # Spread the flow's drift (detection minus carried box) linearly since the last key.
            if previous_key is not None and previous_key in track.boxes:
                drift = track.box - carried_box
                steps = index - previous_key
                for held, _ in pending:
                    if held.index in track.boxes:
                        box = track.boxes[held.index][0]
                        weight = (held.index - previous_key) / float(steps)
                        track.carried(box + weight * drift, held.index)
        for track in new:
            box, later = track.box, grey
            for held, held_grey in reversed(pending):
                box = flow_shift(box, later, held_grey, scale)
                track.carried(box, held.index)
                later = held_grey
        for track in [t for t, _ in matched] + new:
            if track.hidden and self.style == "mosaic":
                # Colours picked on the grid as it will be painted (smoothed), not the raw box.
                update_tile(track, frame.rgb, grid_box(track, track.box, store=False),
                            self.dilate, self.seed)
        # A track missed here past its lifetime ends now, without a box in this frame.
        for track in self.tracker.expire(index):
            track.boxes.pop(index, None)
            self._ended.append(track)

    def _flush(self, frames):
        """Hide and yield the given (VideoFrame, grey) pairs."""
        tracks = self.tracker.live + self._ended
        for frame, _ in frames:
            yield frame, self.hide(frame, tracks)
        for track in self._ended:  # painted for the last time: only the boxes stay (JSON)
            track.mask = track.style_state = None
        self._ended = []

    def hide(self, frame, tracks):
        """The frame's RGB with the hidden tracks that cover it painted over."""
        entries = [(track, *track.boxes[frame.index]) for track in tracks
                   if track.hidden and frame.index in track.boxes]
        if not entries:
            return frame.rgb
        shape = frame.rgb.shape
        masks, boxes, kept = [], [], []
        for entry in entries:
            mask, grown = track_mask(*entry, shape)
            if mask.any():  # else the box has left the frame
                masks.append(mask)
                boxes.append(_clip_box(grown, shape))
                kept.append(entry)
        entries = kept
        if not entries:
            return frame.rgb
        if self.style != "mosaic" or any(t.style_state is None for t, _, _ in entries):
            return hiding.hide_instances(frame.rgb, np.stack(boxes), np.stack(masks, axis=2),
                                         style=self.style, dilate=self.dilate, seed=self.seed,
                                         region=self.region)
        output = frame.rgb.copy()
        # Smallest first, as hide_instances: the larger logo's coarser blocks win overlaps.
        areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in boxes]
        for order in np.argsort(areas, kind="stable"):
            (track, box, _), mask = entries[order], masks[order]
            rows, cols, hidden = hiding.instance_region(mask, boxes[order], shape, self.dilate,
                                                        0, self.region)
            if hidden.any():
                paint_tile(output, track, grid_box(track, box), hidden, rows, cols,
                           self.dilate)
        return output


def _int_box(box):
    return np.array([int(round(v)) for v in box])


def _clip_box(box, shape):
    height, width = shape[:2]
    return np.array([min(max(box[0], 0), height - 1), min(max(box[1], 0), width - 1),
                     min(max(box[2], 1), height), min(max(box[3], 1), width)])


def erase_video(model, input_path, output_path, reader=None, detect_every=DEFAULT_DETECT_EVERY,
                hold=None, crf=DEFAULT_CRF, style=DEFAULT_STYLE, region=DEFAULT_REGION,
                keep_class_ids=(), dilate=None, seed=DEFAULT_SEED, image_sizes=None,
                progress=True, text_finder=None, text_every=DEFAULT_TEXT_EVERY):
    """Hide the logos of the video at ``input_path`` and write ``output_path`` atomically.

    reader: the input already opened with video_io.open_video (else it is opened here, and
    closed); hold: frames (None: default_hold of the video's rate); crf: the encoder's quality;
    progress: a tqdm bar (frames per second, time left) on stderr when it is a terminal; other
    options as `VideoEraser`. The output's format follows its extension.
    Returns the JSON record: paths, size, frame count and rate, the options ("text": the
    --text mode), "scene_cuts" (frame indices) and "tracks" (tracking.Track.to_json; hidden
    text regions are tracks of class "text"). Raises UsageError (video_io.VideoReadError)
    naming the file it cannot read; nothing is written then, nor on Ctrl-C.
    """
    from tqdm import tqdm

    if reader is None:
        reader = open_video(input_path)
    with reader:
        hold = default_hold(reader.fps) if hold is None else int(hold)
        eraser = VideoEraser(model, detect_every=detect_every, hold=hold, style=style,
                             region=region, keep_class_ids=keep_class_ids, dilate=dilate,
                             seed=seed, image_sizes=image_sizes, rotation=reader.rotation,
                             text_finder=text_finder, text_every=text_every)
        extension = os.path.splitext(output_path)[1].lower()
        bar = tqdm(total=reader.frame_count_estimate or None, unit="frame",
                   desc=os.path.basename(input_path), file=sys.stderr, leave=False,
                   disable=None if progress else True, dynamic_ncols=True)
        try:
            with atomic_path(output_path) as temporary:
                with VideoWriter(temporary, reader, extension, crf=crf) as writer:
                    for skipped in writer.skipped_streams:
                        warn(f"{output_path}: the {extension} container cannot hold the "
                             f"{skipped} of {input_path}; left out")
                    for transcoded in writer.transcoded_streams:
                        warn(f"{output_path}: the {extension} container cannot hold the "
                             f"{transcoded.split(' -> ')[0]} of {input_path} as it is; "
                             f"re-encoded to {transcoded.split(' -> ')[1]}")
                    reader.packet_sink = writer.copy_packet
                    for frame, rgb in eraser.run(reader.frames()):
                        writer.write(rgb, frame.pts)
                        bar.update(1)
        finally:
            bar.close()
        tracks = eraser.tracker.all_tracks()
        class_names = list(model.config.CLASS_NAMES) + ["text"]
        return {"video": input_path, "output": output_path, "height": reader.height,
                "width": reader.width, "rotation": reader.rotation,
                "frames": reader.decoded_frames, "fps": round(reader.fps, 6),
                "detect_every": eraser.detect_every, "hold": hold, "style": style,
                "region": region, "dilate_px": int(eraser.dilate or 0),
                "text": text_finder.mode if text_finder is not None else "off",
                "text_every": eraser.text_every, "text_reads": eraser.text_reads,
                "key_frames": eraser.key_frames, "scene_cuts": eraser.scene_cuts,
                "pixel_format": writer.pix_fmt, "tracks": [t.to_json(class_names) for t in tracks]}
