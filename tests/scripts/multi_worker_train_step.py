"""One of two workers training two steps with MultiWorkerMirroredStrategy on this machine.

Usage: python multi_worker_train_step.py WORK_DIR
with TF_CONFIG set (two ``worker`` addresses on 127.0.0.1 and this worker's ``task`` index),
as on each machine of a real cluster. Run twice at once by tests/mrcnn/test_multi_worker.py.
The worker trains the heads of a tiny-backbone Mask R-CNN for one epoch of two steps with
``Trainer.fit`` (the loop ``MaskRCNN.train`` runs), checkpoints in ``WORK_DIR/worker<i>``, then
writes its final weights to ``WORK_DIR/weights_worker<i>.npz`` and prints one JSON line.
"""

import json
import os
import sys

import numpy as np
import tensorflow as tf

from mrcnn import model as modellib
from mrcnn import training
from mrcnn.config import Config
from mrcnn.testing import tiny_backbone, tiny_backbone_shapes
from training_batches import synthetic_batch

SIDE = 64


class TwoWorkerConfig(Config):
    """Two workers with one device each: GPU_COUNT counts the devices of all workers."""

    NAME = "multiworker"
    BACKBONE = staticmethod(tiny_backbone)
    COMPUTE_BACKBONE_SHAPE = staticmethod(tiny_backbone_shapes)
    GPU_COUNT = 2
    IMAGES_PER_GPU = 1
    NUM_CLASSES = 3
    IMAGE_MIN_DIM = IMAGE_MAX_DIM = SIDE
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
    TOP_DOWN_PYRAMID_SIZE = 32
    RPN_CONV_CHANNELS = 32
    FPN_CLASSIF_FC_LAYERS_SIZE = 32
    MASK_HEAD_CHANNELS = 16
    TRAIN_ROIS_PER_IMAGE = 8
    POST_NMS_ROIS_TRAINING = 100
    MAX_GT_INSTANCES = 2


def main(work_dir):
    task_index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    # Different seeds: the initial weights must come from worker 0 (the strategy broadcasts
    # them), not from both workers drawing the same numbers.
    tf.keras.utils.set_random_seed(100 + task_index)
    config = TwoWorkerConfig()
    model_dir = os.path.join(work_dir, f"worker{task_index}")
    os.makedirs(model_dir, exist_ok=True)
    model = modellib.MaskRCNN("training", config, model_dir, strategy=strategy)
    batch = synthetic_batch(config, model.get_anchors(config.IMAGE_SHAPE).shape[0], SIDE,
                            rpn_bbox_noise=0.1)
    options = tf.data.Options()
    # The batch is already the global one: each worker takes its replica's share of it.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    data = tf.data.Dataset.from_tensors(batch).repeat().with_options(options)
    model.set_trainable("heads", verbose=0)
    before = [w.copy() for w in model.keras_model.get_weights()]
    trainer = training.Trainer(model.keras_model, config, strategy, 0.01)
    history = trainer.fit(data, None, 0, 1, 2, 0,
                          os.path.join(model_dir, "mask_rcnn_multiworker_{epoch:04d}.h5"),
                          model_dir, verbose=0)
    weights = model.keras_model.get_weights()
    np.savez(os.path.join(work_dir, f"weights_worker{task_index}.npz"), *weights)
    changed = sum(int(not np.array_equal(a, b)) for a, b in zip(before, weights))
    print(json.dumps({"task": task_index, "replicas": strategy.num_replicas_in_sync,
                      "loss": history["loss"][0], "arrays_changed": changed}))


if __name__ == "__main__":
    main(sys.argv[1])
