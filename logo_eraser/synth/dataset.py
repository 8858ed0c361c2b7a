"""Whole datasets: write_dataset generates the photos of both splits (in worker processes or
not; the files do not depend on it) into a staging folder beside the output, in the
FlickrLogos-47 layout plus synth.json (options, held-out brands and fonts, counts,
backgrounds), then swaps it in, so the output holds a whole dataset or is untouched.
"""

import dataclasses
import json
import os
import shutil
import tempfile
import time

import cv2

from mrcnn.cli import UsageError

from .. import flickrlogos
from .artwork import CLASSES_WITHOUT_ARTWORK, HELD_OUT_BRANDS, HELD_OUT_FONTS, REPO_ROOT
from .sample import SPLIT_CODES, SynthOptions, class_names, generate_sample

INFO_FILE = "synth.json"          # written into every generated dataset (also marks it as ours)

_WORKER_OPTIONS = None


def _recorded_path(path):
    """How synth.json names a source file: relative to the checkout, else its file name."""
    return os.path.relpath(path, REPO_ROOT) if path.startswith(REPO_ROOT) \
        else os.path.basename(path)


def _init_worker(options_fields):
    global _WORKER_OPTIONS
    cv2.setNumThreads(1)        # the processes are the parallelism
    _WORKER_OPTIONS = SynthOptions(**options_fields)
    _WORKER_OPTIONS.library()


def _generate_task(task):
    split, index = task
    return split, index, generate_sample(_WORKER_OPTIONS, split, index)


def _is_synth_dataset(folder):
    return os.path.isfile(os.path.join(folder, INFO_FILE)) and os.path.isfile(
        os.path.join(folder, flickrlogos.CLASS_NAMES_FILE))


def check_output_folder(output, overwrite):
    """Refuse an output that is a file, a non-empty folder (without ``overwrite``), or, with
    ``overwrite``, a non-empty folder that does not hold a dataset written by this script."""
    output = os.path.abspath(output)
    if os.path.exists(output) and not os.path.isdir(output):
        raise UsageError(f"{output} exists and is not a folder")
    if os.path.isdir(output) and os.listdir(output):
        if not overwrite:
            raise UsageError(f"{output} is not empty; choose another --output or pass "
                             "--overwrite to replace a dataset written by synth.py")
        if not _is_synth_dataset(output):
            raise UsageError(f"{output} is not empty and holds no {INFO_FILE}: refusing to "
                             "replace a folder synth.py did not write")
    parent = os.path.dirname(output)
    if not os.path.isdir(parent):
        raise UsageError(f"the folder {parent} of --output does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write into {parent}")
    return output


def write_dataset(output, options, num_train, num_test, workers=1, overwrite=False,
                  progress=True):
    """Generate ``num_train`` + ``num_test`` photos into ``output`` (FlickrLogos-47 layout).

    Written into a temporary folder beside ``output`` and renamed at the end, so ``output``
    either holds the whole dataset or is untouched. Returns a summary dict (counts, seconds,
    photos_per_second). Raises UsageError for an unusable output folder.
    """
    output = check_output_folder(output, overwrite)
    library = options.library()
    tasks = [("train", i) for i in range(num_train)] + [("test", i) for i in range(num_test)]
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.partial-",
                               dir=os.path.dirname(output))
    root = os.path.join(staging, "dataset")
    counts = {split: {"photos": 0, "negatives": 0, "instances": 0} for split in SPLIT_CODES}
    brand_counts = {split: {} for split in SPLIT_CODES}
    distractor_counts = {split: {} for split in SPLIT_CODES}
    started = time.perf_counter()
    pool = None
    try:
        if workers > 1 and len(tasks) > 1:
            import multiprocessing

            # Spawned, not forked: a forked child can deadlock in OpenCV's thread pool. The
            # workers import this module as logo_eraser.synth.dataset.
            pool = multiprocessing.get_context("spawn").Pool(
                min(workers, len(tasks)), _init_worker, (dataclasses.asdict(options),))
            results = pool.imap(_generate_task, tasks, chunksize=2)
        else:
            results = ((split, index, generate_sample(options, split, index, library))
                       for split, index in tasks)
        if progress:
            from tqdm import tqdm

            results = tqdm(results, total=len(tasks), unit="photo", desc="Generating")
        with flickrlogos.FlickrLogosWriter(root, class_names(options.labels)) as writer:
            for split, _index, sample in results:
                counts[split]["photos"] += 1
                for brand in sample.distractors:
                    distractor_counts[split][brand] = distractor_counts[split].get(brand, 0) + 1
                if sample.is_negative:
                    writer.add_negative(split, sample.image)
                    counts[split]["negatives"] += 1
                    continue
                writer.add_image(split, sample.image, sample.masks, sample.class_ids,
                                 difficult=sample.difficult, truncated=sample.truncated)
                counts[split]["instances"] += len(sample.brands)
                for brand in sample.brands:
                    brand_counts[split][brand] = brand_counts[split].get(brand, 0) + 1
        if pool is not None:
            pool.close()
            pool.join()
            pool = None
        elapsed = time.perf_counter() - started
        info = {
            "generator": "samples/brands/synth.py",
            "seed": options.seed, "labels": options.labels, "negatives": options.negatives,
            "clutter": options.clutter, "plates": options.plates, "finishes": options.finishes,
            "max_logo_fraction": options.max_logo_fraction,
            "checkout_photos": options.checkout_photos,
            "classes": list(class_names(options.labels)),
            "classes_without_artwork": list(CLASSES_WITHOUT_ARTWORK)
            if options.labels == "brands" else [],
            "held_out_brands": sorted(HELD_OUT_BRANDS),
            "held_out_fonts": sorted(HELD_OUT_FONTS),
            "counts": counts,
            "instances_per_brand": {split: dict(sorted(per.items()))
                                    for split, per in brand_counts.items()},
            "distractors_per_brand": {split: dict(sorted(per.items()))
                                      for split, per in distractor_counts.items()},
            "objects": [_recorded_path(path) for path in options.object_paths()],
            "backgrounds": [_recorded_path(path) for path in library.photos],
        }
        with open(os.path.join(root, INFO_FILE), "w", encoding="utf-8") as file:
            json.dump(info, file, indent=1)
            file.write("\n")
        # Swap in: an old dataset of ours is moved aside first and removed only afterwards.
        previous = os.path.join(staging, "previous")
        if os.path.isdir(output):
            os.rename(output, previous)
        os.rename(root, output)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        shutil.rmtree(staging, ignore_errors=True)
    total = len(tasks)
    return {"output": output, "counts": counts, "seconds": elapsed,
            "photos_per_second": total / elapsed if elapsed > 0 else float("inf")}
