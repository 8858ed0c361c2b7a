"""Running a per-item graph function over a batch (matterport's ``batch_slice``).

TensorFlow is imported when ``batch_slice`` is called, not when this module is imported, so
``mrcnn.utils`` can re-export it without importing TensorFlow. The TensorFlow box operations
(``box_refinement_graph`` and others) are in ``mrcnn.modeling.box_ops``.
"""


def batch_slice(inputs, graph_fn, batch_size, names=None):
    """Run ``graph_fn`` on each item of a batch and stack the results.

    inputs: a tensor or list of tensors, all with batch size ``batch_size`` on axis 0.
    graph_fn: called with one item of each input; returns a tensor or a list of tensors.
    names: optional names of the stacked outputs.
    Returns the stacked output(s), batch axis first.
    """
    import tensorflow as tf

    if not isinstance(inputs, list):
        inputs = [inputs]
    outputs = []
    for i in range(batch_size):
        output_slice = graph_fn(*[x[i] for x in inputs])
        if not isinstance(output_slice, (tuple, list)):
            output_slice = [output_slice]
        outputs.append(output_slice)
    # Per-item outputs -> per-output lists of items.
    outputs = list(zip(*outputs))
    if names is None:
        names = [None] * len(outputs)
    result = [tf.stack(o, axis=0, name=n) for o, n in zip(outputs, names)]
    return result[0] if len(result) == 1 else result
