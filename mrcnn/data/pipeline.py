"""Training batches: matterport's Python ``data_generator`` and a parallel tf.data pipeline.

Both produce matterport's batch format (inputs, in this order):

    images        float32 [B, H, W, C]   molded (image - MEAN_PIXEL)
    image_meta    float32 [B, IMAGE_META_SIZE]
    rpn_match     int32   [B, num_anchors, 1]   1 positive, -1 negative, 0 neutral
    rpn_bbox      float32 [B, RPN_TRAIN_ANCHORS_PER_IMAGE, 4]   deltas / RPN_BBOX_STD_DEV
    gt_class_ids  int32   [B, MAX_GT_INSTANCES]   zero padded
    gt_boxes      int32   [B, MAX_GT_INSTANCES, (y1, x1, y2, x2)]   pixels
    gt_masks      bool    [B, mask_h, mask_w, MAX_GT_INSTANCES]   MINI_MASK_SHAPE or IMAGE_SHAPE

and, for training the heads on random ROIs, rois int32 [B, count, (y1, x1, y2, x2)] pixels.
Images left without any instance (positive class id) are skipped, as matterport did.
"""

import atexit
import logging
import threading
import time

import numpy as np

from ..anchors import generate_pyramid_anchors
from ..modeling.image_meta import mold_image
from . import _rng
from .gt import DataError, describe_image, load_image_gt
from .rpn_targets import build_detection_targets, build_rpn_targets, generate_random_rois

logger = logging.getLogger(__name__)

# matterport's data_generator gave up after this many failed images.
_MAX_GENERATOR_ERRORS = 5


class ImageLoadError(RuntimeError):
    """Loading or preparing one training image failed; the message names the image."""


def training_anchors(config):
    """The pixel anchors of a training image of config.IMAGE_SHAPE:
    [num_anchors, (y1, x1, y2, x2)], in the order of the RPN outputs."""
    from ..modeling.backbone import compute_backbone_shapes  # imports Keras: only when used

    backbone_shapes = compute_backbone_shapes(config, config.IMAGE_SHAPE)
    return generate_pyramid_anchors(config.RPN_ANCHOR_SCALES, config.RPN_ANCHOR_RATIOS,
                                    backbone_shapes, config.BACKBONE_STRIDES,
                                    config.RPN_ANCHOR_STRIDE)


def _check_dataset(dataset, config):
    """Clear errors for datasets that cannot feed this config."""
    if not hasattr(dataset, "num_classes"):
        raise ValueError(f"{type(dataset).__name__} is not prepared: call dataset.prepare() "
                         "before training")
    if dataset.num_classes != config.NUM_CLASSES:
        raise ValueError(f"{type(dataset).__name__} has {dataset.num_classes} classes "
                         f"(background included) but config.NUM_CLASSES is "
                         f"{config.NUM_CLASSES}; they must be equal")
    if len(dataset.image_ids) == 0:
        raise ValueError(f"{type(dataset).__name__} has no images")


class _SkipTracker:
    """Counts images skipped for having no instance; raises once every image has been
    skipped and none kept, instead of looping forever."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.image_count = len(dataset.image_ids)
        self.skipped_ids = set()
        self.skip_count = 0
        self.kept_count = 0
        self._lock = threading.Lock()

    def kept(self):
        with self._lock:
            self.kept_count += 1

    def skipped(self, image_id):
        with self._lock:
            self.skip_count += 1
            first_time = image_id not in self.skipped_ids
            self.skipped_ids.add(image_id)
            hopeless = self.kept_count == 0 and len(self.skipped_ids) >= self.image_count
            count = self.skip_count
        log = logger.warning if first_time else logger.debug
        log("%s has no instance with a positive class id left; skipped (%d skip(s) so far)",
            describe_image(self.dataset, image_id), count)
        if hopeless:
            raise ValueError(f"none of the {self.image_count} images of "
                             f"{type(self.dataset).__name__} has an instance with a positive "
                             "class id: nothing to train on")


class _ExampleBuilder:
    """Turns one image id into the per-image arrays of a training batch."""

    def __init__(self, dataset, config, augmentation=None, no_augmentation_sources=None,
                 random_rois=0, detection_targets=False):
        self.dataset = dataset
        self.config = config
        self.augmentation = augmentation
        self.no_augmentation_sources = set(no_augmentation_sources or [])
        self.random_rois = int(random_rois or 0)
        self.detection_targets = bool(detection_targets) and self.random_rois > 0
        self.anchors = training_anchors(config)
        self.image_shape = tuple(int(d) for d in config.IMAGE_SHAPE)
        self.mask_shape = (tuple(config.MINI_MASK_SHAPE) if config.USE_MINI_MASK
                           else self.image_shape[:2])

    def specs(self):
        """[(shape, dtype)] of the per-image arrays of make_training_dataset, batch order."""
        config = self.config
        max_gt = config.MAX_GT_INSTANCES
        specs = [(self.image_shape, np.float32),
                 ((config.IMAGE_META_SIZE,), np.float32),
                 ((self.anchors.shape[0], 1), np.int32),
                 ((config.RPN_TRAIN_ANCHORS_PER_IMAGE, 4), np.float32),
                 ((max_gt,), np.int32),
                 ((max_gt, 4), np.int32),
                 (self.mask_shape + (max_gt,), np.bool_)]
        if self.random_rois:
            specs.append(((self.random_rois, 4), np.int32))
        return specs

    def build(self, image_id, rng=None, augment=False):
        """One image's training arrays, or None when it has no instance left.

        rng: RandomState for every random draw (None: the global np.random, matterport).
        Returns (inputs, detection_targets): inputs is the list of per-image arrays in batch
        order (plus rois with random_rois); detection_targets is None or build_detection_targets'
        (rois, class_ids, bboxes, masks).
        """
        config = self.config
        source = self.dataset.image_info[image_id]["source"]
        augmentation = None if source in self.no_augmentation_sources else self.augmentation
        image, image_meta, gt_class_ids, gt_boxes, gt_masks = load_image_gt(
            self.dataset, config, image_id, augmentation=augmentation,
            use_mini_mask=config.USE_MINI_MASK, augment=augment, rng=rng)
        # matterport: skip images without instances (e.g. training on a subset of classes).
        if not np.any(gt_class_ids > 0):
            return None
        if tuple(image.shape) != self.image_shape:
            raise DataError(f"{describe_image(self.dataset, image_id)}: resized to "
                            f"{tuple(image.shape)} but training needs config.IMAGE_SHAPE "
                            f"{self.image_shape} (IMAGE_RESIZE_MODE {config.IMAGE_RESIZE_MODE!r} "
                            "does not give every image that shape; use 'square' or 'crop')")

        rpn_match, rpn_bbox = build_rpn_targets(image.shape, self.anchors, gt_class_ids,
                                                gt_boxes, config, rng=rng)
        rpn_rois = targets = None
        if self.random_rois:
            rpn_rois = generate_random_rois(image.shape, self.random_rois, gt_class_ids,
                                            gt_boxes, rng=rng)
            if self.detection_targets:
                targets = build_detection_targets(rpn_rois, gt_class_ids, gt_boxes, gt_masks,
                                                  config, rng=rng)

        # More instances than the batch holds: keep a random subset (after the RPN targets,
        # which use them all, as matterport did).
        max_gt = config.MAX_GT_INSTANCES
        if gt_boxes.shape[0] > max_gt:
            keep = _rng.resolve(rng).choice(np.arange(gt_boxes.shape[0]), max_gt,
                                            replace=False)
            gt_class_ids = gt_class_ids[keep]
            gt_boxes = gt_boxes[keep]
            gt_masks = gt_masks[:, :, keep]
        count = gt_boxes.shape[0]
        padded_class_ids = np.zeros([max_gt], dtype=np.int32)
        padded_class_ids[:count] = gt_class_ids
        padded_boxes = np.zeros([max_gt, 4], dtype=np.int32)
        padded_boxes[:count] = gt_boxes
        padded_masks = np.zeros(self.mask_shape + (max_gt,), dtype=bool)
        padded_masks[:, :, :count] = gt_masks

        inputs = [mold_image(image, config).astype(np.float32),
                  image_meta.astype(np.float32),
                  rpn_match[:, np.newaxis].astype(np.int32),
                  rpn_bbox.astype(np.float32),
                  padded_class_ids, padded_boxes, padded_masks]
        if self.random_rois:
            inputs.append(rpn_rois.astype(np.int32))
        return inputs, targets


def data_generator(dataset, config, shuffle=True, augmentation=None, random_rois=0,
                   detection_targets=False, no_augmentation_sources=None, batch_size=1, *,
                   augment=False):
    """matterport's Python generator of training batches (single-threaded, endless).

    dataset: a prepared ``mrcnn.dataset.Dataset``; config: its ``Config``.
    shuffle: reshuffle the image ids (global np.random) at the start of each pass.
    augmentation: albumentations transform or imgaug augmenter (see load_image_gt).
    random_rois: if > 0, also yield that many random ROIs per image (generate_random_rois),
        appended to the inputs as int32 [batch, random_rois, 4].
    detection_targets: with random_rois, also run build_detection_targets: its rois are
        appended to the inputs and its (class_ids [batch, rois, 1], bboxes, masks) are the
        outputs (for debugging / visualising the targets).
    no_augmentation_sources: dataset sources whose images are never augmented.
    batch_size: images per batch. augment: matterport's deprecated random left-right flip.

    Yields (inputs, outputs): inputs the list of batch arrays (module docstring), outputs
    [] (or the detection targets). Images without instances are skipped; an image that
    fails to load is logged and skipped, and the sixth failure raises ImageLoadError naming
    the image, as matterport did.
    """
    _check_dataset(dataset, config)
    builder = _ExampleBuilder(dataset, config, augmentation, no_augmentation_sources,
                              random_rois, detection_targets)
    skips = _SkipTracker(dataset)
    image_ids = np.copy(dataset.image_ids)
    image_index = -1
    error_count = 0
    examples = []
    while True:
        image_index = (image_index + 1) % len(image_ids)
        if shuffle and image_index == 0:
            np.random.shuffle(image_ids)
        image_id = image_ids[image_index]
        try:
            example = builder.build(image_id, augment=augment)
        except (GeneratorExit, KeyboardInterrupt):
            raise
        except Exception as error:
            name = describe_image(dataset, image_id)
            logger.exception("Error processing %s", name)
            error_count += 1
            if error_count > _MAX_GENERATOR_ERRORS:
                raise ImageLoadError(f"{name}: {type(error).__name__}: {error}") from error
            continue
        if example is None:
            skips.skipped(image_id)
            continue
        skips.kept()
        examples.append(example)
        if len(examples) < batch_size:
            continue
        inputs = [np.stack(arrays) for arrays in zip(*(e[0] for e in examples))]
        outputs = []
        if builder.detection_targets:
            rois, class_ids, bboxes, masks = (np.stack(a) for a in zip(*(e[1] for e in examples)))
            inputs.append(rois)
            # Keras 2 wanted outputs with as many dimensions as the model outputs.
            outputs = [class_ids[..., np.newaxis], bboxes, masks]
        examples = []
        yield inputs, outputs


class _InterpreterExitGuard:
    """Keeps tf.data's threads out of Python while the interpreter shuts down.

    A tf.data iterator still alive at exit keeps calling the loader from its threads; once
    Python finalises, such a thread can neither take the GIL nor give up, and the process
    hangs or aborts while the iterator is destroyed. At exit (atexit runs before
    finalisation) new loader calls fail at once, which fills tf.data's bounded buffers
    with errors so it stops calling; the handler waits until no call is running.
    """

    # Quiet time after the last loader call that counts as "tf.data has stopped calling".
    QUIET_SECONDS = 0.2
    # Longest wait for running loader calls (one slow image) before letting exit go on.
    MAX_WAIT_SECONDS = 10.0

    def __init__(self):
        self._lock = threading.Lock()
        self._running = 0
        self._last_call = 0.0
        self._closing = False
        self._registered = False

    def register(self):
        with self._lock:
            if not self._registered:
                atexit.register(self.close)
                self._registered = True

    def __enter__(self):
        with self._lock:
            self._last_call = time.monotonic()
            if self._closing:
                raise RuntimeError("the interpreter is exiting: training data loading stopped")
            self._running += 1

    def __exit__(self, *exc_info):
        with self._lock:
            self._running -= 1
            self._last_call = time.monotonic()

    def close(self):
        with self._lock:
            self._closing = True
        deadline = time.monotonic() + self.MAX_WAIT_SECONDS
        while time.monotonic() < deadline:
            with self._lock:
                quiet = (self._running == 0
                         and time.monotonic() - self._last_call > self.QUIET_SECONDS)
            if quiet:
                return
            time.sleep(0.02)


_exit_guard = _InterpreterExitGuard()


class _ImageOrder:
    """Which image the n-th draw of the pipeline loads: pass ``n // count`` over the ids,
    in the order of a permutation seeded by (seed, pass) when shuffling."""

    def __init__(self, image_ids, shuffle, seed):
        self.image_ids = np.asarray(image_ids)
        self.shuffle = shuffle
        self.seed = seed
        self._orders = {}
        self._lock = threading.Lock()

    def lookup(self, index):
        """(pass number, image id) of draw ``index``."""
        epoch, position = divmod(index, len(self.image_ids))
        if not self.shuffle:
            return epoch, int(self.image_ids[position])
        with self._lock:
            order = self._orders.get(epoch)
            if order is None:
                order = np.random.default_rng([self.seed, epoch]).permutation(self.image_ids)
                self._orders[epoch] = order
                # Parallel draws straddle at most a pass or two: forget older ones.
                for old in [e for e in self._orders if e < epoch - 2]:
                    del self._orders[old]
        return epoch, int(order[position])


def make_training_dataset(dataset, config, shuffle=True, augmentation=None,
                          no_augmentation_sources=None, seed=None, num_parallel_calls=None):
    """An endless ``tf.data.Dataset`` of training batches in the batch format (a tuple of 7
    arrays, 8 with rois when config.USE_RPN_ROIS is False), config.BATCH_SIZE per batch.

    dataset: a prepared ``mrcnn.dataset.Dataset`` with config.NUM_CLASSES classes.
    shuffle: visit the images in a new random order on every pass.
    augmentation: albumentations transform or imgaug augmenter (see load_image_gt);
        no_augmentation_sources: dataset sources never augmented.
    seed: makes the batches reproducible: the pass order and every random draw of an image
        (augmentation, crop, RPN/ROI subsampling) depend only on (seed, pass, image id), not
        on thread timing. None draws a seed from the global np.random.
    num_parallel_calls: loader threads (default tf.data.AUTOTUNE). Images are loaded and
        their targets built in parallel threads of tf.data (no processes: nothing to hang).

    Images with no instance left are filtered out (logged). An exception while loading an
    image reaches the consumer as a TensorFlow error whose message names the image.
    With USE_RPN_ROIS False, the 8th element is POST_NMS_ROIS_TRAINING random ROIs per image.
    """
    import tensorflow as tf

    _check_dataset(dataset, config)
    random_rois = 0 if config.USE_RPN_ROIS else config.POST_NMS_ROIS_TRAINING
    builder = _ExampleBuilder(dataset, config, augmentation, no_augmentation_sources,
                              random_rois=random_rois)
    specs = builder.specs()
    if seed is None:
        seed = int(np.random.randint(0, 2 ** 31 - 1))
    order = _ImageOrder(dataset.image_ids, shuffle, seed)
    skips = _SkipTracker(dataset)
    _exit_guard.register()

    def load_example(index):
        epoch, image_id = order.lookup(index)
        try:
            example = builder.build(image_id, rng=_rng.image_rng(seed, epoch, image_id))
        except DataError:
            raise
        except Exception as error:
            raise ImageLoadError(f"{describe_image(dataset, image_id)}: "
                                 f"{type(error).__name__}: {error}") from error
        if example is None:
            skips.skipped(image_id)
            return [np.zeros(shape, dtype) for shape, dtype in specs] + [np.bool_(False)]
        skips.kept()
        return list(example[0]) + [np.bool_(True)]

    def load(index):
        with _exit_guard:
            return load_example(int(index))

    output_types = [tf.as_dtype(dtype) for _, dtype in specs] + [tf.bool]

    def load_graph(index):
        outputs = tf.numpy_function(load, [index], output_types, name="load_training_image")
        # numpy_function loses the shapes; the model and batching want them static.
        for tensor, (shape, _) in zip(outputs, specs):
            tensor.set_shape(shape)
        outputs[-1].set_shape([])
        return tuple(outputs)

    data = tf.data.Dataset.counter()
    data = data.map(load_graph, num_parallel_calls=num_parallel_calls or tf.data.AUTOTUNE,
                    deterministic=True)
    data = data.filter(lambda *example: example[-1])
    data = data.map(lambda *example: tuple(example[:-1]))
    data = data.batch(config.BATCH_SIZE, drop_remainder=True)
    return data.prefetch(tf.data.AUTOTUNE)
