"""Export to ONNX through tf2onnx (the ``export`` extra), run with ONNX Runtime.

Same input and outputs as the SavedModel (``mrcnn.export.saved_model``): ``image`` uint8
``[H, W, 3]`` of any size -> boxes, class_ids, scores, masks. The whole graph, molding and
unmolding included, is converted from the traced TensorFlow function.
"""

from .saved_model import INPUT_NAME, OUTPUT_NAMES, frozen_function

# ONNX opset written (ONNX Runtime 1.17+ runs it).
ONNX_OPSET = 17


class ConverterMissing(ImportError):
    """tf2onnx (the ``export`` extra) is not installed."""


def convert_to_onnx(model, opset=ONNX_OPSET):
    """The ONNX ``ModelProto`` of ``model`` (a ``MaskRCNN`` in inference mode)."""
    try:
        import tf2onnx
    except ImportError:
        raise ConverterMissing('ONNX export needs tf2onnx: pip install "mrcnn[export]" '
                               '(or .venv/bin/pip install -e ".[export]" in a checkout)') \
            from None
    function = frozen_function(model, lower_control_flow=False)
    graph_def = function.graph.as_graph_def()
    # The frozen graph's tensors of the photo and of the four outputs, named as the
    # SavedModel's signature names them (a dict's outputs come flattened in key order).
    input_names = [tensor.name for tensor in function.inputs]
    outputs = dict(zip(sorted(OUTPUT_NAMES), function.outputs))
    output_names = [outputs[name].name for name in OUTPUT_NAMES]
    renames = {input_names[0]: INPUT_NAME,
               **{outputs[name].name: name for name in OUTPUT_NAMES}}
    model_proto, _ = tf2onnx.convert.from_graph_def(
        graph_def, name="mask_rcnn", input_names=input_names, output_names=output_names,
        opset=opset, tensors_to_rename=renames)
    return model_proto


def export_onnx(model, path, opset=ONNX_OPSET):
    """Write the ONNX model of ``model`` at ``path``."""
    model_proto = convert_to_onnx(model, opset=opset)
    with open(path, "wb") as file:
        file.write(model_proto.SerializeToString())
    return path
