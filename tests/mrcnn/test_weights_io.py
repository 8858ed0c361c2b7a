"""Keras-2 HDF5 weights files: layout, round trips, by-name/exclude loading, errors, atomic save."""

import os

import h5py
import keras
import numpy as np
import pytest

from mrcnn import testing, weights_io
from mrcnn.weights_io import (
    CLASS_DEPENDENT_LAYERS,
    WeightsFormatError,
    WeightsMismatchError,
    load_weights,
    read_weights_table,
    save_weights,
)


class PerItem(keras.layers.Wrapper):
    """A minimal custom wrapper: applies the wrapped layer as is (its weights are the layer's)."""

    def build(self, input_shape):
        self.layer.build(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def call(self, inputs):
        return self.layer(inputs)


def build_model(seed, num_classes=3, conv_filters=4, frozen_bn=False, extra_layer=False):
    """A tiny Mask R-CNN-shaped model: conv + BN + weightless layers, a nested RPN model, a
    wrapped head and the class-dependent Dense layers; weights random from ``seed``."""
    image = keras.Input((8, 8, 3), name="input_image")
    x = keras.layers.Conv2D(conv_filters, 3, padding="same", name="conv1")(image)
    batch_norm = keras.layers.BatchNormalization(name="bn_conv1")
    if frozen_bn:
        batch_norm.trainable = False
    x = batch_norm(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(x)

    feature_map = keras.Input((8, 8, conv_filters), name="input_rpn_feature_map")
    shared = keras.layers.Conv2D(6, 3, padding="same", name="rpn_conv_shared")(feature_map)
    rpn_class = keras.layers.Conv2D(2, 1, name="rpn_class_raw")(shared)
    rpn_bbox = keras.layers.Conv2D(4, 1, name="rpn_bbox_pred")(shared)
    rpn_model = keras.Model(feature_map, [rpn_class, rpn_bbox], name="rpn_model")
    rpn_class, rpn_bbox = rpn_model(x)

    pooled = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    fc = PerItem(keras.layers.Dense(16), name="mrcnn_class_conv1")(pooled)
    if extra_layer:
        fc = keras.layers.Dense(16, name="extra_dense")(fc)
    logits = keras.layers.Dense(num_classes, name="mrcnn_class_logits")(fc)
    bbox = keras.layers.Dense(4 * num_classes, name="mrcnn_bbox_fc")(fc)
    model = keras.Model(image, [rpn_class, rpn_bbox, logits, bbox], name="tiny_mask_rcnn")

    rng = np.random.default_rng(seed)
    for variable in model.weights:
        values = rng.standard_normal(tuple(variable.shape)).astype("float32")
        if variable.name == "moving_variance":
            values = np.abs(values) + 0.5
        variable.assign(values)
    return model


def layer_weights(model):
    """``{layer name: [arrays]}`` snapshot of every layer with weights."""
    return {
        layer.name: [np.array(w) for w in layer.get_weights()]
        for layer in model.layers
        if layer.weights
    }


def assert_same_weights(actual, expected, names):
    for name in names:
        assert len(actual[name]) == len(expected[name]), name
        for got, want in zip(actual[name], expected[name]):
            np.testing.assert_array_equal(got, want, err_msg=name)


def assert_all_differ(actual, expected, names):
    for name in names:
        for got, want in zip(actual[name], expected[name]):
            assert not np.array_equal(got, want), name


# ------------------------------------------------------------------------------------------
# Round trip and layout
# ------------------------------------------------------------------------------------------


def test_round_trip_restores_identical_arrays(tmp_path):
    source, target = build_model(seed=1), build_model(seed=2)
    path = tmp_path / "weights.h5"
    save_weights(path, source.layers)
    expected = layer_weights(source)
    assert_all_differ(layer_weights(target), expected, expected)

    loaded = load_weights(path, target.layers)

    assert loaded == [layer.name for layer in target.layers if layer.weights]
    assert set(loaded) == {"conv1", "bn_conv1", "rpn_model", "mrcnn_class_conv1",
                           "mrcnn_class_logits", "mrcnn_bbox_fc"}
    assert_same_weights(layer_weights(target), expected, expected)


def test_file_layout_is_keras2(tmp_path):
    model = build_model(seed=3)
    path = tmp_path / "weights.h5"
    save_weights(path, model.layers)

    with h5py.File(path, "r") as h5_file:
        layer_names = h5_file.attrs["layer_names"]
        assert layer_names.dtype.kind == "S"
        assert list(layer_names) == [layer.name.encode() for layer in model.layers]
        assert b"input_image" in list(layer_names) and b"conv1_relu" in list(layer_names)
        assert h5_file.attrs["backend"] == b"tensorflow"
        assert isinstance(h5_file.attrs["keras_version"], bytes)
        assert h5_file.attrs["keras_version"].startswith(b"2.")
        assert sorted(h5_file.keys()) == sorted(layer.name for layer in model.layers)

        # Weightless layers: a group with an empty weight_names and nothing else.
        for weightless in ("input_image", "conv1_relu", "pool"):
            assert len(h5_file[weightless].attrs["weight_names"]) == 0
            assert len(h5_file[weightless].keys()) == 0

        assert list(h5_file["conv1"].attrs["weight_names"]) == [b"conv1/kernel:0", b"conv1/bias:0"]
        assert h5_file["conv1/conv1/kernel:0"].shape == (3, 3, 3, 4)
        np.testing.assert_array_equal(h5_file["conv1/conv1/kernel:0"][()],
                                      model.get_layer("conv1").get_weights()[0])
        assert list(h5_file["bn_conv1"].attrs["weight_names"]) == [
            b"bn_conv1/gamma:0", b"bn_conv1/beta:0",
            b"bn_conv1/moving_mean:0", b"bn_conv1/moving_variance:0"]
        # The nested model is one group named after it, holding its inner layers' names.
        assert list(h5_file["rpn_model"].attrs["weight_names"]) == [
            b"rpn_conv_shared/kernel:0", b"rpn_conv_shared/bias:0",
            b"rpn_class_raw/kernel:0", b"rpn_class_raw/bias:0",
            b"rpn_bbox_pred/kernel:0", b"rpn_bbox_pred/bias:0"]
        assert h5_file["rpn_model/rpn_class_raw/kernel:0"].shape == (1, 1, 6, 2)
        assert "rpn_conv_shared" not in h5_file  # inner layers get no top-level group
        # A wrapper stores the wrapped layer's weights under the wrapper's name.
        assert list(h5_file["mrcnn_class_conv1"].attrs["weight_names"]) == [
            b"mrcnn_class_conv1/kernel:0", b"mrcnn_class_conv1/bias:0"]
        assert h5_file["mrcnn_class_conv1/mrcnn_class_conv1/kernel:0"].shape == (4, 16)


def test_keras3_legacy_h5_loader_reads_our_file(tmp_path):
    """Keras' own Keras-2-format reader (model.load_weights on .h5) accepts what we write."""
    source, target = build_model(seed=4), build_model(seed=5)
    path = tmp_path / "weights.h5"
    save_weights(path, source.layers)
    target.load_weights(str(path))
    expected = layer_weights(source)
    assert_same_weights(layer_weights(target), expected, expected)


def test_frozen_batch_norm_keeps_weight_order(tmp_path):
    frozen = build_model(seed=6, frozen_bn=True)
    assert frozen.get_layer("bn_conv1").trainable_weights == []
    path = tmp_path / "frozen.h5"
    save_weights(path, frozen.layers)
    with h5py.File(path, "r") as h5_file:
        assert list(h5_file["bn_conv1"].attrs["weight_names"]) == [
            b"bn_conv1/gamma:0", b"bn_conv1/beta:0",
            b"bn_conv1/moving_mean:0", b"bn_conv1/moving_variance:0"]
        gamma = frozen.get_layer("bn_conv1").gamma.numpy()
        np.testing.assert_array_equal(h5_file["bn_conv1/bn_conv1/gamma:0"][()], gamma)

    # Loading into a trainable BN (and back into a frozen one) maps gamma to gamma, etc.
    trainable = build_model(seed=7)
    load_weights(path, trainable.layers)
    refrozen = build_model(seed=8, frozen_bn=True)
    load_weights(path, refrozen.layers)
    for model in (trainable, refrozen):
        bn = model.get_layer("bn_conv1")
        np.testing.assert_array_equal(bn.gamma.numpy(), gamma)
        np.testing.assert_array_equal(bn.moving_variance.numpy(),
                                      frozen.get_layer("bn_conv1").moving_variance.numpy())


# ------------------------------------------------------------------------------------------
# by_name, exclude, mismatches
# ------------------------------------------------------------------------------------------


def test_by_name_leaves_layers_missing_from_file_alone(tmp_path):
    source = build_model(seed=9)
    path = tmp_path / "weights.h5"
    save_weights(path, source.layers)
    target = build_model(seed=10, extra_layer=True)
    before = layer_weights(target)

    # Topological loading needs equal layer counts: a clear error, nothing assigned.
    with pytest.raises(WeightsMismatchError, match="6 layers with weights but the model has 7"):
        load_weights(path, target.layers)
    assert_same_weights(layer_weights(target), before, before)

    loaded = load_weights(path, target.layers, by_name=True)
    assert "extra_dense" not in loaded and len(loaded) == 6
    after = layer_weights(target)
    assert_same_weights(after, before, ["extra_dense"])
    assert_same_weights(after, layer_weights(source), loaded)


def test_exclude_skips_class_dependent_layers(tmp_path):
    source = build_model(seed=11, num_classes=3)
    path = tmp_path / "weights.h5"
    save_weights(path, source.layers)
    target = build_model(seed=12, num_classes=5)
    before = layer_weights(target)

    loaded = load_weights(path, target.layers, by_name=True, exclude=list(CLASS_DEPENDENT_LAYERS))

    assert sorted(loaded) == ["bn_conv1", "conv1", "mrcnn_class_conv1", "rpn_model"]
    after = layer_weights(target)
    assert_same_weights(after, before, ["mrcnn_class_logits", "mrcnn_bbox_fc"])
    assert_same_weights(after, layer_weights(source), loaded)


def test_shape_mismatch_names_everything_and_changes_nothing(tmp_path):
    source = build_model(seed=13, num_classes=3)
    path = tmp_path / "weights.h5"
    save_weights(path, source.layers)
    target = build_model(seed=14, num_classes=5)
    before = layer_weights(target)

    with pytest.raises(WeightsMismatchError) as error:
        load_weights(path, target.layers, by_name=True)

    message = str(error.value)
    assert "\n" not in message
    assert str(path) in message
    assert "'mrcnn_class_logits'" in message and "mrcnn_class_logits/kernel:0" in message
    assert "(16, 5)" in message and "(16, 3)" in message
    assert message.index("(16, 5)") < message.index("(16, 3)")  # model's shape, then file's
    assert ('pass exclude=["mrcnn_class_logits", "mrcnn_bbox_fc", "mrcnn_bbox", "mrcnn_mask"] '
            "to load_weights (the file was trained for another number of classes)") in message
    # conv1, bn_conv1, rpn_model, mrcnn_class_conv1 precede the failing layer: all untouched.
    assert_same_weights(layer_weights(target), before, before)


def test_bbox_fc_mismatch_gets_hint_other_layers_do_not(tmp_path):
    source = build_model(seed=15, num_classes=3)
    path = tmp_path / "weights.h5"
    save_weights(path, source.layers)
    target = build_model(seed=16, num_classes=5)
    with pytest.raises(WeightsMismatchError) as error:
        load_weights(path, target.layers, by_name=True, exclude=["mrcnn_class_logits"])
    message = str(error.value)
    assert "'mrcnn_bbox_fc'" in message and "mrcnn_bbox_fc/bias:0" not in message
    assert "(16, 20)" in message and "(16, 12)" in message and "pass exclude=" in message

    other = build_model(seed=17, conv_filters=5)
    before = layer_weights(other)
    with pytest.raises(WeightsMismatchError) as error:
        load_weights(path, other.layers)
    message = str(error.value)
    assert "'conv1'" in message and "(3, 3, 3, 5)" in message and "(3, 3, 3, 4)" in message
    assert "exclude" not in message
    assert_same_weights(layer_weights(other), before, before)


# ------------------------------------------------------------------------------------------
# File variants: chunked attributes, full-model files, names without ":0"
# ------------------------------------------------------------------------------------------


def test_reads_chunked_layer_and_weight_names(tmp_path):
    source = build_model(seed=18)
    path = tmp_path / "chunked.h5"
    save_weights(path, source.layers)
    with h5py.File(path, "r+") as h5_file:
        names = h5_file.attrs["layer_names"]
        del h5_file.attrs["layer_names"]
        h5_file.attrs["layer_names0"] = names[:4]
        h5_file.attrs["layer_names1"] = names[4:]
        rpn = h5_file["rpn_model"]
        weight_names = rpn.attrs["weight_names"]
        del rpn.attrs["weight_names"]
        for index, chunk in enumerate(np.array_split(weight_names, 3)):
            rpn.attrs[f"weight_names{index}"] = chunk

    target = build_model(seed=19)
    load_weights(path, target.layers)
    expected = layer_weights(source)
    assert_same_weights(layer_weights(target), expected, expected)
    assert [row[0] for row in read_weights_table(path)][:2] == ["conv1", "conv1"]


def test_long_name_lists_are_written_in_chunks(tmp_path):
    names = [f"layer_{i:05d}_with_a_fairly_long_name".encode() for i in range(3000)]
    with h5py.File(tmp_path / "attrs.h5", "w") as h5_file:
        weights_io._write_attribute_list(h5_file, "layer_names", names)
        assert "layer_names" not in h5_file.attrs
        assert "layer_names0" in h5_file.attrs and "layer_names1" in h5_file.attrs
        assert all(h5_file.attrs[key].nbytes <= weights_io.HDF5_OBJECT_HEADER_LIMIT
                   for key in h5_file.attrs)
        read_back = weights_io._read_attribute_list(h5_file, "layer_names", "attrs.h5")
    assert read_back == [n.decode() for n in names]


# Keras' legacy .h5 saver calls np.array on variables, which NumPy 2 flags as deprecated.
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_reads_full_model_file_with_names_without_suffix(tmp_path):
    """Keras' own full-model .h5 (model_weights group, names like 'conv1/kernel') loads."""
    source = build_model(seed=20)
    path = tmp_path / "full_model.h5"
    source.save(str(path))
    with h5py.File(path, "r") as h5_file:
        assert "model_weights" in h5_file and "layer_names" not in h5_file.attrs
        first_name = h5_file["model_weights/conv1"].attrs["weight_names"][0]
        if isinstance(first_name, bytes):
            first_name = first_name.decode()
        assert first_name == "conv1/kernel"

    target = build_model(seed=21)
    loaded = load_weights(path, target.layers)
    assert len(loaded) == 6
    expected = layer_weights(source)
    assert_same_weights(layer_weights(target), expected, expected)


# ------------------------------------------------------------------------------------------
# Bad files
# ------------------------------------------------------------------------------------------


def test_missing_file_error_names_it(tmp_path):
    path = tmp_path / "nope.h5"
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        load_weights(path, build_model(seed=22).layers)


def test_non_hdf5_file_is_rejected(tmp_path):
    path = tmp_path / "not_weights.h5"
    path.write_bytes(b"this is a text file, not HDF5\n" * 10)
    with pytest.raises(WeightsFormatError, match="not_weights.h5"):
        load_weights(path, build_model(seed=23).layers)


def test_hdf5_without_layer_names_is_rejected(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as h5_file:
        h5_file.create_dataset("data", data=np.zeros(3))
    with pytest.raises(WeightsFormatError, match="other.h5.*layer_names"):
        load_weights(path, build_model(seed=24).layers)
    with pytest.raises(WeightsFormatError, match="other.h5"):
        read_weights_table(path)


def test_non_numeric_dataset_is_rejected(tmp_path):
    source = build_model(seed=25)
    path = tmp_path / "strings.h5"
    save_weights(path, source.layers)
    with h5py.File(path, "r+") as h5_file:
        del h5_file["conv1/conv1/bias:0"]
        h5_file["conv1"].create_dataset("conv1/bias:0", data=np.array([b"x"] * 4))
    target = build_model(seed=26)
    before = layer_weights(target)
    with pytest.raises(WeightsFormatError, match="strings.h5.*non-numeric"):
        load_weights(path, target.layers)
    assert_same_weights(layer_weights(target), before, before)


# ------------------------------------------------------------------------------------------
# Atomic save
# ------------------------------------------------------------------------------------------


def test_failed_save_keeps_old_checkpoint_and_no_temp_file(tmp_path, monkeypatch):
    original = build_model(seed=27)
    path = tmp_path / "checkpoint.h5"
    save_weights(path, original.layers)
    old_bytes = path.read_bytes()

    real_create_dataset = h5py.Group.create_dataset
    calls = []

    def create_dataset_then_crash(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == 5:
            raise OSError("disk full (simulated)")
        return real_create_dataset(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", create_dataset_then_crash)
    with pytest.raises(OSError, match="simulated"):
        save_weights(path, build_model(seed=28).layers)
    monkeypatch.undo()

    assert len(calls) == 5  # the crash happened mid-write, after some arrays were written
    assert os.listdir(tmp_path) == ["checkpoint.h5"]
    assert path.read_bytes() == old_bytes
    target = build_model(seed=29)
    load_weights(path, target.layers)
    expected = layer_weights(original)
    assert_same_weights(layer_weights(target), expected, expected)


def test_save_replaces_existing_file(tmp_path):
    path = tmp_path / "checkpoint.h5"
    save_weights(path, build_model(seed=30).layers)
    newer = build_model(seed=31)
    save_weights(path, newer.layers)
    assert os.listdir(tmp_path) == ["checkpoint.h5"]
    target = build_model(seed=32)
    load_weights(path, target.layers)
    expected = layer_weights(newer)
    assert_same_weights(layer_weights(target), expected, expected)


# ------------------------------------------------------------------------------------------
# The COCO layout file written by mrcnn.testing
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def coco_weights_81(tmp_path_factory):
    path = tmp_path_factory.mktemp("coco81") / "mask_rcnn_coco_layout.h5"
    testing.write_coco_layout_weights(path)
    return path


@pytest.fixture(scope="module")
def coco_weights_48(tmp_path_factory):
    """48 classes, written as a full-model file with chunked name lists."""
    path = tmp_path_factory.mktemp("coco48") / "mask_rcnn_48_layout.h5"
    testing.write_coco_layout_weights(path, num_classes=48, seed=1, full_model=True,
                                      chunk_attrs=True)
    return path


def test_layout_table_parses_packaged_tsv():
    table = testing.layout_table()
    assert len(table) == 690
    assert table[0] == ("conv1", "conv1/kernel:0", (7, 7, 3, 64))
    assert table[1] == ("conv1", "conv1/bias:0", (64,))
    assert ("rpn_model", "rpn_bbox_pred/bias:0", (12,)) in table
    assert len({group for group, _, _ in table}) == 233
    assert sum(int(np.prod(shape)) for _, _, shape in table) == 64_158_584


def test_coco_layout_file_matches_tsv_exactly(coco_weights_81):
    table = read_weights_table(coco_weights_81)
    assert table == testing.layout_table()
    assert len(table) == 690
    with h5py.File(coco_weights_81, "r") as h5_file:
        group_names = [n.decode() for n in h5_file.attrs["layer_names"]]
        assert group_names == list(dict.fromkeys(group for group, _, _ in table))
        assert len(group_names) == 233
        assert h5_file.attrs["backend"] == b"tensorflow"
        total = 0
        for group, weight_name, _ in table:
            values = h5_file[group][weight_name][()]
            assert values.dtype == np.float32 and np.isfinite(values).all()
            if weight_name.endswith("moving_variance:0"):
                assert values.min() > 0
            total += values.size
        assert total == 64_158_584
        assert list(h5_file["rpn_model"].attrs["weight_names"]) == [
            b"rpn_conv_shared/kernel:0", b"rpn_conv_shared/bias:0",
            b"rpn_class_raw/kernel:0", b"rpn_class_raw/bias:0",
            b"rpn_bbox_pred/kernel:0", b"rpn_bbox_pred/bias:0"]
        # He-normal by fan-in: conv1's kernel std is about sqrt(2 / (7*7*3)).
        kernel_std = h5_file["conv1/conv1/kernel:0"][()].std()
        assert abs(kernel_std - np.sqrt(2 / 147)) < 0.01


def test_coco_layout_for_48_classes(coco_weights_48):
    table = read_weights_table(coco_weights_48)
    reference = testing.layout_table()
    assert len(table) == 690
    expected_class_shapes = {
        ("mrcnn_class_logits", "mrcnn_class_logits/kernel:0"): (1024, 48),
        ("mrcnn_class_logits", "mrcnn_class_logits/bias:0"): (48,),
        ("mrcnn_bbox_fc", "mrcnn_bbox_fc/kernel:0"): (1024, 192),
        ("mrcnn_bbox_fc", "mrcnn_bbox_fc/bias:0"): (192,),
        ("mrcnn_mask", "mrcnn_mask/kernel:0"): (1, 1, 256, 48),
        ("mrcnn_mask", "mrcnn_mask/bias:0"): (48,),
    }
    for (group, weight_name, shape), (ref_group, ref_name, ref_shape) in zip(table, reference):
        assert (group, weight_name) == (ref_group, ref_name)
        assert shape == expected_class_shapes.get((group, weight_name), ref_shape)
    with h5py.File(coco_weights_48, "r") as h5_file:
        weights_group = h5_file["model_weights"]
        assert "layer_names" not in weights_group.attrs
        assert {"layer_names0", "layer_names1", "layer_names2"} <= set(weights_group.attrs)
        assert "weight_names1" in weights_group["bn_conv1"].attrs


def test_coco_file_into_other_class_count_needs_exclude(coco_weights_81):
    """The fine-tuning case: COCO weights into a 48-class head."""
    image = keras.Input((32, 32, 3), name="input_image")
    x = keras.layers.Conv2D(64, 7, padding="same", name="conv1")(image)
    x = keras.layers.GlobalAveragePooling2D()(x)
    fc = keras.layers.Dense(1024, name="not_in_file")(x)
    logits = keras.layers.Dense(48, name="mrcnn_class_logits")(fc)
    bbox = keras.layers.Dense(4 * 48, name="mrcnn_bbox_fc")(fc)
    model = keras.Model(image, [logits, bbox])
    conv1_before = model.get_layer("conv1").get_weights()

    with pytest.raises(WeightsMismatchError) as error:
        load_weights(coco_weights_81, model.layers, by_name=True)
    message = str(error.value)
    assert "(1024, 48)" in message and "(1024, 81)" in message and "pass exclude=" in message
    np.testing.assert_array_equal(model.get_layer("conv1").get_weights()[0], conv1_before[0])

    loaded = load_weights(coco_weights_81, model.layers, by_name=True,
                          exclude=CLASS_DEPENDENT_LAYERS)
    assert loaded == ["conv1"]
    with h5py.File(coco_weights_81, "r") as h5_file:
        np.testing.assert_array_equal(model.get_layer("conv1").get_weights()[0],
                                      h5_file["conv1/conv1/kernel:0"][()])
