#!/usr/bin/env python3
"""Mask R-CNN on synthetic shapes: matterport's "shapes" sample as a script.

Every image is generated on the fly: a plain background of a random colour with one to four
squares, circles and triangles of random colours, sizes and places (shapes that overlap too
much are dropped). Small enough to train on a CPU.

    python samples/shapes/shapes.py train --weights none --epochs 5
    python samples/shapes/shapes.py train --weights coco            # fine-tune the heads
    python samples/shapes/shapes.py evaluate --weights last

`train` runs `MaskRCNN.train` (per-epoch checkpoints under --logs) and then reports mAP@0.5
and COCO AP on the validation images; `evaluate` only reports.

Exit status: 0 success, 2 bad arguments or missing files (one line on stderr), 1 unexpected
internal error (rerun with --debug for the traceback).
"""

import glob
import math
import os
import random
import sys
import time

import cv2
import numpy as np

from mrcnn import utils
from mrcnn.cli import (EXIT_OK, OneLineArgumentParser, WEIGHTS_RELEASES_URL,
                       UsageError, add_device_flags, check_weights_choice, image_size,
                       import_tensorflow_quietly, load_starting_weights, positive_float,
                       positive_int, run_main)
from mrcnn.config import Config
from mrcnn.modeling.small_backbone import small_backbone, small_backbone_shapes

# The checkout's root: matterport's samples keep weights and logs there.
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         os.pardir, os.pardir))

COCO_WEIGHTS_PATH = os.path.join(REPO_ROOT, "mask_rcnn_coco.h5")
DEFAULT_LOGS_DIR = os.path.join(REPO_ROOT, "logs")

SHAPE_NAMES = ("square", "circle", "triangle")



############################################################
#  Configurations
############################################################

class ShapesConfig(Config):
    """Configuration for training on the toy shapes dataset (matterport's values)."""

    NAME = "shapes"

    # Train on 1 GPU and 8 images per GPU: the images are small.
    GPU_COUNT = 1
    IMAGES_PER_GPU = 8

    # Background + 3 shapes.
    NUM_CLASSES = 1 + 3

    # Small images for fast training.
    IMAGE_MIN_DIM = 128
    IMAGE_MAX_DIM = 128

    # Smaller anchors: the images and objects are small.
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)

    # Few objects per image: fewer ROIs are enough.
    TRAIN_ROIS_PER_IMAGE = 32

    # Short epochs: the data is simple.
    STEPS_PER_EPOCH = 100

    VALIDATION_STEPS = 5


# Config overrides of --backbone small: the light backbone and heads sized for 128-px images
# of a few large objects, so that training from scratch on a 2-core CPU takes minutes (about
# 0.35 s per step of 8 images instead of 2.7 s with ResNet101 and matterport's heads).
SMALL_BACKBONE_OVERRIDES = {
    "BACKBONE": staticmethod(small_backbone),
    "COMPUTE_BACKBONE_SHAPE": staticmethod(small_backbone_shapes),
    "TOP_DOWN_PYRAMID_SIZE": 128,
    "RPN_CONV_CHANNELS": 128,
    "FPN_CLASSIF_FC_LAYERS_SIZE": 256,
    "MASK_HEAD_CHANNELS": 128,
    # 14x14 masks (7x7 pooling) are enough for shapes 40..64 px across.
    "MASK_POOL_SIZE": 7,
    "MASK_SHAPE": [14, 14],
    # At most 4 shapes per image: 300 proposals cover them.
    "POST_NMS_ROIS_TRAINING": 300,
    "POST_NMS_ROIS_INFERENCE": 300,
    # From scratch at a high learning rate, the first steps need a gentler one.
    "LEARNING_RATE_WARMUP_STEPS": 100,
}


class InferenceConfig(ShapesConfig):
    """One image at a time for detection and evaluation."""

    GPU_COUNT = 1
    IMAGES_PER_GPU = 1


############################################################
#  Dataset
############################################################

def shape_margins(height, width):
    """(buffer, largest half-size) of the random shapes, in pixels.

    matterport's values for 128 px images: shape centres at least 20 px from the border and
    half-sizes 20..height//4. For images under 120 px the margin shrinks to min(h, w) // 6 so
    that the range stays valid (matterport's code fails there: randint(20, 16)).
    """
    buffer = min(20, min(height, width) // 6)
    return buffer, max(buffer, height // 4)


class ShapesDataset(utils.Dataset):
    """Generates images of squares, circles and triangles on a plain background.

    The images are described in image_info (background colour and shape list) and drawn only
    when loaded, so the dataset takes no memory.
    """

    def load_shapes(self, count, height, width, seed=None):
        """Register `count` random images of `height` x `width` pixels.

        seed: seed of the generator (None: a fresh random one); the same seed gives the same
        images.
        """
        rng = random.Random(seed)
        for class_id, name in enumerate(SHAPE_NAMES, start=1):
            self.add_class("shapes", class_id, name)
        for index in range(count):
            bg_color, shapes = self.random_image(height, width, rng)
            self.add_image("shapes", image_id=index, path=None, width=width, height=height,
                           bg_color=bg_color, shapes=shapes)

    def load_image(self, image_id):
        """Draw image `image_id`: [height, width, 3] uint8 RGB."""
        info = self.image_info[image_id]
        image = np.empty((info["height"], info["width"], 3), dtype=np.uint8)
        image[:] = info["bg_color"]
        for shape, color, dims in info["shapes"]:
            self.draw_shape(image, shape, dims, color)
        return image

    def image_reference(self, image_id):
        """The list of (shape name, colour, (x, y, half-size)) of a shapes image."""
        info = self.image_info[image_id]
        if info["source"] == "shapes":
            return info["shapes"]
        return super().image_reference(image_id)

    def load_mask(self, image_id):
        """Instance masks of image `image_id`, one per shape, in drawing order.

        Returns masks [height, width, count] bool and class_ids [count] int32. Shapes drawn
        later cover the earlier ones, whose masks lose the covered pixels (as matterport; a
        shape covered entirely keeps an empty mask).
        """
        info = self.image_info[image_id]
        shapes = info["shapes"]
        # One contiguous 2-D plane per shape, so OpenCV draws in place.
        planes = np.zeros((len(shapes), info["height"], info["width"]), dtype=np.uint8)
        for plane, (shape, _, dims) in zip(planes, shapes):
            self.draw_shape(plane, shape, dims, 1)
        planes = planes.astype(bool)
        if len(shapes) > 1:
            # covered[i]: pixels of any shape drawn after shape i.
            union_from = np.logical_or.accumulate(planes[::-1], axis=0)[::-1]
            planes[:-1] &= ~union_from[1:]
        name_to_id = {c["name"]: i for i, c in enumerate(self.class_info)
                      if c["source"] == "shapes"}
        class_ids = np.array([name_to_id[s[0]] for s in shapes], dtype=np.int32)
        return np.ascontiguousarray(planes.transpose(1, 2, 0)), class_ids

    @staticmethod
    def draw_shape(image, shape, dims, color):
        """Draw a filled shape in place. dims: (x, y, s) centre and half-size, pixels.

        Returns the image (matterport's API).
        """
        x, y, s = dims
        color = tuple(int(c) for c in np.atleast_1d(color))
        if shape == "square":
            cv2.rectangle(image, (x - s, y - s), (x + s, y + s), color, -1)
        elif shape == "circle":
            cv2.circle(image, (x, y), s, color, -1)
        elif shape == "triangle":
            # Equilateral, apex up: base half-width s / sin(60 deg), truncated as matterport.
            half_base = s / math.sin(math.radians(60))
            points = np.array([[(x, y - s), (x - half_base, y + s), (x + half_base, y + s)]],
                              dtype=np.int32)
            cv2.fillPoly(image, points, color)
        else:
            raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPE_NAMES}")
        return image

    @staticmethod
    def random_shape(height, width, rng=random):
        """A random (shape name, (r, g, b) colour, (x, y, s)) fitting in the image."""
        shape = rng.choice(SHAPE_NAMES)
        color = tuple(rng.randint(0, 255) for _ in range(3))
        buffer, max_size = shape_margins(height, width)
        y = rng.randint(buffer, height - buffer - 1)
        x = rng.randint(buffer, width - buffer - 1)
        s = rng.randint(buffer, max_size)
        return shape, color, (x, y, s)

    def random_image(self, height, width, rng=random):
        """A random background colour and 1-4 shapes; of shapes whose boxes overlap with
        IoU > 0.3 only the one drawn last (on top) is kept (matterport's NMS)."""
        bg_color = tuple(rng.randint(0, 255) for _ in range(3))
        shapes, boxes = [], []
        for _ in range(rng.randint(1, 4)):
            shape, color, (x, y, s) = self.random_shape(height, width, rng)
            shapes.append((shape, color, (x, y, s)))
            boxes.append([y - s, x - s, y + s, x + s])
        keep = set(utils.non_max_suppression(np.array(boxes, dtype=np.float64),
                                             np.arange(len(shapes), dtype=np.float64),
                                             0.3).tolist())
        return bg_color, [s for i, s in enumerate(shapes) if i in keep]


############################################################
#  Command line
############################################################

class ShapesError(UsageError):
    """A problem with the user's arguments or files; its message is printed as one line."""








def build_parser():
    parser = OneLineArgumentParser(
        description="Train or evaluate Mask R-CNN on generated images of squares, circles and "
        "triangles (matterport's shapes sample).",
        epilog=f"--weights coco reads {COCO_WEIGHTS_PATH} (not downloaded: get mask_rcnn_coco.h5 "
        f"from {WEIGHTS_RELEASES_URL}).")
    parser.add_argument("command", choices=("train", "evaluate"),
                        help="train: train, then evaluate on the validation images; "
                        "evaluate: mAP@0.5 and COCO AP only")
    parser.add_argument("--weights", default="none", metavar="none|coco|imagenet|last|PATH",
                        help="starting weights: none (random), coco (mask_rcnn_coco.h5 at the "
                        "repository root, class-dependent layers excluded), imagenet "
                        "(ResNet50 ImageNet file, see MaskRCNN.get_imagenet_weights), last "
                        "(newest checkpoint under --logs) or the path of a .h5 file "
                        "(default: none)")
    parser.add_argument("--logs", default=DEFAULT_LOGS_DIR,
                        help=f"folder of checkpoints and TensorBoard logs (default: "
                        f"{DEFAULT_LOGS_DIR})")
    parser.add_argument("--epochs", type=positive_int, default=1,
                        help="epoch to reach, counted from the start of the run being resumed "
                        "(matterport's meaning; default: 1)")
    parser.add_argument("--layers", default=None,
                        help="layers to train: heads, 3+, 4+, 5+, all or a regex (default: "
                        "heads from coco/imagenet weights, otherwise all)")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help=f"learning rate (default: {ShapesConfig.LEARNING_RATE})")
    parser.add_argument("--time-limit", type=positive_float, default=None, metavar="MINUTES",
                        help="stop after the last epoch that ends within this many minutes of "
                        "training (the evaluation then uses its checkpoint); a cosine "
                        "learning-rate schedule then ends there if that comes before --epochs")
    parser.add_argument("--num-train", type=positive_int, default=500,
                        help="training images (default: 500)")
    parser.add_argument("--num-val", type=positive_int, default=50,
                        help="validation images (default: 50)")
    parser.add_argument("--steps-per-epoch", type=positive_int, default=None,
                        help=f"training steps per epoch (default: {ShapesConfig.STEPS_PER_EPOCH})")
    parser.add_argument("--validation-steps", type=positive_int, default=None,
                        help=f"validation steps per epoch (default: "
                        f"{ShapesConfig.VALIDATION_STEPS})")
    parser.add_argument("--images-per-gpu", type=positive_int, default=None,
                        help=f"training batch per GPU (default: {ShapesConfig.IMAGES_PER_GPU})")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the generated images (validation uses seed + 1) and of "
                        "TensorFlow; default: random")
    parser.add_argument("--backbone", choices=("resnet50", "resnet101", "small"), default=None,
                        help=f"default: {ShapesConfig.BACKBONE}; small: a light conv net with "
                             "trainable BatchNorm, for training from scratch on a CPU")
    parser.add_argument("--image-size", type=image_size, default=128,
                        help="side of the square images, a multiple of 64 (default: 128)")
    add_device_flags(parser)
    return parser


def make_config(base, args, training):
    """An instance of a subclass of `base` with the command line's overrides."""
    overrides = {"IMAGE_MIN_DIM": args.image_size, "IMAGE_MAX_DIM": args.image_size}
    if args.backbone == "small":
        overrides.update(SMALL_BACKBONE_OVERRIDES)
    elif args.backbone:
        overrides["BACKBONE"] = args.backbone
    if training:
        if args.lr is not None:
            overrides["LEARNING_RATE"] = args.lr
        if args.steps_per_epoch:
            overrides["STEPS_PER_EPOCH"] = args.steps_per_epoch
        if args.validation_steps:
            overrides["VALIDATION_STEPS"] = args.validation_steps
        if args.images_per_gpu:
            overrides["IMAGES_PER_GPU"] = args.images_per_gpu
    return type(base.__name__, (base,), overrides)()


def make_datasets(args, which):
    """The training and/or validation ShapesDatasets (prepared)."""
    datasets = {}
    counts = {"train": args.num_train, "val": args.num_val}
    for offset, name in enumerate(("train", "val")):
        if name not in which:
            continue
        dataset = ShapesDataset()
        seed = None if args.seed is None else args.seed + offset
        dataset.load_shapes(counts[name], args.image_size, args.image_size, seed=seed)
        dataset.prepare()
        datasets[name] = dataset
    return datasets


def newest_checkpoint(model):
    """The last checkpoint written in the training run's folder (else the newest overall)."""
    pattern = os.path.join(model.log_dir, f"mask_rcnn_{model.config.NAME.lower()}_*.h5")
    checkpoints = sorted(glob.glob(pattern))
    if checkpoints:
        return checkpoints[-1]
    return model.find_last()


def run_evaluation(model, dataset):
    from mrcnn import evaluation

    print(f"Evaluating on {len(dataset.image_ids)} validation images")
    result = evaluation.evaluate(model, dataset, verbose=1)
    print(evaluation.format_report(result))
    return result


def run(args):
    """Validate the arguments, then train and/or evaluate. Returns the exit status."""
    weights_path = check_weights_choice(args.weights, COCO_WEIGHTS_PATH)
    if args.layers is not None and not args.layers.strip():
        raise ShapesError("--layers is empty; use heads, 3+, 4+, 5+, all or a regex")
    if args.command == "evaluate" and args.weights.lower() == "none":
        print("warning: evaluating random weights (--weights none); expect mAP near 0",
              file=sys.stderr)

    if not args.debug:
        import_tensorflow_quietly()
    import mrcnn.model as modellib

    if args.seed is not None:
        import keras
        keras.utils.set_random_seed(args.seed)

    if args.command == "train":
        datasets = make_datasets(args, ("train", "val"))
        config = make_config(ShapesConfig, args, training=True)
        config.display()
        model = modellib.MaskRCNN(mode="training", config=config, model_dir=args.logs)
        load_starting_weights(model, args.weights, weights_path, COCO_WEIGHTS_PATH, "shapes",
                              exclude_coco_heads=True)
        layers = args.layers or ("heads" if args.weights.lower() in ("coco", "imagenet")
                                 else "all")
        callbacks = []
        if args.time_limit:
            from mrcnn.training import TimeLimit
            callbacks.append(TimeLimit(args.time_limit * 60))
        started = time.perf_counter()
        model.train(datasets["train"], datasets["val"], learning_rate=config.LEARNING_RATE,
                    epochs=args.epochs, layers=layers, custom_callbacks=callbacks)
        print(f"Trained to epoch {model.epoch} in {(time.perf_counter() - started) / 60:.1f} "
              "minutes" + (" (time limit)" if callbacks and callbacks[0].stopped_early else ""))
        checkpoint = newest_checkpoint(model)
        inference_model = modellib.MaskRCNN(mode="inference",
                                            config=make_config(InferenceConfig, args, False),
                                            model_dir=args.logs)
        print(f"Loading weights {checkpoint}")
        inference_model.load_weights(checkpoint, by_name=True)
        run_evaluation(inference_model, datasets["val"])
    else:
        datasets = make_datasets(args, ("val",))
        model = modellib.MaskRCNN(mode="inference",
                                  config=make_config(InferenceConfig, args, False),
                                  model_dir=args.logs)
        load_starting_weights(model, args.weights, weights_path, COCO_WEIGHTS_PATH, "shapes",
                              exclude_coco_heads=True)
        run_evaluation(model, datasets["val"])
    return EXIT_OK


def main(argv=None):
    """Command line entry point. Returns the exit status (see the module docstring)."""
    args = build_parser().parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())
