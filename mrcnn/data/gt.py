"""Loading one training image with its ground truth (matterport's ``load_image_gt``)."""

import logging
import random

import numpy as np

from ..masks import extract_bboxes, minimize_mask, resize_mask
from ..modeling.image_meta import compose_image_meta
from ..resizing import resize, resize_image
from . import _rng
from .augmentation import augment_image_and_masks

logger = logging.getLogger(__name__)


class DataError(ValueError):
    """Bad data for one image (shape/dtype/class id problems); the message names the image."""


def describe_image(dataset, image_id):
    """'image <id> (<reference>)' for messages: dataset.image_reference(), else its path."""
    reference = ""
    try:
        reference = dataset.image_reference(image_id)
    except Exception:  # a broken image_reference must not hide the real error
        pass
    if not reference:
        try:
            reference = dataset.image_info[image_id].get("path", "")
        except Exception:
            reference = ""
    return f"image {image_id} ({reference})" if reference else f"image {image_id}"


def _checked_image(image, config, name):
    """The loaded image as [H, W, IMAGE_CHANNEL_COUNT]; grey is stacked to RGB and an alpha
    channel dropped (as matterport's Dataset.load_image did), anything else is an error."""
    image = np.asarray(image)
    channels = config.IMAGE_CHANNEL_COUNT
    if image.ndim == 2 and channels == 3:
        image = np.stack([image] * 3, axis=-1)
    elif image.ndim == 3 and image.shape[-1] == 4 and channels == 3:
        image = image[..., :3]
    if image.ndim != 3 or image.shape[-1] != channels or min(image.shape[:2]) == 0:
        raise DataError(f"{name}: load_image returned shape {image.shape}; expected "
                        f"[height, width, {channels}]")
    return image


def _checked_annotations(mask, class_ids, image_shape, num_classes, name):
    """Validate load_mask's output. Returns (mask [H, W, N], class_ids int32 [N])."""
    mask = np.asarray(mask)
    class_ids = np.atleast_1d(np.asarray(class_ids)).reshape(-1)
    if mask.ndim == 3 and mask.shape[-1] == 0 and class_ids.shape[0] == 0:
        # No instance (the base class returns a [0, 0, 0] mask): any spatial size will do.
        return np.zeros(tuple(image_shape[:2]) + (0,), dtype=bool), np.zeros([0], np.int32)
    if mask.ndim == 2:
        mask = mask[:, :, None]
    if mask.ndim != 3 or mask.shape[:2] != tuple(image_shape[:2]):
        raise DataError(f"{name}: load_mask returned masks of shape {mask.shape}, which does "
                        f"not match the image's {tuple(image_shape[:2])} [height, width, N]")
    if class_ids.shape[0] != mask.shape[-1]:
        raise DataError(f"{name}: load_mask returned {mask.shape[-1]} masks but "
                        f"{class_ids.shape[0]} class ids")
    integral = class_ids.dtype.kind in "iu" or (
        class_ids.dtype.kind == "f" and np.all(np.mod(class_ids, 1) == 0))
    if not integral:
        raise DataError(f"{name}: class ids must be integers, got {class_ids.tolist()}")
    class_ids = class_ids.astype(np.int32)
    too_large = class_ids[class_ids >= num_classes]
    if too_large.size:
        raise DataError(f"{name}: class ids {sorted(set(too_large.tolist()))} are not below the "
                        f"dataset's {num_classes} classes (internal ids; 0 is background)")
    return mask, class_ids


def _resize_for_training(image, config, rng):
    """resize_image with the config's settings. In "crop" mode with an explicit ``rng``
    the crop offset comes from ``rng`` (resize_image draws it from Python's global
    ``random``, which parallel loaders would share); the result is otherwise identical."""
    if config.IMAGE_RESIZE_MODE != "crop" or rng is None:
        return resize_image(image, min_dim=config.IMAGE_MIN_DIM,
                            min_scale=config.IMAGE_MIN_SCALE,
                            max_dim=config.IMAGE_MAX_DIM, mode=config.IMAGE_RESIZE_MODE)
    min_dim = config.IMAGE_MIN_DIM
    height, width = image.shape[:2]
    scale = max(1, min_dim / min(height, width))
    if config.IMAGE_MIN_SCALE and scale < config.IMAGE_MIN_SCALE:
        scale = config.IMAGE_MIN_SCALE
    if scale != 1:
        image = resize(image, (round(height * scale), round(width * scale)),
                       preserve_range=True).astype(image.dtype)
    height, width = image.shape[:2]
    # Same order of draws as resize_image (y, then x); randint's high is exclusive.
    y = int(_rng.randint(rng, 0, height - min_dim + 1))
    x = int(_rng.randint(rng, 0, width - min_dim + 1))
    crop = (y, x, min_dim, min_dim)
    image = image[y:y + min_dim, x:x + min_dim]
    return image, (0, 0, min_dim, min_dim), scale, [(0, 0), (0, 0), (0, 0)], crop


def load_image_gt(dataset, config, image_id, augmentation=None, use_mini_mask=None, *,
                  augment=False, rng=None):
    """Load an image and its ground truth, resized for training (matterport's semantics).

    dataset: a prepared ``mrcnn.dataset.Dataset``; config: a ``Config``; image_id: internal
        image id.
    augmentation: optional albumentations transform (or compatible callable) or imgaug
        augmenter, applied to the resized image and masks together (see
        ``augment_image_and_masks``).
    use_mini_mask: resize masks to MINI_MASK_SHAPE inside their boxes; None means
        config.USE_MINI_MASK.
    augment: matterport's deprecated flag: flip left-right with probability 0.5.
    rng: source of randomness (a RandomState/Generator); None uses the global np.random
        (and Python's ``random`` for "crop" mode), as matterport did.

    Instances whose mask is empty after loading, resizing and augmentation are dropped
    (logged with their count), so every box has a positive area.

    Returns:
        image: uint8 [H, W, C] resized and padded (config.IMAGE_SHAPE in "square" mode).
        image_meta: [12 + dataset.num_classes] (compose_image_meta; float64).
        class_ids: int32 [N] (negative ids are crowd regions, as in COCO).
        bbox: int32 [N, (y1, x1, y2, x2)] pixels of the resized image, from the masks.
        mask: bool [H, W, N], or [MINI_MASK_SHAPE..., N] with mini masks.
    """
    name = describe_image(dataset, image_id)
    image = _checked_image(dataset.load_image(image_id), config, name)
    mask, class_ids = dataset.load_mask(image_id)
    mask, class_ids = _checked_annotations(mask, class_ids, image.shape, dataset.num_classes,
                                           name)
    annotated_empty = int(np.sum(~mask.any(axis=(0, 1))))
    original_shape = image.shape
    image, window, scale, padding, crop = _resize_for_training(image, config, rng)
    mask = resize_mask(mask, scale, padding, crop)

    if augment:
        logger.warning("'augment' is deprecated; use 'augmentation' instead")
        # matterport flipped when Python's random.randint(0, 1) said so.
        if (random.randint(0, 1) if rng is None else _rng.randint(rng, 0, 2)):
            image = np.fliplr(image)
            mask = np.fliplr(mask)
    if augmentation:
        try:
            image, mask = augment_image_and_masks(augmentation, image, mask, rng=rng)
        except ValueError as error:
            raise DataError(f"{name}: {error}") from error

    # Masks can be empty in the annotation, or become empty when resizing shrinks a thin
    # object or augmentation moves it out; their boxes would have zero area: drop them.
    non_empty = mask.any(axis=(0, 1))
    dropped = int(np.sum(~non_empty))
    if dropped:
        logger.warning("%s: dropped %d empty instance mask(s) of %d (%d empty in the "
                       "annotation, %d emptied by resizing/augmentation)",
                       name, dropped, mask.shape[-1], annotated_empty,
                       dropped - annotated_empty)
        mask = mask[:, :, non_empty]
        class_ids = class_ids[non_empty]
    mask = mask.astype(bool, copy=False)
    bbox = extract_bboxes(mask)

    # Classes of this image's source dataset; the others are not penalised in the loss.
    active_class_ids = np.zeros([dataset.num_classes], dtype=np.int32)
    source_class_ids = dataset.source_class_ids[dataset.image_info[image_id]["source"]]
    active_class_ids[source_class_ids] = 1

    if config.USE_MINI_MASK if use_mini_mask is None else use_mini_mask:
        mask = minimize_mask(bbox, mask, config.MINI_MASK_SHAPE)

    image_meta = compose_image_meta(image_id, original_shape, image.shape, window, scale,
                                    active_class_ids)
    return image, image_meta, class_ids, bbox, mask
