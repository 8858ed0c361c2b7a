"""Export benchmark: seconds per photo of detect() against the exported SavedModel and ONNX
Runtime models and TFLite, with their export, load and first-call times.

Usage:
    python bench/bench_export.py                    # both models
    python bench/bench_export.py --model coco       # COCO layout: ResNet101, 1024 px, 81 classes
    python bench/bench_export.py --model logo       # the shipped logo model (its own backbone)
    python bench/bench_export.py --repeats 5 --photo images/sample_image_0.jpg

The COCO weights are random values in the exact COCO layout (the real file cannot be
downloaded here; the work is the same, except the mask head's, which grows with the number of
detections, printed with the timings). Each exported model runs in a fresh process (its load
time measured there) with every core: TensorFlow's and ONNX Runtime's default thread pools,
and the TFLite interpreter with ``num_threads = os.cpu_count()``. The time per photo is the
median of ``--repeats`` calls after one warm-up call, photo in, detections out (detect()
includes its NumPy molding and unmolding; the exports do both in their graph).
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TFLite runs at the photo's own size (a TFLite model takes one size); an export its
# self-check refuses is timed as --no-check would write it, and the table says so.
FORMATS = ("saved_model", "onnx", "tflite")


def median_seconds(function, repeats):
    """Median wall time of ``repeats`` calls after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---------------------------------------------------------------- the runtimes (own process)
def runtime_main(export_format, model_path, photo_path, repeats):
    """Load an export, time it on the photo; print one JSON line."""
    import numpy as np

    photo = np.load(photo_path)
    start = time.perf_counter()
    if export_format == "saved_model":
        import tensorflow as tf

        serve = tf.saved_model.load(model_path).signatures["serving_default"]
        run = lambda: serve(image=tf.constant(photo))["masks"].numpy()  # noqa: E731
    elif export_format == "tflite":
        import tensorflow as tf

        interpreter = tf.lite.Interpreter(model_path=model_path, num_threads=os.cpu_count())
        runner = interpreter.get_signature_runner()
        run = lambda: runner(image=photo)  # noqa: E731
    else:
        import onnxruntime

        session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        run = lambda: session.run(None, {"image": photo})  # noqa: E731
    load_seconds = time.perf_counter() - start
    first_start = time.perf_counter()
    run()
    first_call = time.perf_counter() - first_start
    per_photo = median_seconds(run, repeats)
    print(json.dumps({"load_s": load_seconds, "first_call_s": first_call,
                      "per_photo_s": per_photo}))


def run_in_fresh_process(export_format, model_path, photo_path, repeats):
    completed = subprocess.run(
        [sys.executable, __file__, "--runtime", export_format, str(model_path), str(photo_path),
         str(repeats)], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{export_format} run failed: {completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the models
def load_model(name, folder):
    """(label, MaskRCNN inference model) for ``name``: coco or logo."""
    if name == "coco":
        from mrcnn.coco import CocoConfig
        from mrcnn.export.cli import load_model as load_exportable
        from mrcnn.testing import write_coco_layout_weights

        weights = os.path.join(folder, "mask_rcnn_coco_random.h5")
        write_coco_layout_weights(weights, seed=0)
        config = CocoConfig().with_overrides(GPU_COUNT=1, IMAGES_PER_GPU=1)
        return "COCO layout (ResNet101, 1024 px, 81 classes)", load_exportable(
            config, weights, "coco")
    from logo_eraser.models import SHIPPED_WEIGHTS_PATH, eraser_config_for, load_eraser_model

    config = eraser_config_for(SHIPPED_WEIGHTS_PATH)
    backbone = config.BACKBONE if isinstance(config.BACKBONE, str) else "small backbone"
    label = f"shipped logo model ({backbone}, {config.IMAGE_MAX_DIM} px, one size)"
    return label, load_eraser_model(SHIPPED_WEIGHTS_PATH, config,
                                    model_dir=os.path.join(folder, "logs"))


def bench_model(name, photo, repeats):
    import numpy as np

    from mrcnn.export.onnx import export_onnx
    from mrcnn.export.saved_model import export_saved_model
    from mrcnn.export.tflite import (TFLiteMismatchError, check_against_tensorflow,
                                     convert_to_tflite)

    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        label, model = load_model(name, folder)
        detections = len(model.detect([photo])[0]["class_ids"])
        rows = {"detect()": {"per_photo_s": median_seconds(lambda: model.detect([photo]),
                                                           repeats)}}
        photo_path = os.path.join(folder, "photo.npy")
        np.save(photo_path, photo)
        for export_format in FORMATS:
            path = os.path.join(folder, f"model.{export_format}")
            refused = None
            start = time.perf_counter()
            if export_format == "saved_model":
                export_saved_model(model, path)
            elif export_format == "tflite":
                # export_tflite's steps, converted once: a refused model is written and timed
                # all the same (as --no-check would write it), and the table says so.
                flatbuffer = convert_to_tflite(model, *photo.shape[:2])
                try:
                    check_against_tensorflow(model, flatbuffer, *photo.shape[:2])
                except TFLiteMismatchError as error:
                    refused = str(error)
                with open(path, "wb") as file:
                    file.write(flatbuffer)
            else:
                export_onnx(model, path)
            export_seconds = time.perf_counter() - start
            row = run_in_fresh_process(export_format, path, photo_path, repeats)
            row["export_s"] = export_seconds
            if refused:
                row["refused"] = refused
            rows[export_format] = row
    print(f"\n{label}: photo {photo.shape[1]}x{photo.shape[0]}, {detections} detections at "
          f"score >= {model.config.DETECTION_MIN_CONFIDENCE:g}, median of {repeats}")
    print("| runtime | s / photo | load s | first call s | export s |")
    print("|---|---|---|---|---|")
    for runtime, row in rows.items():
        cells = [f"{row[key]:.2f}" if key in row else "" for key in
                 ("per_photo_s", "load_s", "first_call_s", "export_s")]
        print(f"| {runtime}{' (--no-check, see below)' if row.get('refused') else ''} | "
              + " | ".join(cells) + " |")
    for runtime, row in rows.items():
        if row.get("refused"):
            print(f"{runtime}: the self-check refused this export: {row['refused']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("coco", "logo", "both"), default="both")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--photo", default=str(REPO_ROOT / "images" / "sample_image_0.jpg"))
    parser.add_argument("--runtime", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runtime:
        export_format, model_path, photo_path, repeats = args.runtime
        runtime_main(export_format, model_path, photo_path, int(repeats))
        return 0
    from mrcnn.image_io import read_image

    photo = read_image(args.photo)
    print(f"{os.cpu_count()} CPU cores; {args.photo}")
    for name in (("coco", "logo") if args.model == "both" else (args.model,)):
        bench_model(name, photo, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
