"""The layer order of weights files.

Keras 2 listed a model's layers in creation order, and matterport's files (and the topological,
``by_name=False`` loading of them) follow it. Keras 3 lists them in graph order, which differs
(e.g. a ResNet block's shortcut conv comes before the main branch's last conv). Layers build their
variables when first called, right after creation, so the order in which their variables were
created recovers the Keras-2 order.
"""


def _variable_serial(variable):
    """Creation serial number of a Keras 3 variable on the TensorFlow backend, or None."""
    unique_id = getattr(getattr(variable, "value", None), "_unique_id", None)
    if not isinstance(unique_id, str):
        return None
    tail = unique_id.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else None


def layers_in_creation_order(model):
    """``model.layers`` with the weight-bearing layers permuted into creation order.

    Weightless layers keep their places. Falls back to ``model.layers`` if the backend does not
    expose creation serials.
    """
    layers = list(model.layers)
    weighted_slots = [i for i, layer in enumerate(layers) if layer.weights]
    keys = []
    for i in weighted_slots:
        serials = [_variable_serial(w) for w in layers[i].weights]
        if any(s is None for s in serials):
            return layers
        keys.append(min(serials))
    ordered = [layers[i] for _, i in sorted(zip(keys, weighted_slots))]
    for slot, layer in zip(weighted_slots, ordered):
        layers[slot] = layer
    return layers
