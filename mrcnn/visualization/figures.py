"""Matplotlib figures for Mask R-CNN results (matterport's ``mrcnn.visualize`` figures).

:func:`display_images`, :func:`display_instances`, :func:`display_differences`,
:func:`draw_rois`, :func:`display_top_masks`, :func:`plot_precision_recall`,
:func:`plot_overlaps` and :func:`draw_boxes` keep matterport's names and signatures, with one
addition: each takes an optional ``save_path`` keyword; when given, the figure is written there
as PNG and (if this function created it) closed.

Everything works headless. ``plt.show()`` is only called for interactive backends (GUI windows,
the Jupyter inline backend) and never blocks; under Agg the figure is left open so callers may
still ``plt.savefig(...)`` afterwards, as they did with matterport.

Conventions: images are RGB ``[H, W, 3]``; boxes are ``[N, (y1, x1, y2, x2)]`` in pixels with
``y2``/``x2`` exclusive; instance masks are ``[H, W, N]`` bool; colours are RGB floats in 0..1.
Mask outlines come from scikit-image's ``find_contours`` (imported when first needed).
"""

import itertools

import cv2
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import lines, patches
from matplotlib.patches import Polygon

from .colors import apply_mask, random_colors

# Builtin matplotlib backends that cannot open a window; plt.show() only warns on them.
_NON_INTERACTIVE_BACKENDS = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


############################################################
#  Figure plumbing
############################################################

def _backend_is_interactive():
    """True when plt.show() would actually display something (GUI window or notebook)."""
    backend = matplotlib.get_backend().lower()
    try:
        from matplotlib.backends import BackendFilter, backend_registry
        non_interactive = set(backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE))
    except ImportError:  # matplotlib < 3.9
        non_interactive = _NON_INTERACTIVE_BACKENDS
    return backend not in non_interactive


def _finish_figure(fig, save_path, owns_figure):
    """Save and/or show a finished figure.

    With ``save_path`` the figure is written as PNG and closed if this module created it
    (a figure behind a caller's ``ax`` is saved but left open for the caller). Without it, a
    figure we created is shown on interactive backends without blocking, as matterport's
    ``plt.show()`` did; on non-interactive backends it is left open for ``plt.savefig``.
    """
    if save_path is not None:
        fig.savefig(save_path, format="png")
        if owns_figure:
            plt.close(fig)
        return
    if owns_figure and _backend_is_interactive():
        plt.show(block=False)


def _mask_contours(mask):
    """Sub-pixel outlines of a [H, W] mask as a list of [K, (x, y)] vertex arrays."""
    from skimage.measure import find_contours

    # Pad so masks touching the image border still give closed polygons.
    padded_mask = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), dtype=np.uint8)
    padded_mask[1:-1, 1:-1] = mask
    # find_contours gives (row, col); Polygon wants (x, y); undo the padding offset.
    return [np.fliplr(verts) - 1 for verts in find_contours(padded_mask, 0.5)]


############################################################
#  Visualization
############################################################

def display_images(images, titles=None, cols=4, cmap=None, norm=None,
                   interpolation=None, save_path=None):
    """Display a list of images in a grid, optionally titled.

    images: list of [H, W] or [H, W, 3] arrays (cast to uint8 for display, as matterport).
    titles: optional list of strings, one per image.
    cols: number of images per row.
    cmap, norm, interpolation: passed to ``imshow``; cmap applies to single-channel images.
    save_path: if given, write the figure there as PNG and close it.
    """
    titles = titles if titles is not None else [""] * len(images)
    rows = len(images) // cols + 1
    fig = plt.figure(figsize=(14, 14 * rows // cols))
    for index, (image, title) in enumerate(zip(images, titles), start=1):
        plt.subplot(rows, cols, index)
        plt.title(title, fontsize=9)
        plt.axis("off")
        plt.imshow(np.asarray(image).astype(np.uint8), cmap=cmap, norm=norm,
                   interpolation=interpolation)
    _finish_figure(fig, save_path, owns_figure=True)



def display_instances(image, boxes, masks, class_ids, class_names,
                      scores=None, title="",
                      figsize=(16, 16), ax=None,
                      show_mask=True, show_bbox=True,
                      colors=None, captions=None, save_path=None):
    """Draw detected (or ground-truth) instances over an image with matplotlib.

    image: [H, W, 3] RGB image.
    boxes: [N, (y1, x1, y2, x2)] in pixels.
    masks: [H, W, N] bool instance masks.
    class_ids: [N] int class IDs indexing ``class_names``.
    class_names: list of class names of the dataset.
    scores: optional [N] confidence scores, shown as "class 0.987".
    title: figure title.
    figsize: figure size in inches, used only when ``ax`` is None.
    ax: optional matplotlib axes to draw into (the caller then owns the figure).
    show_mask, show_bbox: whether to draw the masks / the dashed boxes.
    colors: optional list of N colours (RGB(A) floats 0..1); random by default.
    captions: optional list of N strings replacing the "class score" captions.
    save_path: if given, write the figure there as PNG (and close it if we created it).
    Returns None, as matterport.
    """
    boxes = np.asarray(boxes)
    N = boxes.shape[0]
    if not N:
        print("\n*** No instances to display *** \n")
    elif not (boxes.shape[0] == masks.shape[-1] == len(class_ids)):
        raise ValueError(
            f"display_instances: {boxes.shape[0]} boxes, {masks.shape[-1]} masks and "
            f"{len(class_ids)} class_ids must match")

    owns_figure = ax is None
    if owns_figure:
        _, ax = plt.subplots(1, figsize=figsize)

    if colors is None:
        colors = random_colors(N)

    # Margins so boxes on the image border stay fully visible.
    height, width = image.shape[:2]
    ax.set_ylim(height + 10, -10)
    ax.set_xlim(-10, width + 10)
    ax.axis("off")
    ax.set_title(title)

    masked_image = np.asarray(image).astype(np.uint32).copy()
    for i in range(N):
        color = colors[i]

        # All-zero boxes are padding (e.g. cropped away by augmentation).
        if not np.any(boxes[i]):
            continue
        y1, x1, y2, x2 = boxes[i]
        if show_bbox:
            ax.add_patch(patches.Rectangle(
                (x1, y1), x2 - x1, y2 - y1, linewidth=2, alpha=0.7,
                linestyle="dashed", edgecolor=color, facecolor="none"))

        if not captions:
            label = class_names[class_ids[i]]
            score = scores[i] if scores is not None else None
            caption = "{} {:.3f}".format(label, score) if score else label
        else:
            caption = captions[i]
        ax.text(x1, y1 + 8, caption, color="w", size=11, backgroundcolor="none")

        mask = masks[:, :, i]
        if show_mask:
            masked_image = apply_mask(masked_image, mask, color)
        for verts in _mask_contours(mask):
            ax.add_patch(Polygon(verts, facecolor="none", edgecolor=color))

    ax.imshow(masked_image.astype(np.uint8))
    _finish_figure(ax.figure, save_path, owns_figure)


def display_differences(image,
                        gt_box, gt_class_id, gt_mask,
                        pred_box, pred_class_id, pred_score, pred_mask,
                        class_names, title="", ax=None,
                        show_mask=True, show_box=True,
                        iou_threshold=0.5, score_threshold=0.5, save_path=None):
    """Display ground truth (green) and predictions (red) on one image.

    gt_box: [G, (y1, x1, y2, x2)] pixels; gt_class_id: [G]; gt_mask: [H, W, G] bool.
    pred_box: [P, (y1, x1, y2, x2)] pixels; pred_class_id: [P]; pred_score: [P], sorted by
        score descending (as ``detect`` returns them); pred_mask: [H, W, P] bool.
    Predictions are captioned "score / IoU": the IoU with the matched ground truth box, or
    the best IoU with any ground truth when unmatched. Matching uses
    ``mrcnn.utils.compute_matches`` with ``iou_threshold`` and ``score_threshold``.
    save_path: if given, write the figure there as PNG (and close it if we created it).
    """
    from mrcnn.utils import compute_matches

    gt_match, pred_match, overlaps = compute_matches(
        gt_box, gt_class_id, gt_mask,
        pred_box, pred_class_id, pred_score, pred_mask,
        iou_threshold=iou_threshold, score_threshold=score_threshold)
    gt_count = len(gt_box)
    pred_count = len(pred_box)
    colors = [(0, 1, 0, .8)] * gt_count + [(1, 0, 0, 1)] * pred_count
    class_ids = np.concatenate([gt_class_id, pred_class_id])
    scores = np.concatenate([np.zeros([gt_count]), pred_score])
    boxes = np.concatenate([gt_box, pred_box])
    masks = np.concatenate([gt_mask, pred_mask], axis=-1)

    def pred_caption(i):
        if i >= len(pred_match) or overlaps.shape[1] == 0:
            return "{:.2f}".format(pred_score[i])
        matched = int(pred_match[i])
        iou = overlaps[i, matched] if matched > -1 else overlaps[i].max()
        return "{:.2f} / {:.2f}".format(pred_score[i], iou)

    captions = [""] * gt_count + [pred_caption(i) for i in range(pred_count)]
    title = title or "Ground Truth and Detections\n GT=green, pred=red, captions: score/IoU"
    display_instances(image, boxes, masks, class_ids, class_names, scores, ax=ax,
                      show_bbox=show_box, show_mask=show_mask, colors=colors,
                      captions=captions, title=title, save_path=save_path)


def _paste_roi_mask(roi_mask, box, image_shape):
    """Resize a small soft ROI mask into its box on a full-size canvas.

    roi_mask: [h, w] float mask (e.g. 28x28 head output) in 0..1.
    box: (y1, x1, y2, x2) pixels. image_shape: (H, W, ...).
    Returns [H, W] bool, True where the resized mask is >= 0.5 (matterport's unmold_mask).
    """
    y1, x1, y2, x2 = (int(v) for v in box)
    full_mask = np.zeros(image_shape[:2], dtype=bool)
    box_h, box_w = y2 - y1, x2 - x1
    if box_h <= 0 or box_w <= 0:
        return full_mask
    resized = cv2.resize(np.asarray(roi_mask, dtype=np.float32), (box_w, box_h),
                         interpolation=cv2.INTER_LINEAR)
    # Clip the box to the canvas; ROIs may stick out of the image.
    top, left = max(y1, 0), max(x1, 0)
    bottom, right = min(y2, full_mask.shape[0]), min(x2, full_mask.shape[1])
    if bottom > top and right > left:
        full_mask[top:bottom, left:right] = \
            resized[top - y1:bottom - y1, left - x1:right - x1] >= 0.5
    return full_mask


def draw_rois(image, rois, refined_rois, mask, class_ids, class_names, limit=10,
              save_path=None):
    """Draw anchors/ROIs before and after box refinement.

    image: [H, W, 3] image.
    rois: [N, (y1, x1, y2, x2)] proposals in pixels.
    refined_rois: [N, (y1, x1, y2, x2)] the same after applying the predicted deltas.
    mask: [N, h, w] per-ROI soft masks of the ROI's class (pasted into the ROI box).
    class_ids: [N] class per ROI; 0 (background) ROIs are drawn grey without refinement.
    limit: at most this many ROIs, chosen at random with ``np.random``, are drawn.
    save_path: if given, write the figure there as PNG and close it.
    Prints the positive/negative ROI counts, as matterport.
    """
    masked_image = np.asarray(image).copy()
    rois = np.asarray(rois)
    class_ids = np.asarray(class_ids)

    ids = np.arange(rois.shape[0], dtype=np.int32)
    ids = np.random.choice(ids, limit, replace=False) if ids.shape[0] > limit else ids

    fig, ax = plt.subplots(1, figsize=(12, 12))
    if rois.shape[0] > limit:
        plt.title("Showing {} random ROIs out of {}".format(len(ids), rois.shape[0]))
    else:
        plt.title("{} ROIs".format(len(ids)))

    ax.set_ylim(image.shape[0] + 20, -20)
    ax.set_xlim(-50, image.shape[1] + 20)
    ax.axis("off")

    for roi_id in ids:
        color = np.random.rand(3)
        class_id = class_ids[roi_id]
        y1, x1, y2, x2 = rois[roi_id]
        ax.add_patch(patches.Rectangle(
            (x1, y1), x2 - x1, y2 - y1, linewidth=2,
            edgecolor=color if class_id else "gray", facecolor="none", linestyle="dashed"))
        if class_id:
            ry1, rx1, ry2, rx2 = refined_rois[roi_id]
            ax.add_patch(patches.Rectangle(
                (rx1, ry1), rx2 - rx1, ry2 - ry1, linewidth=2,
                edgecolor=color, facecolor="none"))
            # Line from the ROI corner to the refined corner shows the regression.
            ax.add_line(lines.Line2D([x1, rx1], [y1, ry1], color=color))
            ax.text(rx1, ry1 + 8, "{}".format(class_names[class_id]),
                    color="w", size=11, backgroundcolor="none")
            roi_mask = _paste_roi_mask(mask[roi_id], rois[roi_id][:4], image.shape)
            masked_image = apply_mask(masked_image, roi_mask, color)
    ax.imshow(masked_image)

    positives = int(np.sum(class_ids > 0))
    print("Positive ROIs: ", positives)
    print("Negative ROIs: ", int(np.sum(class_ids == 0)))
    print("Positive Ratio: {:.2f}".format(positives / max(class_ids.shape[0], 1)))
    _finish_figure(fig, save_path, owns_figure=True)


def display_top_masks(image, mask, class_ids, class_names, limit=4, save_path=None):
    """Display the image and the masks of its ``limit`` largest classes (by mask area).

    image: [H, W, 3]. mask: [H, W, N] bool. class_ids: [N]. class_names: list of names.
    Each class panel shows its instances numbered 1..k; missing panels show "-".
    save_path: if given, write the figure there as PNG and close it.
    """
    class_ids = np.asarray(class_ids)
    to_display = [image]
    titles = ["H x W={}x{}".format(image.shape[0], image.shape[1])]

    unique_class_ids = np.unique(class_ids)
    mask_areas = [np.sum(mask[:, :, np.where(class_ids == i)[0]]) for i in unique_class_ids]
    top_ids = [class_id for class_id, area in
               sorted(zip(unique_class_ids, mask_areas), key=lambda r: r[1], reverse=True)
               if area > 0]
    for i in range(limit):
        class_id = top_ids[i] if i < len(top_ids) else -1
        class_masks = mask[:, :, np.where(class_ids == class_id)[0]]
        # Label each instance of the class with its 1-based index.
        labelled = np.sum(class_masks * np.arange(1, class_masks.shape[-1] + 1), -1)
        to_display.append(labelled)
        titles.append(class_names[class_id] if class_id != -1 else "-")
    display_images(to_display, titles=titles, cols=limit + 1, cmap="Blues_r",
                   save_path=save_path)


def plot_precision_recall(AP, precisions, recalls, save_path=None):
    """Plot a precision-recall curve.

    AP: average precision at IoU >= 0.5, shown in the title.
    precisions, recalls: 1-D arrays of the curve's points (as from ``utils.compute_ap``).
    save_path: if given, write the figure there as PNG and close it.
    """
    fig, ax = plt.subplots(1)
    ax.set_title("Precision-Recall Curve. AP@50 = {:.3f}".format(AP))
    ax.set_ylim(0, 1.1)
    ax.set_xlim(0, 1.1)
    ax.plot(recalls, precisions)
    _finish_figure(fig, save_path, owns_figure=True)


def plot_overlaps(gt_class_ids, pred_class_ids, pred_scores,
                  overlaps, class_names, threshold=0.5, save_path=None):
    """Draw the IoU grid of predictions (rows) against ground truth (columns).

    gt_class_ids: [G] ground-truth classes (zeros are padding and dropped).
    pred_class_ids: [P] predicted classes (zeros dropped); pred_scores: [P].
    overlaps: [P, G] IoU matrix.
    threshold: IoU above which a cell is labelled "match" (same class) or "wrong".
    save_path: if given, write the figure there as PNG and close it.
    """
    gt_class_ids = np.asarray(gt_class_ids)
    pred_class_ids = np.asarray(pred_class_ids)
    overlaps = np.asarray(overlaps)
    gt_class_ids = gt_class_ids[gt_class_ids != 0]
    pred_class_ids = pred_class_ids[pred_class_ids != 0]

    fig = plt.figure(figsize=(12, 10))
    plt.imshow(overlaps, interpolation="nearest", cmap=plt.cm.Blues)
    plt.yticks(np.arange(len(pred_class_ids)),
               ["{} ({:.2f})".format(class_names[int(class_id)], pred_scores[i])
                for i, class_id in enumerate(pred_class_ids)])
    plt.xticks(np.arange(len(gt_class_ids)),
               [class_names[int(class_id)] for class_id in gt_class_ids], rotation=90)

    # One label per cell (not per pixel); dark cells get white text.
    dark_threshold = overlaps.max() / 2. if overlaps.size else 0
    for i, j in itertools.product(range(overlaps.shape[0]), range(overlaps.shape[1])):
        verdict = ""
        if overlaps[i, j] > threshold:
            verdict = "match" if gt_class_ids[j] == pred_class_ids[i] else "wrong"
        color = ("white" if overlaps[i, j] > dark_threshold
                 else "black" if overlaps[i, j] > 0
                 else "grey")
        plt.text(j, i, "{:.3f}\n{}".format(overlaps[i, j], verdict),
                 horizontalalignment="center", verticalalignment="center",
                 fontsize=9, color=color)

    plt.tight_layout()
    plt.xlabel("Ground Truth")
    plt.ylabel("Predictions")
    _finish_figure(fig, save_path, owns_figure=True)


def draw_boxes(image, boxes=None, refined_boxes=None,
               masks=None, captions=None, visibilities=None,
               title="", ax=None, save_path=None):
    """Draw boxes, optional refined boxes, masks and captions with matplotlib.

    image: [H, W, 3] image.
    boxes: [N, (y1, x1, y2, x2)] pixels; drawn dotted/solid by visibility.
    refined_boxes: like ``boxes``, drawn solid, linked to the box's corner when both given.
    masks: [H, W, N] bool.
    captions: N strings, drawn at the (refined) box's top-left corner.
    visibilities: N ints in {0, 1, 2}: 0 grey dotted (e.g. negative), 1 coloured dotted,
        2 coloured solid. Default 1.
    title: axes title. ax: optional axes (the caller then owns the figure).
    save_path: if given, write the figure there as PNG (and close it if we created it).
    """
    if boxes is None and refined_boxes is None:
        raise ValueError("draw_boxes: give boxes or refined_boxes")
    N = boxes.shape[0] if boxes is not None else refined_boxes.shape[0]

    owns_figure = ax is None
    if owns_figure:
        _, ax = plt.subplots(1, figsize=(12, 12))

    colors = random_colors(N)
    margin = image.shape[0] // 10
    ax.set_ylim(image.shape[0] + margin, -margin)
    ax.set_xlim(-margin, image.shape[1] + margin)
    ax.axis("off")
    ax.set_title(title)

    masked_image = np.asarray(image).astype(np.uint32).copy()
    for i in range(N):
        visibility = visibilities[i] if visibilities is not None else 1
        if visibility == 0:
            color, style, alpha = "gray", "dotted", 0.5
        elif visibility == 1:
            color, style, alpha = colors[i], "dotted", 1
        else:
            color, style, alpha = colors[i], "solid", 1

        if boxes is not None:
            if not np.any(boxes[i]):
                continue  # padding
            y1, x1, y2, x2 = boxes[i]
            ax.add_patch(patches.Rectangle(
                (x1, y1), x2 - x1, y2 - y1, linewidth=2, alpha=alpha,
                linestyle=style, edgecolor=color, facecolor="none"))

        if refined_boxes is not None and visibility > 0:
            ry1, rx1, ry2, rx2 = np.asarray(refined_boxes[i]).astype(np.int32)
            ax.add_patch(patches.Rectangle(
                (rx1, ry1), rx2 - rx1, ry2 - ry1, linewidth=2,
                edgecolor=color, facecolor="none"))
            if boxes is not None:
                ax.add_line(lines.Line2D([x1, rx1], [y1, ry1], color=color))

        if captions is not None:
            if refined_boxes is not None:
                y1, x1 = np.asarray(refined_boxes[i])[:2]
            ax.text(x1, y1, captions[i], size=11, verticalalignment="top", color="w",
                    backgroundcolor="none",
                    bbox={"facecolor": color, "alpha": 0.5, "pad": 2, "edgecolor": "none"})

        if masks is not None:
            mask = masks[:, :, i]
            # Colour names like "gray" must become RGB floats for the blend.
            masked_image = apply_mask(masked_image, mask, matplotlib.colors.to_rgb(color))
            for verts in _mask_contours(mask):
                ax.add_patch(Polygon(verts, facecolor="none", edgecolor=color))

    ax.imshow(masked_image.astype(np.uint8))
    _finish_figure(ax.figure, save_path, owns_figure)
