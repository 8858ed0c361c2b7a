"""Tests of logo_eraser.tracking: IoU, interpolation, optical-flow carrying, scene cuts, and the
tracker's association, hold and classes."""

import cv2
import numpy as np
import pytest

from logo_eraser import tracking
from logo_eraser.tracking import Detection, SceneCuts, Tracker


def detection(box, class_id=1, score=0.9):
    y1, x1, y2, x2 = box
    return Detection(np.asarray(box, np.float64), class_id, score,
                     np.ones((y2 - y1, x2 - x1), bool))


def test_box_iou():
    iou = tracking.box_iou([[0, 0, 10, 10], [0, 0, 10, 20]], [[0, 0, 10, 10], [0, 10, 10, 20],
                                                             [50, 50, 60, 60]])
    np.testing.assert_allclose(iou, [[1, 0, 0], [0.5, 0.5, 0]])


def textured(height, width, seed=0):
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height // 4, width // 4), dtype=np.uint8)
    return cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)


@pytest.mark.parametrize("shift", [(3, -5), (0, 7), (-4, 0)])
def test_flow_shift_follows_a_moving_patch(shift):
    dy, dx = shift
    grey = textured(200, 300)
    moved = np.roll(np.roll(grey, dy, axis=0), dx, axis=1)
    # Frame px are twice the grey copy's px (scale 0.5).
    box = np.array([100, 200, 200, 340], np.float64)
    carried = tracking.flow_shift(box, grey, moved, 0.5)
    np.testing.assert_allclose(carried - box, [2 * dy, 2 * dx, 2 * dy, 2 * dx], atol=1.0)


def test_flow_shift_keeps_a_box_without_texture():
    flat = np.full((100, 100), 128, np.uint8)
    box = np.array([10, 10, 50, 50], np.float64)
    np.testing.assert_array_equal(tracking.flow_shift(box, flat, flat, 1.0), box)


def test_scene_cuts_are_found_and_motion_is_not_a_cut():
    cuts = SceneCuts()
    grey = textured(120, 160)
    assert not cuts.is_cut(grey)  # the first frame
    assert not cuts.is_cut(np.roll(grey, 5, axis=1))  # camera pan: same histogram
    assert cuts.is_cut((grey // 4).astype(np.uint8))  # another (dark) shot
    assert not cuts.is_cut((grey // 4 + 1).astype(np.uint8))


def test_tracker_matches_by_iou_and_starts_new_tracks():
    tracker = Tracker(hold=5)
    matched, new = tracker.associate(0, [detection((10, 10, 50, 50)), detection((60, 60, 90, 90))])
    assert matched == [] and [t.id for t in new] == [1, 2]
    matched, new = tracker.associate(1, [detection((12, 14, 52, 54)),
                                         detection((200, 200, 220, 220))])
    assert [t.id for t, _ in matched] == [1] and [t.id for t in new] == [3]
    np.testing.assert_array_equal(matched[0][1], [10, 10, 50, 50])  # box before the update
    assert tracker.live[0].boxes[1][1] is True


def test_tracker_does_not_match_another_class():
    tracker = Tracker(hold=5)
    tracker.associate(0, [detection((10, 10, 50, 50), class_id=3)])
    matched, new = tracker.associate(1, [detection((10, 10, 50, 50), class_id=4)])
    assert matched == [] and len(new) == 1 and len(tracker.live) == 2


def test_a_missed_track_lives_hold_frames_and_at_least_until_the_next_key_frame():
    tracker = Tracker(hold=3, detect_every=1)
    tracker.associate(0, [detection((10, 10, 50, 50))])
    for frame in (1, 2, 3):
        assert tracker.expire(frame) == []
    (ended,) = tracker.expire(4)
    assert ended.id == 1 and ended.ended == 4 and not tracker.live
    # With key frames 6 apart, a track is not ended before the next key frame could see it.
    tracker = Tracker(hold=2, detect_every=6)
    tracker.associate(0, [detection((10, 10, 50, 50))])
    assert tracker.lifetime == 5 and tracker.expire(5) == [] and len(tracker.expire(6)) == 1


def test_end_all_and_kept_classes():
    tracker = Tracker(hold=3, is_hidden=lambda class_id: class_id != 2)
    tracker.associate(0, [detection((10, 10, 50, 50), class_id=1),
                          detection((60, 60, 90, 90), class_id=2)])
    assert [t.hidden for t in tracker.live] == [True, False]
    assert len(tracker.end_all(1)) == 2 and not tracker.live
    assert [t.id for t in tracker.all_tracks()] == [1, 2]


def test_carried_box_never_overwrites_a_detection_and_json():
    tracker = Tracker(hold=3)
    (track,) = tracker.associate(0, [detection((10, 10, 50, 50))])[1]
    track.carried([11, 11, 51, 51], 1)
    track.carried([99, 99, 120, 120], 0)
    record = track.to_json(["BG", "logo"])
    assert record["first_frame"] == 0 and record["last_frame"] == 1
    assert record["frames"] == [{"frame": 0, "box": [10, 10, 50, 50], "detected": True},
                                {"frame": 1, "box": [11, 11, 51, 51], "detected": False}]
    assert record["class_name"] == "logo" and record["hidden"] is True


def test_class_lifetimes_keep_a_class_live_longer():
    """Text read on every third key frame (of 5) outlives a logo missed at the next one."""
    logo = tracking.Detection(np.array([0.0, 0, 10, 10]), 1, 0.9, np.ones((10, 10), bool))
    text = tracking.Detection(np.array([20.0, 20, 30, 30]), 2, 0.9, np.ones((10, 10), bool))
    tracker = tracking.Tracker(hold=0, detect_every=5, class_lifetimes={2: 14})
    logo_track, text_track = tracker.associate(0, [logo, text])[1]
    assert tracker.lifetime_of(logo_track) == 4 and tracker.lifetime_of(text_track) == 14
    assert tracker.expire(5) == [logo_track]
    assert tracker.expire(14) == [] and tracker.expire(15) == [text_track]
