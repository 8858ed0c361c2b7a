"""matterport's COCO model: its configuration, class names, and where its weights were published.

`CocoConfig` is the configuration the published ``mask_rcnn_coco.h5`` weights were trained with
(ResNet101 backbone, 80 object classes plus background). `COCO_CLASS_NAMES` maps the model's
class ids to names: ``COCO_CLASS_NAMES[class_id]``, with id 0 the background ``"BG"``. The COCO
dataset, training and evaluation are in ``samples/coco/coco.py``, which re-exports both names
(``import coco; coco.CocoConfig``) as matterport's sample did.

``download_trained_weights`` is kept for matterport API compatibility only (``mrcnn.utils``
re-exports it): this library never downloads anything. Reading and writing weight files is
``mrcnn.weights_io``.
"""

import os

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


# Where matterport published its COCO-trained weights (kept for API compatibility only;
# nothing in this library downloads anything).
COCO_MODEL_URL = "https://github.com/matterport/Mask_RCNN/releases/download/v2.0/mask_rcnn_coco.h5"
COCO_RELEASES_PAGE = "https://github.com/matterport/Mask_RCNN/releases"


def download_trained_weights(coco_model_path, verbose=1):
    """Kept for matterport API compatibility; this library never downloads anything.

    If `coco_model_path` already exists it is left alone (returns its path). Otherwise
    raises FileNotFoundError saying where the file must go and where to get it:
    mask_rcnn_coco.h5 from https://github.com/matterport/Mask_RCNN/releases (v2.0).
    """
    path = os.path.abspath(os.fspath(coco_model_path))
    if os.path.isfile(path):
        if verbose > 0:
            print(f"COCO weights already present: {path}")
        return path
    raise FileNotFoundError(
        f"COCO weights not found at '{path}': this library does not download files; "
        f"get mask_rcnn_coco.h5 from matterport's GitHub releases page "
        f"({COCO_RELEASES_PAGE}, release v2.0) by hand and save it at that path"
    )
