"""The training data pipeline: load_image_gt, RPN targets, augmentation, generators, tf.data."""

import logging
import sys
import threading
import types

import cv2
import numpy as np
import pytest

from mrcnn import data, utils
from mrcnn.config import Config
from mrcnn.modeling.image_meta import parse_image_meta

HEIGHT, WIDTH = 100, 150
SCALE = 128 / WIDTH  # "square" resizing of a 100x150 image to 128 px


def _vanishing_row():
    """A row whose 1-pixel-high stripe disappears when the masks are resized to 128 px."""
    for row in range(1, HEIGHT - 1):
        stripe = np.zeros((HEIGHT, WIDTH, 1), dtype=bool)
        stripe[row, :, 0] = True
        if not utils.resize_mask(stripe, SCALE, [(0, 0), (0, 0), (0, 0)]).any():
            return row
    raise AssertionError("resizing keeps every row")


# (kind, class id, geometry): rectangles (x1, y1, x2, y2) inclusive, circles (cx, cy, radius),
# "line" a 1-pixel row that vanishes after resizing, "empty" an all-zero annotation.
IMAGE_SHAPES = [
    [("rect", 1, (10, 10, 40, 30)), ("circle", 2, (100, 50, 20))],
    [("rect", 1, (5, 5, 30, 25)), ("circle", 2, (70, 40, 15)), ("rect", 1, (100, 60, 140, 90)),
     ("circle", 2, (30, 75, 12))],
    [("rect", 1, (20, 20, 60, 70)), ("line", 2, _vanishing_row())],
    [("empty", 2, None)],
]


class SyntheticShapes(utils.Dataset):
    """Four 100x150 images with rectangles and circles drawn by OpenCV."""

    def __init__(self, image_shapes=IMAGE_SHAPES):
        super().__init__()
        self.add_class("shapes", 1, "rect")
        self.add_class("shapes", 2, "circle")
        for image_id, shapes in enumerate(image_shapes):
            self.add_image("shapes", image_id=image_id, path=None, shapes=shapes)
        self.prepare()

    def image_reference(self, image_id):
        return f"synthetic://{image_id}"

    @staticmethod
    def _draw(canvas, kind, geometry, value):
        if kind == "rect":
            x1, y1, x2, y2 = geometry
            cv2.rectangle(canvas, (x1, y1), (x2, y2), value, thickness=-1)
        elif kind == "circle":
            cx, cy, radius = geometry
            cv2.circle(canvas, (cx, cy), radius, value, thickness=-1)
        elif kind == "line":
            canvas[geometry, :] = value
        return canvas

    def load_image(self, image_id):
        image = np.full((HEIGHT, WIDTH, 3), 30, dtype=np.uint8)
        image[:, :, 1] = np.linspace(0, 120, WIDTH, dtype=np.uint8)  # not flip-symmetric
        for index, (kind, _, geometry) in enumerate(self.image_info[image_id]["shapes"]):
            self._draw(image, kind, geometry, (200, 40 * index + 50, 90))
        return image

    def load_mask(self, image_id):
        shapes = self.image_info[image_id]["shapes"]
        masks = np.zeros((HEIGHT, WIDTH, len(shapes)), dtype=np.uint8)
        for index, (kind, _, geometry) in enumerate(shapes):
            if kind != "empty":
                masks[:, :, index] = self._draw(masks[:, :, index].copy(), kind, geometry, 1)
        return masks.astype(bool), np.array([c for _, c, _ in shapes], dtype=np.int32)


class CorruptImageShapes(SyntheticShapes):
    """Image 2 cannot be decoded."""

    def load_image(self, image_id):
        if image_id == 2:
            raise OSError("broken PNG stream")
        return super().load_image(image_id)


class DataConfig(Config):
    NAME = "data_test"
    NUM_CLASSES = 3
    GPU_COUNT = 1
    IMAGES_PER_GPU = 2
    BACKBONE = "resnet50"
    IMAGE_MIN_DIM = 128
    IMAGE_MAX_DIM = 128
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
    RPN_TRAIN_ANCHORS_PER_IMAGE = 64
    MAX_GT_INSTANCES = 3
    MINI_MASK_SHAPE = (28, 28)
    TRAIN_ROIS_PER_IMAGE = 16


@pytest.fixture(scope="module")
def dataset():
    return SyntheticShapes()


@pytest.fixture(scope="module")
def config():
    return DataConfig()


def run_with_timeout(function, timeout=60):
    """function() in a daemon thread; fails the test instead of hanging past ``timeout``."""
    result = {}

    def target():
        try:
            result["value"] = function()
        except BaseException as error:  # re-raised in the test's thread
            result["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"no result after {timeout} s: the pipeline hangs")
    if "error" in result:
        raise result["error"]
    return result["value"]


def take_batches(tf_dataset, count):
    iterator = iter(tf_dataset)
    return [[np.asarray(t) for t in next(iterator)] for _ in range(count)]


# ----------------------------------------------------------------------------- load_image_gt

def test_load_image_gt_shapes_dtypes_meta_and_boxes(dataset, config):
    image, meta, class_ids, bbox, mask = data.load_image_gt(dataset, config, 0,
                                                            use_mini_mask=False)
    assert image.shape == (128, 128, 3) and image.dtype == np.uint8
    assert meta.shape == (config.IMAGE_META_SIZE,)
    assert class_ids.dtype == np.int32 and class_ids.tolist() == [1, 2]
    assert bbox.dtype == np.int32 and bbox.shape == (2, 4)
    assert mask.dtype == bool and mask.shape == (128, 128, 2)
    np.testing.assert_array_equal(bbox, utils.extract_bboxes(mask))
    assert np.all(bbox[:, 2] > bbox[:, 0]) and np.all(bbox[:, 3] > bbox[:, 1])

    expected_image, window, scale, padding, _ = utils.resize_image(
        dataset.load_image(0), min_dim=128, max_dim=128, mode="square")
    np.testing.assert_array_equal(image, expected_image)
    expected_mask = utils.resize_mask(dataset.load_mask(0)[0], scale, padding)
    np.testing.assert_array_equal(mask, expected_mask)

    parsed = parse_image_meta(meta[np.newaxis])
    assert parsed["image_id"][0] == 0
    assert parsed["original_image_shape"][0].tolist() == [HEIGHT, WIDTH, 3]
    assert parsed["image_shape"][0].tolist() == [128, 128, 3]
    resized_height = round(HEIGHT * SCALE)
    top = (128 - resized_height) // 2
    assert parsed["window"][0].tolist() == [top, 0, top + resized_height, 128]
    assert tuple(window) == (top, 0, top + resized_height, 128)
    assert parsed["scale"][0] == pytest.approx(SCALE)
    assert parsed["active_class_ids"][0].tolist() == [1, 1, 1]


def test_mini_masks_round_trip(dataset, config):
    _, _, class_ids, bbox, full = data.load_image_gt(dataset, config, 0, use_mini_mask=False)
    _, _, _, mini_bbox, mini = data.load_image_gt(dataset, config, 0)  # config: mini masks
    assert mini.shape == (28, 28, 2) and mini.dtype == bool
    np.testing.assert_array_equal(mini_bbox, bbox)
    expanded = utils.expand_mask(bbox, mini, (128, 128))
    # A rectangle fills its box: exact. A circle loses a little at its rim.
    np.testing.assert_array_equal(expanded[:, :, 0], full[:, :, 0])
    iou = utils.compute_overlaps_masks(expanded[:, :, 1:], full[:, :, 1:])[0, 0]
    assert iou > 0.9


def test_empty_instances_are_dropped_and_counted(dataset, config, caplog):
    caplog.set_level(logging.WARNING, logger="mrcnn.data")
    _, _, class_ids, bbox, mask = data.load_image_gt(dataset, config, 2, use_mini_mask=False)
    # The thin line exists in the annotation but not after resizing.
    assert dataset.load_mask(2)[0][:, :, 1].any()
    assert class_ids.tolist() == [1] and bbox.shape == (1, 4) and mask.shape[-1] == 1
    messages = [r.getMessage() for r in caplog.records]
    assert any("synthetic://2" in m and "dropped 1 empty instance" in m
               and "1 emptied by resizing" in m for m in messages)

    caplog.clear()
    _, _, class_ids, bbox, mask = data.load_image_gt(dataset, config, 3)
    assert class_ids.shape == (0,) and bbox.shape == (0, 4) and mask.shape == (28, 28, 0)
    assert any("synthetic://3" in m and "1 empty in the annotation" in m
               for m in (r.getMessage() for r in caplog.records))


def test_bad_annotations_raise_errors_naming_the_image(config):
    class BadIds(SyntheticShapes):
        def load_mask(self, image_id):
            masks, _ = super().load_mask(image_id)
            return masks, np.full(masks.shape[-1], 3, dtype=np.int32)

    class BadShape(SyntheticShapes):
        def load_mask(self, image_id):
            masks, class_ids = super().load_mask(image_id)
            return masks[:50], class_ids

    with pytest.raises(data.DataError, match=r"synthetic://0.*class ids \[3\]"):
        data.load_image_gt(BadIds(), config, 0)
    with pytest.raises(data.DataError, match=r"synthetic://1.*\(50, 150, 4\)"):
        data.load_image_gt(BadShape(), config, 1)


def test_crop_mode_with_rng_matches_resize_image(dataset, monkeypatch):
    class CropConfig(DataConfig):
        IMAGE_RESIZE_MODE = "crop"
        IMAGE_MIN_DIM = 64
        IMAGE_MIN_SCALE = 1.5

    image, _, _, bbox, mask = data.load_image_gt(dataset, CropConfig(), 0, use_mini_mask=False,
                                                 rng=np.random.RandomState(7))
    # utils.resize_image draws the crop with Python's random.randint (inclusive bounds):
    # replay the same draws from the same RandomState through it.
    replay = np.random.RandomState(7)
    monkeypatch.setattr(utils.random, "randint",
                        lambda low, high: int(replay.randint(low, high + 1)))
    expected, _, scale, padding, crop = utils.resize_image(dataset.load_image(0), min_dim=64,
                                                           min_scale=1.5, mode="crop")
    assert image.shape == (64, 64, 3) and scale == 1.5 and crop[2:] == (64, 64)
    np.testing.assert_array_equal(image, expected)
    expected_mask = utils.resize_mask(dataset.load_mask(0)[0], scale, padding, crop)
    np.testing.assert_array_equal(mask, expected_mask[:, :, expected_mask.any(axis=(0, 1))])
    np.testing.assert_array_equal(bbox, utils.extract_bboxes(mask))


# ------------------------------------------------------------------------- build_rpn_targets

class RpnConfig(Config):
    NAME = "rpn_test"
    RPN_TRAIN_ANCHORS_PER_IMAGE = 8


HAND_ANCHORS = np.array([[0, 0, 10, 10],      # IoU 100/120 with GT 0: positive
                         [0, 0, 10, 20],      # IoU 0.6: neutral
                         [20, 20, 30, 30],    # IoU 0: negative
                         [50, 50, 60, 60],    # GT 1's best (IoU 0.694 < 0.7): positive
                         [0, 5, 10, 15]],     # IoU 70/150: neutral
                        dtype=np.float64)
HAND_GT_BOXES = np.array([[0, 0, 10, 12], [50, 50, 62, 62]], dtype=np.int32)


def test_rpn_targets_hand_computed_case():
    rpn_match, rpn_bbox = data.build_rpn_targets((128, 128, 3), HAND_ANCHORS,
                                                 np.array([1, 2], np.int32), HAND_GT_BOXES,
                                                 RpnConfig())
    assert rpn_match.dtype == np.int32 and rpn_match.tolist() == [1, 0, -1, 1, 0]
    assert rpn_bbox.shape == (8, 4)
    log_12 = np.log(1.2)
    expected = np.zeros((8, 4))
    # Anchor 0 -> GT 0: centre (5, 5) -> (5, 6), size 10x10 -> 10x12; divided by the std devs.
    expected[0] = [0.0, 0.1 / 0.1, 0.0, log_12 / 0.2]
    # Anchor 3 -> GT 1: centre (55, 55) -> (56, 56), size 10 -> 12.
    expected[1] = [0.1 / 0.1, 0.1 / 0.1, log_12 / 0.2, log_12 / 0.2]
    np.testing.assert_allclose(rpn_bbox, expected, rtol=1e-12, atol=1e-12)


def test_rpn_targets_crowd_boxes():
    gt_class_ids = np.array([1, 2, -1], np.int32)
    gt_boxes = np.vstack([HAND_GT_BOXES, [[20, 20, 30, 30]]]).astype(np.int32)
    rpn_match, rpn_bbox = data.build_rpn_targets((128, 128, 3), HAND_ANCHORS, gt_class_ids,
                                                 gt_boxes, RpnConfig())
    # Anchor 2 covers the crowd exactly: neither a negative nor a positive.
    assert rpn_match.tolist() == [1, 0, 0, 1, 0]
    assert np.count_nonzero(np.any(rpn_bbox != 0, axis=1)) == 2


def test_rpn_targets_caps_positives_and_negatives():
    positives = np.tile([[0.0, 0.0, 10.0, 10.0]], (20, 1))          # all tied best anchors
    negatives = np.tile([[80.0, 80.0, 90.0, 90.0]], (30, 1))
    anchors = np.vstack([positives, negatives])
    rpn_match, rpn_bbox = data.build_rpn_targets(
        (128, 128, 3), anchors, np.array([1], np.int32), HAND_GT_BOXES[:1], RpnConfig(),
        rng=np.random.RandomState(0))
    assert np.sum(rpn_match == 1) == 4          # RPN_TRAIN_ANCHORS_PER_IMAGE // 2
    assert np.sum(rpn_match == -1) == 4         # the rest of the 8
    assert set(np.where(rpn_match == 1)[0]) <= set(range(20))
    assert set(np.where(rpn_match == -1)[0]) <= set(range(20, 50))
    np.testing.assert_allclose(rpn_bbox[:4], [[0.0, 1.0, 0.0, np.log(1.2) / 0.2]] * 4)
    assert not rpn_bbox[4:].any()


def _matterport_rpn_deltas(anchors, gt_boxes, rpn_match, config):
    """matterport's per-anchor loop, for comparison."""
    overlaps = utils.compute_overlaps(anchors, gt_boxes)
    anchor_iou_argmax = np.argmax(overlaps, axis=1)
    rpn_bbox = np.zeros((config.RPN_TRAIN_ANCHORS_PER_IMAGE, 4))
    ids = np.where(rpn_match == 1)[0]
    for ix, (i, a) in enumerate(zip(ids, anchors[ids])):
        gt = gt_boxes[anchor_iou_argmax[i]]
        gt_h, gt_w = gt[2] - gt[0], gt[3] - gt[1]
        gt_center_y, gt_center_x = gt[0] + 0.5 * gt_h, gt[1] + 0.5 * gt_w
        a_h, a_w = a[2] - a[0], a[3] - a[1]
        a_center_y, a_center_x = a[0] + 0.5 * a_h, a[1] + 0.5 * a_w
        rpn_bbox[ix] = [(gt_center_y - a_center_y) / a_h, (gt_center_x - a_center_x) / a_w,
                        np.log(gt_h / a_h), np.log(gt_w / a_w)]
        rpn_bbox[ix] /= config.RPN_BBOX_STD_DEV
    return rpn_bbox


def test_rpn_targets_vectorised_deltas_equal_matterport_loop(config):
    anchors = data.training_anchors(config)
    draw = np.random.RandomState(3)
    corners = draw.randint(0, 100, (6, 2))
    sizes = draw.randint(4, 60, (6, 2))
    gt_boxes = np.hstack([corners, np.minimum(corners + sizes, 128)]).astype(np.int32)
    gt_class_ids = np.array([1, 2, 1, 2, 1, 2], np.int32)
    np.random.seed(11)
    global_match, global_bbox = data.build_rpn_targets((128, 128, 3), anchors, gt_class_ids,
                                                       gt_boxes, config)
    rpn_match, rpn_bbox = data.build_rpn_targets((128, 128, 3), anchors, gt_class_ids,
                                                 gt_boxes, config,
                                                 rng=np.random.RandomState(11))
    # rng defaults to the global np.random: same draws as a RandomState with the same seed.
    np.testing.assert_array_equal(rpn_match, global_match)
    np.testing.assert_array_equal(rpn_bbox, global_bbox)
    assert 0 < np.sum(rpn_match == 1) <= 32 and np.sum(rpn_match != 0) == 64
    np.testing.assert_array_equal(rpn_bbox,
                                  _matterport_rpn_deltas(anchors, gt_boxes, rpn_match, config))


def test_random_rois_and_detection_targets(dataset, config):
    rng = np.random.RandomState(5)
    image, _, class_ids, boxes, masks = data.load_image_gt(dataset, config, 0, rng=rng)
    rois = data.generate_random_rois(image.shape, 50, class_ids, boxes, rng=rng)
    assert rois.shape == (50, 4) and rois.dtype == np.int32
    assert np.all(rois[:, 2] > rois[:, 0]) and np.all(rois[:, 3] > rois[:, 1])
    assert rois.min() >= 0 and rois[:, 2].max() <= 128 and rois[:, 3].max() <= 128
    # 90% around the two boxes: 22 each within one box size.
    y1, x1, y2, x2 = boxes[0]
    h, w = y2 - y1, x2 - x1
    around = rois[:22]
    assert np.all(around[:, 0] >= max(y1 - h, 0)) and np.all(around[:, 2] < y2 + h)
    assert np.all(around[:, 1] >= max(x1 - w, 0)) and np.all(around[:, 3] < x2 + w)

    padded_ids = np.zeros(config.MAX_GT_INSTANCES, np.int32)
    padded_ids[:2] = class_ids
    padded_boxes = np.zeros((config.MAX_GT_INSTANCES, 4), np.int32)
    padded_boxes[:2] = boxes
    padded_masks = np.zeros((28, 28, config.MAX_GT_INSTANCES), bool)
    padded_masks[:, :, :2] = masks
    out_rois, roi_class_ids, bboxes, roi_masks = data.build_detection_targets(
        rois, padded_ids, padded_boxes, padded_masks, config, rng=rng)
    assert out_rois.shape == (16, 4) and roi_class_ids.shape == (16,)
    assert bboxes.shape == (16, 3, 4) and roi_masks.shape == (16, 28, 28, 3)
    positive = roi_class_ids > 0
    assert 0 < positive.sum() <= int(16 * config.ROI_POSITIVE_RATIO)
    # Targets only in the ROI's class channel; background ROIs have none.
    assert not bboxes[~positive].any() and not roi_masks[~positive].any()
    for i in np.where(positive)[0]:
        others = [c for c in range(3) if c != roi_class_ids[i]]
        assert not roi_masks[i][..., others].any() and roi_masks[i][..., roi_class_ids[i]].any()


# ------------------------------------------------------------------------------ augmentation

def test_albumentations_flip_moves_image_and_masks_together(dataset, config):
    import albumentations as A

    plain = data.load_image_gt(dataset, config, 1, use_mini_mask=False)
    for augmentation in (A.HorizontalFlip(p=1.0), A.Compose([A.HorizontalFlip(p=1.0)])):
        image, meta, class_ids, bbox, mask = data.load_image_gt(
            dataset, config, 1, augmentation=augmentation, use_mini_mask=False,
            rng=np.random.RandomState(0))
        np.testing.assert_array_equal(image, plain[0][:, ::-1])
        np.testing.assert_array_equal(mask, plain[4][:, ::-1])
        np.testing.assert_array_equal(class_ids, plain[2])
        expected_boxes = plain[3].copy()
        expected_boxes[:, 1], expected_boxes[:, 3] = 128 - plain[3][:, 3], 128 - plain[3][:, 1]
        np.testing.assert_array_equal(bbox, expected_boxes)


def test_augmentation_changing_the_size_is_an_error(dataset, config):
    import albumentations as A

    with pytest.raises(data.DataError, match=r"synthetic://0.*image size"):
        data.load_image_gt(dataset, config, 0, augmentation=A.CenterCrop(64, 64, p=1.0))


def test_imgaug_augmenters_follow_matterport(dataset, config, monkeypatch):
    """imgaug is not installed (it needs NumPy < 2): a stand-in module checks the protocol."""
    activators = []
    fake_imgaug = types.SimpleNamespace(
        HooksImages=lambda activator: activators.append(activator) or activator)
    monkeypatch.setitem(sys.modules, "imgaug", fake_imgaug)

    class Fliplr:  # named like imgaug's, so the mask hook lets it touch the masks
        seeds = []

        def to_deterministic(self):
            return self

        def seed_(self, seed):
            Fliplr.seeds.append(seed)

        def augment_image(self, image, hooks=None):
            if hooks is not None and not hooks(image, self, [], True):
                return image
            return image[:, ::-1]

    class Multiply(Fliplr):  # colour augmenter: never applied to masks
        def augment_image(self, image, hooks=None):
            if hooks is not None and not hooks(image, self, [], True):
                return image
            return (image // 2).astype(image.dtype)

    plain = data.load_image_gt(dataset, config, 0, use_mini_mask=False)
    image, _, _, _, mask = data.load_image_gt(dataset, config, 0, augmentation=Fliplr(),
                                              use_mini_mask=False)
    np.testing.assert_array_equal(image, plain[0][:, ::-1])
    np.testing.assert_array_equal(mask, plain[4][:, ::-1])
    image, _, _, _, mask = data.load_image_gt(dataset, config, 0, augmentation=Multiply(),
                                              use_mini_mask=False, rng=np.random.RandomState(1))
    np.testing.assert_array_equal(image, plain[0] // 2)
    np.testing.assert_array_equal(mask, plain[4])
    assert len(activators) == 2 and len(Fliplr.seeds) == 1


# ------------------------------------------------------------------------ batches: generator

def test_data_generator_batches_and_debug_targets(dataset, config):
    np.random.seed(0)
    generator = data.data_generator(dataset, config, shuffle=True, random_rois=40,
                                    detection_targets=True, batch_size=2)
    seen = []
    for _ in range(4):
        inputs, outputs = next(generator)
        assert len(inputs) == 9 and len(outputs) == 3
        images, metas, rpn_match, rpn_bbox, class_ids, boxes, masks, rpn_rois, rois = inputs
        assert images.shape == (2, 128, 128, 3) and images.dtype == np.float32
        assert metas.shape == (2, 15) and metas.dtype == np.float32
        assert rpn_match.shape == (2, 4092, 1) and rpn_match.dtype == np.int32
        assert rpn_bbox.shape == (2, 64, 4) and rpn_bbox.dtype == np.float32
        assert class_ids.shape == (2, 3) and boxes.shape == (2, 3, 4) and boxes.dtype == np.int32
        assert masks.shape == (2, 28, 28, 3) and masks.dtype == bool
        assert rpn_rois.shape == (2, 40, 4) and rois.shape == (2, 16, 4)
        assert outputs[0].shape == (2, 16, 1) and outputs[1].shape == (2, 16, 3, 4)
        assert outputs[2].shape == (2, 16, 28, 28, 3)
        seen.extend(metas[:, 0].astype(int).tolist())
    assert 3 not in seen and {0, 1, 2} <= set(seen)


# ------------------------------------------------------------------------- batches: tf.data

def test_tf_data_batches_have_the_batch_format_and_skip_empty_images(dataset, config):
    import tensorflow as tf

    pipeline = data.make_training_dataset(dataset, config, seed=1, num_parallel_calls=2)
    specs = pipeline.element_spec
    expected = [((2, 128, 128, 3), tf.float32), ((2, 15), tf.float32), ((2, 4092, 1), tf.int32),
                ((2, 64, 4), tf.float32), ((2, 3), tf.int32), ((2, 3, 4), tf.int32),
                ((2, 28, 28, 3), tf.bool)]
    assert [(tuple(s.shape), s.dtype) for s in specs] == expected

    batches = run_with_timeout(lambda: take_batches(pipeline, 6))
    image_ids = []
    for batch in batches:
        assert [(b.shape, b.dtype) for b in batch] == [(s, d.as_numpy_dtype) for s, d in expected]
        images, metas, rpn_match, rpn_bbox, class_ids, boxes, masks = batch
        image_ids.extend(metas[:, 0].astype(int).tolist())
        for item in range(2):
            count = np.count_nonzero(class_ids[item])
            assert 1 <= count <= 3
            assert not masks[item, :, :, count:].any() and masks[item, :, :, :count].any(
                axis=(0, 1)).all()
            assert np.all(boxes[item, :count, 2:] > boxes[item, :count, :2])
            assert np.sum(rpn_match[item] == 1) >= 1
            expected_image = data.load_image_gt(dataset, config, image_ids[-2 + item])[0]
            np.testing.assert_allclose(images[item] + config.MEAN_PIXEL, expected_image,
                                       atol=1e-4)
    # Image 3 has no instance and never appears; the 4-instance image is cut to 3.
    assert 3 not in image_ids and set(image_ids) == {0, 1, 2}
    assert len(image_ids) == 12


def test_tf_data_is_deterministic_given_a_seed(dataset, config):
    import albumentations as A

    flip = A.Compose([A.HorizontalFlip(p=0.5), A.RandomBrightnessContrast(p=0.5)])

    def first_batches(seed):
        pipeline = data.make_training_dataset(dataset, config, augmentation=flip, seed=seed,
                                              num_parallel_calls=3)
        return run_with_timeout(lambda: take_batches(pipeline, 4))

    first, again, other = first_batches(5), first_batches(5), first_batches(6)
    for batch_a, batch_b in zip(first, again):
        for a, b in zip(batch_a, batch_b):
            np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for batch_a, batch_c in zip(first, other)
               for a, b in zip(batch_a, batch_c))


def test_tf_data_random_rois_when_not_using_rpn_rois(dataset):
    class RoiConfig(DataConfig):
        USE_RPN_ROIS = False
        POST_NMS_ROIS_TRAINING = 100

    pipeline = data.make_training_dataset(dataset, RoiConfig(), seed=0, num_parallel_calls=2)
    batch = run_with_timeout(lambda: take_batches(pipeline, 1))[0]
    assert len(batch) == 8
    rois = batch[7]
    assert rois.shape == (2, 100, 4) and rois.dtype == np.int32
    assert np.all(rois[..., 2] > rois[..., 0]) and np.all(rois[..., 3] > rois[..., 1])


def test_tf_data_loader_error_names_the_image_instead_of_hanging(config):
    pipeline = data.make_training_dataset(CorruptImageShapes(), config, seed=0,
                                          num_parallel_calls=2)
    with pytest.raises(Exception, match=r"synthetic://2.*OSError: broken PNG stream"):
        run_with_timeout(lambda: take_batches(pipeline, 10))


def test_tf_data_without_any_instance_raises_instead_of_hanging(config):
    empty = SyntheticShapes([[("empty", 1, None)], [("empty", 2, None)]])
    pipeline = data.make_training_dataset(empty, config, seed=0, num_parallel_calls=2)
    with pytest.raises(Exception, match="nothing to train on"):
        run_with_timeout(lambda: take_batches(pipeline, 1))


def test_dataset_config_mismatch_is_a_clear_error(dataset):
    class WrongClasses(DataConfig):
        NUM_CLASSES = 5

    with pytest.raises(ValueError, match="NUM_CLASSES is 5"):
        data.make_training_dataset(dataset, WrongClasses())


def test_process_exits_with_a_live_pipeline_iterator(repo_root, tmp_path):
    """An iterator still running at interpreter exit must not hang or abort the process
    (tf.data threads calling Python during finalisation did, before the exit guard)."""
    import subprocess
    import textwrap

    script = tmp_path / "exit_with_live_iterator.py"
    script.write_text(textwrap.dedent(f"""
        import logging, sys
        logging.disable(logging.WARNING)
        import importlib.util
        spec = importlib.util.spec_from_file_location("pipeline_tests", {__file__!r})
        tests = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tests)
        DataConfig, SyntheticShapes = tests.DataConfig, tests.SyntheticShapes
        from mrcnn import data
        iterator = iter(data.make_training_dataset(SyntheticShapes(), DataConfig(), seed=0,
                                                   num_parallel_calls=2))
        next(iterator)
        print("batch ok")
    """))
    result = subprocess.run([sys.executable, str(script)], cwd=repo_root, capture_output=True,
                            text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "batch ok" in result.stdout
