"""Drawing and display helpers for Mask R-CNN results, split by concept.

- ``colors``: ``random_colors``, ``apply_mask`` (NumPy only, shared by the others);
- ``figures``: matplotlib figures (``display_instances``, ``display_differences``, ``draw_rois``,
  ``plot_overlaps``, ...) and the matplotlib backend handling;
- ``rendering``: ``draw_instances`` and ``draw_box``, pixel arrays drawn with NumPy/OpenCV;
- ``weight_stats``: ``display_table``, ``display_weight_stats``.

``mrcnn.visualize`` re-exports all of them under matterport's names. This package imports none
of its modules, so ``import mrcnn.visualization.rendering`` (or ``colors``, ``weight_stats``)
does not import matplotlib.
"""
