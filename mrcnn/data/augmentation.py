"""Augmenting an image together with its instance masks.

Two kinds of ``augmentation`` objects are accepted, told apart by duck typing:

- albumentations transforms (a ``Compose`` or a single transform), or any callable taking
  ``image=`` and ``masks=`` (a list of [H, W] masks) or ``mask=`` (one [H, W, N] array)
  keyword arguments and returning a dict with the same keys;
- imgaug augmenters (anything with ``to_deterministic``), applied as matterport did: one
  deterministic copy for the image and the masks, and only the geometric augmenters named in
  ``MASK_AUGMENTERS`` applied to the masks. imgaug is imported only for such objects.
"""

import copy
import inspect
import threading

import numpy as np

from . import _rng

# imgaug augmenters that are safe to apply to masks (matterport's list). Others, such as
# colour changes, only touch the image. Some (Affine) have settings that make them unsafe:
# check the augmented masks.
MASK_AUGMENTERS = ["Sequential", "SomeOf", "OneOf", "Sometimes", "Fliplr", "Flipud",
                   "CropAndPad", "Affine", "PiecewiseAffine"]

# Per-thread copies of the augmentation objects, so that seeding one for an image in one
# thread never changes the random draws of another thread.
_thread_copies = threading.local()


def is_imgaug_augmenter(augmentation):
    """True for imgaug augmenters (duck typing: they can be made deterministic)."""
    return hasattr(augmentation, "to_deterministic") and hasattr(augmentation, "augment_image")


def _thread_copy(augmentation):
    """This thread's private deep copy of ``augmentation`` (made on first use)."""
    copies = getattr(_thread_copies, "copies", None)
    if copies is None:
        copies = _thread_copies.copies = {}
    entry = copies.get(id(augmentation))
    # The original is kept in the entry so its id cannot be reused by another object.
    if entry is None or entry[0] is not augmentation:
        entry = (augmentation, copy.deepcopy(augmentation))
        copies[id(augmentation)] = entry
    return entry[1]


def _accepts_keyword(function, name):
    """Whether ``function`` can be called with keyword argument ``name``."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _augment_imgaug(augmentation, image, masks, rng):
    import imgaug  # only reached for imgaug objects

    def mask_hook(images, augmenter, parents, default):
        """Apply only the geometric augmenters to the masks."""
        return augmenter.__class__.__name__ in MASK_AUGMENTERS

    if rng is not None:
        augmentation = _thread_copy(augmentation)
        seed = _rng.draw_seed(rng)
        if hasattr(augmentation, "seed_"):
            augmentation.seed_(seed)
        else:
            augmentation.reseed(seed)
    # One deterministic copy, so the image and the masks get the same random parameters.
    deterministic = augmentation.to_deterministic()
    image = deterministic.augment_image(image)
    if masks.shape[-1]:
        # imgaug does not take bool arrays.
        masks = deterministic.augment_image(masks.astype(np.uint8),
                                            hooks=imgaug.HooksImages(activator=mask_hook))
    return image, masks


def _augment_callable(augmentation, image, masks, rng):
    if rng is not None:
        augmentation = _thread_copy(augmentation)
        if hasattr(augmentation, "set_random_seed"):
            augmentation.set_random_seed(_rng.draw_seed(rng))
    count = masks.shape[-1]
    if count == 0:
        return augmentation(image=image)["image"], masks
    masks_uint8 = masks.astype(np.uint8)
    if _accepts_keyword(augmentation, "masks"):
        result = augmentation(image=image,
                              masks=[masks_uint8[:, :, i] for i in range(count)])
        out = result["masks"]
        # Compose returns a list of [H, W] masks, single transforms an [N, H, W] array.
        out_masks = (np.stack(out, axis=-1) if isinstance(out, (list, tuple))
                     else np.moveaxis(np.asarray(out), 0, -1))
    else:
        result = augmentation(image=image, mask=masks_uint8)
        out_masks = np.asarray(result["mask"])
        if out_masks.ndim == 2:
            out_masks = out_masks[:, :, None]
    return result["image"], out_masks


def augment_image_and_masks(augmentation, image, masks, rng=None):
    """Apply ``augmentation`` to an image and its instance masks consistently.

    augmentation: albumentations transform / compatible callable, or imgaug augmenter.
    image: [H, W, C] uint8. masks: [H, W, N] bool (or 0/1).
    rng: None to use the augmentation's own randomness (matterport); otherwise a
        RandomState/Generator from which this call's seed is drawn, and the augmentation
        runs on a per-thread copy (so parallel loaders are deterministic and independent).
    Returns: (image [H, W, C] uint8, masks [H, W, N] bool).
    Raises ValueError when the augmentation changes the image or mask size: training
        batches need every image at the configured shape.
    """
    masks = np.asarray(masks)
    image_shape, masks_shape = image.shape, masks.shape
    if is_imgaug_augmenter(augmentation):
        out_image, out_masks = _augment_imgaug(augmentation, image, masks, rng)
    else:
        out_image, out_masks = _augment_callable(augmentation, image, masks, rng)
    out_image, out_masks = np.asarray(out_image), np.asarray(out_masks)
    if out_image.shape != image_shape:
        raise ValueError(f"augmentation changed the image size from {image_shape} to "
                         f"{out_image.shape}; it must keep it (use size-preserving transforms)")
    if out_masks.shape != masks_shape:
        raise ValueError(f"augmentation changed the masks' shape from {masks_shape} to "
                         f"{out_masks.shape}; it must keep it")
    return out_image, out_masks.astype(bool)
