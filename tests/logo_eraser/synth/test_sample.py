"""Tests of logo_eraser.synth.sample and .compositing: generate_sample's exact masks (the pasted
pixels minus everything pasted later), determinism, held-out brands only in test."""

import numpy as np
import pytest

from logo_eraser import flickrlogos, synth
from logo_eraser.synth import compositing
from logo_eraser.synth import sample as synth_sample


def test_masks_are_disjoint_visible_and_large_enough():
    options = synth.SynthOptions(seed=5, negatives=0.0)
    instances = 0
    for index in range(6):
        sample = synth.generate_sample(options, "train", index)
        assert sample.masks.dtype == bool and sample.masks.shape[:2] == sample.image.shape[:2]
        # Each pixel belongs to at most one mark: a mark hides what lies beneath it.
        assert sample.masks.sum(axis=2).max() <= 1
        assert (sample.masks.sum(axis=(0, 1)) >= synth.MIN_VISIBLE_PIXELS).all()
        instances += sample.masks.shape[2]
    assert instances >= 6


@pytest.mark.parametrize("seed", range(6))
def test_mask_is_the_pasted_pixels(seed):
    """On a flat photo, a mark changes nearly every pixel of its mask (a plate or outline may
    match the background colour in places), and what it changes outside the mask is only its
    faint anti-aliased rim (alpha below the threshold): within a few pixels of the mask and a
    small part of the ink."""
    import cv2

    library = synth.load_library()
    rng = np.random.default_rng(seed)
    brand = library.brands[["apple", "adidas", "bmw", "cocacola", "gucci", "dhl"][seed]]
    artwork = brand.artworks[seed % len(brand.artworks)]
    photo = np.full((240, 320, 3), 0.5, np.float32)
    placed = None
    while placed is None:
        placed = compositing._place_mark(photo, artwork, library, "train", [], rng)
    coverage, full_area, frame_area, _box, painted = placed
    assert coverage.sum() == frame_area > 0 and full_area >= frame_area
    np.testing.assert_array_equal(painted, coverage)      # no plate asked for
    change = np.abs(photo - 0.5).max(axis=2)
    changed = change > 2 / 255          # visible in an 8-bit photo
    assert changed[coverage].mean() >= 0.85
    distance = cv2.distanceTransform((~coverage).astype(np.uint8), cv2.DIST_L2, 5)
    assert distance[changed & ~coverage].max(initial=0) <= 4.5
    assert change[~coverage].sum() <= 0.25 * change.sum()


@pytest.mark.parametrize("extras", [{}, {"plates": 0.6, "clutter": 1.0}])
def test_masks_are_pasted_pixels_minus_everything_pasted_later(monkeypatch, extras):
    """Record every mark, plate and occluder generate_sample pastes: each mask must be its
    mark's pixels minus those painted after it (later marks, their plates, occluders), and
    marks with too few visible pixels must be dropped. Clutter is painted into the background
    first, so it never hides a mark."""
    events = []
    # generate_sample looks both up in its own module, logo_eraser.synth.sample.
    place_mark, paste_occluder = synth_sample._place_mark, synth_sample._paste_occluder

    def recording_place_mark(*args, **kwargs):
        placed = place_mark(*args, **kwargs)
        if placed is not None:
            events.append(("mark", placed[0].copy(), placed[4].copy()))
        return placed

    def recording_paste_occluder(*args):
        hidden = paste_occluder(*args)
        events.append(("occluder", None, hidden.copy()))
        return hidden

    monkeypatch.setattr(synth_sample, "_place_mark", recording_place_mark)
    monkeypatch.setattr(synth_sample, "_paste_occluder", recording_paste_occluder)
    options = synth.SynthOptions(seed=21, negatives=0.0, **extras)
    occluded_marks = 0
    plated_marks = 0
    for index in range(8):
        events.clear()
        sample = synth.generate_sample(options, "train", index)
        expected = []
        for i, (kind, coverage, painted) in enumerate(events):
            if kind != "mark" or not coverage.any():
                continue
            plated_marks += int((painted & ~coverage).any())
            visible = coverage.copy()
            for _, _, later in events[i + 1:]:
                visible &= ~later
            occluded_marks += int(visible.sum() < coverage.sum())
            if visible.sum() >= synth.MIN_VISIBLE_PIXELS:
                expected.append(visible)
        assert len(expected) == sample.masks.shape[2]
        for k, mask in enumerate(expected):
            np.testing.assert_array_equal(sample.masks[..., k], mask)
    assert occluded_marks >= 1      # the seed exercises occlusion
    assert (plated_marks >= 1) == bool(extras)


def test_plate_lies_under_the_mark_and_changes_the_photo_around_it():
    """A mark on a plate: the plate covers the mark and more, the photo changes there, and the
    mask is still the mark's pixels only."""
    library = synth.load_library()
    artwork = library.brands["apple"].artworks[0]
    rng = np.random.default_rng(3)
    photo = np.full((240, 320, 3), 0.5, np.float32)
    placed = None
    while placed is None or placed[3] is None:
        photo[:] = 0.5
        placed = compositing._place_mark(photo, artwork, library, "train", [], rng, plates=1.0)
    coverage, _full, _frame, _box, painted = placed
    plate = painted & ~coverage
    assert coverage.any() and plate.sum() >= 0.2 * coverage.sum()
    assert not (coverage & ~painted).any()
    changed = np.abs(photo - 0.5).max(axis=2) > 2 / 255
    assert changed[plate].mean() > 0.5


def test_finishes_make_chrome_badges_and_marks_pressed_into_their_surface():
    """_finish: chrome is grey (a tint of a few per cent) with a lit and a shaded edge; relief keeps
    the surface's own colour (a red surface stays red). With finishes=1 every placed mark
    gets one and is still labelled where the photo changed."""
    alpha = np.zeros((60, 80), np.float32)
    alpha[15:45, 20:60] = 1
    red = np.zeros((60, 80, 3), np.float32)
    red[..., 0] = 0.8
    red[..., 1:] = 0.2
    kinds = set()
    for seed in range(12):
        finished = compositing._finish(alpha, red, np.random.default_rng(seed))
        assert finished.shape == red.shape and finished.dtype == np.float32
        assert not finished[alpha == 0].any()       # premultiplied: nothing outside the mark
        inside = finished[alpha == 1]
        spread = inside.max(axis=1) - inside.min(axis=1)
        if (spread <= 0.2 * inside.max(axis=1) + 1e-6).all():
            kinds.add("chrome")
            assert np.ptp(inside.mean(axis=1)) > 0.1    # bands and bevel, not a flat grey
        else:
            kinds.add("relief")
            assert (inside[:, 0] >= 2 * inside[:, 1]).all()     # still the red surface
    assert kinds == {"chrome", "relief"}

    library = synth.load_library()
    artwork = library.brands["apple"].artworks[0]
    rng = np.random.default_rng(5)
    placed_count = 0
    for _ in range(8):
        photo = np.full((240, 320, 3), 0.5, np.float32)
        photo[:, :, 2] = 0.3
        before = photo.copy()
        placed = compositing._place_mark(photo, artwork, library, "train", [], rng,
                                         finishes=1.0)
        if placed is None:
            assert np.array_equal(photo, before)    # an invisible mark is undone
            continue
        placed_count += 1
        coverage = placed[0]
        assert np.abs(photo - before).max(axis=2)[coverage].mean() >= 0.08
    assert placed_count >= 2


def test_clutter_and_mark_size_options():
    """clutter paints patterned things that are not labelled; max_logo_fraction bounds the
    marks; the defaults keep the photos of datasets written before these options."""
    plain = synth.SynthOptions(seed=2, negatives=1.0)
    cluttered = synth.SynthOptions(seed=2, negatives=1.0, clutter=1.0)
    changed = 0
    for index in range(4):
        a = synth.generate_sample(plain, "train", index)
        b = synth.generate_sample(cluttered, "train", index)
        assert b.masks.shape[2] == 0
        changed += int(a.image.shape != b.image.shape or not np.array_equal(a.image, b.image))
    assert changed >= 3
    small = synth.SynthOptions(seed=2, negatives=0.0, max_logo_fraction=0.15)
    for index in range(6):
        sample = synth.generate_sample(small, "train", index)
        longest = max(sample.image.shape[:2])
        for k in range(sample.masks.shape[2]):
            ys, xs = np.nonzero(sample.masks[..., k])
            # The projection (rotation, perspective) may grow the side a little.
            assert max(np.ptp(ys), np.ptp(xs)) <= 0.15 * longest * 1.6 + 2
    with pytest.raises(ValueError, match="clutter"):
        synth.SynthOptions(clutter=1.5)
    with pytest.raises(ValueError, match="max_logo_fraction"):
        synth.SynthOptions(max_logo_fraction=0.0)


def test_generate_sample_is_deterministic_and_index_dependent():
    options = synth.SynthOptions(seed=4)
    first = synth.generate_sample(options, "test", 3)
    again = synth.generate_sample(options, "test", 3)
    np.testing.assert_array_equal(first.image, again.image)
    np.testing.assert_array_equal(first.masks, again.masks)
    assert first.brands == again.brands
    neighbour = synth.generate_sample(options, "test", 4)
    assert first.image.shape != neighbour.image.shape or \
        not np.array_equal(first.image, neighbour.image)


# --- held-out brands ------------------------------------------------------------------------------

def test_held_out_brands_only_in_test():
    library = synth.load_library()
    held_out = set(synth.HELD_OUT_BRANDS)
    assert {b.key for b in synth.split_brands(library, "test")} == held_out
    assert not held_out & {b.key for b in synth.split_brands(library, "train")}
    for labels in synth.LABEL_MODES:
        options = synth.SynthOptions(seed=8, labels=labels, negatives=0.0)
        for split in ("train", "test"):
            for index in range(4):
                sample = synth.generate_sample(options, split, index)
                assert sample.class_ids.size >= 1
                shown = set(sample.brands) | set(sample.distractors)
                if labels == "logo":
                    assert shown <= held_out if split == "test" else not shown & held_out
                    assert (sample.class_ids == 0).all()
                else:
                    # Labelled marks are FlickrLogos-47 brands (never held out); distractors
                    # come from the held-out brands in test only.
                    assert all(library.brands[b].is_flickrlogos for b in sample.brands)
                    distractors = set(sample.distractors)
                    assert distractors <= held_out if split == "test" else \
                        not distractors & held_out
                    names = [flickrlogos.CLASS_NAMES[i] for i in sample.class_ids]
                    assert not set(names) & set(synth.CLASSES_WITHOUT_ARTWORK)


def test_objects_are_pasted_as_unlabelled_clutter(tmp_path):
    """--objects: half of the clutter is a cut-out photo (here a pure magenta disk with a
    transparent surround); it is never labelled, and without objects nothing changes."""
    import cv2

    disk = np.zeros((64, 64, 4), np.uint8)
    cv2.circle(disk, (32, 32), 28, (255, 0, 255, 255), -1)
    cv2.imwrite(str(tmp_path / "disk.png"), disk)
    (tmp_path / "empty").mkdir()
    with_objects = synth.SynthOptions(seed=3, negatives=1.0, clutter=1.0,
                                      objects=(str(tmp_path),))
    without = synth.SynthOptions(seed=3, negatives=1.0, clutter=1.0)
    magenta_photos = 0
    for index in range(8):
        sample = synth.generate_sample(with_objects, "train", index)
        assert sample.masks.shape[2] == 0
        pixels = sample.image.reshape(-1, 3).astype(int)
        magenta = (pixels[:, 0] > 200) & (pixels[:, 1] < 60) & (pixels[:, 2] > 200)
        magenta_photos += int(magenta.sum() > 50)
        plain = synth.generate_sample(without, "train", index).image.reshape(-1, 3).astype(int)
        assert ((plain[:, 0] > 200) & (plain[:, 1] < 60) & (plain[:, 2] > 200)).sum() <= 50
    assert 2 <= magenta_photos <= 8
    with pytest.raises(synth.ArtworkError, match="no cut-out"):
        synth.SynthOptions(clutter=1.0, objects=(str(tmp_path / "empty"),)).object_paths()
    with pytest.raises(synth.ArtworkError, match="object folder not found"):
        synth.SynthOptions(clutter=1.0, objects=(str(tmp_path / "missing"),)).object_paths()
