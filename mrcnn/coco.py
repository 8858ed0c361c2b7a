"""matterport's COCO model: its configuration and class names.

`CocoConfig` is the configuration the published ``mask_rcnn_coco.h5`` weights were trained with
(ResNet101 backbone, 80 object classes plus background). `COCO_CLASS_NAMES` maps the model's
class ids to names: ``COCO_CLASS_NAMES[class_id]``, with id 0 the background ``"BG"``. The COCO
dataset, training and evaluation are in ``samples/coco/coco.py``, which re-exports both names
(``import coco; coco.CocoConfig``) as matterport's sample did.
"""

from mrcnn.config import Config


class CocoConfig(Config):
    """Configuration for training on MS COCO; derives from the base `Config`."""

    NAME = "coco"

    # The published model was trained with 2 images per GPU on 8 GPUs; 2 fits a 12 GB GPU.
    IMAGES_PER_GPU = 2

    # Background + 80 COCO object classes.
    NUM_CLASSES = 1 + 80


# Class names of the COCO model, index = class id predicted by the model (matterport's demo order;
# this is the order of the sorted COCO category ids, without the gaps of the official ids).
COCO_CLASS_NAMES = [
    "BG", "person", "bicycle", "car", "motorcycle", "airplane",
    "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird",
    "cat", "dog", "horse", "sheep", "cow", "elephant", "bear",
    "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie",
    "suitcase", "frisbee", "skis", "snowboard", "sports ball",
    "kite", "baseball bat", "baseball glove", "skateboard",
    "surfboard", "tennis racket", "bottle", "wine glass", "cup",
    "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza",
    "donut", "cake", "chair", "couch", "potted plant", "bed",
    "dining table", "toilet", "tv", "laptop", "mouse", "remote",
    "keyboard", "cell phone", "microwave", "oven", "toaster",
    "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
]
