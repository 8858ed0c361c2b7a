"""Pre- and post-processing around the graph: molding photos into network inputs and mapping
the raw detections back onto the original photos. NumPy/OpenCV only."""

import numpy as np

from ..boxes import denorm_boxes, norm_boxes
from ..masks import unmold_mask
from ..resizing import resize_image
from .image_meta import compose_image_meta, mold_image


def as_rgb_uint8(image):
    """An image array as [H, W, 3] uint8 RGB.

    Accepts [H, W] or [H, W, 1] grayscale, [H, W, 4] RGBA (alpha dropped, as matterport's
    Dataset.load_image did), uint16 (scaled, 65535 -> 255) and bool; uint8 RGB passes through
    unchanged (no copy). Raises ValueError for any other shape or dtype.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[:, :, np.newaxis]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or 0 in image.shape[:2]:
        raise ValueError(f"expected an image [H, W], [H, W, 1], [H, W, 3] or [H, W, 4], "
                         f"got an array of shape {image.shape}")
    if image.dtype == np.uint16:
        image = ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    elif image.dtype == bool:
        image = image.astype(np.uint8) * 255
    elif image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 or uint16 image, got dtype {image.dtype}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif image.shape[2] == 4:
        image = image[:, :, :3]
    return image


def mold_inputs(images, config, image_size=None):
    """Resize, pad and normalise photos for the network.

    images: list of [H, W, 3] uint8 RGB arrays (sizes may differ). With a 3-channel config,
        grayscale, RGBA and 16-bit arrays are converted first (see ``as_rgb_uint8``).
    image_size: side in pixels of the square to mold into instead of the config's
        IMAGE_MIN_DIM / IMAGE_MAX_DIM (test-time multi-scale; see ``check_image_size``).
    Returns:
        molded_images: [N, h, w, 3] float64 (as matterport), mean pixel subtracted
        image_metas: [N, IMAGE_META_SIZE] (see image_meta)
        windows: [N, (y1, x1, y2, x2)] pixels, where each photo lies in its molded image
    """
    min_dim, max_dim = config.IMAGE_MIN_DIM, config.IMAGE_MAX_DIM
    if image_size is not None:
        check_image_size(image_size, config)
        min_dim = max_dim = int(image_size)
    molded_images, image_metas, windows = [], [], []
    for image in images:
        if config.IMAGE_CHANNEL_COUNT == 3:
            image = as_rgb_uint8(image)
        molded_image, window, scale, _padding, _crop = resize_image(
            image, min_dim=min_dim, min_scale=config.IMAGE_MIN_SCALE,
            max_dim=max_dim, mode=config.IMAGE_RESIZE_MODE)
        molded_image = mold_image(molded_image, config)
        image_meta = compose_image_meta(0, image.shape, molded_image.shape, window, scale,
                                        np.zeros([config.NUM_CLASSES], dtype=np.int32))
        molded_images.append(molded_image)
        windows.append(window)
        image_metas.append(image_meta)
    return np.stack(molded_images), np.stack(image_metas), np.stack(windows)


def check_image_size(image_size, config):
    """Raise ValueError unless ``image_size`` can replace the config's input size at inference:
    "square" resizing, and a positive multiple of 64 (the backbone halves the image 6 times)."""
    if config.IMAGE_RESIZE_MODE != "square":
        raise ValueError(f"image_size needs IMAGE_RESIZE_MODE 'square', not "
                         f"{config.IMAGE_RESIZE_MODE!r}")
    if isinstance(image_size, bool) or int(image_size) != image_size or image_size <= 0 \
            or image_size % 64:
        raise ValueError(f"image_size must be a positive multiple of 64 (e.g. 192, 256, 320), "
                         f"got {image_size!r}")


def unmold_detections(detections, mrcnn_mask, original_image_shape, image_shape, window,
                      mask_threshold=0.5):
    """Map one image's raw detections back to its original photo.

    detections: [DETECTION_MAX_INSTANCES, (y1, x1, y2, x2, class_id, score)] normalised to
    the molded image; mrcnn_mask: [DETECTION_MAX_INSTANCES, h, w, NUM_CLASSES] in 0..1;
    original_image_shape: (H, W, C) of the photo; image_shape: (h, w, C) of the molded image;
    window: (y1, x1, y2, x2) pixels of the photo inside the molded image;
    mask_threshold: mask probability at and above which a pixel is in the full-size mask.
    Returns:
        boxes [N, (y1, x1, y2, x2)] int32 pixels of the photo, class_ids [N] int32,
        scores [N] float32, masks [H, W, N] bool
    """
    # Detections are zero-padded; the first class id 0 marks the end.
    zero_ix = np.where(detections[:, 4] == 0)[0]
    n = zero_ix[0] if zero_ix.shape[0] > 0 else detections.shape[0]

    boxes = detections[:n, :4]
    class_ids = detections[:n, 4].astype(np.int32)
    scores = detections[:n, 5]
    masks = mrcnn_mask[np.arange(n), :, :, class_ids]

    # Normalised molded-image coordinates -> normalised window coordinates -> photo pixels.
    wy1, wx1, wy2, wx2 = norm_boxes(window, image_shape[:2])
    shift = np.array([wy1, wx1, wy1, wx1])
    wh, ww = wy2 - wy1, wx2 - wx1
    scale = np.array([wh, ww, wh, ww])
    boxes = denorm_boxes(np.divide(boxes - shift, scale), original_image_shape[:2])

    # Boxes squeezed to zero area by the clipping are dropped.
    keep = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) > 0
    boxes, class_ids, scores, masks = boxes[keep], class_ids[keep], scores[keep], masks[keep]

    full_masks = np.zeros(tuple(original_image_shape[:2]) + (len(boxes),), dtype=bool)
    for i in range(len(boxes)):
        # Writes only the box region of instance i's (strided) plane.
        unmold_mask(masks[i], boxes[i], original_image_shape, out=full_masks[:, :, i],
                    threshold=mask_threshold)
    return boxes, class_ids, scores, full_masks
