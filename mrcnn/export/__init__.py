"""Export a Mask R-CNN model to where models are deployed: a TensorFlow SavedModel (TensorFlow
Serving, ``tf.saved_model.load``), TensorFlow Lite and ONNX (ONNX Runtime).

Each export takes one uint8 RGB photo ``image`` [H, W, 3] and returns ``boxes`` float32 [N, 4]
(y1, x1, y2, x2 in photo pixels), ``class_ids`` int32 [N], ``scores`` float32 [N] and
``masks`` uint8 [N, H, W] (0/1): ``MaskRCNN.detect()``'s results, with the molding, the
network and the unmolding inside the exported graph (``graph``).

* ``saved_model.export_saved_model(model, path)``: any photo size;
* ``tflite.export_tflite(model, path, height, width)``: one photo size, builtin ops only
  (``portable_layers``);
* ``onnx.export_onnx(model, path)``: any photo size, through tf2onnx (the ``export`` extra);
* ``cli``: the ``mrcnn-export`` command, ``python -m mrcnn.export``.

``model`` is a ``mrcnn.model.MaskRCNN`` in inference mode with its weights loaded, whose
config uses "square" resizing and one image per batch. Importing this package imports no
TensorFlow; the submodules do.
"""
