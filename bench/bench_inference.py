"""Inference benchmark: detect() latency vs backbone-only time, first-call time, peak RSS.

Usage:
    python bench/bench_inference.py                 # both configs, each in its own process
    python bench/bench_inference.py --config coco   # COCO: ResNet101, 1024 px, 81 classes
    python bench/bench_inference.py --config brands # brands: ResNet101, 128 px, 48 classes

Weights are random values in the exact COCO layout (the real file cannot be downloaded here);
the graph does the same work whatever the values, except the mask head, which runs on the
detections kept: the number of detections is printed with the timings.
"""

import argparse
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def make_config(name):
    from mrcnn.config import Config

    if name == "coco":
        class BenchConfig(Config):
            NAME = "coco"
            NUM_CLASSES = 81
            GPU_COUNT = 1
            IMAGES_PER_GPU = 1
    else:
        class BenchConfig(Config):
            NAME = "brands"
            NUM_CLASSES = 48
            GPU_COUNT = 1
            IMAGES_PER_GPU = 1
            IMAGE_MIN_DIM = 128
            IMAGE_MAX_DIM = 128
            RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
            TRAIN_ROIS_PER_IMAGE = 32
    return BenchConfig()


def time_calls(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run_one(name, repeats):
    import keras
    import tensorflow as tf

    from mrcnn import model as modellib
    from mrcnn.image_io import read_image
    from mrcnn.testing import write_coco_layout_weights

    config = make_config(name)
    image = read_image(REPO_ROOT / "images" / "sample_image_0.jpg")
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "w.h5")
        write_coco_layout_weights(weights, num_classes=config.NUM_CLASSES, seed=0)
        t0 = time.perf_counter()
        model = modellib.MaskRCNN("inference", config, tmp)
        model.load_weights(weights, by_name=True)
        build_load_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = model.detect([image])[0]
    first_call_s = time.perf_counter() - t0
    detect_times = time_calls(lambda: model.detect([image]), repeats)

    # Backbone only (ResNet up to C5) at the same molded size, compiled the same way.
    km = model.keras_model
    backbone = keras.Model(km.get_layer("input_image").output, km.get_layer("res5c_out").output)
    backbone_fn = tf.function(lambda x: backbone(x, training=False))
    molded, _, _ = model.mold_inputs([image])
    molded = tf.constant(molded)
    backbone_fn(molded)
    backbone_times = time_calls(lambda: backbone_fn(molded).numpy(), repeats)

    detect_s = statistics.median(detect_times)
    backbone_s = statistics.median(backbone_times)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"config={name} input={int(config.IMAGE_MAX_DIM)}px backbone={config.BACKBONE} "
          f"classes={config.NUM_CLASSES} detections={len(result['class_ids'])}")
    print(f"  build+load weights : {build_load_s:8.2f} s")
    print(f"  first detect()     : {first_call_s:8.2f} s")
    print(f"  detect() median    : {detect_s * 1000:8.1f} ms  (n={repeats})")
    print(f"  backbone median    : {backbone_s * 1000:8.1f} ms")
    print(f"  detect / backbone  : {detect_s / backbone_s:8.2f}")
    print(f"  peak RSS           : {peak_rss_mb:8.0f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=["coco", "brands"],
                        help="run one config in this process (default: both, one process each)")
    parser.add_argument("--repeats", type=int, default=10, help="timed calls after warm-up")
    args = parser.parse_args()
    if args.config:
        run_one(args.config, args.repeats)
        return 0
    status = 0
    for name in ("coco", "brands"):
        status |= subprocess.call([sys.executable, __file__, "--config", name,
                                   "--repeats", str(args.repeats)])
    return status


if __name__ == "__main__":
    sys.exit(main())
