"""Mask R-CNN: the model facade with matterport's public API.

The network itself is split by concept under ``mrcnn.modeling`` (backbone, fpn, rpn,
roi_align, roi_heads, detection, ...); this module keeps matterport's names importable from
``mrcnn.model`` and holds the ``MaskRCNN`` class that ties building, weights, detection and
logging together.
"""

import datetime
import errno
import os
import re

import numpy as np
import tensorflow as tf

from . import training, weights_io
from .boxes import norm_boxes
from .modeling.anchors import pyramid_anchors
from .modeling.backbone import (build_backbone, compute_backbone_shapes, conv_block,
                                identity_block, resnet_graph)
from .modeling.box_ops import (apply_box_deltas_graph, box_refinement_graph, clip_boxes_graph,
                               denorm_boxes_graph, norm_boxes_graph, overlaps_graph,
                               trim_zeros_graph)
from .modeling.builder import build_inference_model, build_training_model
from .modeling.detection_targets import DetectionTargetLayer, detection_targets_graph
from .modeling.losses import (mrcnn_bbox_loss_graph, mrcnn_class_loss_graph,
                              mrcnn_mask_loss_graph, rpn_bbox_loss_graph, rpn_class_loss_graph,
                              smooth_l1_loss)
from .modeling.detection import DetectionLayer, refine_detections_graph
from .modeling.fpn import build_fpn
from .modeling.image_meta import (compose_image_meta, mold_image, parse_image_meta,
                                  parse_image_meta_graph, unmold_image)
from .modeling.layer_order import layers_in_creation_order
from .modeling.layers import BatchNorm, TimeDistributed
from .modeling.roi_align import PyramidROIAlign, log2_graph
from .modeling.roi_heads import build_fpn_mask_graph, fpn_classifier_graph
from .modeling.rpn import ProposalLayer, build_rpn_model, rpn_graph
from .modeling.test_time_augmentation import DEFAULT_MERGE_IOU, merge_detections
from .modeling.transform import mold_inputs as _mold_inputs
from .modeling.transform import unmold_detections as _unmold_detections

__all__ = [
    "MaskRCNN", "BatchNorm", "TimeDistributed", "resnet_graph", "identity_block", "conv_block",
    "build_backbone", "compute_backbone_shapes", "build_fpn", "rpn_graph", "build_rpn_model",
    "ProposalLayer", "PyramidROIAlign", "log2_graph", "fpn_classifier_graph",
    "build_fpn_mask_graph", "DetectionLayer", "refine_detections_graph",
    "apply_box_deltas_graph", "clip_boxes_graph", "norm_boxes_graph", "denorm_boxes_graph",
    "overlaps_graph", "box_refinement_graph", "trim_zeros_graph", "compose_image_meta",
    "parse_image_meta", "parse_image_meta_graph", "mold_image", "unmold_image",
    "DetectionTargetLayer", "detection_targets_graph", "smooth_l1_loss", "rpn_class_loss_graph",
    "rpn_bbox_loss_graph", "mrcnn_class_loss_graph", "mrcnn_bbox_loss_graph",
    "mrcnn_mask_loss_graph", "load_image_gt", "build_rpn_targets", "data_generator",
]

# ResNet50 ImageNet weights without the top, as Keras 2 published them (matterport's choice).
IMAGENET_WEIGHTS_FILE = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"

# Checkpoint paths: <model_dir>/<name>YYYYmmddTHHMM/mask_rcnn_<name>_<epoch>.h5
_CHECKPOINT_RE = re.compile(
    r".*[/\\][\w-]+(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})[/\\]mask\_rcnn\_[\w-]+(\d{4})\.h5$")


class MaskRCNN:
    """Mask R-CNN model: build, load/save weights, detect.

    mode: "inference" (training arrives with the training issue); config: a ``Config``
    subclass instance; model_dir: where logs and checkpoints go.
    """

    def __init__(self, mode, config, model_dir, strategy=None):
        if mode not in ("training", "inference"):
            raise ValueError(f"mode must be 'training' or 'inference', not {mode!r}")
        self.mode = mode
        self.config = config
        self.model_dir = model_dir
        self._anchor_cache = {}
        self.set_log_dir()
        # Training replicates over GPU_COUNT GPUs (MirroredStrategy); the variables must be
        # created in the strategy's scope. ``strategy`` overrides the choice (e.g. for tests).
        if strategy is None:
            strategy = (training.make_strategy(config) if mode == "training"
                        else tf.distribute.get_strategy())
        self.strategy = strategy
        with strategy.scope(), training.dtype_policy(config, mode):
            self.keras_model = self.build(mode=mode, config=config)
        self._inference_fn = None

    # ------------------------------------------------------------------ building
    def build(self, mode, config):
        """Build the Keras model for ``mode``; returns a ``keras.Model``.

        Inference outputs: [detections, mrcnn_class, mrcnn_bbox, mrcnn_mask, rpn_rois,
        rpn_class, rpn_bbox]. Training outputs: builder.TRAINING_OUTPUT_NAMES (the last five
        are the losses).
        """
        if mode == "training":
            return build_training_model(config)
        return build_inference_model(config)

    def _weight_layers(self):
        """The model's layers in the Keras-2 (creation) order that weights files use."""
        return layers_in_creation_order(self.keras_model)

    # ------------------------------------------------------------------ checkpoints & logs
    def find_last(self):
        """Path of the last checkpoint of the newest run folder under ``model_dir``.

        Raises FileNotFoundError when there is no run folder or no checkpoint.
        """
        key = self.config.NAME.lower()
        try:
            dir_names = next(os.walk(self.model_dir))[1]
        except StopIteration:
            dir_names = []
        dir_names = sorted(d for d in dir_names if d.startswith(key))
        if not dir_names:
            raise FileNotFoundError(errno.ENOENT,
                                    f"Could not find model directory under {self.model_dir}")
        dir_name = os.path.join(self.model_dir, dir_names[-1])
        checkpoints = sorted(f for f in next(os.walk(dir_name))[2]
                             if f.startswith("mask_rcnn") and f.endswith(".h5"))
        if not checkpoints:
            raise FileNotFoundError(errno.ENOENT, f"Could not find weight files in {dir_name}")
        return os.path.join(dir_name, checkpoints[-1])

    def set_log_dir(self, model_path=None):
        """Set ``log_dir``, ``checkpoint_path`` and ``epoch``.

        With the path of a checkpoint written by this library (or matterport's), training
        resumes in the same folder at the epoch after the checkpoint's.
        """
        self.epoch = 0
        now = datetime.datetime.now()
        if model_path:
            m = _CHECKPOINT_RE.match(str(model_path))
            if m:
                now = datetime.datetime(*(int(m.group(i)) for i in range(1, 6)))
                # The file's epoch number is 1-based (Keras); the next epoch to run is 0-based.
                self.epoch = int(m.group(6))
                print(f"Re-starting from epoch {self.epoch}")
        self.log_dir = os.path.join(self.model_dir,
                                    f"{self.config.NAME.lower()}{now:%Y%m%dT%H%M}")
        self.checkpoint_path = os.path.join(
            self.log_dir, f"mask_rcnn_{self.config.NAME.lower()}_{{epoch:04d}}.h5")

    # ------------------------------------------------------------------ weights
    def load_weights(self, filepath, by_name=False, exclude=None):
        """Load a Keras-2 HDF5 weights file (matterport's format, e.g. mask_rcnn_coco.h5).

        by_name: match layers by name (needed when the architectures differ) instead of order.
        exclude: layer names to skip, e.g. the four class-dependent layers
        ``weights_io.CLASS_DEPENDENT_LAYERS`` when the file has another class count.
        A shape mismatch raises ``weights_io.WeightsMismatchError`` and changes nothing.
        """
        if exclude:
            # Order-based matching cannot skip layers: the file still has them.
            by_name = True
        weights_io.load_weights(filepath, self._weight_layers(), by_name=by_name,
                                exclude=exclude)
        self.set_log_dir(filepath)

    def save_weights(self, filepath):
        """Write the weights in the Keras-2 HDF5 layout matterport reads (atomic write)."""
        weights_io.save_weights(filepath, self._weight_layers())

    def get_imagenet_weights(self):
        """Path of the ResNet50 ImageNet weights file; it must already be on disk.

        Looked up in ``model_dir`` and ``~/.keras/models``. Nothing is downloaded.
        """
        candidates = [os.path.join(self.model_dir, IMAGENET_WEIGHTS_FILE),
                      os.path.join(os.path.expanduser("~"), ".keras", "models",
                                   IMAGENET_WEIGHTS_FILE)]
        for path in candidates:
            if os.path.isfile(path):
                return path
        raise FileNotFoundError(
            f"ImageNet weights not found: put {IMAGENET_WEIGHTS_FILE} (published in the "
            "keras-team/deep-learning-models GitHub releases, v0.2) in "
            f"{candidates[1]} or {candidates[0]}; nothing is downloaded")

    # ------------------------------------------------------------------ anchors
    def get_anchors(self, image_shape):
        """Anchors for a molded image shape: [N, (y1, x1, y2, x2)] normalised (cached).

        The pixel anchors of the last call are kept in ``self.anchors`` as matterport does.
        """
        key = tuple(int(d) for d in image_shape[:2])
        if key not in self._anchor_cache:
            self.anchors = pyramid_anchors(self.config, image_shape, normalized=False)
            self._anchor_cache[key] = norm_boxes(self.anchors, key).astype(np.float32)
        return self._anchor_cache[key]

    # ------------------------------------------------------------------ inference
    def mold_inputs(self, images, image_size=None):
        """Photos -> (molded_images [N,h,w,3] float64, image_metas [N,META], windows [N,4]).
        image_size: square side to mold into instead of the config's (multiple of 64)."""
        return _mold_inputs(images, self.config, image_size=image_size)

    def unmold_detections(self, detections, mrcnn_mask, original_image_shape, image_shape,
                          window):
        """One image's raw outputs -> (rois [N,4] int32 px, class_ids [N], scores [N],
        masks [H,W,N] bool), in the original photo's pixels; masks thresholded at
        config.DETECTION_MASK_THRESHOLD."""
        return _unmold_detections(detections, mrcnn_mask, original_image_shape, image_shape,
                                  window, mask_threshold=self.config.DETECTION_MASK_THRESHOLD)

    def _run_inference(self, molded_images, image_metas, anchors):
        """Run the compiled inference graph; returns the seven outputs as NumPy arrays."""
        if self._inference_fn is None:
            model = self.keras_model
            channels = int(self.config.IMAGE_SHAPE[2])
            self._inference_fn = tf.function(
                lambda images, metas, anchors_: model([images, metas, anchors_], training=False),
                input_signature=[
                    tf.TensorSpec([None, None, None, channels], tf.float32),
                    tf.TensorSpec([None, self.config.IMAGE_META_SIZE], tf.float32),
                    tf.TensorSpec([None, None, 4], tf.float32)])
        outputs = self._inference_fn(tf.convert_to_tensor(molded_images, tf.float32),
                                     tf.convert_to_tensor(image_metas, tf.float32),
                                     tf.convert_to_tensor(anchors, tf.float32))
        return [o.numpy() for o in outputs]

    def detect(self, images, verbose=0, image_size=None):
        """Detect instances in photos.

        images: list of BATCH_SIZE [H, W, 3] uint8 RGB arrays (grayscale [H, W], RGBA and
            uint16 arrays are converted).
        image_size: run the network on image_size x image_size copies (a multiple of 64)
            instead of the config's IMAGE_MAX_DIM; not in matterport. The graph takes any
            size; only the anchors change (cached per size).
        Returns one dict per image: rois [N, (y1, x1, y2, x2)] int32 pixels, class_ids [N]
        int32, scores [N] float32, masks [H, W, N] bool.
        """
        assert self.mode == "inference", "Create model in inference mode."
        assert len(images) == self.config.BATCH_SIZE, "len(images) must be equal to BATCH_SIZE"
        if verbose:
            print(f"Processing {len(images)} images")
        molded_images, image_metas, windows = self.mold_inputs(images, image_size=image_size)
        image_shape = molded_images[0].shape
        for g in molded_images[1:]:
            assert g.shape == image_shape, ("After resizing, all images must have the same "
                                            "size. Check IMAGE_RESIZE_MODE and image sizes.")
        anchors = self.get_anchors(image_shape)
        anchors = np.broadcast_to(anchors, (self.config.BATCH_SIZE,) + anchors.shape)
        detections, _, _, mrcnn_mask, _, _, _ = self._run_inference(molded_images, image_metas,
                                                                    anchors)
        results = []
        for i, image in enumerate(images):
            # The photo's (height, width) with 3 channels, whatever form it came in.
            original_shape = tuple(np.shape(image)[:2]) + (int(self.config.IMAGE_SHAPE[2]),)
            rois, class_ids, scores, masks = self.unmold_detections(
                detections[i], mrcnn_mask[i], original_shape, molded_images[i].shape,
                windows[i])
            results.append({"rois": rois, "class_ids": class_ids, "scores": scores,
                            "masks": masks})
        return results

    def detect_multiscale(self, images, image_sizes=None, verbose=0,
                          iou_threshold=DEFAULT_MERGE_IOU):
        """Detect at several input sizes and merge (test-time multi-scale; not in matterport).

        images: as ``detect``. image_sizes: square input sides, multiples of 64 (None: the
        config's TEST_IMAGE_SIZES, or its own size alone when that is None). Each size keeps
        the detections scoring DETECTION_MIN_CONFIDENCE or more; ``merge_detections`` then
        folds the copies of one instance (same class, box IoU >= ``iou_threshold``) into one,
        with the union of their masks.
        Returns one dict per image, as ``detect``.
        """
        if image_sizes is None:
            image_sizes = self.config.TEST_IMAGE_SIZES or [None]
        per_size = [self.detect(images, verbose=verbose, image_size=size)
                    for size in image_sizes]
        return [merge_detections([results[i] for results in per_size],
                                 iou_threshold=iou_threshold)
                for i in range(len(images))]

    def detect_molded(self, molded_images, image_metas, verbose=0):
        """Detect on images that are already molded (e.g. from a Dataset via load_image_gt).

        molded_images: [BATCH_SIZE, h, w, 3] float32; image_metas: [BATCH_SIZE, META].
        Returns the same dicts as ``detect``, in the original images' pixels.
        """
        assert self.mode == "inference", "Create model in inference mode."
        assert len(molded_images) == self.config.BATCH_SIZE, \
            "Number of images must be equal to BATCH_SIZE"
        image_shape = molded_images[0].shape
        anchors = self.get_anchors(image_shape)
        anchors = np.broadcast_to(anchors, (self.config.BATCH_SIZE,) + anchors.shape)
        detections, _, _, mrcnn_mask, _, _, _ = self._run_inference(molded_images, image_metas,
                                                                    anchors)
        metas = parse_image_meta(np.asarray(image_metas))
        results = []
        for i in range(len(molded_images)):
            rois, class_ids, scores, masks = self.unmold_detections(
                detections[i], mrcnn_mask[i], metas["original_image_shape"][i],
                molded_images[i].shape, metas["window"][i])
            results.append({"rois": rois, "class_ids": class_ids, "scores": scores,
                            "masks": masks})
        return results

    # ------------------------------------------------------------------ training
    def set_trainable(self, layer_regex, keras_model=None, indent=0, verbose=1):
        """Train the layers whose names fully match ``layer_regex`` (or a preset name: heads,
        3+, 4+, 5+, all) and freeze the rest. Returns the trainable layers' names."""
        if verbose > 0 and keras_model is None:
            print("Selecting layers to train")
        return training.set_trainable(keras_model or self.keras_model,
                                      training.layer_regex(layer_regex), verbose=verbose > 1)

    def train(self, train_dataset, val_dataset, learning_rate, epochs, layers,
              augmentation=None, custom_callbacks=None, no_augmentation_sources=None):
        """Train the model (matterport's signature).

        train_dataset, val_dataset: prepared ``mrcnn.dataset.Dataset`` objects.
        learning_rate: the base learning rate (Config.OPTIMIZER, warm-up and
        LEARNING_RATE_SCHEDULE apply to it). epochs: the epoch to reach (absolute: training runs
        from ``self.epoch``, which loading a checkpoint sets, up to ``epochs``).
        layers: a regex of layer names, or a preset: "heads" (RPN, classifier and mask heads,
        FPN), "3+", "4+", "5+" (ResNet from that stage up, plus the heads), "all".
        augmentation: an albumentations transform (or an imgaug augmenter when imgaug is
        installed), applied to training images and masks.
        custom_callbacks: Keras callbacks called each batch/epoch with the losses.
        no_augmentation_sources: dataset sources whose images are never augmented.
        Writes ``mask_rcnn_<name>_<epoch>.h5`` in ``self.log_dir`` after each epoch and
        TensorBoard logs there. Returns the history (loss name -> per-epoch values).
        """
        import os

        from .data import make_training_dataset

        assert self.mode == "training", "Create model in training mode."
        train_data = make_training_dataset(train_dataset, self.config, shuffle=True,
                                           augmentation=augmentation,
                                           no_augmentation_sources=no_augmentation_sources)
        val_data = make_training_dataset(val_dataset, self.config, shuffle=True)
        os.makedirs(self.log_dir, exist_ok=True)
        print(f"\nStarting at epoch {self.epoch}. LR={learning_rate}\n")
        print(f"Checkpoint Path: {self.checkpoint_path}")
        self.set_trainable(layers)
        trainer = training.Trainer(self.keras_model, self.config, self.strategy, learning_rate)
        history = trainer.fit(train_data, val_data, initial_epoch=self.epoch, epochs=epochs,
                              steps_per_epoch=self.config.STEPS_PER_EPOCH,
                              validation_steps=self.config.VALIDATION_STEPS,
                              checkpoint_path=self.checkpoint_path, log_dir=self.log_dir,
                              callbacks=custom_callbacks)
        # The epochs run (fewer than asked when a callback stopped training early).
        self.epoch = max(self.epoch, self.epoch + len(history.get("loss", [])))
        return history

    # ------------------------------------------------------------------ introspection
    def ancestor(self, tensor, name, checked=None):
        """Not supported on Keras 3 (graph tensors have no op ancestry); kept for the API."""
        raise NotImplementedError("ancestor() relied on TF1 graph tensors; use "
                                  "keras_model.get_layer(name).output instead")

    def find_trainable_layer(self, layer):
        """The layer that holds the weights: the wrapped layer for TimeDistributed wrappers."""
        if isinstance(layer, TimeDistributed):
            return self.find_trainable_layer(layer.layer)
        return layer

    def get_trainable_layers(self):
        """Layers that have weights, in the Keras-2 order."""
        return [layer for layer in self._weight_layers()
                if self.find_trainable_layer(layer).weights]

    def run_graph(self, images, outputs, image_metas=None):
        """Run the model on ``images`` and return named intermediate outputs.

        outputs: list of (name, layer output tensor) pairs, e.g.
        ``[("proposals", model.keras_model.get_layer("ROI").output)]``.
        Returns an OrderedDict name -> NumPy array.
        """
        import collections

        import keras
        model = self.keras_model
        probe = keras.Model(model.inputs, [t for _, t in outputs])
        molded_images, metas, _ = self.mold_inputs(images)
        if image_metas is not None:
            metas = image_metas
        anchors = self.get_anchors(molded_images[0].shape)
        anchors = np.broadcast_to(anchors, (self.config.BATCH_SIZE,) + anchors.shape)
        values = probe([molded_images.astype(np.float32), metas.astype(np.float32),
                        anchors.astype(np.float32)], training=False)
        if not isinstance(values, (list, tuple)):
            values = [values]
        result = collections.OrderedDict()
        for (name, _), value in zip(outputs, values):
            result[name] = np.asarray(value)
        return result


def __getattr__(name):
    """matterport's data functions, from mrcnn.data (imported on first use)."""
    if name in ("load_image_gt", "build_rpn_targets", "data_generator",
                "generate_random_rois", "build_detection_targets"):
        from . import data
        return getattr(data, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
