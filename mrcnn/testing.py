"""Test and benchmark helpers shipped with the package (production code does not import them).

``layout_table`` (from mrcnn.weights_layout) reads the packaged table of matterport's COCO
weights file (every HDF5 group, weight name and shape); ``write_coco_layout_weights`` writes a
random-valued Keras-2 HDF5 file with exactly that layout, without building any model, so it
checks the loader and the network's layer names and shapes independently of our own model code;
``load_script_module`` imports a sample script without ``sys.path`` edits.
"""

import h5py
import numpy as np

# The COCO layout lives in the library; tests import it from here too.
from mrcnn.weights_layout import (COCO_NUM_CLASSES, LAYOUT_FILENAME,  # noqa: F401
                                  coco_layout_table, layout_table)

# Layers whose outputs are logits or box deltas.
_OUTPUT_LAYERS = ("rpn_class_raw", "rpn_bbox_pred", "mrcnn_class_logits", "mrcnn_bbox_fc",
                  "mrcnn_mask")


def _random_array(weight_name, shape, rng):
    """Plausible trained-looking values: activations stay finite through the whole network."""
    layer, short = weight_name.split(":")[0].rsplit("/", 1)
    if short == "kernel":
        # He-normal by fan-in (all but the output axis; the deconv kernel is square in/out).
        fan_in = int(np.prod(shape[:-1]))
        scale = np.sqrt(2.0 / fan_in)
        if layer in _OUTPUT_LAYERS:
            # Small outputs keep box deltas (exponentiated) and logits in a trained range.
            scale *= 0.05
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)
    if short in ("bias", "beta", "moving_mean"):
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(0.01)
    if short == "gamma" and layer.endswith("branch2c"):
        # Damped residual branches: otherwise the variance doubles at each of the 33 blocks
        # (inference-mode BatchNorm does not renormalise) and the activations overflow.
        return np.float32(0.2) + rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
    if short == "gamma":
        return np.float32(1.0) + rng.standard_normal(shape, dtype=np.float32) * np.float32(0.05)
    if short == "moving_variance":
        return rng.uniform(0.8, 1.2, size=shape).astype(np.float32)
    raise ValueError(f"unexpected weight name {weight_name!r} in the layout table")


def _set_name_list(group, name, names, num_chunks):
    """Keras 2 name-list attribute, optionally split as name0, name1, ... (as for long lists)."""
    data = np.asarray([n.encode("utf8") for n in names])
    if num_chunks <= 1 or len(names) < 2:
        group.attrs[name] = data
        return
    for index, chunk in enumerate(np.array_split(data, min(num_chunks, len(names)))):
        group.attrs[f"{name}{index}"] = chunk


def write_coco_layout_weights(path, num_classes=COCO_NUM_CLASSES, seed=0, full_model=False,
                              chunk_attrs=False):
    """Write a Keras-2 HDF5 weights file with exactly the COCO layout and random float32 values.

    Args:
        path: output ``.h5`` path (about 257 MB for 81 classes).
        num_classes: class count, background included; sets the class-dependent shapes.
        seed: seed of ``np.random.default_rng``.
        full_model: nest everything under ``model_weights`` as Keras 2 ``model.save`` did.
        chunk_attrs: split ``layer_names`` (3 chunks) and each ``weight_names`` (2 chunks) into
            ``layer_names0, layer_names1, ...`` as Keras 2 did for lists over 64 KiB.

    Returns:
        the table written, ``[(group, weight_name, shape)]`` (690 rows).
    """
    table = coco_layout_table(num_classes)
    rng = np.random.default_rng(seed)
    group_names = list(dict.fromkeys(group for group, _, _ in table))
    with h5py.File(path, "w") as h5_file:
        root = h5_file
        if full_model:
            h5_file.attrs["backend"] = np.bytes_(b"tensorflow")
            h5_file.attrs["keras_version"] = np.bytes_(b"2.2.4")
            root = h5_file.create_group("model_weights")
        _set_name_list(root, "layer_names", group_names, 3 if chunk_attrs else 1)
        root.attrs["backend"] = np.bytes_(b"tensorflow")
        root.attrs["keras_version"] = np.bytes_(b"2.2.4")
        for group_name in group_names:
            rows = [(w, s) for g, w, s in table if g == group_name]
            group = root.create_group(group_name)
            _set_name_list(group, "weight_names", [w for w, _ in rows], 2 if chunk_attrs else 1)
            for weight_name, shape in rows:
                group.create_dataset(weight_name, data=_random_array(weight_name, shape, rng))
    return table


def tiny_backbone(input_image, stage5=True, train_bn=False):
    """A user-style callable BACKBONE for fast tests: five stride-2 3x3 convs (8..64 channels,
    layers ``tiny_c1``..``tiny_c5``), returning [C1, C2, C3, C4, C5] at strides 2..32."""
    from keras import layers as KL

    x, stages = input_image, []
    for i, channels in enumerate([8, 16, 32, 32, 64]):
        x = KL.Conv2D(channels, (3, 3), strides=2, padding="same", activation="relu",
                      name=f"tiny_c{i + 1}")(x)
        stages.append(x)
    return stages


def tiny_backbone_shapes(image_shape):
    """COMPUTE_BACKBONE_SHAPE for ``tiny_backbone``: [5, (h, w)] of P2..P6 (strides 4..64)."""
    return np.array([[image_shape[0] // s, image_shape[1] // s] for s in (4, 8, 16, 32, 64)])


def load_script_module(path, name=None):
    """Import a script file (a matterport-style sample such as ``samples/shapes/shapes.py``) as a
    module without putting its folder on ``sys.path``.

    path: the ``.py`` file; name: the module name (default: the file's stem). The module is
    registered in ``sys.modules`` under ``name`` (dataclasses and pickling need that); a module
    already loaded there from the same file is returned as is.
    """
    import importlib.util
    import os
    import sys

    path = os.path.abspath(os.fspath(path))
    name = name or os.path.splitext(os.path.basename(path))[0]
    loaded = sys.modules.get(name)
    if loaded is not None and os.path.abspath(getattr(loaded, "__file__", "") or "") == path:
        return loaded
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
