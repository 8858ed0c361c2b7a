"""Tests of mrcnn.evaluation: mAP@0.5 (matterport's compute_ap) and COCO AP via pycocotools.

Fake models answer from the ground truth of a tiny synthetic dataset of 64x64 images with
rectangles, so the expected metrics are known exactly; one test runs a real inference MaskRCNN
with random weights end to end.
"""

import math

import numpy as np
import pytest

from mrcnn import evaluation, utils

SIZE = 64
CLASS_COLOURS = {1: (220, 30, 30), 2: (30, 30, 220), 3: (30, 200, 30)}

# Rectangles per image: (class_id, y1, x1, y2, x2), y2/x2 exclusive. Image 2 has no instance.
RECTANGLES = [
    [(1, 5, 5, 25, 30), (2, 35, 30, 60, 60)],
    [(3, 10, 40, 30, 62), (1, 40, 2, 62, 20), (2, 2, 2, 12, 12)],
    [],
    [(1, 20, 20, 44, 44)],
]


class RectanglesDataset(utils.Dataset):
    """64x64 images on a grey background with filled rectangles, one class per colour."""

    def load_rectangles(self, rectangles):
        for class_id, name in ((1, "red"), (2, "blue"), (3, "green")):
            self.add_class("rects", class_id, name)
        for index, rects in enumerate(rectangles):
            self.add_image("rects", image_id=index, path=None, rects=rects)

    def load_image(self, image_id):
        image = np.full((SIZE, SIZE, 3), 128, dtype=np.uint8)
        for class_id, y1, x1, y2, x2 in self.image_info[image_id]["rects"]:
            image[y1:y2, x1:x2] = CLASS_COLOURS[class_id]
        return image

    def load_mask(self, image_id):
        rects = self.image_info[image_id]["rects"]
        masks = np.zeros((SIZE, SIZE, len(rects)), dtype=bool)
        for index, (_, y1, x1, y2, x2) in enumerate(rects):
            masks[y1:y2, x1:x2, index] = True
        class_ids = np.array([r[0] for r in rects], dtype=np.int32)
        return masks, class_ids

    def image_reference(self, image_id):
        return f"rectangles image {image_id}"


def make_dataset(rectangles=RECTANGLES):
    dataset = RectanglesDataset()
    dataset.load_rectangles(rectangles)
    dataset.prepare()
    return dataset


class FakeConfig:
    def __init__(self, batch_size):
        self.BATCH_SIZE = batch_size


class GroundTruthModel:
    """Answers each image with (a choice of) its ground-truth instances, scores 1.0.

    keep: function (instance count) -> indices of the instances returned.
    Images are recognised by their pixels (all images of the dataset differ).
    """

    def __init__(self, dataset, batch_size=1, keep=lambda n: list(range(n))):
        self.config = FakeConfig(batch_size)
        self.keep = keep
        self.batch_lengths = []
        self.truth = {}
        for image_id in dataset.image_ids:
            masks, class_ids = dataset.load_mask(image_id)
            self.truth[dataset.load_image(image_id).tobytes()] = (masks, class_ids)

    def detect(self, images):
        self.batch_lengths.append(len(images))
        results = []
        for image in images:
            masks, class_ids = self.truth[image.tobytes()]
            chosen = np.asarray(self.keep(len(class_ids)), dtype=int)
            masks, class_ids = masks[..., chosen], class_ids[chosen]
            results.append({"rois": utils.extract_bboxes(masks), "class_ids": class_ids,
                            "scores": np.ones(len(class_ids), np.float32), "masks": masks})
        return results


def nothing(count):
    return []


def test_perfect_detections_score_one():
    dataset = make_dataset()
    model = GroundTruthModel(dataset, batch_size=1)
    result = evaluation.evaluate(model, dataset, verbose=0)

    assert result["mAP50"] == 1.0
    # The image without ground truth and without detection is skipped, not counted as 0 or NaN.
    assert result["ap_per_image"][2] is None
    assert result["num_images_in_map"] == 3
    for iou_type in ("bbox", "segm"):
        for name in ("AP", "AP50", "AP75", "AR100"):
            assert result[iou_type][name] == pytest.approx(1.0), (iou_type, name)
    assert result["num_gt"] == 6
    assert result["num_detections"] == 6
    by_name = {row["name"]: row for row in result["per_class"]}
    assert by_name["red"]["num_gt"] == 3 and by_name["blue"]["num_gt"] == 2
    assert by_name["green"]["num_gt"] == 1
    assert all(row["bbox_AP"] == pytest.approx(1.0) and row["segm_AP"] == pytest.approx(1.0)
               for row in result["per_class"])


def test_batches_are_padded_to_batch_size():
    dataset = make_dataset()
    model = GroundTruthModel(dataset, batch_size=3)
    result = evaluation.evaluate(model, dataset, verbose=0)
    # 4 images in batches of 3: the second batch is padded with copies of its last image.
    assert model.batch_lengths == [3, 3]
    assert result["num_images"] == 4
    assert result["num_detections"] == 6  # the padding's detections are not counted
    assert result["mAP50"] == 1.0
    assert result["segm"]["AP"] == pytest.approx(1.0)


def test_no_detections_score_zero():
    dataset = make_dataset()
    model = GroundTruthModel(dataset, keep=nothing)
    result = evaluation.evaluate(model, dataset, verbose=0)
    assert result["mAP50"] == 0.0
    assert result["num_detections"] == 0
    for iou_type in ("bbox", "segm"):
        assert result[iou_type]["AP"] == 0.0
        assert result[iou_type]["AR100"] == 0.0
    assert all(row["bbox_AP"] == 0.0 for row in result["per_class"])


def test_one_of_two_found():
    """Two ground-truth instances of one class, one found exactly (score 1.0).

    compute_ap: precision 1 up to recall 0.5, then the curve is padded with precision 0 up to
    recall 1 -> AP = 0.5 * 1 + 0.5 * 0 = 0.5.
    COCO: precision is read at the 101 recall points 0, 0.01, ..., 1; it is 1 at the 51 points
    up to 0.50 and 0 beyond (recall never exceeds 0.5) -> AP = 51/101 at every IoU threshold.
    """
    dataset = make_dataset([[(1, 4, 4, 24, 24), (1, 34, 30, 60, 58)]])
    model = GroundTruthModel(dataset, keep=lambda n: [0])
    result = evaluation.evaluate(model, dataset, verbose=0)
    assert result["mAP50"] == pytest.approx(0.5)
    for iou_type in ("bbox", "segm"):
        assert result[iou_type]["AP"] == pytest.approx(51 / 101)
        assert result[iou_type]["AP50"] == pytest.approx(51 / 101)
        assert result[iou_type]["AR100"] == pytest.approx(0.5)
    red = result["per_class"][0]
    assert red["name"] == "red" and red["num_gt"] == 2
    assert red["segm_AP"] == pytest.approx(51 / 101)
    # Classes without ground truth have no defined AP.
    assert math.isnan(result["per_class"][1]["bbox_AP"])


def test_detection_on_image_without_ground_truth_scores_zero():
    dataset = make_dataset([[(1, 4, 4, 24, 24)], []])
    truth = GroundTruthModel(dataset)

    class FalsePositiveModel(GroundTruthModel):
        def detect(self, images):
            results = truth.detect(images)
            for image, result in zip(images, results):
                if not result["class_ids"].size:  # the empty image: one invented box
                    mask = np.zeros(image.shape[:2] + (1,), dtype=bool)
                    mask[10:20, 10:20] = True
                    result.update(rois=utils.extract_bboxes(mask),
                                  class_ids=np.array([2], np.int32),
                                  scores=np.array([0.9], np.float32), masks=mask)
            return results

    result = evaluation.evaluate(FalsePositiveModel(dataset), dataset, verbose=0)
    assert result["ap_per_image"] == [1.0, 0.0]
    assert result["mAP50"] == pytest.approx(0.5)
    # COCO scores per class over the whole set: red is perfect, blue has no ground truth.
    assert result["bbox"]["AP"] == pytest.approx(1.0)


def test_limit_and_image_ids_and_report():
    dataset = make_dataset()
    model = GroundTruthModel(dataset)
    result = evaluation.evaluate(model, dataset, image_ids=[3, 1, 0], limit=2, verbose=0)
    assert result["image_ids"] == [3, 1]
    assert result["num_gt"] == 4
    text = evaluation.format_report(result)
    for fragment in ("mAP@0.5", "bbox", "segm", "red", "blue", "green", "Evaluated 2 images"):
        assert fragment in text
    with pytest.raises(ValueError, match="no images"):
        evaluation.evaluate(model, dataset, image_ids=[], verbose=0)


def test_wrong_class_is_not_a_match():
    dataset = make_dataset([[(1, 4, 4, 24, 24)]])

    class WrongClassModel(GroundTruthModel):
        def detect(self, images):
            results = super().detect(images)
            for result in results:
                result["class_ids"] = np.full_like(result["class_ids"], 2)
            return results

    result = evaluation.evaluate(WrongClassModel(dataset), dataset, verbose=0)
    assert result["mAP50"] == 0.0
    assert result["segm"]["AP"] == 0.0


def test_detections_to_coco_format():
    masks = np.zeros((10, 12, 2), dtype=bool)
    masks[1:4, 2:7, 0] = True
    masks[5:9, 0:3, 1] = True
    rois = utils.extract_bboxes(masks)
    results = evaluation.detections_to_coco(7, rois, np.array([2, 1]), np.array([0.9, 0.4]),
                                            masks, category_map={1: 18, 2: 1})
    assert [r["category_id"] for r in results] == [1, 18]
    assert results[0]["bbox"] == [2.0, 1.0, 5.0, 3.0]
    assert results[1]["score"] == pytest.approx(0.4)
    from pycocotools import mask as mask_utils
    np.testing.assert_array_equal(mask_utils.decode(results[0]["segmentation"]), masks[..., 0])


@pytest.mark.slow
def test_real_model_end_to_end(coco_weights_path, tmp_path):
    import mrcnn.model as modellib
    from mrcnn.config import Config
    from mrcnn.weights_io import CLASS_DEPENDENT_LAYERS

    class SmallConfig(Config):
        NAME = "evaltest"
        NUM_CLASSES = 4
        IMAGES_PER_GPU = 2
        IMAGE_MIN_DIM = 128
        IMAGE_MAX_DIM = 128
        RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
        DETECTION_MIN_CONFIDENCE = 0.0

    model = modellib.MaskRCNN(mode="inference", config=SmallConfig(), model_dir=str(tmp_path))
    model.load_weights(str(coco_weights_path), by_name=True, exclude=CLASS_DEPENDENT_LAYERS)
    # The excluded heads keep Keras' initialisation; on top of a random backbone their box
    # deltas reach the thousands and exp() overflows the boxes. Damp them as a trained head.
    for name in CLASS_DEPENDENT_LAYERS:
        layer = model.find_trainable_layer(model.keras_model.get_layer(name))
        layer.set_weights([w * 0.001 for w in layer.get_weights()])
    dataset = make_dataset()
    result = evaluation.evaluate(model, dataset, verbose=0)
    assert result["num_images"] == 4
    values = [result["mAP50"]] + [result[t][n] for t in ("bbox", "segm")
                                  for n in ("AP", "AP50", "AP75", "AR100")]
    assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values), values
    assert result["seconds_per_image"] > 0
    assert "mAP@0.5" in evaluation.format_report(result)
