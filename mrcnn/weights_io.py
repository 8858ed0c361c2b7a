"""Read and write matterport's Keras-2 HDF5 weight files from Keras 3 models.

Layout (what Keras 2's ``model.save_weights("x.h5")`` wrote, e.g. ``mask_rcnn_coco.h5``):

- root attributes ``layer_names`` (bytes, every layer of the model in order, weightless ones
  included), ``backend`` (``b"tensorflow"``) and ``keras_version`` (bytes);
- one group per layer with attribute ``weight_names`` (bytes, e.g. ``b"res2a_branch2a/kernel:0"``,
  an empty array for weightless layers);
- each array is a dataset at ``<layer name>/<weight name>``, i.e. nested groups
  ``res2a_branch2a/res2a_branch2a/kernel:0``;
- attribute lists longer than the HDF5 object header limit are split as ``layer_names0``,
  ``layer_names1``, ... (same for ``weight_names``);
- full-model files (Keras 2 ``model.save``) hold all of this under a ``model_weights`` group.

A nested model (matterport's ``rpn_model``) is ONE group whose weight names are those of its inner
layers (``rpn_conv_shared/kernel:0``); a wrapper (TimeDistributed) stores its wrapped layer's
weights under the wrapper's name (``mrcnn_class_conv1/kernel:0``).

Arrays are read only as numeric HDF5 datasets: nothing is unpickled or evaluated.
"""

import os

import h5py
import numpy as np

from .atomic import atomic_path

CLASS_DEPENDENT_LAYERS = ("mrcnn_class_logits", "mrcnn_bbox_fc", "mrcnn_bbox", "mrcnn_mask")

# Keras 2 loaders only special-case keras_version "1", so any 2.x string is accepted.
# np.bytes_ makes h5py store fixed-length strings (read back as bytes), as Keras 2 with h5py 2 did;
# a plain Python bytes would become a variable-length string that h5py 3 reads back as str.
KERAS2_VERSION = np.bytes_(b"2.2.4")
BACKEND = np.bytes_(b"tensorflow")
# Keras 2's limit on the byte size of one attribute (HDF5 object headers are at most 64 KiB).
HDF5_OBJECT_HEADER_LIMIT = 64512

_EXCLUDE_HINT = (
    'pass exclude=["mrcnn_class_logits", "mrcnn_bbox_fc", "mrcnn_bbox", "mrcnn_mask"] '
    "to load_weights (the file was trained for another number of classes)"
)


class WeightsFormatError(ValueError):
    """The file is not a Keras-2 HDF5 weights file (or is damaged)."""


class WeightsMismatchError(ValueError):
    """The file's weights do not fit the model (layer count, weight count or shape)."""


# --------------------------------------------------------------------------------------------
# Model side: which variables a layer has, under which Keras-2 names, and how to set them.
# --------------------------------------------------------------------------------------------


def _is_nested_model(layer):
    import keras

    return isinstance(layer, keras.Model)


def _unique_weight_names(prefix, variables):
    """``<prefix>/<short name>:0`` per variable; repeats get ``_1``, ``_2`` as TF1 names did."""
    names, seen = [], {}
    for variable in variables:
        short = variable.name
        count = seen.get(short, 0)
        seen[short] = count + 1
        if count:
            short = f"{short}_{count}"
        names.append(f"{prefix}/{short}:0")
    return names


def _weight_owners(layer):
    """The layer's weights grouped by the layer that sets them.

    Returns a list of ``(owner_layer, [variable, ...], [keras2_name, ...])``. A nested
    ``keras.Model`` is expanded into its inner layers (recursively), in ``.layers`` order, so
    names are ``<inner layer>/<variable>:0``; any other layer (wrappers included) is one owner
    named after itself. Variables are in ``layer.weights`` order, which Keras 3 keeps as
    kernel, bias / gamma, beta, moving_mean, moving_variance whether or not the layer is frozen.
    """
    if _is_nested_model(layer):
        owners = []
        for inner in layer.layers:
            owners.extend(_weight_owners(inner))
        inner_ids = [id(v) for _, variables, _ in owners for v in variables]
        outer_ids = [id(v) for v in layer.weights]
        # A subclassed model may own variables outside .layers: treat it as a plain layer then.
        if sorted(inner_ids) == sorted(outer_ids) and len(set(inner_ids)) == len(inner_ids):
            return owners
    variables = list(layer.weights)
    if not variables:
        return []
    return [(layer, variables, _unique_weight_names(layer.name, variables))]


def _weight_slots(layer):
    """Flat ``[(variable, keras2_name)]`` of a layer, in file order."""
    return [
        (variable, name)
        for _, variables, names in _weight_owners(layer)
        for variable, name in zip(variables, names)
    ]


def _as_layer_list(layers):
    """Accept a list of layers or anything with ``.layers`` (a model)."""
    if hasattr(layers, "layers") and not isinstance(layers, (list, tuple)):
        layers = layers.layers
    return list(layers)


# --------------------------------------------------------------------------------------------
# HDF5 attribute lists (Keras 2's chunked string attributes).
# --------------------------------------------------------------------------------------------


def _write_attribute_list(group, name, values):
    """Store a list of byte strings as Keras 2 did, split into ``name0, name1, ...`` if large."""
    too_long = [v for v in values if len(v) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(
            f"cannot save attribute {name!r}: item {too_long[0][:40]!r}... is longer than "
            f"{HDF5_OBJECT_HEADER_LIMIT} bytes"
        )
    # np.asarray([]) is an empty float64 array: exactly what Keras 2 wrote for weightless layers.
    data = np.asarray(values)
    num_chunks = 1
    chunks = np.array_split(data, num_chunks)
    while any(chunk.nbytes > HDF5_OBJECT_HEADER_LIMIT for chunk in chunks):
        num_chunks += 1
        chunks = np.array_split(data, num_chunks)
    if num_chunks == 1:
        group.attrs[name] = data
    else:
        for index, chunk in enumerate(chunks):
            group.attrs[f"{name}{index}"] = chunk


def _decode(item, filepath, name):
    if isinstance(item, (bytes, np.bytes_)):
        return bytes(item).decode("utf8")
    if isinstance(item, str):
        return item
    raise WeightsFormatError(f"{filepath}: attribute {name!r} holds {item!r}, not a name")


def _read_attribute_list(group, name, filepath):
    """Read a (possibly chunked) list-of-names attribute; ``None`` when it is absent."""
    if name in group.attrs:
        raw_chunks = [group.attrs[name]]
    elif f"{name}0" in group.attrs:
        raw_chunks, index = [], 0
        while f"{name}{index}" in group.attrs:
            raw_chunks.append(group.attrs[f"{name}{index}"])
            index += 1
    else:
        return None
    values = []
    for raw in raw_chunks:
        items = [raw] if np.ndim(raw) == 0 else list(np.asarray(raw).ravel())
        values.extend(_decode(item, filepath, name) for item in items)
    return values


def _has_attribute_list(group, name):
    return name in group.attrs or f"{name}0" in group.attrs


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


def _write_layers(h5_group, layers):
    """Write ``layers`` into an open HDF5 group in the Keras-2 layout."""
    names = [layer.name for layer in layers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"cannot save weights: duplicate layer names {duplicates}")
    _write_attribute_list(h5_group, "layer_names", [n.encode("utf8") for n in names])
    h5_group.attrs["backend"] = BACKEND
    h5_group.attrs["keras_version"] = KERAS2_VERSION
    for layer in layers:
        layer_group = h5_group.create_group(layer.name)
        slots = _weight_slots(layer)
        _write_attribute_list(
            layer_group, "weight_names", [name.encode("utf8") for _, name in slots]
        )
        for variable, name in slots:
            value = np.asarray(variable.numpy())
            # The dataset name contains "/": h5py creates the intermediate group, as Keras 2 did.
            dataset = layer_group.create_dataset(name, value.shape, dtype=value.dtype)
            dataset[()] = value


def save_weights(filepath, layers):
    """Save the weights of ``layers`` as a Keras-2 HDF5 weights file readable by matterport.

    Args:
        filepath: destination ``.h5`` path; its folder must exist.
        layers: the Keras 3 model's ``.layers`` (a list; a model is accepted too). Every layer is
            listed in ``layer_names``, weightless ones with an empty ``weight_names``.

    The file is written to a temporary file in the same folder and then renamed over
    ``filepath``, so an interrupted save never leaves a half-written file in place of an
    existing checkpoint.
    """
    filepath = os.fspath(filepath)
    layers = _as_layer_list(layers)
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"cannot save weights to {filepath}: folder {folder} does not exist"
        )
    with atomic_path(filepath) as temp_path:
        with h5py.File(temp_path, "w") as h5_file:
            _write_layers(h5_file, layers)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _open_weights_root(h5_file, filepath):
    """The group holding ``layer_names``: the root, or ``model_weights`` of a full-model file."""
    if _has_attribute_list(h5_file, "layer_names"):
        return h5_file
    if "model_weights" in h5_file and _has_attribute_list(h5_file["model_weights"], "layer_names"):
        return h5_file["model_weights"]
    raise WeightsFormatError(
        f"{filepath}: not a Keras weights file (no 'layer_names' attribute at the root or in "
        f"'model_weights')"
    )


class _FileLayer:
    """One layer group of the file: its name and its numeric datasets in weight order."""

    def __init__(self, root, name, filepath):
        self.name = name
        if name not in root or not isinstance(root[name], h5py.Group):
            raise WeightsFormatError(f"{filepath}: layer {name!r} is listed but has no group")
        group = root[name]
        weight_names = _read_attribute_list(group, "weight_names", filepath)
        if weight_names is None:
            raise WeightsFormatError(f"{filepath}: group {name!r} has no 'weight_names' attribute")
        self.weight_names = weight_names
        self.datasets = [_find_dataset(group, w, filepath, name) for w in weight_names]


def _find_dataset(group, weight_name, filepath, layer_name):
    # Accept names written with or without TF1's ":0" suffix.
    candidates = [weight_name]
    if weight_name.endswith(":0"):
        candidates.append(weight_name[:-2])
    else:
        candidates.append(weight_name + ":0")
    for candidate in candidates:
        if candidate in group:
            dataset = group[candidate]
            if not isinstance(dataset, h5py.Dataset):
                break
            if dataset.dtype.kind not in "biuf":
                raise WeightsFormatError(
                    f"{filepath}: weight {weight_name!r} of layer {layer_name!r} has non-numeric "
                    f"dtype {dataset.dtype}"
                )
            return dataset
    raise WeightsFormatError(
        f"{filepath}: layer {layer_name!r} lists weight {weight_name!r} but has no such array"
    )


def _check_pair(layer, file_layer, filepath):
    """Raise WeightsMismatchError unless ``file_layer`` fits ``layer`` weight for weight."""
    slots = _weight_slots(layer)
    hint = f"; {_EXCLUDE_HINT}" if layer.name in CLASS_DEPENDENT_LAYERS else ""
    if len(slots) != len(file_layer.datasets):
        raise WeightsMismatchError(
            f"{filepath}: layer {layer.name!r} has {len(slots)} weights but the file's layer "
            f"{file_layer.name!r} has {len(file_layer.datasets)} "
            f"({', '.join(file_layer.weight_names) or 'none'}){hint}"
        )
    for (variable, _), weight_name, dataset in zip(
        slots, file_layer.weight_names, file_layer.datasets
    ):
        model_shape = tuple(int(d) for d in variable.shape)
        file_shape = tuple(int(d) for d in dataset.shape)
        if model_shape != file_shape:
            raise WeightsMismatchError(
                f"{filepath}: layer {layer.name!r}, weight {weight_name!r}: the model's shape is "
                f"{model_shape} but the file's shape is {file_shape}{hint}"
            )


def _assign(layer, arrays):
    """Set a layer's weights from arrays in file order (nested models layer by layer)."""
    position = 0
    for owner, variables, _ in _weight_owners(layer):
        values = [
            np.asarray(array, dtype=variable.dtype)
            for variable, array in zip(variables, arrays[position : position + len(variables)])
        ]
        position += len(variables)
        owner.set_weights(values)


def load_weights(filepath, layers, by_name=False, exclude=None):
    """Load a Keras-2 HDF5 weights file (matterport's format) into Keras 3 layers.

    Args:
        filepath: a weights file (``save_weights`` / Keras 2 ``save_weights``) or a Keras 2
            full-model file (weights under ``model_weights``).
        layers: the model's ``.layers`` (a list; a model is accepted too).
        by_name: False: Keras 2's topological loading, the file's layers with weights are matched
            in order to the model's layers with weights (the counts must agree). True: every
            model layer with weights takes the file's layer of the same name, if there is one;
            layers missing from the file keep their weights.
        exclude: layer names to leave alone (removed from ``layers`` before matching, as in
            matterport), e.g. ``CLASS_DEPENDENT_LAYERS`` when the class count differs.

    Returns:
        list of the names of the model layers that received weights, in model order.

    Raises:
        FileNotFoundError: no such file.
        WeightsFormatError: not an HDF5 file, or no Keras ``layer_names``.
        WeightsMismatchError: layer count, weight count or shape disagree. Everything is checked
            before anything is assigned, so a failed load leaves the model untouched.
    """
    filepath = os.fspath(filepath)
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"weights file not found: {filepath}")
    if not h5py.is_hdf5(filepath):
        raise WeightsFormatError(f"{filepath}: not an HDF5 weights file")
    excluded = set(exclude or ())
    layers = [layer for layer in _as_layer_list(layers) if layer.name not in excluded]
    model_layers = [layer for layer in layers if _weight_slots(layer)]

    with h5py.File(filepath, "r") as h5_file:
        root = _open_weights_root(h5_file, filepath)
        file_layer_names = _read_attribute_list(root, "layer_names", filepath)
        if by_name:
            present = set(file_layer_names)
            pairs = [
                (layer, _FileLayer(root, layer.name, filepath))
                for layer in model_layers
                if layer.name in present
            ]
        else:
            file_layers = [_FileLayer(root, name, filepath) for name in file_layer_names]
            file_layers = [fl for fl in file_layers if fl.datasets]
            if len(file_layers) != len(model_layers):
                raise WeightsMismatchError(
                    f"{filepath}: the file has {len(file_layers)} layers with weights but the "
                    f"model has {len(model_layers)}"
                    + (f" (after excluding {sorted(excluded)})" if excluded else "")
                    + "; load with by_name=True to match layers by name"
                )
            pairs = list(zip(model_layers, file_layers))

        for layer, file_layer in pairs:
            _check_pair(layer, file_layer, filepath)
        # Read everything before assigning, so an unreadable array cannot leave a half-loaded model.
        values = [[dataset[()] for dataset in fl.datasets] for _, fl in pairs]

    for (layer, _), arrays in zip(pairs, values):
        _assign(layer, arrays)
    return [layer.name for layer, _ in pairs]


def read_weights_table(filepath):
    """List a weights file's arrays: ``[(layer/group name, weight name, shape tuple)]``.

    Layers in ``layer_names`` order (weightless ones omitted), weights in file order. Reads
    plain weight files and full-model files (``model_weights``).
    """
    filepath = os.fspath(filepath)
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"weights file not found: {filepath}")
    if not h5py.is_hdf5(filepath):
        raise WeightsFormatError(f"{filepath}: not an HDF5 weights file")
    table = []
    with h5py.File(filepath, "r") as h5_file:
        root = _open_weights_root(h5_file, filepath)
        for name in _read_attribute_list(root, "layer_names", filepath):
            file_layer = _FileLayer(root, name, filepath)
            for weight_name, dataset in zip(file_layer.weight_names, file_layer.datasets):
                table.append((name, weight_name, tuple(int(d) for d in dataset.shape)))
    return table
