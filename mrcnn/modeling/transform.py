"""Pre- and post-processing around the graph: molding photos into network inputs and mapping
the raw detections back onto the original photos. NumPy/OpenCV only."""

import numpy as np

from .. import utils
from .image_meta import compose_image_meta, mold_image


def mold_inputs(images, config):
    """Resize, pad and normalise photos for the network.

    images: list of [H, W, 3] uint8 RGB arrays (sizes may differ).
    Returns:
        molded_images: [N, h, w, 3] float64 (as matterport), mean pixel subtracted
        image_metas: [N, IMAGE_META_SIZE] (see image_meta)
        windows: [N, (y1, x1, y2, x2)] pixels, where each photo lies in its molded image
    """
    molded_images, image_metas, windows = [], [], []
    for image in images:
        molded_image, window, scale, _padding, _crop = utils.resize_image(
            image, min_dim=config.IMAGE_MIN_DIM, min_scale=config.IMAGE_MIN_SCALE,
            max_dim=config.IMAGE_MAX_DIM, mode=config.IMAGE_RESIZE_MODE)
        molded_image = mold_image(molded_image, config)
        image_meta = compose_image_meta(0, image.shape, molded_image.shape, window, scale,
                                        np.zeros([config.NUM_CLASSES], dtype=np.int32))
        molded_images.append(molded_image)
        windows.append(window)
        image_metas.append(image_meta)
    return np.stack(molded_images), np.stack(image_metas), np.stack(windows)


def unmold_detections(detections, mrcnn_mask, original_image_shape, image_shape, window):
    """Map one image's raw detections back to its original photo.

    detections: [DETECTION_MAX_INSTANCES, (y1, x1, y2, x2, class_id, score)] normalised to
    the molded image; mrcnn_mask: [DETECTION_MAX_INSTANCES, h, w, NUM_CLASSES] in 0..1;
    original_image_shape: (H, W, C) of the photo; image_shape: (h, w, C) of the molded image;
    window: (y1, x1, y2, x2) pixels of the photo inside the molded image.
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
    wy1, wx1, wy2, wx2 = utils.norm_boxes(window, image_shape[:2])
    shift = np.array([wy1, wx1, wy1, wx1])
    wh, ww = wy2 - wy1, wx2 - wx1
    scale = np.array([wh, ww, wh, ww])
    boxes = utils.denorm_boxes(np.divide(boxes - shift, scale), original_image_shape[:2])

    # Boxes squeezed to zero area by the clipping are dropped.
    keep = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) > 0
    boxes, class_ids, scores, masks = boxes[keep], class_ids[keep], scores[keep], masks[keep]

    full_masks = np.zeros(tuple(original_image_shape[:2]) + (len(boxes),), dtype=bool)
    for i in range(len(boxes)):
        # Writes only the box region of instance i's (strided) plane.
        utils.unmold_mask(masks[i], boxes[i], original_image_shape, out=full_masks[:, :, i])
    return boxes, class_ids, scores, full_masks
