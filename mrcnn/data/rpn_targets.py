"""Training targets computed in NumPy: RPN anchor targets, random ROIs, detection targets.

Reproduces matterport's functions of the same names, including the order of their random
draws, with an optional ``rng`` (default: the global ``np.random``).
"""

import numpy as np

from ..boxes import box_refinement, compute_overlaps
from ..resizing import resize
from . import _rng

# IoU thresholds of the RPN anchor assignment (Faster R-CNN's).
RPN_POSITIVE_IOU = 0.7
RPN_NEGATIVE_IOU = 0.3
# An anchor overlapping a crowd box by at least this IoU is never a negative.
CROWD_IOU = 0.001


def build_rpn_targets(image_shape, anchors, gt_class_ids, gt_boxes, config, rng=None):
    """Anchor labels and box deltas that the RPN is trained to predict.

    image_shape: [H, W, C] of the molded image (unused; kept for matterport's signature).
    anchors: [num_anchors, (y1, x1, y2, x2)] pixels.
    gt_class_ids: [N] ints; negative ids mark crowd boxes (COCO's iscrowd), which are not
        matched, and anchors overlapping them are not used as negatives.
    gt_boxes: [N, (y1, x1, y2, x2)] pixels.
    config: uses RPN_TRAIN_ANCHORS_PER_IMAGE and RPN_BBOX_STD_DEV.
    rng: RandomState/Generator for the subsampling; None uses the global np.random.

    Anchors with IoU >= 0.7 with some GT box are positive, < 0.3 with all of them negative;
    each GT box's best anchor(s) (every anchor tied at its maximum IoU) are positive too.
    Positives are subsampled to RPN_TRAIN_ANCHORS_PER_IMAGE // 2, then negatives to the
    rest of RPN_TRAIN_ANCHORS_PER_IMAGE (extras reset to neutral).

    Returns:
        rpn_match: int32 [num_anchors]: 1 positive, -1 negative, 0 neutral.
        rpn_bbox: float64 [RPN_TRAIN_ANCHORS_PER_IMAGE, (dy, dx, log(dh), log(dw))]: the
            deltas from each positive anchor (in anchor order) to its best-matching GT box,
            divided by RPN_BBOX_STD_DEV; zero rows after the last positive.
    """
    rng = _rng.resolve(rng)
    gt_class_ids = np.asarray(gt_class_ids)
    gt_boxes = np.asarray(gt_boxes)
    num_anchors = anchors.shape[0]
    anchors_per_image = config.RPN_TRAIN_ANCHORS_PER_IMAGE
    rpn_match = np.zeros([num_anchors], dtype=np.int32)
    rpn_bbox = np.zeros((anchors_per_image, 4))

    crowd_ix = np.where(gt_class_ids < 0)[0]
    if crowd_ix.shape[0] > 0:
        # Crowd boxes (several instances in one box) are not targets; matterport also drops
        # the zero (padding) ids here.
        non_crowd_ix = np.where(gt_class_ids > 0)[0]
        crowd_boxes = gt_boxes[crowd_ix]
        gt_class_ids = gt_class_ids[non_crowd_ix]
        gt_boxes = gt_boxes[non_crowd_ix]
        crowd_iou_max = np.amax(compute_overlaps(anchors, crowd_boxes), axis=1)
        not_crowd = crowd_iou_max < CROWD_IOU
    else:
        not_crowd = np.ones([num_anchors], dtype=bool)

    overlaps = compute_overlaps(anchors, gt_boxes)  # [anchors, gt]
    if gt_boxes.shape[0]:
        anchor_iou_argmax = np.argmax(overlaps, axis=1)
        anchor_iou_max = overlaps[np.arange(num_anchors), anchor_iou_argmax]
    else:
        # No GT box (matterport would crash): every anchor outside crowds is negative.
        anchor_iou_argmax = np.zeros([num_anchors], dtype=np.intp)
        anchor_iou_max = np.zeros([num_anchors])

    # 1. Negatives first; a GT match below overrides them.
    rpn_match[(anchor_iou_max < RPN_NEGATIVE_IOU) & not_crowd] = -1
    # 2. Every GT box's best anchor(s), whatever the IoU, so no GT box goes unmatched.
    best_anchor_ids = np.argwhere(overlaps == np.max(overlaps, axis=0))[:, 0]
    rpn_match[best_anchor_ids] = 1
    # 3. High-overlap anchors.
    rpn_match[anchor_iou_max >= RPN_POSITIVE_IOU] = 1

    # Balance: at most half positives, negatives fill the rest.
    positive_ids = np.where(rpn_match == 1)[0]
    extra = len(positive_ids) - anchors_per_image // 2
    if extra > 0:
        rpn_match[rng.choice(positive_ids, extra, replace=False)] = 0
    negative_ids = np.where(rpn_match == -1)[0]
    extra = len(negative_ids) - (anchors_per_image - np.sum(rpn_match == 1))
    if extra > 0:
        rpn_match[rng.choice(negative_ids, extra, replace=False)] = 0

    # Deltas from each positive anchor to its closest GT box (which may have IoU < 0.7).
    # Same float64 arithmetic as matterport's per-anchor loop, vectorised.
    positive_ids = np.where(rpn_match == 1)[0]
    gt = gt_boxes[anchor_iou_argmax[positive_ids]]
    anchor = anchors[positive_ids]
    gt_h = gt[:, 2] - gt[:, 0]
    gt_w = gt[:, 3] - gt[:, 1]
    gt_center_y = gt[:, 0] + 0.5 * gt_h
    gt_center_x = gt[:, 1] + 0.5 * gt_w
    a_h = anchor[:, 2] - anchor[:, 0]
    a_w = anchor[:, 3] - anchor[:, 1]
    a_center_y = anchor[:, 0] + 0.5 * a_h
    a_center_x = anchor[:, 1] + 0.5 * a_w
    deltas = np.stack([(gt_center_y - a_center_y) / a_h,
                       (gt_center_x - a_center_x) / a_w,
                       np.log(gt_h / a_h),
                       np.log(gt_w / a_w)], axis=1)
    rpn_bbox[:len(positive_ids)] = deltas
    rpn_bbox[:len(positive_ids)] /= config.RPN_BBOX_STD_DEV
    return rpn_match, rpn_bbox


def _random_boxes(rng, y_range, x_range, count):
    """``count`` random boxes with integer corners in [y_range) x [x_range) and non-zero
    height and width, drawn as matterport did (double the need, keep valid, retry)."""
    while True:
        y1y2 = _rng.randint(rng, y_range[0], y_range[1], (count * 2, 2))
        x1x2 = _rng.randint(rng, x_range[0], x_range[1], (count * 2, 2))
        y1y2 = y1y2[np.abs(y1y2[:, 0] - y1y2[:, 1]) >= 1][:count]
        x1x2 = x1x2[np.abs(x1x2[:, 0] - x1x2[:, 1]) >= 1][:count]
        if y1y2.shape[0] == count and x1x2.shape[0] == count:
            break
    x1, x2 = np.split(np.sort(x1x2, axis=1), 2, axis=1)
    y1, y2 = np.split(np.sort(y1y2, axis=1), 2, axis=1)
    return np.hstack([y1, x1, y2, x2])


def generate_random_rois(image_shape, count, gt_class_ids, gt_boxes, rng=None):
    """Random ROIs to train the heads without the RPN (config.USE_RPN_ROIS = False).

    image_shape: [H, W, ...] pixels; count: ROIs to make; gt_class_ids: [N] (unused, kept
    for the signature); gt_boxes: [N, (y1, x1, y2, x2)] pixels, N > 0.
    About 90% of the ROIs are spread around the GT boxes (within one box size of each), the
    rest anywhere in the image; all have a positive area.
    Returns: int32 [count, (y1, x1, y2, x2)] pixels.
    """
    gt_boxes = np.asarray(gt_boxes)
    rois = np.zeros((count, 4), dtype=np.int32)
    rois_per_box = int(0.9 * count / gt_boxes.shape[0])
    for i in range(gt_boxes.shape[0]):
        gt_y1, gt_x1, gt_y2, gt_x2 = gt_boxes[i]
        h = gt_y2 - gt_y1
        w = gt_x2 - gt_x1
        y_range = (max(gt_y1 - h, 0), min(gt_y2 + h, image_shape[0]))
        x_range = (max(gt_x1 - w, 0), min(gt_x2 + w, image_shape[1]))
        rois[rois_per_box * i:rois_per_box * (i + 1)] = _random_boxes(rng, y_range, x_range,
                                                                      rois_per_box)
    remaining_count = count - rois_per_box * gt_boxes.shape[0]
    if remaining_count > 0:
        rois[-remaining_count:] = _random_boxes(rng, (0, image_shape[0]), (0, image_shape[1]),
                                                remaining_count)
    return rois


def build_detection_targets(rpn_rois, gt_class_ids, gt_boxes, gt_masks, config, rng=None):
    """NumPy version of the detection targets (matterport's, for debugging the generator).

    rpn_rois: [N, (y1, x1, y2, x2)] pixels, N > 0.
    gt_class_ids: int32 [MAX_GT] (zero padded); gt_boxes: int32 [MAX_GT, 4] pixels;
    gt_masks: bool [h, w, MAX_GT]: full-image masks, or mini masks when config.USE_MINI_MASK.
    ROIs with IoU > 0.5 are foreground (at most TRAIN_ROIS_PER_IMAGE * ROI_POSITIVE_RATIO),
    those < 0.5 background; too few are topped up with repeated background ROIs.

    Returns:
        rois: [TRAIN_ROIS_PER_IMAGE, (y1, x1, y2, x2)] pixels (rpn_rois' dtype).
        class_ids: int32 [TRAIN_ROIS_PER_IMAGE] (0 for background).
        bboxes: float32 [TRAIN_ROIS_PER_IMAGE, NUM_CLASSES, (dy, dx, log(dh), log(dw))]
            deltas / BBOX_STD_DEV, in the row of the ROI's class.
        masks: float32 [TRAIN_ROIS_PER_IMAGE, MASK_SHAPE[0], MASK_SHAPE[1], NUM_CLASSES]:
            the GT mask cropped to the ROI and resized, in the ROI's class channel.
    """
    rng = _rng.resolve(rng)
    if rpn_rois.shape[0] == 0:
        raise ValueError("build_detection_targets needs at least one ROI")
    for array, kind, label in ((gt_class_ids, np.int32, "gt_class_ids"),
                               (gt_boxes, np.int32, "gt_boxes"), (gt_masks, np.bool_, "gt_masks")):
        if array.dtype != kind:
            raise ValueError(f"{label} must be {np.dtype(kind).name}, got {array.dtype}")

    # Drop the zero padding.
    instance_ids = np.where(gt_class_ids > 0)[0]
    if instance_ids.shape[0] == 0:
        raise ValueError("build_detection_targets: the image must contain instances")
    gt_class_ids = gt_class_ids[instance_ids]
    gt_boxes = gt_boxes[instance_ids]
    gt_masks = gt_masks[:, :, instance_ids]

    overlaps = compute_overlaps(rpn_rois, gt_boxes)  # [rois, gt]
    rpn_roi_iou_argmax = np.argmax(overlaps, axis=1)
    rpn_roi_iou_max = overlaps[np.arange(overlaps.shape[0]), rpn_roi_iou_argmax]
    rpn_roi_gt_boxes = gt_boxes[rpn_roi_iou_argmax]
    rpn_roi_gt_class_ids = gt_class_ids[rpn_roi_iou_argmax]

    fg_ids = np.where(rpn_roi_iou_max > 0.5)[0]
    bg_ids = np.where(rpn_roi_iou_max < 0.5)[0]

    rois_per_image = config.TRAIN_ROIS_PER_IMAGE
    fg_roi_count = int(rois_per_image * config.ROI_POSITIVE_RATIO)
    if fg_ids.shape[0] > fg_roi_count:
        keep_fg_ids = rng.choice(fg_ids, fg_roi_count, replace=False)
    else:
        keep_fg_ids = fg_ids
    remaining = rois_per_image - keep_fg_ids.shape[0]
    if bg_ids.shape[0] > remaining:
        keep_bg_ids = rng.choice(bg_ids, remaining, replace=False)
    else:
        keep_bg_ids = bg_ids
    keep = np.concatenate([keep_fg_ids, keep_bg_ids])
    remaining = rois_per_image - keep.shape[0]
    if remaining > 0:
        # Not enough ROIs for the desired balance: repeat background ones (or, with no
        # background ROI at all, any kept ROI, where matterport crashed).
        if keep.shape[0] == 0:
            raise ValueError("build_detection_targets: no ROI to sample from")
        pool = keep_bg_ids if keep_bg_ids.shape[0] else keep
        keep = np.concatenate([keep, rng.choice(pool, remaining, replace=True)])

    # Background ROIs have no GT box and class 0.
    rpn_roi_gt_boxes[keep_bg_ids, :] = 0
    rpn_roi_gt_class_ids[keep_bg_ids] = 0

    rois = rpn_rois[keep]
    roi_gt_boxes = rpn_roi_gt_boxes[keep]
    roi_gt_class_ids = rpn_roi_gt_class_ids[keep]
    roi_gt_assignment = rpn_roi_iou_argmax[keep]

    bboxes = np.zeros((rois_per_image, config.NUM_CLASSES, 4), dtype=np.float32)
    pos_ids = np.where(roi_gt_class_ids > 0)[0]
    bboxes[pos_ids, roi_gt_class_ids[pos_ids]] = box_refinement(
        rois[pos_ids], roi_gt_boxes[pos_ids, :4])
    bboxes /= config.BBOX_STD_DEV

    masks = np.zeros((rois_per_image, config.MASK_SHAPE[0], config.MASK_SHAPE[1],
                      config.NUM_CLASSES), dtype=np.float32)
    for i in pos_ids:
        class_id = roi_gt_class_ids[i]
        gt_id = roi_gt_assignment[i]
        class_mask = gt_masks[:, :, gt_id]
        if config.USE_MINI_MASK:
            # Paste the mini mask back at its box in a full-image mask.
            full_mask = np.zeros(config.IMAGE_SHAPE[:2], dtype=bool)
            gt_y1, gt_x1, gt_y2, gt_x2 = gt_boxes[gt_id]
            full_mask[gt_y1:gt_y2, gt_x1:gt_x2] = np.round(
                resize(class_mask, (gt_y2 - gt_y1, gt_x2 - gt_x1))).astype(bool)
            class_mask = full_mask
        y1, x1, y2, x2 = rois[i].astype(np.int32)
        masks[i, :, :, class_id] = resize(class_mask[y1:y2, x1:x2], config.MASK_SHAPE)
    return rois, roi_gt_class_ids, bboxes, masks
