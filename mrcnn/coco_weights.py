"""Matterport's COCO-trained weights: where they were published, and the download stub.

``download_trained_weights`` is kept for matterport API compatibility only; this library never
downloads anything. Reading and writing weight files is ``mrcnn.weights_io``.
"""

import os

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
