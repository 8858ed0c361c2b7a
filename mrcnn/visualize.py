"""Display and drawing helpers for Mask R-CNN results (matterport's ``mrcnn.visualize``).

Same function names and signatures as matterport, with two additions (every figure function
takes an optional ``save_path``; :func:`draw_instances` renders into a ``uint8`` array without
matplotlib). This module only re-exports; each concept lives in ``mrcnn.visualization``:

- ``mrcnn.visualization.colors``: :func:`random_colors`, :func:`apply_mask`;
- ``mrcnn.visualization.figures`` (matplotlib, headless-safe; ``save_path`` writes a PNG):
  :func:`display_images`, :func:`display_instances`, :func:`display_differences`,
  :func:`draw_rois`, :func:`display_top_masks`, :func:`plot_precision_recall`,
  :func:`plot_overlaps`, :func:`draw_boxes`;
- ``mrcnn.visualization.rendering`` (NumPy/OpenCV, no matplotlib): :func:`draw_instances`,
  :func:`draw_box`;
- ``mrcnn.visualization.weight_stats``: :func:`display_table`, :func:`display_weight_stats`.

Importing this module imports matplotlib (through ``figures``); code that only renders pixels,
e.g. for video, can import ``mrcnn.visualization.rendering`` instead and never load it.

Conventions: images are RGB ``[H, W, 3]``; boxes are ``[N, (y1, x1, y2, x2)]`` in pixels with
``y2``/``x2`` exclusive; instance masks are ``[H, W, N]`` bool; colours are RGB floats in 0..1.
"""

from .visualization.colors import apply_mask, random_colors
from .visualization.figures import (display_differences, display_images, display_instances,
                                    display_top_masks, draw_boxes, draw_rois, plot_overlaps,
                                    plot_precision_recall)
from .visualization.rendering import draw_box, draw_instances
from .visualization.weight_stats import display_table, display_weight_stats

__all__ = [
    "random_colors", "apply_mask",
    "display_images", "display_instances", "display_differences", "draw_rois",
    "display_top_masks", "plot_precision_recall", "plot_overlaps", "draw_boxes",
    "draw_box", "draw_instances",
    "display_table", "display_weight_stats",
]
