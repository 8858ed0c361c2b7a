"""Matterport's ``mrcnn.utils`` names, re-exported from the modules named for their concept.

This module is a facade: ``from mrcnn import utils; utils.compute_iou(...)``, ``utils.Dataset``,
``utils.resize_image``, ``utils.batch_slice``, ``utils.COCO_MODEL_URL`` ... keep working with the
same objects and numbers as before. New code imports from where each concept lives:

* ``mrcnn.boxes``: boxes ``[N, (y1, x1, y2, x2)]`` pixels (normalised where said):
  ``compute_iou``, ``compute_overlaps``, ``non_max_suppression``, ``apply_box_deltas``,
  ``box_refinement``, ``norm_boxes``, ``denorm_boxes``, ``trim_zeros``.
* ``mrcnn.masks``: instance masks ``[H, W, N]``: ``extract_bboxes``, ``compute_overlaps_masks``,
  ``resize_mask``, ``minimize_mask``, ``expand_mask``, ``mold_mask``, ``unmold_mask``.
* ``mrcnn.resizing``: ``resize`` (skimage.transform.resize without scikit-image) and
  ``resize_image``.
* ``mrcnn.anchors``: ``generate_anchors``, ``generate_pyramid_anchors`` (NumPy, pixels; the
  config-driven network side is ``mrcnn.modeling.anchors``).
* ``mrcnn.dataset``: the ``Dataset`` base class.
* ``mrcnn.metrics``: ``compute_matches``, ``compute_ap``, ``compute_ap_range``,
  ``compute_recall``.
* ``mrcnn.coco``: ``COCO_MODEL_URL``, ``COCO_RELEASES_PAGE`` and the
  ``download_trained_weights`` stub (it never downloads).
* TensorFlow graph helpers: ``batch_slice`` in ``mrcnn.modeling.batching`` (imports TensorFlow
  when called) and ``box_refinement_graph`` in ``mrcnn.modeling.box_ops``.

Importing this module does not import TensorFlow: ``box_refinement_graph`` is looked up in
``mrcnn.modeling.box_ops`` (which imports TensorFlow) the first time it is used.
"""
# resize_image draws its "crop" offset with the random module; callers patch
# utils.random.randint to control it, as they could with matterport's utils.
import random  # noqa: F401

from .anchors import generate_anchors, generate_pyramid_anchors
from .boxes import (apply_box_deltas, box_refinement, compute_iou, compute_overlaps,
                    denorm_boxes, non_max_suppression, norm_boxes, trim_zeros)
from .coco import COCO_MODEL_URL, COCO_RELEASES_PAGE, download_trained_weights
from .dataset import Dataset
from .masks import (compute_overlaps_masks, expand_mask, extract_bboxes, minimize_mask,
                    mold_mask, resize_mask, unmold_mask)
from .metrics import compute_ap, compute_ap_range, compute_matches, compute_recall
from .modeling.batching import batch_slice
from .resizing import resize, resize_image

__all__ = [
    # boxes
    "compute_iou", "compute_overlaps", "non_max_suppression", "apply_box_deltas",
    "box_refinement", "norm_boxes", "denorm_boxes", "trim_zeros",
    # masks
    "extract_bboxes", "compute_overlaps_masks", "resize_mask", "minimize_mask", "expand_mask",
    "mold_mask", "unmold_mask",
    # resizing
    "resize", "resize_image",
    # anchors
    "generate_anchors", "generate_pyramid_anchors",
    # dataset
    "Dataset",
    # metrics
    "compute_matches", "compute_ap", "compute_ap_range", "compute_recall",
    # COCO weights
    "COCO_MODEL_URL", "COCO_RELEASES_PAGE", "download_trained_weights",
    # TensorFlow graph helpers
    "batch_slice", "box_refinement_graph",
]


def __getattr__(name):
    """box_refinement_graph from mrcnn.modeling.box_ops (imports TensorFlow), on first use."""
    if name == "box_refinement_graph":
        from .modeling.box_ops import box_refinement_graph
        return box_refinement_graph
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"box_refinement_graph"})
