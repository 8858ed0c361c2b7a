"""Tests for mrcnn.visualization.rendering: the NumPy/OpenCV renderer (no matplotlib)."""

import subprocess
import sys

import numpy as np
import pytest

from mrcnn.visualization import rendering

CLASS_NAMES = ["BG", "cat", "dog"]


def test_import_does_not_load_matplotlib():
    # Video code renders with draw_instances; importing it must stay matplotlib-free.
    script = ("import sys\n"
              "import mrcnn.visualization.rendering, mrcnn.visualization.colors\n"
              "import mrcnn.visualization.weight_stats\n"
              "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')\n"
              "assert not loaded, loaded\n")
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr


def test_draw_box_sets_two_pixel_outline():
    image = np.zeros((20, 20, 3), dtype=np.uint8)
    rendering.draw_box(image, (3, 4, 12, 15), (255, 0, 0))
    assert (image[3:5, 4:15, 0] == 255).all() and (image[12:14, 4:15, 0] == 255).all()
    assert (image[3:12, 4:6, 0] == 255).all() and (image[3:12, 15:17, 0] == 255).all()
    assert (image[6:11, 7:13] == 0).all()  # interior untouched
    assert (image[16:, :] == 0).all()


def test_draw_instances_changes_mask_and_box_edge_only(make_scene):
    image, boxes, masks, class_ids, scores = make_scene(96, 128)
    boxes = np.array([[10, 12, 50, 60], [40, 70, 88, 120]])
    masks = np.zeros((96, 128, 2), bool)
    masks[18:42, 20:52, 0] = True
    masks[48:80, 78:112, 1] = True
    out = rendering.draw_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores,
                                   colors=[(1, 0, 0), (0, 0, 1)])
    assert out.shape == image.shape and out.dtype == np.uint8
    assert out is not image and (image == 120).all()  # input untouched
    # Interior of the first mask: 50% blend of grey 120 with red 255.
    np.testing.assert_array_equal(out[30, 36], [188, 60, 60])
    np.testing.assert_array_equal(out[64, 95], [60, 60, 188])
    # Left edge of the first box (below any label) is pure red.
    np.testing.assert_array_equal(out[45, 12], [255, 0, 0])
    # Far from both instances nothing changed.
    assert (out[88:, :40] == 120).all()
    assert (out[:5, 80:] == 120).all()


def test_draw_instances_zero_instances_returns_copy():
    image = np.random.default_rng(2).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    out = rendering.draw_instances(image, np.zeros((0, 4)), np.zeros((20, 30, 0), bool),
                                   np.zeros((0,), int), CLASS_NAMES)
    assert out is not image
    np.testing.assert_array_equal(out, image)
    assert out.dtype == np.uint8 and out.shape == (20, 30, 3)


def test_draw_instances_label_has_filled_background_and_scales():
    def label_height(size):
        image = np.zeros((size, size, 3), np.uint8)
        box = np.array([[size // 2, size // 4, size - 2, size - 2]])
        out = rendering.draw_instances(image, box, None, [1], CLASS_NAMES, [0.97],
                                       colors=[(0, 1, 0)], show_mask=False)
        # Rows above the box containing the green label fill.
        above = out[:size // 2, :, 1] == 255
        return int(np.any(above, axis=1).sum())

    small, large = label_height(200), label_height(1600)
    assert small >= 8
    assert large > 3 * small


def test_draw_instances_options_and_input_conversion(make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    grey = image[:, :, 0]
    out = rendering.draw_instances(grey, boxes, masks, class_ids, CLASS_NAMES)
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8
    boxes_only = rendering.draw_instances(image, boxes, masks, class_ids, CLASS_NAMES,
                                          show_mask=False)
    assert (boxes_only[19:22, 12:26] == 120).all()  # mask interior not blended
    labels_only = rendering.draw_instances(image, boxes, masks, class_ids, CLASS_NAMES,
                                           colors=[(1, 0, 0), (1, 0, 0)],
                                           show_mask=False, show_bbox=False)
    changed = np.any(labels_only != image, axis=-1)
    assert changed.any()  # the labels are still drawn
    # ...but no box outline: the second box's left and bottom edges, below its label.
    assert not changed[36:44, 35].any() and not changed[43, 40:58].any()
    assert (labels_only[changed][:, 0] == 255).all()  # label fill in the instance colour
    # Deterministic default colours.
    again = rendering.draw_instances(grey, boxes, masks, class_ids, CLASS_NAMES)
    np.testing.assert_array_equal(out, again)


def test_draw_instances_rejects_mismatched_masks(make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    with pytest.raises(ValueError, match="masks"):
        rendering.draw_instances(image, boxes, masks[:, :, :1], class_ids, CLASS_NAMES)
    with pytest.raises(ValueError, match="class_ids"):
        rendering.draw_instances(image, boxes, masks, class_ids[:1], CLASS_NAMES)
