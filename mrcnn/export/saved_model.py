"""Export to a TensorFlow SavedModel: one photo in, its detections out, TensorFlow alone.

The ``serving_default`` signature takes ``image``, uint8 ``[H, W, 3]`` RGB of any size, and
returns ``boxes`` float32 ``[N, 4]`` (y1, x1, y2, x2 in photo pixels, y2/x2 excluded),
``class_ids`` int32 ``[N]``, ``scores`` float32 ``[N]`` and ``masks`` uint8 ``[N, H, W]`` (0/1):
the molding, the network and the unmolding all run inside the graph (``mrcnn.export.graph``),
so ``tf.saved_model.load`` needs neither this package nor Keras. TensorFlow Serving loads it
as it is (put it under a numbered version folder, e.g. ``models/mask_rcnn/1``).
"""

import tensorflow as tf

from .exportable import check_exportable
from .graph import detect_photo, network_anchors

SIGNATURE_NAME = "serving_default"
INPUT_NAME = "image"
OUTPUT_NAMES = ("boxes", "class_ids", "scores", "masks")


def photo_spec(height=None, width=None):
    """The input: one uint8 RGB photo [height, width, 3] (None: any size)."""
    return tf.TensorSpec([height, width, 3], tf.uint8, name=INPUT_NAME)


class PhotoDetector(tf.Module):
    """A ``tf.Module`` around a loaded ``MaskRCNN`` inference model that detects in one photo.

    keras_model: ``MaskRCNN.keras_model`` (inference mode, weights loaded); config: its
    ``Config`` (checked by ``exportable.check_exportable``); float64_mean: see
    ``graph.mold_photo`` (False for TFLite); pad_empty: see ``graph.unmold_detections`` (True
    for TFLite). ``detect`` is the tf.function the
    SavedModel signature serves; ``function_for(height, width)`` traces it for a fixed size.
    """

    def __init__(self, keras_model, config, float64_mean=True, pad_empty=False):
        super().__init__(name="mask_rcnn_photo_detector")
        check_exportable(config)
        self.network = keras_model
        self._config = config
        self._float64_mean = float64_mean
        self._pad_empty = pad_empty
        self._anchors = network_anchors(config)
        self.detect = tf.function(self._detect, input_signature=[photo_spec()],
                                  autograph=False)

    def _detect(self, image):
        """uint8 [H, W, 3] -> dict boxes, class_ids, scores, masks (see the module docstring)."""
        return detect_photo(self.network, self._config, self._anchors, image,
                            float64_mean=self._float64_mean, pad_empty=self._pad_empty)

    def function_for(self, height=None, width=None):
        """The concrete function for photos of [height, width, 3] (None: any size)."""
        if height is None and width is None:
            return self.detect.get_concrete_function()
        return tf.function(self._detect, autograph=False).get_concrete_function(
            photo_spec(height, width))


def frozen_function(model, height=None, width=None, portable_layers=False,
                    lower_control_flow=True):
    """``model``'s photo detector for [height, width, 3] photos (None: any size) as a concrete
    function with its weights and captured tensors folded into constants: what the TFLite and
    ONNX converters take. portable_layers: build it with the layers of
    ``mrcnn.export.portable_layers``, the mean pixel subtracted in float32 and no empty output
    (TFLite builtin ops only; adds the ``num_detections`` output). lower_control_flow: turn
    While/If into TF1 control flow (what the TFLite converter takes; tf2onnx wants False)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)

    keras_model = model.keras_model
    if portable_layers:
        from .portable_layers import with_portable_layers

        keras_model = with_portable_layers(keras_model)
    detector = PhotoDetector(keras_model, model.config, float64_mean=not portable_layers,
                             pad_empty=portable_layers)
    return convert_variables_to_constants_v2(detector.function_for(height, width),
                                             lower_control_flow=lower_control_flow,
                                             aggressive_inlining=not lower_control_flow)


def export_saved_model(model, path):
    """Write ``model`` (a ``MaskRCNN`` in inference mode) as a SavedModel folder at ``path``
    with the ``serving_default`` signature described in the module docstring."""
    detector = PhotoDetector(model.keras_model, model.config)
    signature = detector.function_for()
    tf.saved_model.save(detector, str(path), signatures={SIGNATURE_NAME: signature})
    return path
