"""Tests of logo_eraser.synth.dataset: the FlickrLogos-47 layout write_dataset writes, read back
by BrandsDataset; the same files for any worker count; held-out brands in synth.json."""

import filecmp
import json
import os
import pathlib

import numpy as np
import pytest
from PIL import Image

from logo_eraser import flickrlogos, synth

NUM_TRAIN, NUM_TEST = 6, 3
SEED = 11
NEGATIVES = 0.3


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


# --- layout and loader --------------------------------------------------------------------------

@pytest.mark.parametrize("labels", ["logo", "brands"])
def test_loader_reads_back_counts_classes_masks_and_photos(labels, logo_dataset,
                                                           brands_dataset, load):
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


# --- determinism ----------------------------------------------------------------------------------

def test_same_seed_same_files_any_worker_count_other_seed_other_files(logo_dataset, tmp_path, all_files):
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


# --- held-out brands ------------------------------------------------------------------------------

def test_held_out_brands_in_written_info(logo_dataset, brands_dataset, load):
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
