"""Display and drawing helpers for Mask R-CNN results (matterport's ``mrcnn.visualize``).

Same function names and signatures as matterport, with two additions:

* every function that produces a matplotlib figure takes an optional ``save_path`` keyword;
  when given, the figure is written there as PNG and (if this function created it) closed;
* :func:`draw_instances` renders detections straight into a ``uint8`` pixel array with
  NumPy/OpenCV, for scripts and video where a matplotlib figure is too slow.

Everything works headless. ``plt.show()`` is only called for interactive backends (GUI windows,
the Jupyter inline backend) and never blocks; under Agg the figure is left open so callers may
still ``plt.savefig(...)`` afterwards, as they did with matterport.

Conventions: images are RGB ``[H, W, 3]``; boxes are ``[N, (y1, x1, y2, x2)]`` in pixels with
``y2``/``x2`` exclusive; instance masks are ``[H, W, N]`` bool; colours are RGB floats in 0..1.
"""

import colorsys
import html
import itertools
import random
import re

import cv2
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import lines, patches
from matplotlib.patches import Polygon

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


def random_colors(N, bright=True, seed=None):
    """Generate N visually distinct colours, shuffled.

    Hues are evenly spaced in HSV, then converted to RGB floats in 0..1.
    bright: full brightness if True, else 0.7.
    seed: if given, shuffle with a private ``random.Random(seed)`` so the result is
        reproducible; otherwise shuffle with the global ``random`` module (matterport).
    Returns: list of N ``(r, g, b)`` tuples.
    """
    brightness = 1.0 if bright else 0.7
    colors = [colorsys.hsv_to_rgb(i / N, 1, brightness) for i in range(N)]
    shuffler = random if seed is None else random.Random(seed)
    shuffler.shuffle(colors)
    return colors


def apply_mask(image, mask, color, alpha=0.5):
    """Blend a colour into the masked pixels of an image, in place.

    image: [H, W, 3] array; modified in place and returned (as matterport). Use a wide dtype
        (matterport's callers pass uint32 or float) to avoid truncation surprises.
    mask: [H, W], pixels where ``mask == 1`` (True) are blended.
    color: RGB(A) floats in 0..1; only the first three components are used.
    alpha: opacity of the colour.
    Inside the mask each channel becomes ``image * (1 - alpha) + alpha * color * 255``;
    pixels outside the mask are unchanged.
    """
    inside = np.asarray(mask) == 1
    color_255 = np.asarray(color, dtype=np.float64)[:3] * 255
    blended = image[inside] * (1 - alpha) + alpha * color_255
    image[inside] = blended
    return image


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


def draw_box(image, box, color):
    """Draw a 2-pixel-wide box outline into an image array, in place.

    image: [H, W, C] array. box: (y1, x1, y2, x2) int pixels.
    color: value(s) assigned to the outline pixels, in the image's units (e.g. 0..255).
    Returns the image.
    """
    y1, x1, y2, x2 = (int(v) for v in box)
    image[y1:y1 + 2, x1:x2] = color
    image[y2:y2 + 2, x1:x2] = color
    image[y1:y2, x1:x1 + 2] = color
    image[y1:y2, x2:x2 + 2] = color
    return image


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


def _in_ipython_frontend():
    """True when running inside an IPython shell or Jupyter kernel that can render HTML."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def display_table(table):
    """Display a table (list of rows, each a list of cells) as HTML or plain text.

    Inside IPython/Jupyter the table is rendered as HTML, as matterport. Elsewhere it is
    printed as aligned plain text (HTML markup inside cells is stripped).
    """
    if _in_ipython_frontend():
        from IPython.display import HTML, display
        rows_html = "".join(
            "<tr>" + "".join("<td>{:40}</td>".format(str(cell)) for cell in row) + "</tr>"
            for row in table)
        display(HTML("<table>" + rows_html + "</table>"))
        return

    text_rows = [[html.unescape(re.sub(r"<[^>]+>", "", str(cell))) for cell in row]
                 for row in table]
    if not text_rows:
        return
    column_count = max(len(row) for row in text_rows)
    widths = [max((len(row[c]) for row in text_rows if c < len(row)), default=0)
              for c in range(column_count)]
    for row in text_rows:
        print("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip())


def _layers_with_weights(model):
    """Layers holding weights, for a MaskRCNN wrapper or a Keras model (nested models opened)."""
    if hasattr(model, "get_trainable_layers"):
        return list(model.get_trainable_layers())
    keras_model = getattr(model, "keras_model", model)
    found = []
    for layer in keras_model.layers:
        if hasattr(layer, "layers") and not hasattr(layer, "layer"):
            found.extend(_layers_with_weights(layer))  # nested Model (e.g. rpn_model)
        elif layer.weights:
            found.append(layer)
    return found


def display_weight_stats(model):
    """Show name, shape, min, max and std of every weight of a model.

    model: a ``mrcnn.model.MaskRCNN`` (uses its trainable layers, as matterport) or any
        Keras 3 model. Weights that are constant (except Conv2D biases) are flagged
        "*** dead?", and values beyond +-1000 "*** Overflow?".
    Rendered with :func:`display_table` (HTML in notebooks, text elsewhere).
    """
    table = [["WEIGHT NAME", "SHAPE", "MIN", "MAX", "STD"]]
    for layer in _layers_with_weights(model):
        weight_values = layer.get_weights()
        weight_variables = layer.weights
        # Judge a TimeDistributed(Conv2D) by the layer it wraps.
        layer_kind = type(getattr(layer, "layer", layer)).__name__
        for i, values in enumerate(weight_values):
            variable = weight_variables[i]
            # Keras 3 variables have a short .name ("kernel") and a full .path ("conv1/kernel").
            weight_name = getattr(variable, "path", None) or variable.name
            alert = ""
            # A constant Conv2D bias is normal (often frozen at zero).
            if values.min() == values.max() and not (layer_kind == "Conv2D" and i == 1):
                alert += "<span style='color:red'>*** dead?</span>"
            if np.abs(values.min()) > 1000 or np.abs(values.max()) > 1000:
                alert += "<span style='color:red'>*** Overflow?</span>"
            table.append([
                weight_name + alert,
                str(values.shape),
                "{:+9.4f}".format(values.min()),
                "{:+10.4f}".format(values.max()),
                "{:+9.4f}".format(values.std()),
            ])
    display_table(table)


############################################################
#  Fast pixel renderer (no matplotlib)
############################################################

def _as_rgb_uint8(image):
    """Return a uint8 [H, W, 3] copy of an RGB, RGBA or greyscale image."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[:, :, np.newaxis]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ValueError(f"draw_instances: image must be [H, W], [H, W, 1], [H, W, 3] or "
                         f"[H, W, 4], got shape {image.shape}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif image.shape[2] == 4:
        image = image[:, :, :3]
    if image.dtype != np.uint8:
        image = np.clip(np.rint(image.astype(np.float64)), 0, 255)
    return image.astype(np.uint8, copy=True)


def draw_instances(image, boxes, masks, class_ids, class_names, scores=None,
                   colors=None, show_mask=True, show_bbox=True):
    """Render instances into a new image with NumPy/OpenCV (no matplotlib; fast).

    image: [H, W, 3] RGB (greyscale or RGBA are converted), uint8 or 0..255 floats.
    boxes: [N, (y1, x1, y2, x2)] pixels, y2/x2 exclusive; all-zero rows are skipped.
    masks: [H, W, N] bool instance masks (or None to draw boxes only).
    class_ids: [N] ints indexing ``class_names``.
    scores: optional [N] scores; labels read "name 0.97" (just "name" without scores).
    colors: optional list of N RGB(A) floats 0..1; default is a fixed, seeded palette so the
        same call always gives the same picture.
    show_mask: blend each mask at 50% and outline it; show_bbox: draw the box outline.
    The "name score" label, on a filled background, is always drawn at the box's corner.
    Line width and font size scale with the image so labels stay readable at any size.
    Returns: [H, W, 3] uint8, a new array; with zero instances a copy of the input.
    """
    canvas = _as_rgb_uint8(image)
    boxes = np.zeros((0, 4)) if boxes is None else np.asarray(boxes)
    count = boxes.shape[0]
    if count == 0:
        return canvas
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"draw_instances: boxes must be [N, 4], got shape {boxes.shape}")
    if len(class_ids) != count:
        raise ValueError(f"draw_instances: {count} boxes but {len(class_ids)} class_ids")
    if masks is not None:
        masks = np.asarray(masks)
        if masks.ndim != 3 or masks.shape[2] != count or masks.shape[:2] != canvas.shape[:2]:
            raise ValueError(f"draw_instances: masks must be [H, W, N] = "
                             f"{canvas.shape[:2] + (count,)}, got shape {masks.shape}")
    if scores is not None and len(scores) != count:
        raise ValueError(f"draw_instances: {count} boxes but {len(scores)} scores")
    if colors is None:
        colors = random_colors(count, seed=0)
    elif len(colors) < count:
        raise ValueError(f"draw_instances: {count} instances but {len(colors)} colors")

    height, width = canvas.shape[:2]
    # ~2 px lines and a 0.5 font at 640 px; grow with the long side.
    size_factor = max(height, width) / 640.0
    thickness = max(1, int(round(2 * size_factor)))
    font_scale = max(0.35, 0.5 * size_factor)
    font_thickness = max(1, int(round(size_factor)))
    font = cv2.FONT_HERSHEY_SIMPLEX
    colors_01 = [np.asarray(color, dtype=np.float64)[:3] for color in colors[:count]]
    colors_255 = [tuple(float(c) * 255 for c in color) for color in colors_01]

    # Masks first, so boxes and labels stay on top of every blend.
    if show_mask and masks is not None:
        blended = canvas.astype(np.float32)
        for i in range(count):
            apply_mask(blended, masks[:, :, i], colors_01[i], alpha=0.5)
        canvas = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
        for i in range(count):
            contours, _ = cv2.findContours(masks[:, :, i].astype(np.uint8),
                                           cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(canvas, contours, -1, colors_255[i], thickness, cv2.LINE_AA)

    # Labels are drawn even without boxes, like display_instances' captions.
    for i in range(count):
        if not np.any(boxes[i]):
            continue  # padding
        y1, x1, y2, x2 = (int(round(v)) for v in boxes[i])
        if show_bbox:
            cv2.rectangle(canvas, (x1, y1), (x2 - 1, y2 - 1), colors_255[i], thickness)

        label = str(class_names[int(class_ids[i])])
        if scores is not None:
            label = "{} {:.2f}".format(label, float(scores[i]))
        (text_w, text_h), baseline = cv2.getTextSize(label, font, font_scale,
                                                     font_thickness)
        pad = max(1, thickness)
        label_h = text_h + baseline + 2 * pad
        # Above the box when there is room, else just inside its top edge.
        top = y1 - label_h if y1 - label_h >= 0 else max(y1, 0)
        left = min(max(x1, 0), max(width - text_w - 2 * pad, 0))
        cv2.rectangle(canvas, (left, top), (left + text_w + 2 * pad, top + label_h),
                      colors_255[i], cv2.FILLED)
        # Dark text on light fills, white on dark ones (Rec. 601 luma).
        r, g, b = colors_255[i]
        text_color = (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else \
            (255, 255, 255)
        cv2.putText(canvas, label, (left + pad, top + pad + text_h), font, font_scale,
                    text_color, font_thickness, cv2.LINE_AA)
    return canvas
