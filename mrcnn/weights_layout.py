"""The layout of matterport's COCO weights file (``mask_rcnn_coco.h5``), packaged with mrcnn.

``layout_table`` reads ``mrcnn/data/mask_rcnn_coco_weights_layout.tsv`` (every HDF5 group, weight
name and shape of the file: 690 arrays in 233 groups); ``coco_layout_table`` sets its
class-dependent dimensions for another class count. Used to check a weights file against the
ResNet101 network before the slow model build, and by the tests (``mrcnn.testing``).
"""

import os
import re
from importlib import resources

LAYOUT_FILENAME = "mask_rcnn_coco_weights_layout.tsv"
COCO_NUM_CLASSES = 81


def layout_table(path=None):
    """Parse a weights layout TSV into ``[(group, weight_name, shape tuple)]``, in file order.

    Args:
        path: TSV with columns group, weight name, shape such as ``(7, 7, 3, 64)``; ``#`` lines
            are comments. Default: the packaged ``mrcnn/data/mask_rcnn_coco_weights_layout.tsv``
            (matterport's ``mask_rcnn_coco.h5``: 690 arrays in 233 groups).
    """
    if path is None:
        text = resources.files("mrcnn").joinpath("data", LAYOUT_FILENAME).read_text("utf8")
        source = LAYOUT_FILENAME
    else:
        with open(path, encoding="utf8") as layout_file:
            text = layout_file.read()
        source = os.fspath(path)
    table = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) != 3 or not re.fullmatch(r"\(\s*(\d+\s*,\s*)*\d*\s*\)", columns[2].strip()):
            raise ValueError(f"{source}:{line_number}: expected 'group<TAB>weight<TAB>(shape)'")
        shape = tuple(int(d) for d in re.findall(r"\d+", columns[2]))
        table.append((columns[0], columns[1], shape))
    return table


def coco_layout_table(num_classes=COCO_NUM_CLASSES, path=None):
    """The COCO layout with the class-dependent dimensions set for ``num_classes`` (background
    included): mrcnn_class_logits (1024, N)/(N,), mrcnn_bbox_fc (1024, 4N)/(4N,),
    mrcnn_mask (1, 1, 256, N)/(N,)."""
    per_group = {"mrcnn_class_logits": num_classes, "mrcnn_bbox_fc": 4 * num_classes,
                 "mrcnn_mask": num_classes}
    table = []
    for group, weight_name, shape in layout_table(path):
        if group in per_group:
            # The class count is the last axis of both the kernel and the bias.
            shape = shape[:-1] + (per_group[group],)
        table.append((group, weight_name, shape))
    return table
