"""Tests of the mrcnn.utils facade: its public names are the objects of the modules named for
their concept, matterport's names are all there, and importing it does not import TensorFlow."""
import importlib
import random
import subprocess
import sys

import pytest

from mrcnn import utils

# Where each public name of mrcnn.utils lives.
HOMES = {
    "mrcnn.boxes": ["compute_iou", "compute_overlaps", "non_max_suppression", "apply_box_deltas",
                    "box_refinement", "norm_boxes", "denorm_boxes", "trim_zeros"],
    "mrcnn.masks": ["extract_bboxes", "compute_overlaps_masks", "resize_mask", "minimize_mask",
                    "expand_mask", "mold_mask", "unmold_mask"],
    "mrcnn.resizing": ["resize", "resize_image"],
    "mrcnn.anchors": ["generate_anchors", "generate_pyramid_anchors"],
    "mrcnn.dataset": ["Dataset"],
    "mrcnn.metrics": ["compute_matches", "compute_ap", "compute_ap_range", "compute_recall"],
    "mrcnn.coco": ["COCO_MODEL_URL", "COCO_RELEASES_PAGE", "download_trained_weights"],
    "mrcnn.modeling.batching": ["batch_slice"],
    "mrcnn.modeling.box_ops": ["box_refinement_graph"],
}

# The public names of matterport's mrcnn/utils.py.
MATTERPORT_NAMES = [
    "extract_bboxes", "compute_iou", "compute_overlaps", "compute_overlaps_masks",
    "non_max_suppression", "apply_box_deltas", "box_refinement_graph", "box_refinement",
    "Dataset", "resize_image", "resize_mask", "minimize_mask", "expand_mask", "mold_mask",
    "unmold_mask", "generate_anchors", "generate_pyramid_anchors", "trim_zeros",
    "compute_matches", "compute_ap", "compute_ap_range", "compute_recall", "batch_slice",
    "download_trained_weights", "norm_boxes", "denorm_boxes", "resize", "COCO_MODEL_URL",
]

HOME_OF = [(module_name, name) for module_name, names in HOMES.items() for name in names]


def test_all_lists_each_public_name_once_with_its_home():
    assert len(set(utils.__all__)) == len(utils.__all__)
    assert sorted(utils.__all__) == sorted(name for _, name in HOME_OF)
    assert set(MATTERPORT_NAMES) <= set(utils.__all__)
    assert set(utils.__all__) <= set(dir(utils))


@pytest.mark.parametrize("module_name, name", HOME_OF)
def test_public_name_is_the_concept_module_object(module_name, name):
    concept_object = getattr(importlib.import_module(module_name), name)
    namespace = {}
    exec(f"from mrcnn.utils import {name}", namespace)
    assert namespace[name] is concept_object
    assert getattr(utils, name) is concept_object


def test_random_module_reachable_for_patching_the_crop_draws():
    # resize_image's "crop" offset comes from the random module, patched as utils.random.
    assert utils.random is random


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        utils.no_such_name  # noqa: B018


def test_importing_utils_and_numpy_modules_does_not_import_tensorflow():
    code = ("import sys\n"
            "import mrcnn.utils, mrcnn.boxes, mrcnn.masks, mrcnn.resizing, mrcnn.anchors\n"
            "import mrcnn.dataset, mrcnn.metrics, mrcnn.coco, mrcnn.modeling.batching\n"
            "loaded = sorted({'tensorflow', 'keras'} & set(sys.modules))\n"
            "assert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True)
