"""Train two steps with MirroredStrategy over two logical CPU devices (GPU_COUNT = 2).

Run as a subprocess by tests/test_training.py: the logical devices must be configured before
TensorFlow initialises, so this cannot run inside the pytest process. Prints one JSON line.
"""

import json
import sys

import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

from mrcnn import model as modellib  # noqa: E402
from mrcnn import training  # noqa: E402
from mrcnn.config import Config  # noqa: E402
from mrcnn.modeling.image_meta import compose_image_meta  # noqa: E402


class TwoReplicaConfig(Config):
    NAME = "mirrored"
    BACKBONE = "resnet50"
    GPU_COUNT = 2
    IMAGES_PER_GPU = 1
    NUM_CLASSES = 3
    IMAGE_MIN_DIM = IMAGE_MAX_DIM = 64
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
    TRAIN_ROIS_PER_IMAGE = 8
    POST_NMS_ROIS_TRAINING = 100
    MAX_GT_INSTANCES = 2
    FPN_CLASSIF_FC_LAYERS_SIZE = 64


def synthetic_batch(config, num_anchors):
    """One global batch in the training input format, with one GT box per image."""
    b = config.BATCH_SIZE
    rng = np.random.default_rng(0)
    images = rng.normal(0, 50, (b, 64, 64, 3)).astype(np.float32)
    metas = np.stack([compose_image_meta(i, (64, 64, 3), (64, 64, 3), (0, 0, 64, 64), 1.0,
                                         np.ones(config.NUM_CLASSES))
                      for i in range(b)]).astype(np.float32)
    rpn_match = np.zeros((b, num_anchors, 1), np.int32)
    rpn_match[:, :40] = -1
    rpn_match[:, 40:44] = 1
    rpn_bbox = np.zeros((b, config.RPN_TRAIN_ANCHORS_PER_IMAGE, 4), np.float32)
    gt_ids = np.zeros((b, 2), np.int32)
    gt_ids[:, 0] = 1
    gt_boxes = np.zeros((b, 2, 4), np.float32)
    gt_boxes[:, 0] = [10, 10, 40, 50]
    gt_masks = np.zeros((b, 56, 56, 2), bool)
    gt_masks[:, 5:50, 5:50, 0] = True
    return images, metas, rpn_match, rpn_bbox, gt_ids, gt_boxes, gt_masks


def main(log_dir):
    config = TwoReplicaConfig()
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    model = modellib.MaskRCNN("training", config, log_dir, strategy=strategy)
    batch = synthetic_batch(config, model.get_anchors(config.IMAGE_SHAPE).shape[0])
    data = tf.data.Dataset.from_tensors(batch).repeat()
    model.set_trainable("heads", verbose=0)
    trainer = training.Trainer(model.keras_model, config, strategy, 0.001)
    history = trainer.fit(data, data, 0, 1, 2, 1, log_dir + "/mask_rcnn_mirrored_{epoch:04d}.h5",
                          log_dir, verbose=0)
    print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                      "loss": history["loss"][0], "val_loss": history["val_loss"][0]}))


if __name__ == "__main__":
    main(sys.argv[1])
