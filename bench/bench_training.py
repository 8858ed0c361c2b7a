"""Training benchmark: seconds per training step and peak RSS.

Usage:
    python bench/bench_training.py                  # both configs, each in its own process
    python bench/bench_training.py --config shapes  # matterport's ShapesConfig (ResNet101,
                                                    #   128 px, 8 images, 32 ROIs)
    python bench/bench_training.py --config brands  # BrandsConfig (ResNet101, 128 px, 2 images,
                                                    #   48 classes, 32 ROIs)
    python bench/bench_training.py --config shapes-small  # shapes with `--backbone small`
                                                    #   (light backbone and heads, 8 images)

Both train all layers on synthetic shapes (the class count only sizes the heads), starting from
the random initialisation; the first steps (tracing) are excluded from the median.
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
SHAPES_SCRIPT = REPO_ROOT / "samples" / "shapes" / "shapes.py"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def make_config(name):
    from mrcnn.testing import load_script_module

    shapes = load_script_module(SHAPES_SCRIPT)

    if name == "shapes":
        return shapes.ShapesConfig()
    if name == "shapes-small":
        return shapes.ShapesConfig().with_overrides(**shapes.SMALL_BACKBONE_OVERRIDES)

    class BrandsLikeConfig(shapes.ShapesConfig):
        NAME = "brands"
        IMAGES_PER_GPU = 2
        NUM_CLASSES = 48
    return BrandsLikeConfig()


def run_one(name, steps, warmup):
    import numpy as np

    from mrcnn.testing import load_script_module

    shapes = load_script_module(SHAPES_SCRIPT)
    from mrcnn import model as modellib
    from mrcnn import training
    from mrcnn.data import make_training_dataset

    config = make_config(name)
    dataset = shapes.ShapesDataset()
    dataset.load_shapes(64, 128, 128, seed=0)
    # The brands config has 48 classes: register unused ones so the head sizes match.
    for class_id in range(4, config.NUM_CLASSES):
        dataset.add_class("shapes", class_id, f"unused{class_id}")
    dataset.prepare()
    with tempfile.TemporaryDirectory() as tmp:
        model = modellib.MaskRCNN("training", config, tmp)
        model.set_trainable("all", verbose=0)
        trainer = training.Trainer(model.keras_model, config, model.strategy, 0.001)
        trainer._make_steps()
        batches = iter(make_training_dataset(dataset, config, seed=0))
        times = []
        for i in range(warmup + steps):
            batch = next(batches)
            start = time.perf_counter()
            values = trainer._train_step(batch).numpy()
            times.append(time.perf_counter() - start)
            assert np.all(np.isfinite(values))
    step_s = statistics.median(times[warmup:])
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backbone = getattr(config.BACKBONE, "__name__", config.BACKBONE)
    print(f"config={name} backbone={backbone} input={int(config.IMAGE_MAX_DIM)}px "
          f"images/step={config.BATCH_SIZE} rois/image={config.TRAIN_ROIS_PER_IMAGE} "
          f"classes={config.NUM_CLASSES}")
    print(f"  first step (tracing) : {times[0]:8.1f} s")
    print(f"  step median          : {step_s:8.2f} s  (n={steps}; data loading excluded, it "
          f"runs in parallel threads)")
    print(f"  images per second    : {config.BATCH_SIZE / step_s:8.2f}")
    print(f"  peak RSS             : {peak_rss_mb:8.0f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=["shapes", "brands", "shapes-small"],
                        help="run one config in this process (default: all three, one process each)")
    parser.add_argument("--steps", type=int, default=8, help="timed steps after warm-up")
    parser.add_argument("--warmup", type=int, default=2, help="untimed first steps")
    args = parser.parse_args()
    if args.config:
        run_one(args.config, args.steps, args.warmup)
        return 0
    status = 0
    for name in ("shapes", "brands", "shapes-small"):
        status |= subprocess.call([sys.executable, __file__, "--config", name,
                                   "--steps", str(args.steps), "--warmup", str(args.warmup)])
    return status


if __name__ == "__main__":
    sys.exit(main())
