"""Export to TensorFlow Lite (float32), for a fixed photo size.

The model takes ``image`` uint8 ``[height, width, 3]`` (the size given at export; TFLite
needs static input shapes to plan its memory) and returns the SavedModel's outputs
(``mrcnn.export.saved_model``): boxes, class_ids, scores and masks, and ``num_detections``
(int32): the interpreter crashes on empty tensors, so the rows are never fewer than one and
only the first num_detections are detections (``detections_of``). Every op is a TFLite builtin (no TF
Select, whose Flex delegate the interpreter of the TensorFlow 2.21 pip package lacks): the
ROIAlign layers are swapped for ``PortablePyramidROIAlign``, the same values from gathers
(``mrcnn.export.portable_layers``); the weights are folded into constants.
"""

import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema_fb
from tensorflow.lite.tools import flatbuffer_utils

from .saved_model import INPUT_NAME, OUTPUT_NAMES, SIGNATURE_NAME, PhotoDetector, frozen_function

# The SavedModel's outputs and the count of leading rows that are detections.
TFLITE_OUTPUT_NAMES = OUTPUT_NAMES + ("num_detections",)


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
    return _with_signature(converter.convert(), sorted(TFLITE_OUTPUT_NAMES))


def detections_of(outputs):
    """The TFLite signature's outputs -> the SavedModel's: the first ``num_detections`` rows
    of boxes, class_ids, scores and masks (the model never returns empty tensors, so a photo
    without detections gives one zero row and num_detections 0)."""
    count = int(np.asarray(outputs["num_detections"]))
    return {name: np.asarray(outputs[name])[:count] for name in OUTPUT_NAMES}


class TFLiteMismatchError(RuntimeError):
    """The converted model's detections differ from TensorFlow's on the probe photo."""


def probe_photo(height, width):
    """A deterministic uint8 [height, width, 3] test photo: smooth colour gradients and
    blocks, something a detector reacts to."""
    rows = np.linspace(0.0, 1.0, height)[:, None]
    cols = np.linspace(0.0, 1.0, width)[None, :]
    channels = [np.sin(6.0 * rows + 3.0 * cols), np.cos(4.0 * rows * cols * 9.0),
                np.sin(9.0 * cols) * np.cos(5.0 * rows)]
    photo = (np.stack(channels, axis=-1) * 100.0 + 128.0)
    photo[height // 4:height // 2, width // 3:2 * width // 3] = (230.0, 40.0, 40.0)
    return np.clip(photo, 0, 255).astype(np.uint8)


def check_against_tensorflow(model, flatbuffer, height, width):
    """Run the converted model and the SavedModel's graph (TensorFlow, the original layers) on
    ``probe_photo``; raise TFLiteMismatchError unless they give the same detections (count,
    classes, boxes within a pixel, scores within 1e-3). The TFLite converter has
    mistranslated parts of this graph before (mrcnn.export.portable_layers), so a model whose
    detections differ is refused rather than written."""
    photo = probe_photo(height, width)
    expected = {k: v.numpy() for k, v in
                PhotoDetector(model.keras_model, model.config).detect(tf.constant(photo)).items()}
    interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    got = detections_of(interpreter.get_signature_runner(SIGNATURE_NAME)(image=photo))

    def ordered(outputs):
        order = np.lexsort((outputs["boxes"][:, 1], outputs["boxes"][:, 0], -outputs["scores"]))
        return {k: np.asarray(v)[order] for k, v in outputs.items() if k != "masks"}

    expected, got = ordered(expected), ordered(got)
    count, got_count = len(expected["scores"]), len(got["scores"])
    same = (count == got_count
            and np.array_equal(expected["class_ids"], got["class_ids"])
            and np.allclose(expected["boxes"], got["boxes"], atol=1.0)
            and np.allclose(expected["scores"], got["scores"], atol=1e-3))
    if not same:
        detail = f"{got_count} against {count} detections"
        if count == got_count:
            apart = np.abs(expected["boxes"] - got["boxes"]).max(axis=1)
            far = int((apart > 1.0).sum())
            detail += (f"; {far} box{'es' if far != 1 else ''} more than a pixel apart, up to "
                       f"{apart.max():.1f} px")
        raise TFLiteMismatchError(
            f"the TFLite interpreter's detections differ from TensorFlow's on a test photo "
            f"({detail}); nothing written (README, export section; --no-check writes it anyway)")


def export_tflite(model, path, height, width, check=True):
    """Write the TFLite model for ``height`` x ``width`` photos at ``path``; with ``check``
    (default), first ``check_against_tensorflow`` (raises TFLiteMismatchError, writes
    nothing)."""
    flatbuffer = convert_to_tflite(model, height, width)
    if check:
        check_against_tensorflow(model, flatbuffer, height, width)
    with open(path, "wb") as file:
        file.write(flatbuffer)
    return path
