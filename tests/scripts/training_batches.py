"""A synthetic global training batch for the distributed-training scripts of this folder (run as
``python tests/scripts/<script>.py``, so this module is importable beside them)."""

import numpy as np

from mrcnn.modeling.image_meta import compose_image_meta


def synthetic_batch(config, num_anchors, side, rpn_bbox_noise=0.0):
    """One global batch (config.BATCH_SIZE images of ``side`` x ``side`` pixels) in the training
    input format, with one GT box [10, 10, 40, 50] (pixels) per image, seeded.

    ``rpn_bbox_noise`` > 0 draws the RPN box targets from N(0, noise) instead of zeros, so that
    the images of the batch give different gradients.
    Returns (images, image_metas, rpn_match [B, anchors, 1], rpn_bbox [B, anchors kept, 4],
    gt_class_ids [B, 2], gt_boxes [B, 2, 4], gt_masks [B, 56, 56, 2]).
    """
    b = config.BATCH_SIZE
    rng = np.random.default_rng(0)
    images = rng.normal(0, 50, (b, side, side, 3)).astype(np.float32)
    metas = np.stack([compose_image_meta(i, (side, side, 3), (side, side, 3),
                                         (0, 0, side, side), 1.0, np.ones(config.NUM_CLASSES))
                      for i in range(b)]).astype(np.float32)
    rpn_match = np.zeros((b, num_anchors, 1), np.int32)
    rpn_match[:, :40] = -1
    rpn_match[:, 40:44] = 1
    rpn_bbox_shape = (b, config.RPN_TRAIN_ANCHORS_PER_IMAGE, 4)
    if rpn_bbox_noise:
        rpn_bbox = rng.normal(0, rpn_bbox_noise, rpn_bbox_shape).astype(np.float32)
    else:
        rpn_bbox = np.zeros(rpn_bbox_shape, np.float32)
    gt_ids = np.zeros((b, 2), np.int32)
    gt_ids[:, 0] = 1
    gt_boxes = np.zeros((b, 2, 4), np.float32)
    gt_boxes[:, 0] = [10, 10, 40, 50]
    gt_masks = np.zeros((b, 56, 56, 2), bool)
    gt_masks[:, 5:50, 5:50, 0] = True
    return images, metas, rpn_match, rpn_bbox, gt_ids, gt_boxes, gt_masks
