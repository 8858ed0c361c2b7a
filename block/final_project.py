#!/usr/bin/env python3
"""Logo eraser: find brand logos in photos and videos with Mask R-CNN and hide them.

    cd block && python final_project.py -gpu 0 -i ../images/sample_image_0.jpg  # ./eraser.png
    python block/final_project.py -i photo.jpg -o hidden.jpg --style blur
    python block/final_project.py -i clip.mp4                  # ./eraser.mp4, sound kept
    python block/final_project.py -i holiday/ -o holiday_erased/ --keep google,apple

The original project's entry point, kept with its flags; the command is the installed
``logo-eraser`` (``logo_eraser.cli``, where the options and exit codes are documented). See
block/README.md.
"""

import sys

from logo_eraser.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="final_project.py"))
