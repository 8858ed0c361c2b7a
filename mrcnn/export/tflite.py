"""Export to TensorFlow Lite (float32), for a fixed photo size.

The model takes ``image`` uint8 ``[height, width, 3]`` (the size given at export; TFLite
needs static input shapes to plan its memory) and returns the SavedModel's outputs
(``mrcnn.export.saved_model``): boxes, class_ids, scores and masks, whose first dimension N
(the number of detections) is known after ``invoke``. Every op is a TFLite builtin (no TF
Select, whose Flex delegate the interpreter of the TensorFlow 2.21 pip package lacks): the
ROIAlign layers are swapped for ``PortablePyramidROIAlign``, the same values from gathers
(``mrcnn.export.portable_layers``); the weights are folded into constants.
"""

import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema_fb
from tensorflow.lite.tools import flatbuffer_utils

from .saved_model import INPUT_NAME, OUTPUT_NAMES, SIGNATURE_NAME, frozen_function


def _with_signature(flatbuffer, output_names):
    """``flatbuffer`` with a ``serving_default`` signature naming the main graph's input
    ``image`` and its outputs ``output_names`` (in the graph's output order)."""
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    graph = model.subgraphs[0]

    def tensor_map(name, index):
        entry = schema_fb.TensorMapT()
        entry.name, entry.tensorIndex = name, int(index)
        return entry

    signature = schema_fb.SignatureDefT()
    signature.signatureKey = SIGNATURE_NAME
    signature.subgraphIndex = 0
    signature.inputs = [tensor_map(INPUT_NAME, graph.inputs[0])]
    signature.outputs = [tensor_map(name, index)
                         for name, index in zip(output_names, graph.outputs)]
    model.signatureDefs = [signature]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def convert_to_tflite(model, height, width):
    """The TFLite flatbuffer (bytes) of ``model`` (a ``MaskRCNN`` in inference mode) for
    photos of ``height`` x ``width`` pixels, with a ``serving_default`` signature (input
    ``image``; outputs boxes, class_ids, scores, masks)."""
    # The weights folded into constants (the converter would keep Keras' variables as
    # resource variables, which the interpreter cannot read without their initialiser).
    function = frozen_function(model, int(height), int(width), portable_layers=True)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function])
    # Builtin ops only: none needs TF Select (see the module docstring).
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    # A dict's outputs come flattened in key order.
    return _with_signature(converter.convert(), sorted(OUTPUT_NAMES))


def export_tflite(model, path, height, width):
    """Write the TFLite model for ``height`` x ``width`` photos at ``path``."""
    flatbuffer = convert_to_tflite(model, height, width)
    with open(path, "wb") as file:
        file.write(flatbuffer)
    return path
