"""Training data: ground truth loading, RPN/detection targets, batch pipelines.

- ``load_image_gt``: one image with its class ids, boxes and (mini) masks, resized.
- ``build_rpn_targets``, ``generate_random_rois``, ``build_detection_targets``: NumPy targets.
- ``data_generator``: matterport's Python generator of batches.
- ``make_training_dataset``: the parallel, seeded tf.data pipeline used by MaskRCNN.train.

Importing this package does not import TensorFlow.
"""

from .augmentation import MASK_AUGMENTERS, augment_image_and_masks, is_imgaug_augmenter
from .gt import DataError, describe_image, load_image_gt
from .pipeline import ImageLoadError, data_generator, make_training_dataset, training_anchors
from .rpn_targets import build_detection_targets, build_rpn_targets, generate_random_rois

__all__ = [
    "MASK_AUGMENTERS", "augment_image_and_masks", "is_imgaug_augmenter",
    "DataError", "describe_image", "load_image_gt",
    "ImageLoadError", "data_generator", "make_training_dataset", "training_anchors",
    "build_detection_targets", "build_rpn_targets", "generate_random_rois",
]
