"""The network's structure equals matterport's: layer names, weight names, order, shapes."""

import numpy as np
import pytest

from mrcnn.config import Config
from mrcnn.modeling.builder import build_inference_model
from mrcnn.modeling.layer_order import layers_in_creation_order
from mrcnn.testing import layout_table


class CocoLikeConfig(Config):
    NAME = "coco"
    NUM_CLASSES = 81
    IMAGES_PER_GPU = 1


def keras2_weight_table(model):
    """(group, weight name, shape) for each array, as the Keras-2 file layout names them."""
    import keras
    rows = []
    for layer in layers_in_creation_order(model):
        if not layer.weights:
            continue
        if isinstance(layer, keras.Model):
            for inner in layer.layers:
                for w in inner.weights:
                    rows.append((layer.name, f"{inner.name}/{w.name}:0", tuple(w.shape)))
        else:
            for w in layer.weights:
                rows.append((layer.name, f"{layer.name}/{w.name}:0", tuple(w.shape)))
    return rows


@pytest.fixture(scope="module")
def coco_model():
    return build_inference_model(CocoLikeConfig())


def test_resnet101_weights_equal_layout_table(coco_model):
    expected = [(g, n, tuple(s)) for g, n, s in layout_table()]
    actual = keras2_weight_table(coco_model)
    assert len(actual) == 690
    assert len({g for g, _, _ in actual}) == 233
    assert sum(int(np.prod(s)) for _, _, s in actual) == 64_158_584
    assert coco_model.count_params() == 64_158_584
    assert actual == expected


def test_inference_outputs_in_matterport_order(coco_model):
    names = [t.name.split("/")[0] for t in coco_model.outputs]
    layer_names = [n for n in coco_model.output_names]
    assert layer_names[:2] == ["mrcnn_detection", "mrcnn_class"]
    assert layer_names[2:] == ["mrcnn_bbox", "mrcnn_mask", "ROI", "rpn_class", "rpn_bbox"]
    assert len(names) == 7
    detections, mrcnn_class, mrcnn_bbox, mrcnn_mask, rpn_rois, rpn_class, rpn_bbox = \
        coco_model.outputs
    assert tuple(detections.shape[1:]) == (100, 6)
    assert tuple(mrcnn_class.shape[1:]) == (1000, 81)
    assert tuple(mrcnn_bbox.shape[1:]) == (1000, 81, 4)
    assert tuple(mrcnn_mask.shape[1:]) == (100, 28, 28, 81)
    assert tuple(rpn_rois.shape[1:]) == (1000, 4)
    assert rpn_class.shape[-1] == 2 and rpn_bbox.shape[-1] == 4


def test_rpn_is_nested_model(coco_model):
    rpn = coco_model.get_layer("rpn_model")
    assert [l.name for l in rpn.layers if l.weights] == [
        "rpn_conv_shared", "rpn_class_raw", "rpn_bbox_pred"]


def test_resnet50_is_a_subset_of_the_resnet101_layout():
    class R50(CocoLikeConfig):
        BACKBONE = "resnet50"
    model = build_inference_model(R50())
    table = keras2_weight_table(model)
    full = [(g, n, tuple(s)) for g, n, s in layout_table()]
    # ResNet50 drops stage-4 blocks g..w (17 identity blocks of 3 conv + 3 BN layers).
    assert len({g for g, _, _ in table}) == 233 - 17 * 6
    positions = [full.index(row) for row in table]
    assert positions == sorted(positions)


def test_image_size_must_be_a_multiple_of_64():
    class Odd(CocoLikeConfig):
        IMAGE_MAX_DIM = 1000
    with pytest.raises(ValueError, match="divisible by 2 at least 6 times"):
        build_inference_model(Odd())


def test_callable_backbone_builds_and_detects(tmp_path):
    """A user-supplied backbone, as matterport allows: BACKBONE callable +
    COMPUTE_BACKBONE_SHAPE."""
    from mrcnn import model as modellib
    from mrcnn.testing import tiny_backbone, tiny_backbone_shapes

    class TinyConfig(CocoLikeConfig):
        NUM_CLASSES = 3
        BACKBONE = staticmethod(tiny_backbone)
        COMPUTE_BACKBONE_SHAPE = staticmethod(tiny_backbone_shapes)
        IMAGE_MIN_DIM = IMAGE_MAX_DIM = 128
        RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
        POST_NMS_ROIS_INFERENCE = 50
        FPN_CLASSIF_FC_LAYERS_SIZE = 32
        DETECTION_MIN_CONFIDENCE = 0.0

    model = modellib.MaskRCNN("inference", TinyConfig(), str(tmp_path))
    assert model.keras_model.get_layer("tiny_c5").weights
    image = np.random.default_rng(0).integers(0, 255, (100, 150, 3), dtype=np.uint8)
    result = model.detect([image])[0]
    n = len(result["class_ids"])
    assert result["rois"].shape == (n, 4) and result["masks"].shape == (100, 150, n)
    assert set(result["class_ids"]) <= {1, 2}


def test_small_backbone_residual_blocks_keep_strides_and_add_named_layers():
    import keras

    from mrcnn.modeling.small_backbone import small_backbone, small_backbone_shapes

    inputs = keras.Input((64, 64, 3))
    plain = keras.Model(inputs, small_backbone(inputs))
    deeper = keras.Model(inputs, small_backbone(inputs, residual_blocks=(0, 0, 1, 2, 1)))
    assert [tuple(t.shape[1:3]) for t in deeper.outputs] == \
        [tuple(t.shape[1:3]) for t in plain.outputs] == [(32, 32), (16, 16), (8, 8), (4, 4), (2, 2)]
    names = {layer.name for layer in deeper.layers}
    added = names - {layer.name for layer in plain.layers}
    convs = {name for name in added if name.startswith("small_c")}
    assert convs == {"small_c3r1a", "small_c3r1b", "small_c4r1a", "small_c4r1b",
                     "small_c4r2a", "small_c4r2b", "small_c5r1a", "small_c5r1b"}
    assert {"small_bn4r2b", "small_res4r2"} <= added
    # The shape function does not depend on the blocks.
    assert small_backbone_shapes((64, 64, 3))[:4].tolist() == [[16, 16], [8, 8], [4, 4], [2, 2]]
    with pytest.raises(ValueError, match="one count per stage"):
        small_backbone(inputs, residual_blocks=(1, 1))
