"""Run an exported model in its own runtime, in a process where ``mrcnn`` cannot be imported.

Usage: python run_exported.py FORMAT MODEL_PATH PHOTOS_NPZ RESULTS_NPZ
FORMAT: saved_model | tflite | onnx. PHOTOS_NPZ holds uint8 [H, W, 3] arrays photo0, photo1...;
RESULTS_NPZ gets, per photo k, boxes_k, class_ids_k, scores_k, masks_k (the model's outputs)
and load_seconds. The tests compare them with ``MaskRCNN.detect()``.
"""

import importlib.abc
import sys
import time

import numpy as np


class _BlockPackages(importlib.abc.MetaPathFinder):
    """Make ``mrcnn`` and ``logo_eraser`` unimportable, as on a serving machine."""

    BLOCKED = ("mrcnn", "logo_eraser")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.BLOCKED:
            raise ImportError(f"{name} is blocked: exported models must run without it")
        return None


def _saved_model_runner(path):
    import tensorflow as tf

    serve = tf.saved_model.load(path).signatures["serving_default"]
    return lambda photo: {k: v.numpy() for k, v in serve(image=tf.constant(photo)).items()}


def _tflite_runner(path):
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=path)
    runner = interpreter.get_signature_runner()

    def run(photo):
        # Only the first num_detections rows are detections (the model never returns an
        # empty tensor: see mrcnn.export.tflite).
        outputs = runner(image=photo)
        count = int(outputs["num_detections"])
        return {name: outputs[name][:count] for name in ("boxes", "class_ids", "scores", "masks")}

    return run


def _onnx_runner(path):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return lambda photo: dict(zip(names, session.run(names, {"image": photo})))


RUNNERS = {"saved_model": _saved_model_runner, "tflite": _tflite_runner, "onnx": _onnx_runner}


def main(argv):
    sys.meta_path.insert(0, _BlockPackages())
    export_format, model_path, photos_path, results_path = argv
    photos = np.load(photos_path)
    start = time.perf_counter()
    run = RUNNERS[export_format](model_path)
    results = {"load_seconds": np.float64(time.perf_counter() - start)}
    for index in range(len(photos.files)):
        outputs = run(photos[f"photo{index}"])
        for name in ("boxes", "class_ids", "scores", "masks"):
            results[f"{name}_{index}"] = np.asarray(outputs[name])
    np.savez_compressed(results_path, **results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
