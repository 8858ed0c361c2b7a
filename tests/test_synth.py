"""Tests of the synthetic logo generator (samples/brands/synth.py): the FlickrLogos-47 layout it
writes, read back by BrandsDataset; exact masks; determinism; held-out brands; the command line."""

import filecmp
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
SYNTH_SCRIPT = REPO_ROOT / "samples" / "brands" / "synth.py"
sys.path.insert(0, str(SYNTH_SCRIPT.parent))
import brands  # noqa: E402
import flickrlogos  # noqa: E402
import synth  # noqa: E402

NUM_TRAIN, NUM_TEST = 6, 3
SEED = 11
NEGATIVES = 0.3
CLI_TIMEOUT = 180


def write(folder, seed=SEED, labels="logo", workers=1, num_train=NUM_TRAIN, num_test=NUM_TEST):
    options = synth.SynthOptions(seed=seed, labels=labels, negatives=NEGATIVES)
    synth.write_dataset(folder, options, num_train, num_test, workers=workers, progress=False)
    return options


@pytest.fixture(scope="module")
def logo_dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth") / "logo"
    return folder, write(folder)


@pytest.fixture(scope="module")
def brands_dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth") / "brands"
    return folder, write(folder, labels="brands")


def index_of(entry):
    """The generator index of a written photo: the writer numbers each split's photos from 1
    in the order they are added, which is index order."""
    return int(os.path.basename(entry).split(".")[0]) - 1


def load(folder, subset, **kwargs):
    dataset = brands.BrandsDataset()
    dataset.load_brands(folder, subset, **kwargs)
    dataset.prepare()
    return dataset


def all_files(folder):
    return sorted(str(path.relative_to(folder)) for path in pathlib.Path(folder).rglob("*")
                  if path.is_file())


def run_cli(*args, timeout=CLI_TIMEOUT):
    return subprocess.run([sys.executable, str(SYNTH_SCRIPT), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(completed, *fragments):
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert completed.returncode == 2, completed.stderr
    assert len(lines) == 1 and "Traceback" not in completed.stderr, completed.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# --- layout and loader --------------------------------------------------------------------------

@pytest.mark.parametrize("labels", ["logo", "brands"])
def test_loader_reads_back_counts_classes_masks_and_photos(labels, logo_dataset,
                                                           brands_dataset):
    folder, options = logo_dataset if labels == "logo" else brands_dataset
    names = ["BG", "logo"] if labels == "logo" else ["BG", *flickrlogos.CLASS_NAMES]
    samples = {split: [synth.generate_sample(options, split, i) for i in range(count)]
               for split, count in (("train", NUM_TRAIN), ("test", NUM_TEST))}
    for split, subset in (("train", "trainval"), ("test", "test")):
        dataset = load(folder, subset, file_list="all", include_negatives=True)
        assert dataset.class_names == names
        assert dataset.num_images == len(samples[split])
        assert dataset.num_negatives == sum(s.is_negative for s in samples[split])
        for image_id in dataset.image_ids:
            info = dataset.image_info[image_id]
            sample = samples[split][index_of(info["entry"])]
            masks, class_ids = dataset.load_mask(image_id)
            # Dataset id k is Mask R-CNN id k + 1, and the masks are exactly the generator's.
            np.testing.assert_array_equal(class_ids, sample.class_ids + 1)
            np.testing.assert_array_equal(masks, sample.masks)
            np.testing.assert_array_equal(dataset.load_image(image_id), sample.image)
        logos_only = load(folder, subset)
        assert logos_only.num_images == sum(not s.is_negative for s in samples[split])
    with open(folder / synth.INFO_FILE, encoding="utf-8") as file:
        info = json.load(file)
    assert info["counts"]["train"]["photos"] == NUM_TRAIN
    assert info["counts"]["test"]["instances"] == sum(s.class_ids.size for s in samples["test"])


def test_layout_files_and_negatives(logo_dataset):
    folder, options = logo_dataset
    assert flickrlogos.read_class_names(folder / flickrlogos.CLASS_NAMES_FILE) == ["logo"]
    negatives = 0
    for split, count in (("train", NUM_TRAIN), ("test", NUM_TEST)):
        entries = [e for _, e in flickrlogos.read_file_list(folder / split / "filelist.txt")]
        logos = {e for _, e in flickrlogos.read_file_list(
            folder / split / "filelist-logosonly.txt")}
        assert sorted(index_of(e) for e in entries) == list(range(count))
        for entry in entries:
            sample = synth.generate_sample(options, split, index_of(entry))
            photo = folder / split / entry
            gt_path = pathlib.Path(flickrlogos.gt_data_path(photo))
            if sample.is_negative:
                negatives += 1
                assert entry.startswith(flickrlogos.NO_LOGO_FOLDER + "/")
                assert entry not in logos and not gt_path.exists()
                continue
            assert entry in logos
            instances = flickrlogos.read_gt_data(gt_path, num_classes=1)
            assert len(instances) == sample.masks.shape[2]
            for k, instance in enumerate(instances):
                rows = np.flatnonzero(sample.masks[..., k].any(axis=1))
                columns = np.flatnonzero(sample.masks[..., k].any(axis=0))
                assert (instance.x1, instance.y1, instance.x2, instance.y2) == (
                    columns[0], rows[0], columns[-1], rows[-1])
                assert instance.difficult == bool(sample.difficult[k])
                assert instance.truncated == bool(sample.truncated[k])
            photo_size = Image.open(photo).size
            assert max(photo_size) in range(synth.PHOTO_SIDES[0], synth.PHOTO_SIDES[1] + 1)
    assert negatives >= 1


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
        placed = synth._place_mark(photo, artwork, library, "train", [], rng)
    coverage, full_area, frame_area, _box = placed
    assert coverage.sum() == frame_area > 0 and full_area >= frame_area
    change = np.abs(photo - 0.5).max(axis=2)
    changed = change > 2 / 255          # visible in an 8-bit photo
    assert changed[coverage].mean() >= 0.85
    distance = cv2.distanceTransform((~coverage).astype(np.uint8), cv2.DIST_L2, 5)
    assert distance[changed & ~coverage].max(initial=0) <= 4.5
    assert change[~coverage].sum() <= 0.25 * change.sum()


def test_masks_are_pasted_pixels_minus_everything_pasted_later(monkeypatch):
    """Record every mark and occluder generate_sample pastes: each mask must be its mark's
    pixels minus those of the marks and occluders pasted after it, and marks with too few
    visible pixels must be dropped."""
    events = []
    place_mark, paste_occluder = synth._place_mark, synth._paste_occluder

    def recording_place_mark(*args):
        placed = place_mark(*args)
        if placed is not None:
            events.append(("mark", placed[0].copy()))
        return placed

    def recording_paste_occluder(*args):
        hidden = paste_occluder(*args)
        events.append(("occluder", hidden.copy()))
        return hidden

    monkeypatch.setattr(synth, "_place_mark", recording_place_mark)
    monkeypatch.setattr(synth, "_paste_occluder", recording_paste_occluder)
    options = synth.SynthOptions(seed=21, negatives=0.0)
    occluded_marks = 0
    for index in range(8):
        events.clear()
        sample = synth.generate_sample(options, "train", index)
        expected = []
        for i, (kind, coverage) in enumerate(events):
            if kind != "mark":
                continue
            visible = coverage.copy()
            for _, later in events[i + 1:]:
                visible &= ~later
            occluded_marks += int(visible.sum() < coverage.sum())
            if visible.sum() >= synth.MIN_VISIBLE_PIXELS:
                expected.append(visible)
        assert len(expected) == sample.masks.shape[2]
        for k, mask in enumerate(expected):
            np.testing.assert_array_equal(sample.masks[..., k], mask)
    assert occluded_marks >= 1      # the seed exercises occlusion


# --- determinism ----------------------------------------------------------------------------------

def test_same_seed_same_files_any_worker_count_other_seed_other_files(logo_dataset, tmp_path):
    folder, _ = logo_dataset
    parallel = tmp_path / "parallel"
    write(parallel, workers=2)
    files = all_files(folder)
    assert files == all_files(parallel)
    _, mismatch, errors = filecmp.cmpfiles(folder, parallel, files, shallow=False)
    assert mismatch == [] and errors == []

    other = tmp_path / "other"
    write(other, seed=SEED + 1)
    photos = [f for f in files if f.endswith(".png") and ".mask" not in f]
    same = [f for f in photos if (other / f).exists()
            and (other / f).read_bytes() == (folder / f).read_bytes()]
    assert same == []


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


def test_held_out_brands_in_written_info(logo_dataset, brands_dataset):
    held_out = set(synth.HELD_OUT_BRANDS)
    for folder, _ in (logo_dataset, brands_dataset):
        with open(folder / synth.INFO_FILE, encoding="utf-8") as file:
            info = json.load(file)
        assert set(info["held_out_brands"]) == held_out
        shown_in_train = set(info["instances_per_brand"]["train"]) | \
            set(info["distractors_per_brand"]["train"])
        assert not shown_in_train & held_out
    with open(logo_dataset[0] / synth.INFO_FILE, encoding="utf-8") as file:
        assert set(json.load(file)["instances_per_brand"]["test"]) <= held_out


def test_artwork_is_vendored_with_licence():
    artwork = REPO_ROOT / "samples" / "brands" / "artwork"
    for name in ("LICENSE.md", "DISCLAIMER.md", "manifest.json"):
        assert (artwork / name).is_file()
    assert "CC0" in (artwork / "LICENSE.md").read_text(encoding="utf-8")
    with open(artwork / "manifest.json", encoding="utf-8") as file:
        manifest = json.load(file)
    slugs = {record["slug"] for record in manifest["icons"]}
    for sources in synth.FLICKRLOGOS_ARTWORK.values():
        assert {source for kind, source in sources if kind == "icon"} <= slugs
    for record in manifest["icons"]:
        assert (artwork / record["file"]).is_file()
        assert len(record["hex"]) == 6


# --- command line ---------------------------------------------------------------------------------

def test_cli_writes_dataset_and_refuses_non_empty_folders(tmp_path):
    output = tmp_path / "synth_cli"
    completed = run_cli("--output", output, "--num-images", 2, "--num-test", 1, "--seed", 3,
                        "--workers", 1, "--no-progress")
    assert completed.returncode == 0, completed.stderr
    assert "photos/second" in completed.stdout
    assert (output / synth.INFO_FILE).is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["synth_cli"]   # no temporary folder left
    dataset = load(output, "trainval", file_list="all", include_negatives=True)
    assert dataset.num_images == 2

    before = all_files(output)
    refused = run_cli("--output", output, "--num-images", 1, "--no-progress")
    assert_one_line_error(refused, str(output), "--overwrite")
    assert all_files(output) == before

    replaced = run_cli("--output", output, "--num-images", 1, "--num-test", 0, "--seed", 4,
                       "--labels", "brands", "--overwrite", "--no-progress")
    assert replaced.returncode == 0, replaced.stderr
    assert flickrlogos.read_class_names(output / flickrlogos.CLASS_NAMES_FILE) == \
        list(flickrlogos.CLASS_NAMES)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    refused = run_cli("--output", foreign, "--num-images", 1, "--overwrite", "--no-progress")
    assert_one_line_error(refused, str(foreign), synth.INFO_FILE)
    assert [p.name for p in foreign.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("args, fragment", [
    (["--num-images", "0"], "--num-images"),
    (["--negatives", "1.5"], "--negatives"),
    (["--labels", "cars"], "--labels"),
    (["--backgrounds", "/nonexistent/photos"], "/nonexistent/photos"),
])
def test_cli_bad_arguments_exit_2(args, fragment, tmp_path):
    base = ["--output", tmp_path / "out", "--num-images", "1"]
    completed = run_cli(*base, *args, timeout=60)
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr and fragment in completed.stderr
    assert not (tmp_path / "out").exists()
