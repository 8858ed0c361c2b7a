#!/usr/bin/env python3
"""Detect the 80 COCO object classes in one photo and write a picture of the result.

    python samples/demo.py -i images/sample_image_0.jpg -o output.png
    python samples/demo.py -i photo.jpg --weights /data/mask_rcnn_coco.h5 --min-confidence 0.5

The teaching demo of matterport's Mask R-CNN, kept as a script; the command is the installed
``mrcnn-demo`` (``mrcnn.demo``, where options and exit codes are documented). Here the weights
default to ``mask_rcnn_coco.h5`` at the checkout's root (never downloaded; see README.md).
"""

import os
import sys

from mrcnn.demo import main

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_WEIGHTS_PATH = os.path.join(REPO_ROOT, "mask_rcnn_coco.h5")

if __name__ == "__main__":
    sys.exit(main(default_weights=DEFAULT_WEIGHTS_PATH, prog="demo.py"))
