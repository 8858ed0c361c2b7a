#!/usr/bin/env python3
"""Mask R-CNN on MS COCO: configuration, class names, dataset, training and evaluation.

`CocoConfig` is the configuration the published `mask_rcnn_coco.h5` weights were trained with
(ResNet101 backbone, 80 object classes plus background). `COCO_CLASS_NAMES` maps the model's
class ids to names: `COCO_CLASS_NAMES[class_id]`, with id 0 the background `"BG"`.

Usage (as in matterport's samples, with this folder on `sys.path` and mrcnn installed)::

    import coco

    class InferenceConfig(coco.CocoConfig):
        GPU_COUNT = 1
        IMAGES_PER_GPU = 1

`CocoDataset` reads the COCO layout matterport used (nothing is downloaded)::

    <dataset>/annotations/instances_<subset><year>.json
    <dataset>/<subset><year>/<image files>      (minival, valminusminival: in val<year>/)

Command line (matterport's flags)::

    # Train from the COCO weights (or imagenet, last, or a .h5 path)
    python samples/coco/coco.py train --dataset /data/coco --year 2014 --model coco
    # COCO evaluation (mAP@0.5, bbox and segm AP, per-class table) on the first 500 images
    python samples/coco/coco.py evaluate --dataset /data/coco --year 2014 --model last

Training runs matterport's schedule: the heads for 40 epochs at LEARNING_RATE, ResNet stage 4
and up to epoch 120, then all layers to epoch 160 at LEARNING_RATE / 10, with horizontal flips
(albumentations HorizontalFlip(p=0.5) instead of imgaug's Fliplr(0.5)). Evaluation uses the
validation subset: minival for 2014, val otherwise.

Exit status: 0 success, 2 bad arguments or missing files (one line on stderr), 1 unexpected
internal error (rerun with --debug for the traceback).
"""

import contextlib
import io
import os
import sys
import time

import numpy as np

from mrcnn import utils
from mrcnn.cli import (EXIT_OK, OneLineArgumentParser, WEIGHTS_RELEASES_URL,
                       UsageError, add_device_flags, check_weights_choice, image_size,
                       import_tensorflow_quietly, load_starting_weights, non_negative_int, one_line,
                       run_main)
from mrcnn.coco import COCO_CLASS_NAMES, CocoConfig  # noqa: F401 (re-exported)

# The checkout's root: matterport's samples keep weights and logs there.
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         os.pardir, os.pardir))

# The published COCO weights, expected at the repository root (never downloaded).
COCO_MODEL_PATH = os.path.join(REPO_ROOT, "mask_rcnn_coco.h5")
DEFAULT_LOGS_DIR = os.path.join(REPO_ROOT, "logs")
DEFAULT_DATASET_YEAR = "2014"
COCO_DOWNLOAD_URL = "https://cocodataset.org/#download"



############################################################
#  Configurations
############################################################

# CocoConfig and COCO_CLASS_NAMES live in the library (mrcnn.coco), re-exported here for
# matterport-style code: `import coco; coco.CocoConfig`.


############################################################
#  Dataset
############################################################

def annotation_path(dataset_dir, subset, year):
    """<dataset_dir>/annotations/instances_<subset><year>.json"""
    return os.path.join(dataset_dir, "annotations", f"instances_{subset}{year}.json")


def image_folder(dataset_dir, subset, year):
    """Where the images of a subset are: minival and valminusminival are parts of val."""
    if subset in ("minival", "valminusminival"):
        subset = "val"
    return os.path.join(dataset_dir, f"{subset}{year}")


class CocoDataset(utils.Dataset):
    """MS COCO instances (or any dataset in the COCO format) for Mask R-CNN."""

    def load_coco(self, dataset_dir, subset, year=DEFAULT_DATASET_YEAR, class_ids=None,
                  class_map=None, return_coco=False, auto_download=False):
        """Register a subset of a COCO-format dataset.

        dataset_dir: root folder of the dataset (layout in the module docstring).
        subset: "train", "val", "minival", "valminusminival" (or any name with files).
        year: "2014", "2017", ... as in the file names.
        class_ids: COCO category ids to load (default: all). Only images holding at least one
            instance of these classes are registered, as in matterport.
        class_map: unused (matterport's API).
        return_coco: return the pycocotools COCO object (needed by evaluate_coco).
        auto_download: not supported: nothing is downloaded; True raises ValueError.
        Raises FileNotFoundError (naming the file) when the annotation file or the image folder
        is missing, ValueError when the annotation file cannot be read.
        """
        if auto_download:
            self.auto_download(dataset_dir, subset, year)
        from pycocotools.coco import COCO

        json_path = annotation_path(dataset_dir, subset, year)
        image_dir = image_folder(dataset_dir, subset, year)
        if not os.path.isfile(json_path):
            raise FileNotFoundError(f"COCO annotation file not found: {json_path}")
        if not os.path.isdir(image_dir):
            raise FileNotFoundError(f"COCO image folder not found: {image_dir} "
                                    f"(for {json_path})")
        try:
            # pycocotools prints progress lines on stdout.
            with contextlib.redirect_stdout(io.StringIO()):
                coco = COCO(json_path)
        except (ValueError, KeyError, TypeError, AssertionError) as error:
            # json.JSONDecodeError is a ValueError; a wrong structure fails while indexing.
            raise ValueError(f"{json_path}: not a COCO instances file "
                             f"({type(error).__name__}: {error})") from None

        if not class_ids:
            class_ids = sorted(coco.getCatIds())
        # Images with at least one instance of the classes (sorted: reproducible order).
        image_ids = sorted({i for c in class_ids for i in coco.getImgIds(catIds=[c])})

        for class_id in class_ids:
            self.add_class("coco", class_id, coco.loadCats(class_id)[0]["name"])
        for image_id in image_ids:
            info = coco.imgs[image_id]
            self.add_image(
                "coco", image_id=image_id,
                path=os.path.join(image_dir, info["file_name"]),
                width=info["width"], height=info["height"],
                annotations=coco.loadAnns(coco.getAnnIds(imgIds=[image_id], catIds=class_ids,
                                                         iscrowd=None)))
        if return_coco:
            return coco
        return None

    def auto_download(self, data_dir, data_type, data_year):
        """matterport downloaded COCO here; this library never downloads anything."""
        raise ValueError(f"auto_download is not supported: nothing is downloaded. Get COCO "
                         f"{data_type}{data_year} from {COCO_DOWNLOAD_URL} and put it in "
                         f"{data_dir} (annotations/ and {data_type}{data_year}/)")

    def load_mask(self, image_id):
        """Instance masks of a COCO image.

        Returns masks [height, width, N] bool and class_ids [N] int32 (internal ids). Crowd
        regions get negative class ids (matterport); instances whose mask rounds to no pixel
        are dropped. An image without instances gives masks [height, width, 0].
        """
        image_info = self.image_info[image_id]
        if image_info["source"] != "coco":
            return super().load_mask(image_id)
        height, width = image_info["height"], image_info["width"]
        instance_masks, class_ids = [], []
        for annotation in image_info["annotations"]:
            class_id = self.class_from_source_map.get(f"coco.{annotation['category_id']}")
            if not class_id:
                continue
            mask = self.annToMask(annotation, height, width)
            # Some objects are so small that they are under one pixel and round out.
            if mask.max() < 1:
                continue
            if annotation["iscrowd"]:
                class_id = -class_id
                # A crowd RLE may have another size than the image: then cover the image.
                if mask.shape != (height, width):
                    mask = np.ones((height, width), dtype=bool)
            instance_masks.append(mask.astype(bool))
            class_ids.append(class_id)
        if not class_ids:
            return np.zeros((height, width, 0), dtype=bool), np.zeros((0,), np.int32)
        return np.stack(instance_masks, axis=2), np.array(class_ids, dtype=np.int32)

    def image_reference(self, image_id):
        """Link to the image on the COCO website."""
        info = self.image_info[image_id]
        if info["source"] == "coco":
            return f"http://cocodataset.org/#explore?id={info['id']}"
        return super().image_reference(image_id)

    # The following two functions are from pycocotools with a few changes (matterport's).
    def annToRLE(self, ann, height, width):
        """An annotation's segmentation (polygons, uncompressed or compressed RLE) -> RLE."""
        from pycocotools import mask as mask_utils

        segmentation = ann["segmentation"]
        if isinstance(segmentation, list):
            # Polygons: one object may have several parts; merge them into one RLE.
            return mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
        if isinstance(segmentation["counts"], list):
            return mask_utils.frPyObjects(segmentation, height, width)
        return segmentation

    def annToMask(self, ann, height, width):
        """An annotation's segmentation -> binary mask [height, width] uint8."""
        from pycocotools import mask as mask_utils

        return mask_utils.decode(self.annToRLE(ann, height, width))


############################################################
#  COCO evaluation
############################################################

def build_coco_results(dataset, image_ids, rois, class_ids, scores, masks):
    """Detections of one image in COCO's results format.

    image_ids: the COCO image ids the detections belong to (matterport passes one).
    rois: [N, (y1, x1, y2, x2)] pixels; class_ids: [N] internal ids; scores: [N];
    masks: [H, W, N]. Category ids are the dataset's COCO ids; detections of classes the
    dataset does not have are left out.
    Returns: list of dicts {"image_id", "category_id", "bbox": [x, y, w, h], "score",
        "segmentation": RLE}.
    """
    from mrcnn import evaluation

    if rois is None:
        return []
    category_map = {c: int(info["id"]) for c, info in enumerate(dataset.class_info)
                    if c > 0 and info["source"] == "coco"}
    results = []
    for image_id in image_ids:
        results.extend(evaluation.detections_to_coco(image_id, rois, class_ids, scores, masks,
                                                     category_map))
    return results


def evaluate_coco(model, dataset, coco, eval_type="bbox", limit=0, image_ids=None):
    """Run the official COCO evaluation (matterport's evaluate_coco).

    dataset: a prepared CocoDataset; coco: the COCO object load_coco(return_coco=True) gave.
    eval_type: "bbox" or "segm". limit: evaluate the first `limit` images (0: all).
    image_ids: internal image ids (default: all of the dataset's).
    Prints COCOeval's summary and the timings; returns the COCOeval object.
    """
    from mrcnn import evaluation

    if image_ids is None:
        image_ids = dataset.image_ids
    image_ids = [int(i) for i in image_ids]
    if limit:
        image_ids = image_ids[:limit]
    coco_image_ids = [dataset.image_info[i]["id"] for i in image_ids]
    batch_size = int(model.config.BATCH_SIZE)

    t_prediction = 0.0
    t_start = time.time()
    results = []
    for start in range(0, len(image_ids), batch_size):
        batch = image_ids[start:start + batch_size]
        images = [dataset.load_image(i) for i in batch]
        t = time.time()
        detections = model.detect(images + [images[-1]] * (batch_size - len(images)))
        t_prediction += time.time() - t
        for offset, r in enumerate(detections[:len(batch)]):
            results.extend(build_coco_results(
                dataset, coco_image_ids[start + offset:start + offset + 1], r["rois"],
                r["class_ids"], r["scores"], r["masks"].astype(np.uint8)))

    coco_eval = evaluation.run_coco_eval(coco, results, eval_type, coco_image_ids, verbose=1)
    print(f"Prediction time: {t_prediction:.2f}. Average {t_prediction / len(image_ids):.2f}"
          f"/image")
    print(f"Total time: {time.time() - t_start:.2f}")
    return coco_eval


############################################################
#  Command line
############################################################

class CocoError(UsageError):
    """A problem with the user's arguments or files; its message is printed as one line."""






def build_parser():
    parser = OneLineArgumentParser(
        description="Train Mask R-CNN on MS COCO or evaluate it (mAP@0.5, COCO bbox and segm "
        "AP, per-class table).",
        epilog=f"Nothing is downloaded: get COCO from {COCO_DOWNLOAD_URL} and mask_rcnn_coco.h5 "
        f"from {WEIGHTS_RELEASES_URL} (--model coco reads {COCO_MODEL_PATH}).")
    parser.add_argument("command", metavar="<command>", choices=("train", "evaluate"),
                        help="'train' or 'evaluate' on MS COCO")
    parser.add_argument("--dataset", required=True, metavar="/path/to/coco/",
                        help="directory of the MS-COCO dataset")
    parser.add_argument("--year", default=DEFAULT_DATASET_YEAR, metavar="<year>",
                        help=f"year of the MS-COCO dataset, 2014 or 2017 (default: "
                        f"{DEFAULT_DATASET_YEAR})")
    parser.add_argument("--model", required=True, metavar="coco|imagenet|last|/path/to/weights.h5",
                        help="weights to start from / evaluate: coco, imagenet, last (newest "
                        "checkpoint under --logs) or the path of a .h5 file")
    parser.add_argument("--logs", default=DEFAULT_LOGS_DIR, metavar="/path/to/logs/",
                        help=f"logs and checkpoints directory (default: {DEFAULT_LOGS_DIR})")
    parser.add_argument("--limit", type=non_negative_int, default=500, metavar="<image count>",
                        help="images to use for evaluation, 0 for all (default: 500)")
    parser.add_argument("--download", action="store_true",
                        help="matterport's auto-download; refused: nothing is downloaded")
    parser.add_argument("--image-size", type=image_size, default=None,
                        help="resize images to this square size, a multiple of 64 (default: "
                        f"the config's {CocoConfig.IMAGE_MAX_DIM})")
    add_device_flags(parser)
    return parser


def make_config(args, training):
    """CocoConfig for training, or matterport's evaluation config (one image, no threshold)."""
    overrides = {}
    if not training:
        overrides.update(GPU_COUNT=1, IMAGES_PER_GPU=1, DETECTION_MIN_CONFIDENCE=0)
    if args.image_size:
        overrides.update(IMAGE_MIN_DIM=args.image_size, IMAGE_MAX_DIM=args.image_size)
    name = "TrainingConfig" if training else "InferenceConfig"
    return type(name, (CocoConfig,), overrides)()


def check_dataset(args, subsets):
    """Fail fast on a missing dataset folder, annotation file or image folder."""
    if not os.path.isdir(args.dataset):
        raise CocoError(f"dataset folder not found: {args.dataset}")
    for subset in subsets:
        json_path = annotation_path(args.dataset, subset, args.year)
        if not os.path.isfile(json_path):
            raise CocoError(f"COCO annotation file not found: {json_path}")
        folder = image_folder(args.dataset, subset, args.year)
        if not os.path.isdir(folder):
            raise CocoError(f"COCO image folder not found: {folder}")


def load_dataset(args, subsets, return_coco=False):
    """A prepared CocoDataset of the subsets (and the COCO object of the last one)."""
    dataset = CocoDataset()
    coco = None
    try:
        for subset in subsets:
            coco = dataset.load_coco(args.dataset, subset, year=args.year,
                                     return_coco=return_coco)
    except (FileNotFoundError, ValueError) as error:
        raise CocoError(one_line(error)) from None
    dataset.prepare()
    if not dataset.image_ids.size:
        raise CocoError(f"no annotated image in {', '.join(subsets)} of {args.dataset}")
    return dataset, coco


def validation_subset(year):
    """matterport: minival for 2014, val for the other years."""
    return "minival" if str(year) == "2014" else "val"


def run(args):
    """Validate the arguments, then train or evaluate. Returns the exit status."""
    if args.download:
        raise CocoError(f"--download is not supported: nothing is downloaded; get COCO from "
                        f"{COCO_DOWNLOAD_URL} into {args.dataset}")
    val_subset = validation_subset(args.year)
    if args.command == "train":
        train_subsets = ["train"] + (["valminusminival"] if str(args.year) == "2014" else [])
        check_dataset(args, train_subsets + [val_subset])
    else:
        check_dataset(args, [val_subset])
    weights_path = check_weights_choice(args.model, COCO_MODEL_PATH, allow_none=False,
                                        flag="--model")

    print(f"Command: {args.command}\nModel: {args.model}\nDataset: {args.dataset}\n"
          f"Year: {args.year}\nLogs: {args.logs}")
    # The annotations are read before TensorFlow is imported: a bad file fails fast.
    if args.command == "train":
        dataset_train, _ = load_dataset(args, train_subsets)
        dataset_val, _ = load_dataset(args, [val_subset])
    else:
        dataset_val, coco = load_dataset(args, [val_subset], return_coco=True)
    if not args.debug:
        import_tensorflow_quietly()
    import mrcnn.model as modellib
    from mrcnn import evaluation

    if args.command == "train":
        config = make_config(args, training=True)
        config.display()
        model = modellib.MaskRCNN(mode="training", config=config, model_dir=args.logs)
        load_starting_weights(model, args.model, weights_path, COCO_MODEL_PATH, "COCO",
                              exclude_coco_heads=False)

        import albumentations

        # matterport: imgaug.augmenters.Fliplr(0.5).
        augmentation = albumentations.Compose([albumentations.HorizontalFlip(p=0.5)])
        print("Training network heads")
        model.train(dataset_train, dataset_val, learning_rate=config.LEARNING_RATE,
                    epochs=40, layers="heads", augmentation=augmentation)
        print("Fine tune Resnet stage 4 and up")
        model.train(dataset_train, dataset_val, learning_rate=config.LEARNING_RATE,
                    epochs=120, layers="4+", augmentation=augmentation)
        print("Fine tune all layers")
        model.train(dataset_train, dataset_val, learning_rate=config.LEARNING_RATE / 10,
                    epochs=160, layers="all", augmentation=augmentation)
    else:
        config = make_config(args, training=False)
        config.display()
        model = modellib.MaskRCNN(mode="inference", config=config, model_dir=args.logs)
        load_starting_weights(model, args.model, weights_path, COCO_MODEL_PATH, "COCO",
                              exclude_coco_heads=False)
        count = len(dataset_val.image_ids)
        count = min(count, args.limit) if args.limit else count
        print(f"Running COCO evaluation on {count} images.")
        result = evaluation.evaluate(model, dataset_val, limit=args.limit, verbose=1,
                                     coco_gt=coco)
        print(evaluation.format_report(result))
    return EXIT_OK


def main(argv=None):
    """Command line entry point. Returns the exit status (see the module docstring)."""
    args = build_parser().parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())
