"""Tracks of logo detections across the frames of a video: association, propagation, hold, cuts.

A `Track` is one logo followed over frames: its class (fixed by its first detection, so a logo
kept with --keep is kept in every frame), its box in every frame it covers (detected or carried)
and the mask of its latest detection, cropped to the box (scaled to the box each frame).

* `Tracker.associate` matches a key frame's detections to the live tracks by box IoU, greedily,
  best pair first, same class only; a detection matching no track starts one.
* Between key frames (``--detect-every N``) a box is carried by `flow_shift`: the median
  Lucas-Kanade optical flow of corner points inside it (OpenCV), on a small grey copy of the
  frame; when the track is detected again at the next key frame, the video pipeline corrects
  those guesses by spreading the flow's drift (detection minus carried box) linearly over the
  frames between (with no usable flow this is linear interpolation between the detections),
  and carries a new track back by flow over the frames buffered before it.
* A track missed by the detector stays (and stays hidden) until it has gone ``hold`` frames
  without a detection, and at least until the next key frame (`Tracker.expire`).
* `SceneCuts` finds cuts (Bhattacharyya distance between grey histograms of consecutive
  frames); the pipeline ends every track at a cut.

NumPy and OpenCV only; boxes are float [y1, x1, y2, x2] in frame pixels (y2, x2 exclusive).
"""

import dataclasses

import cv2
import numpy as np

# A detection continues a track when their boxes overlap at least this much (IoU).
DEFAULT_IOU_THRESHOLD = 0.2
# Bhattacharyya distance between consecutive frames' grey histograms above which it is a cut.
DEFAULT_CUT_THRESHOLD = 0.5
HISTOGRAM_BINS = 32
# Optical flow: corners per box, their quality, and the fewest tracked to trust the median.
FLOW_MAX_CORNERS = 40
FLOW_QUALITY = 0.01
FLOW_MIN_POINTS = 3
FLOW_WINDOW = (15, 15)


@dataclasses.dataclass
class Detection:
    """One detection of a key frame: box [4] float (y1, x1, y2, x2) px; class_id; score;
    mask [h, w] bool inside the box (h, w: the rounded box's size); label: what was read for a
    text region ({"text", "brand"}), None for a logo."""
    box: np.ndarray
    class_id: int
    score: float
    mask: np.ndarray
    label: dict = None


def detections_from_result(result):
    """`Detection` list from a detect() result dict ("rois" [N, 4] int px, "class_ids" [N],
    "scores" [N], "masks" [H, W, N] bool, optional "labels" [N]: dict or None). Masks are
    cropped to their boxes (memory: a box's area, not the frame's)."""
    detections = []
    masks = result["masks"]
    labels = result.get("labels") or [None] * len(result["scores"])
    for index, (box, class_id, score) in enumerate(zip(result["rois"], result["class_ids"],
                                                       result["scores"])):
        y1, x1, y2, x2 = (int(v) for v in box)
        if y2 <= y1 or x2 <= x1:
            continue
        detections.append(Detection(np.asarray(box, dtype=np.float64), int(class_id),
                                    float(score), np.array(masks[y1:y2, x1:x2, index], bool),
                                    labels[index]))
    return detections


def box_iou(boxes_a, boxes_b):
    """IoU matrix [len(a), len(b)] of two box arrays [N, (y1, x1, y2, x2)] px."""
    a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    top = np.maximum(a[:, None, 0], b[None, :, 0])
    left = np.maximum(a[:, None, 1], b[None, :, 1])
    bottom = np.minimum(a[:, None, 2], b[None, :, 2])
    right = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(bottom - top, 0, None) * np.clip(right - left, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def flow_shift(box, grey_from, grey_to, scale):
    """``box`` carried from one frame to the next by sparse optical flow.

    box: [4] float (y1, x1, y2, x2) in frame px; grey_from, grey_to: [h, w] uint8 grey copies of
    the two frames shrunk by ``scale`` (small px per frame px). The box moves by the median
    displacement of the corners found inside it and tracked forward and back consistently;
    with fewer than FLOW_MIN_POINTS such corners it stays where it was.
    Returns the new [4] float box in frame px.
    """
    box = np.asarray(box, dtype=np.float64)
    height, width = grey_from.shape
    y1, x1 = max(0, int(box[0] * scale)), max(0, int(box[1] * scale))
    y2, x2 = min(height, int(np.ceil(box[2] * scale))), min(width, int(np.ceil(box[3] * scale)))
    if y2 - y1 < 3 or x2 - x1 < 3:
        return box
    region = np.zeros_like(grey_from)
    region[y1:y2, x1:x2] = 255
    points = cv2.goodFeaturesToTrack(grey_from, FLOW_MAX_CORNERS, FLOW_QUALITY, 2, mask=region)
    if points is None or len(points) < FLOW_MIN_POINTS:
        return box
    forward, status, _ = cv2.calcOpticalFlowPyrLK(grey_from, grey_to, points, None,
                                                  winSize=FLOW_WINDOW, maxLevel=2)
    back, status_back, _ = cv2.calcOpticalFlowPyrLK(grey_to, grey_from, forward, None,
                                                    winSize=FLOW_WINDOW, maxLevel=2)
    # Forward-backward check: a point that does not come back to where it was is unreliable.
    good = ((status.ravel() == 1) & (status_back.ravel() == 1)
            & (np.linalg.norm((back - points).reshape(-1, 2), axis=1) < 1.0))
    if good.sum() < FLOW_MIN_POINTS:
        return box
    dx, dy = np.median((forward - points).reshape(-1, 2)[good], axis=0) / scale
    return box + np.array([dy, dx, dy, dx])


class SceneCuts:
    """Finds scene cuts: call `is_cut` with each frame's small grey copy, in order."""

    def __init__(self, threshold=DEFAULT_CUT_THRESHOLD):
        self.threshold = threshold
        self._previous = None

    def distance(self, grey):
        """Bhattacharyya distance (0 same, 1 disjoint) between the grey histogram of ``grey``
        ([h, w] uint8) and the previous frame's; 0 for the first frame. Remembers ``grey``'s."""
        histogram = cv2.calcHist([grey], [0], None, [HISTOGRAM_BINS], [0, 256])
        cv2.normalize(histogram, histogram, 1.0, 0.0, cv2.NORM_L1)
        previous, self._previous = self._previous, histogram
        if previous is None:
            return 0.0
        return float(cv2.compareHist(previous, histogram, cv2.HISTCMP_BHATTACHARYYA))

    def is_cut(self, grey):
        """True when ``grey`` ([h, w] uint8) starts a new shot."""
        return self.distance(grey) > self.threshold


class Track:
    """One logo followed over frames.

    Attributes: ``id`` (1, 2...); ``class_id``; ``score`` (best detection score); ``hidden``
    (False for a kept class); ``box`` ([4] float px, in the latest frame it covers); ``mask``
    ([h, w] bool, the latest detection's mask in its box); ``last_detected`` (frame index);
    ``boxes`` {frame index: ([4] float box, detected bool)}; ``ended`` (frame index after its
    last, or None while live); ``style_state``: what the hiding keeps per track (the mosaic's
    colours); ``labels``: for a text track, each distinct {"text", "brand"} read in it, in order.
    """

    def __init__(self, track_id, detection, frame_index, hidden):
        self.id = track_id
        self.class_id = detection.class_id
        self.score = detection.score
        self.hidden = hidden
        self.box = detection.box.copy()
        self.mask = detection.mask
        self.last_detected = frame_index
        self.boxes = {frame_index: (self.box.copy(), True)}
        self.ended = None
        self.style_state = None
        self.labels = []
        self._add_label(detection.label)

    def _add_label(self, label):
        if label is not None and label not in self.labels:
            self.labels.append(label)

    def detected(self, detection, frame_index):
        """Record a detection of this logo at ``frame_index``."""
        self.box = detection.box.copy()
        self.mask = detection.mask
        self.score = max(self.score, detection.score)
        self.last_detected = frame_index
        self.boxes[frame_index] = (self.box.copy(), True)
        self._add_label(detection.label)

    def carried(self, box, frame_index):
        """Record ``box`` (not detected: carried or interpolated) at ``frame_index``; it becomes
        the current box when it is the latest frame."""
        box = np.asarray(box, dtype=np.float64)
        if frame_index in self.boxes and self.boxes[frame_index][1]:
            return  # a detection is never overwritten by a guess
        self.boxes[frame_index] = (box.copy(), False)
        if frame_index >= max(self.boxes):
            self.box = box.copy()

    @property
    def first_frame(self):
        return min(self.boxes)

    @property
    def last_frame(self):
        return max(self.boxes)

    def to_json(self, class_names):
        """JSON-ready record: id, class, first and last frame, box [y1, x1, y2, x2] per frame
        (rounded px) and whether the detector found it there; a text track also has "read":
        the distinct {"text", "brand"} read in it."""
        record = {"id": self.id, "class_id": self.class_id,
                  "class_name": class_names[self.class_id] if self.class_id < len(class_names)
                  else str(self.class_id),
                  "score": round(float(self.score), 6), "hidden": bool(self.hidden),
                  "first_frame": self.first_frame, "last_frame": self.last_frame,
                  "frames": [{"frame": index, "box": [int(round(v)) for v in box],
                              "detected": bool(detected)}
                             for index, (box, detected) in sorted(self.boxes.items())]}
        if self.labels:
            record["read"] = list(self.labels)
        return record


class Tracker:
    """The live tracks of a video.

    hold: frames a track lives on after its last detection; detect_every: frames between key
    frames (a track always lives until the next key frame can confirm it); is_hidden:
    class_id -> bool (False for --keep classes); iou_threshold: see associate;
    class_lifetimes: {class_id: frames} the tracks of a class live at least this long after
    their last detection (text, read only on some key frames, must outlive the gap between
    them).
    ``live``: the live tracks; ``finished``: the ended ones, in order of ending.
    """

    def __init__(self, hold, detect_every=1, is_hidden=lambda class_id: True,
                 iou_threshold=DEFAULT_IOU_THRESHOLD, class_lifetimes=None):
        self.hold = int(hold)
        self.detect_every = int(detect_every)
        self.is_hidden = is_hidden
        self.iou_threshold = iou_threshold
        self.class_lifetimes = dict(class_lifetimes or {})
        self.live = []
        self.finished = []
        self._next_id = 1

    @property
    def lifetime(self):
        """Frames after its last detection during which a track is still live."""
        return max(self.hold, self.detect_every - 1)

    def lifetime_of(self, track):
        """Frames after its last detection during which ``track`` is still live."""
        return max(self.lifetime, int(self.class_lifetimes.get(track.class_id, 0)))

    def associate(self, frame_index, detections):
        """Match a key frame's ``detections`` (`Detection` list) to the live tracks.

        Pairs are taken greedily by decreasing box IoU (at least ``iou_threshold``, same class).
        Matched tracks record the detection; unmatched detections start new tracks.
        Returns (matched [(track, box before the update)], new tracks).
        """
        pairs = []
        if self.live and detections:
            iou = box_iou([t.box for t in self.live], [d.box for d in detections])
            for t_index, d_index in zip(*np.nonzero(iou >= self.iou_threshold)):
                if self.live[t_index].class_id == detections[d_index].class_id:
                    pairs.append((iou[t_index, d_index], t_index, d_index))
        pairs.sort(key=lambda pair: -pair[0])
        used_tracks, used_detections, matched = set(), set(), []
        for _, t_index, d_index in pairs:
            if t_index in used_tracks or d_index in used_detections:
                continue
            used_tracks.add(t_index)
            used_detections.add(d_index)
            track = self.live[t_index]
            matched.append((track, track.box.copy()))
            track.detected(detections[d_index], frame_index)
        new = []
        for d_index, detection in enumerate(detections):
            if d_index not in used_detections:
                track = Track(self._next_id, detection, frame_index,
                              bool(self.is_hidden(detection.class_id)))
                self._next_id += 1
                new.append(track)
        self.live.extend(new)
        return matched, new

    def expire(self, frame_index):
        """End the tracks that have gone undetected too long at ``frame_index``; returns them."""
        ended = [t for t in self.live if frame_index - t.last_detected > self.lifetime_of(t)]
        for track in ended:
            self._end(track, frame_index)
        return ended

    def end_all(self, frame_index):
        """End every live track (a scene cut at ``frame_index``); returns them."""
        ended = list(self.live)
        for track in ended:
            self._end(track, frame_index)
        return ended

    def _end(self, track, frame_index):
        track.ended = frame_index
        self.live.remove(track)
        self.finished.append(track)

    def all_tracks(self):
        """Every track, finished and live, by id."""
        return sorted(self.finished + self.live, key=lambda t: t.id)
