"""Train two steps with MirroredStrategy over two logical CPU devices (GPU_COUNT = 2).

Run as a subprocess by tests/test_training.py: the logical devices must be configured before
TensorFlow initialises, so this cannot run inside the pytest process. Prints one JSON line.
"""

import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

from mrcnn import model as modellib  # noqa: E402
from mrcnn import training  # noqa: E402
from mrcnn.config import Config  # noqa: E402
from training_batches import synthetic_batch  # noqa: E402


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


def main(log_dir):
    config = TwoReplicaConfig()
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    model = modellib.MaskRCNN("training", config, log_dir, strategy=strategy)
    batch = synthetic_batch(config, model.get_anchors(config.IMAGE_SHAPE).shape[0], 64)
    data = tf.data.Dataset.from_tensors(batch).repeat()
    model.set_trainable("heads", verbose=0)
    trainer = training.Trainer(model.keras_model, config, strategy, 0.001)
    history = trainer.fit(data, data, 0, 1, 2, 1, log_dir + "/mask_rcnn_mirrored_{epoch:04d}.h5",
                          log_dir, verbose=0)
    print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                      "loss": history["loss"][0], "val_loss": history["val_loss"][0]}))


if __name__ == "__main__":
    main(sys.argv[1])
