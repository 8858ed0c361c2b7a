"""Graph layers against independent NumPy re-statements of matterport's algorithm."""

import numpy as np
import pytest
import tensorflow as tf

from mrcnn.config import Config
from mrcnn.modeling.box_ops import apply_box_deltas_graph, clip_boxes_graph, norm_boxes_graph
from mrcnn.modeling.detection import DetectionLayer
from mrcnn.modeling.image_meta import compose_image_meta
from mrcnn.modeling.layers import BatchNorm, TimeDistributed
from mrcnn.modeling.roi_align import PyramidROIAlign
from mrcnn.modeling.rpn import ProposalLayer


class SmallConfig(Config):
    NAME = "small"
    NUM_CLASSES = 4
    IMAGES_PER_GPU = 2
    PRE_NMS_LIMIT = 50
    DETECTION_MAX_INSTANCES = 10
    DETECTION_MIN_CONFIDENCE = 0.3
    IMAGE_MIN_DIM = IMAGE_MAX_DIM = 128


def np_iou(box, boxes):
    y1 = np.maximum(box[0], boxes[:, 0])
    x1 = np.maximum(box[1], boxes[:, 1])
    y2 = np.minimum(box[2], boxes[:, 2])
    x2 = np.minimum(box[3], boxes[:, 3])
    inter = np.maximum(y2 - y1, 0) * np.maximum(x2 - x1, 0)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / (area + areas - inter)


def np_nms(boxes, scores, threshold, max_out):
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size and len(keep) < max_out:
        i = order[0]
        keep.append(i)
        order = order[1:][np_iou(boxes[i], boxes[order[1:]]) <= threshold]
    return np.array(keep, dtype=np.int64)


def np_apply_deltas(boxes, deltas):
    h = boxes[:, 2] - boxes[:, 0]
    w = boxes[:, 3] - boxes[:, 1]
    cy = boxes[:, 0] + 0.5 * h + deltas[:, 0] * h
    cx = boxes[:, 1] + 0.5 * w + deltas[:, 1] * w
    h = h * np.exp(deltas[:, 2])
    w = w * np.exp(deltas[:, 3])
    return np.stack([cy - 0.5 * h, cx - 0.5 * w, cy + 0.5 * h, cx + 0.5 * w], axis=1)


def random_boxes(rng, n, scale=1.0):
    yx = rng.uniform(0, 0.8, size=(n, 2))
    hw = rng.uniform(0.05, 0.4, size=(n, 2))
    return (np.concatenate([yx, yx + hw], axis=1) * scale).astype(np.float32)


def test_apply_and_clip_box_deltas_match_numpy():
    rng = np.random.default_rng(1)
    boxes = random_boxes(rng, 20)
    deltas = rng.normal(0, 0.3, size=(20, 4)).astype(np.float32)
    out = apply_box_deltas_graph(tf.constant(boxes), tf.constant(deltas)).numpy()
    np.testing.assert_allclose(out, np_apply_deltas(boxes, deltas), rtol=1e-5, atol=1e-6)
    clipped = clip_boxes_graph(tf.constant(out), np.array([0.1, 0.2, 0.9, 0.8], np.float32))
    expected = np.clip(out, [0.1, 0.2, 0.1, 0.2], [0.9, 0.8, 0.9, 0.8])
    np.testing.assert_allclose(clipped.numpy(), expected, atol=1e-7)


def test_norm_boxes_graph_hand_computed():
    boxes = tf.constant([[0., 0., 128., 128.], [10., 20., 64., 32.]])
    out = norm_boxes_graph(boxes, tf.constant([128, 128])).numpy()
    np.testing.assert_allclose(out[0], [0, 0, 1, 1], atol=1e-7)
    np.testing.assert_allclose(out[1], [10 / 127, 20 / 127, 63 / 127, 31 / 127], atol=1e-7)


def test_proposal_layer_matches_numpy_reference():
    config = SmallConfig()
    rng = np.random.default_rng(0)
    n_anchors, proposal_count = 200, 30
    anchors = np.stack([random_boxes(rng, n_anchors)] * 2)
    logits = rng.normal(size=(2, n_anchors, 2)).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    deltas = rng.normal(0, 1, size=(2, n_anchors, 4)).astype(np.float32)
    layer = ProposalLayer(proposal_count, 0.7, config=config)
    out = layer([tf.constant(probs), tf.constant(deltas), tf.constant(anchors)]).numpy()
    assert out.shape == (2, proposal_count, 4)
    for b in range(2):
        scores = probs[b, :, 1]
        top = np.argsort(-scores, kind="stable")[:config.PRE_NMS_LIMIT]
        boxes = np_apply_deltas(anchors[b, top], deltas[b, top] * config.RPN_BBOX_STD_DEV)
        boxes = np.clip(boxes, 0, 1).astype(np.float32)
        keep = np_nms(boxes, scores[top], 0.7, proposal_count)
        expected = np.zeros((proposal_count, 4), np.float32)
        expected[:len(keep)] = boxes[keep]
        np.testing.assert_allclose(out[b], expected, atol=1e-5)


def test_pyramid_roi_align_pools_each_box_from_its_level():
    config = SmallConfig()
    rng = np.random.default_rng(2)
    image_shape = (128, 128, 3)
    feature_maps = [rng.normal(size=(2, 128 // s, 128 // s, 3)).astype(np.float32)
                    for s in (4, 8, 16, 32)]
    # Boxes of every size so that all four levels are used, plus a zero (padding) box.
    sizes = np.array([0.05, 0.1, 0.3, 0.6, 0.9, 0.02, 0.45, 0.0])
    boxes = np.zeros((2, len(sizes), 4), np.float32)
    boxes[:, :, 2] = sizes
    boxes[:, :, 3] = sizes
    boxes[1] *= 0.9
    meta = np.stack([compose_image_meta(0, image_shape, image_shape, (0, 0, 128, 128), 1.0,
                                        np.zeros(config.NUM_CLASSES))] * 2).astype(np.float32)
    out = PyramidROIAlign([7, 7])([tf.constant(boxes), tf.constant(meta)]
                                  + [tf.constant(f) for f in feature_maps]).numpy()
    assert out.shape == (2, len(sizes), 7, 7, 3)
    area = 128 * 128
    for b in range(2):
        for i, box in enumerate(boxes[b]):
            h, w = box[2] - box[0], box[3] - box[1]
            with np.errstate(divide="ignore"):
                level = np.log2(np.sqrt(h * w) / (224.0 / np.sqrt(area)))
            level = 2 if not np.isfinite(level) else int(min(5, max(2, 4 + np.round(level))))
            expected = tf.image.crop_and_resize(feature_maps[level - 2][b:b + 1], box[None],
                                                [0], (7, 7)).numpy()[0]
            np.testing.assert_allclose(out[b, i], expected, atol=1e-6)


def test_detection_layer_matches_numpy_reference():
    config = SmallConfig()
    rng = np.random.default_rng(3)
    n = 60
    rois = np.stack([random_boxes(rng, n), random_boxes(rng, n)])
    logits = rng.normal(0, 2, size=(2, n, config.NUM_CLASSES)).astype(np.float32)
    probs = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype(np.float32)
    deltas = rng.normal(0, 0.5, size=(2, n, config.NUM_CLASSES, 4)).astype(np.float32)
    window = (8, 0, 120, 128)
    meta = np.stack([compose_image_meta(0, (100, 128, 3), (128, 128, 3), window, 1.0,
                                        np.zeros(config.NUM_CLASSES))] * 2).astype(np.float32)
    out = DetectionLayer(config)([tf.constant(rois), tf.constant(probs), tf.constant(deltas),
                                  tf.constant(meta)]).numpy()
    assert out.shape == (2, config.DETECTION_MAX_INSTANCES, 6)
    nwin = (np.array(window, np.float32) - [0, 0, 1, 1]) / 127.0
    for b in range(2):
        class_ids = probs[b].argmax(1)
        scores = probs[b][np.arange(n), class_ids]
        d = deltas[b][np.arange(n), class_ids] * config.BBOX_STD_DEV
        refined = np.clip(np_apply_deltas(rois[b], d), nwin[[0, 1, 0, 1]], nwin[[2, 3, 2, 3]])
        keep = np.where((class_ids > 0) & (scores >= config.DETECTION_MIN_CONFIDENCE))[0]
        survivors = []
        for c in np.unique(class_ids[keep]):
            ixs = keep[class_ids[keep] == c]
            survivors.extend(ixs[np_nms(refined[ixs], scores[ixs], 0.3, 10)])
        survivors = np.sort(survivors)
        survivors = survivors[np.argsort(-scores[survivors], kind="stable")][:10]
        expected = np.zeros((10, 6), np.float32)
        expected[:len(survivors)] = np.concatenate(
            [refined[survivors], class_ids[survivors, None], scores[survivors, None]], axis=1)
        assert len(survivors) > 2  # the case exercises NMS and the confidence filter
        np.testing.assert_allclose(out[b], expected, atol=1e-5)


def test_frozen_batchnorm_ignores_training_flag():
    rng = np.random.default_rng(4)
    x = rng.normal(3, 2, size=(8, 5)).astype(np.float32)
    bn = BatchNorm(frozen=True)
    bn.build(x.shape)
    frozen_out = bn(x, training=True).numpy()
    # Inference mode uses moving stats (0 mean, 1 var at init): output ~ x / sqrt(1 + eps).
    np.testing.assert_allclose(frozen_out, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    live = BatchNorm(frozen=False)
    live.build(x.shape)
    assert abs(live(x, training=True).numpy().mean()) < 1e-4


@pytest.mark.parametrize("batch,items", [(1, 5), (3, 4)])
def test_time_distributed_equals_per_item_application(batch, items):
    import keras
    rng = np.random.default_rng(5)
    x = rng.normal(size=(batch, items, 6, 6, 3)).astype(np.float32)
    layer = TimeDistributed(keras.layers.Conv2D(4, (3, 3)))
    out = layer(x).numpy()
    assert out.shape == (batch, items, 4, 4, 4)
    inner = layer.layer
    for i in range(items):
        np.testing.assert_allclose(out[:, i], inner(x[:, i]).numpy(), atol=1e-5)


def test_mask_head_on_selected_rows_equals_head_on_all_rows():
    import keras
    from mrcnn.modeling.layers import GatherRows, TimeDistributedScatter
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 5, 4, 4, 3)).astype(np.float32)
    selector = np.zeros((2, 5), np.float32)
    selector[0, :3] = [1, 2, 1]   # image 0: 3 selected rows, 2 padding rows
    selector[1, 2] = 3            # image 1: 1 selected row, in the middle
    conv = keras.layers.Conv2D(2, (1, 1), activation="sigmoid")
    full = TimeDistributed(conv)(x).numpy()
    rows = GatherRows()([x, selector])
    assert rows.shape == (1, 4, 4, 4, 3)
    out = TimeDistributedScatter(conv)([rows, selector]).numpy()
    assert out.shape == full.shape
    np.testing.assert_allclose(out[0, :3], full[0, :3], atol=1e-6)
    np.testing.assert_allclose(out[1, 2], full[1, 2], atol=1e-6)
    assert not out[0, 3:].any() and not out[1, [0, 1, 3, 4]].any()
    # Nothing selected: all zeros (one unselected row runs, and is dropped).
    assert GatherRows()([x, selector * 0]).shape == (1, 1, 4, 4, 3)
    none = TimeDistributedScatter(conv)([GatherRows()([x, selector * 0]), selector * 0]).numpy()
    assert none.shape == full.shape and not none.any()
    # Gradients reach the selected rows only.
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        total = tf.reduce_sum(TimeDistributedScatter(conv)([GatherRows()([xt, selector]),
                                                            selector]))
    grad = tape.gradient(total, xt).numpy()
    assert np.abs(grad[0, :3]).sum() > 0 and not grad[0, 3:].any()


def test_batch_slice_and_box_refinement_graph_match_numpy():
    from mrcnn import utils
    rng = np.random.default_rng(7)
    x = tf.constant(rng.normal(size=(3, 5)).astype(np.float32))
    y = tf.constant(rng.normal(size=(3, 5)).astype(np.float32))
    total, diff = utils.batch_slice([x, y], lambda a, b: [a + b, a - b], 3)
    np.testing.assert_allclose(total.numpy(), x.numpy() + y.numpy(), atol=1e-6)
    np.testing.assert_allclose(diff.numpy(), x.numpy() - y.numpy(), atol=1e-6)
    boxes = random_boxes(rng, 6, scale=100)
    gt = random_boxes(rng, 6, scale=100)
    deltas = utils.box_refinement_graph(tf.constant(boxes), tf.constant(gt)).numpy()
    np.testing.assert_allclose(deltas, utils.box_refinement(boxes, gt), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np_apply_deltas(boxes, deltas), gt, rtol=1e-4, atol=1e-3)


def test_overflowing_deltas_give_zero_boxes_not_nan():
    config = SmallConfig()
    anchors = np.tile(np.array([[[0.1, 0.1, 0.3, 0.3]]], np.float32), (2, 60, 1))
    probs = np.full((2, 60, 2), 0.5, np.float32)
    deltas = np.full((2, 60, 4), 1e4, np.float32)  # exp() overflows
    out = ProposalLayer(10, 0.7, config=config)(
        [tf.constant(probs), tf.constant(deltas), tf.constant(anchors)]).numpy()
    assert np.isfinite(out).all()
    mrcnn_class = np.zeros((2, 5, config.NUM_CLASSES), np.float32)
    mrcnn_class[:, :, 1] = 1.0
    mrcnn_bbox = np.full((2, 5, config.NUM_CLASSES, 4), 1e4, np.float32)
    meta = np.stack([compose_image_meta(0, (128, 128, 3), (128, 128, 3), (0, 0, 128, 128), 1.0,
                                        np.zeros(config.NUM_CLASSES))] * 2).astype(np.float32)
    detections = DetectionLayer(config)([tf.constant(anchors[:, :5]), tf.constant(mrcnn_class),
                                         tf.constant(mrcnn_bbox), tf.constant(meta)]).numpy()
    assert np.isfinite(detections).all()
