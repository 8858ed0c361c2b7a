"""FlickrLogos-47 brands: configurations and dataset loader for Mask R-CNN.

The configurations carry the original project's values (48 classes = background + 47 logo
classes, 128-px images). The dataset loader (BrandsDataset) reads the FlickrLogos-47 layout
described in the project's reference notes.
"""

import os
import sys

# Import the library from this checkout, whatever the current folder is.
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         os.pardir, os.pardir))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from mrcnn.config import Config  # noqa: E402


############################################################
#  Configurations
############################################################

class BrandsConfig(Config):
    """Training configuration of the original brands sample (FlickrLogos-47)."""

    NAME = "brands"

    GPU_COUNT = 1
    IMAGES_PER_GPU = 2

    # Background + the 47 FlickrLogos-47 classes (dataset id k is internal id k + 1).
    NUM_CLASSES = 1 + 47

    IMAGE_MIN_DIM = 128
    IMAGE_MAX_DIM = 128

    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)

    TRAIN_ROIS_PER_IMAGE = 32

    STEPS_PER_EPOCH = 100

    VALIDATION_STEPS = 5


class BrandsInferenceConfig(BrandsConfig):
    """The brands configuration for detection: one image at a time."""

    GPU_COUNT = 1
    IMAGES_PER_GPU = 1
