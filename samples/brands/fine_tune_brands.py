#!/usr/bin/env python3
"""Fine-tune Mask R-CNN on FlickrLogos-47 (47 logo classes), or evaluate the result.

    python fine_tune_brands.py --gpu 0                    # train (the default command)
    python fine_tune_brands.py evaluate --gpu 0           # mAP@0.5 and COCO AP on test/

The original project's entry point, kept with its flags (``--dir``, ``--load``, ``--infer``
included); the command is the installed ``logo-train`` (``logo_eraser.training``, where the
options, defaults and exit codes are documented).
"""

import sys

from logo_eraser.training import main

if __name__ == "__main__":
    sys.exit(main(prog="fine_tune_brands.py"))
