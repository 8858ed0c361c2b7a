"""Tests for mrcnn.visualize: headless matplotlib figures saved to PNG and the OpenCV renderer."""

import os
import subprocess
import sys
import types
import warnings

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, REPO_ROOT)

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # never open windows from the test run, even on a desktop

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mrcnn import visualize  # noqa: E402

CLASS_NAMES = ["BG", "cat", "dog"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_scene(height=48, width=64):
    """A grey image with two boxed, masked instances: [H,W,3] uint8, boxes, masks, ids, scores."""
    image = np.full((height, width, 3), 120, dtype=np.uint8)
    boxes = np.array([[5, 6, 25, 30], [20, 35, 44, 60]], dtype=np.int32)
    masks = np.zeros((height, width, 2), dtype=bool)
    masks[8:22, 9:27, 0] = True
    masks[24:40, 38:56, 1] = True
    class_ids = np.array([1, 2], dtype=np.int32)
    scores = np.array([0.97, 0.61], dtype=np.float32)
    return image, boxes, masks, class_ids, scores


def read_png(path):
    """Load a saved PNG as float RGB in 0..1 and check it is not a blank canvas."""
    assert os.path.isfile(path), f"{path} was not written"
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pixels = plt.imread(path)[:, :, :3]
    assert pixels.std() > 0.01, f"{path} looks blank"
    return pixels


def count_reddish(pixels):
    """Number of pixels clearly red (R well above G and B)."""
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return int(np.sum((red - green > 0.25) & (red - blue > 0.25)))


# ---------------------------------------------------------------- colours and masks

def test_random_colors_count_range_and_seeded_determinism():
    colors = visualize.random_colors(7, seed=3)
    assert len(colors) == 7
    values = np.array(colors)
    assert values.shape == (7, 3)
    assert values.min() >= 0.0 and values.max() <= 1.0
    # Evenly spaced hues: all distinct, and the same set whatever the shuffle.
    assert len({tuple(c) for c in colors}) == 7
    assert colors == visualize.random_colors(7, seed=3)
    assert sorted(colors) == sorted(visualize.random_colors(7, seed=4))
    # bright=False caps the value channel at 0.7.
    assert np.isclose(np.array(visualize.random_colors(5, bright=False, seed=0)).max(), 0.7)


def test_random_colors_unseeded_uses_global_random():
    import random
    random.seed(11)
    first = visualize.random_colors(6)
    random.seed(11)
    assert visualize.random_colors(6) == first


def test_apply_mask_blends_exactly_the_masked_pixels():
    image = np.zeros((4, 5, 3), dtype=np.float64)
    image[..., 0], image[..., 1], image[..., 2] = 100.0, 50.0, 200.0
    mask = np.zeros((4, 5), dtype=bool)
    mask[1:3, 2:4] = True
    color = (1.0, 0.0, 0.5)
    result = visualize.apply_mask(image.copy(), mask, color, alpha=0.25)
    # 100*0.75 + 0.25*255 = 138.75; 50*0.75 + 0 = 37.5; 200*0.75 + 0.25*127.5 = 181.875
    np.testing.assert_allclose(result[mask], np.tile([138.75, 37.5, 181.875], (4, 1)))
    np.testing.assert_array_equal(result[~mask], image[~mask])


def test_apply_mask_uses_rgb_of_rgba_color_and_works_in_place():
    image = np.full((3, 3, 3), 10, dtype=np.uint32)
    mask = np.eye(3, dtype=np.uint8)
    returned = visualize.apply_mask(image, mask, (0, 1, 0, 0.8), alpha=0.5)
    assert returned is image
    np.testing.assert_array_equal(image[1, 1], [5, 132, 5])  # 5 + 127.5, truncated
    np.testing.assert_array_equal(image[0, 1], [10, 10, 10])


def test_draw_box_sets_two_pixel_outline():
    image = np.zeros((20, 20, 3), dtype=np.uint8)
    visualize.draw_box(image, (3, 4, 12, 15), (255, 0, 0))
    assert (image[3:5, 4:15, 0] == 255).all() and (image[12:14, 4:15, 0] == 255).all()
    assert (image[3:12, 4:6, 0] == 255).all() and (image[3:12, 15:17, 0] == 255).all()
    assert (image[6:11, 7:13] == 0).all()  # interior untouched
    assert (image[16:, :] == 0).all()


# ---------------------------------------------------------------- matplotlib figures

def test_display_instances_saves_png_with_mask_colours(tmp_path):
    image, boxes, masks, class_ids, scores = make_scene()
    path = str(tmp_path / "instances.png")
    red = [(1.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    result = visualize.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores,
                                         title="t", figsize=(3, 3), colors=red,
                                         save_path=path)
    assert result is None
    pixels = read_png(path)
    # The input is grey everywhere: red pixels can only come from the blended masks.
    assert count_reddish(pixels) > 100
    assert not plt.get_fignums(), "figure created for save_path must be closed"


def test_display_instances_without_masks_has_no_red_fill(tmp_path):
    image, boxes, masks, class_ids, scores = make_scene()
    red = [(1.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    with_mask, without_mask = str(tmp_path / "a.png"), str(tmp_path / "b.png")
    visualize.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores,
                                figsize=(3, 3), colors=red, save_path=with_mask)
    visualize.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores,
                                figsize=(3, 3), colors=red, show_mask=False,
                                show_bbox=False, save_path=without_mask)
    assert count_reddish(read_png(with_mask)) > 2 * count_reddish(read_png(without_mask))


def test_display_instances_zero_instances(tmp_path, capsys):
    image = np.random.default_rng(0).integers(0, 255, (32, 40, 3), dtype=np.uint8)
    path = str(tmp_path / "empty.png")
    visualize.display_instances(image, np.zeros((0, 4)), np.zeros((32, 40, 0), bool),
                                np.zeros((0,), np.int32), CLASS_NAMES, figsize=(2, 2),
                                save_path=path)
    assert "No instances to display" in capsys.readouterr().out
    read_png(path)


def test_display_instances_mismatched_counts_raise():
    image, boxes, masks, class_ids, scores = make_scene()
    with pytest.raises(ValueError, match="display_instances"):
        visualize.display_instances(image, boxes, masks[:, :, :1], class_ids, CLASS_NAMES,
                                    figsize=(2, 2))


def test_display_instances_into_caller_axes_keeps_figure_open(tmp_path):
    image, boxes, masks, class_ids, scores = make_scene()
    fig, ax = plt.subplots(1, figsize=(2, 2))
    path = str(tmp_path / "ax.png")
    visualize.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores, ax=ax,
                                captions=["a", "b"], save_path=path)
    read_png(path)
    assert plt.fignum_exists(fig.number)
    assert [t.get_text() for t in ax.texts] == ["a", "b"]


def test_display_instances_captions_from_names_and_scores():
    image, boxes, masks, class_ids, scores = make_scene()
    fig, ax = plt.subplots(1, figsize=(2, 2))
    visualize.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores, ax=ax)
    assert [t.get_text() for t in ax.texts] == ["cat 0.970", "dog 0.610"]


def test_no_show_warning_and_figure_left_open_under_agg():
    image, boxes, masks, class_ids, scores = make_scene()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # plt.show() under Agg would warn
        visualize.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores,
                                    figsize=(2, 2))
    assert len(plt.get_fignums()) == 1  # still there for a later plt.savefig


def test_headless_without_mplbackend(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY",
                                                            "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    path = str(tmp_path / "sub.png")
    script = (
        "import warnings, numpy as np\n"
        "warnings.simplefilter('error')\n"
        "from mrcnn import visualize\n"
        "import matplotlib\n"
        "img = np.full((30, 30, 3), 90, np.uint8)\n"
        "m = np.zeros((30, 30, 1), bool); m[5:20, 5:20] = True\n"
        "b = np.array([[4, 4, 21, 21]])\n"
        "visualize.display_instances(img, b, m, np.array([1]), ['BG', 'x'],"
        " figsize=(2, 2))\n"
        f"visualize.display_instances(img, b, m, np.array([1]), ['BG', 'x'],"
        f" figsize=(2, 2), save_path={path!r})\n"
        "print('BACKEND', matplotlib.get_backend().lower())\n")
    completed = subprocess.run([sys.executable, "-c", script], env=env, cwd=str(tmp_path),
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "BACKEND agg" in completed.stdout
    read_png(path)


def test_display_images_saves_png(tmp_path):
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 255, (16, 16, 3)) for _ in range(3)]
    path = str(tmp_path / "grid.png")
    visualize.display_images(images, titles=["a", "b", "c"], cols=3, save_path=path)
    read_png(path)
    assert not plt.get_fignums()


def test_display_top_masks_saves_png(tmp_path):
    image, boxes, masks, class_ids, scores = make_scene()
    path = str(tmp_path / "top.png")
    visualize.display_top_masks(image, masks, class_ids, CLASS_NAMES, limit=2, save_path=path)
    read_png(path)


def test_plot_precision_recall_saves_png(tmp_path):
    path = str(tmp_path / "pr.png")
    visualize.plot_precision_recall(0.75, np.array([0, 1, 1, 0.5, 0]),
                                    np.array([0, 0.25, 0.5, 0.75, 1]), save_path=path)
    read_png(path)


def test_plot_overlaps_saves_png(tmp_path):
    overlaps = np.array([[0.8, 0.1], [0.0, 0.6], [0.3, 0.0]])
    path = str(tmp_path / "overlaps.png")
    visualize.plot_overlaps(np.array([1, 2, 0]), np.array([1, 1, 2]),
                            np.array([0.9, 0.8, 0.4]), overlaps, CLASS_NAMES, save_path=path)
    read_png(path)


def test_draw_boxes_saves_png(tmp_path):
    image, boxes, masks, class_ids, scores = make_scene()
    path = str(tmp_path / "boxes.png")
    refined = boxes + np.array([1, 1, -1, -1])
    visualize.draw_boxes(image, boxes=boxes.astype(np.float32), refined_boxes=refined,
                         masks=masks, captions=["one", "two"], visibilities=[0, 2],
                         title="boxes", save_path=path)
    read_png(path)
    with pytest.raises(ValueError):
        visualize.draw_boxes(image)


def test_draw_rois_saves_png_and_prints_counts(tmp_path, capsys):
    np.random.seed(0)
    image, boxes, masks, class_ids, scores = make_scene()
    rois = np.concatenate([boxes, [[0, 0, 10, 10]]]).astype(np.int32)
    refined = rois + 1
    roi_masks = np.zeros((3, 7, 7), np.float32)
    roi_masks[:, 1:6, 1:6] = 0.9
    path = str(tmp_path / "rois.png")
    visualize.draw_rois(image, rois, refined, roi_masks, np.array([1, 2, 0]), CLASS_NAMES,
                        limit=10, save_path=path)
    read_png(path)
    out = capsys.readouterr().out
    assert "Positive ROIs:  2" in out and "Negative ROIs:  1" in out


def test_paste_roi_mask_fills_box_only():
    roi_mask = np.ones((7, 7), np.float32)
    pasted = visualize._paste_roi_mask(roi_mask, (2, 3, 8, 10), (12, 12, 3))
    assert pasted.dtype == bool and pasted.shape == (12, 12)
    assert pasted[2:8, 3:10].all() and pasted.sum() == 6 * 7


def test_display_differences_saves_png(tmp_path):
    image, boxes, masks, class_ids, scores = make_scene()
    pred_masks = np.roll(masks, 2, axis=1)
    fig, ax = plt.subplots(1, figsize=(3, 3))
    path = str(tmp_path / "diff.png")
    visualize.display_differences(image, boxes, class_ids, masks,
                                  boxes + np.array([0, 2, 0, 2]), class_ids, scores,
                                  pred_masks, CLASS_NAMES, ax=ax, save_path=path)
    pixels = read_png(path)
    texts = [t.get_text() for t in ax.texts]
    assert texts[:2] == ["", ""]
    assert texts[2].startswith("0.97 / ") and texts[3].startswith("0.61 / ")
    assert count_reddish(pixels) > 0  # predictions are drawn red


# ---------------------------------------------------------------- tables and weights

def test_display_table_plain_text_fallback(capsys, monkeypatch):
    monkeypatch.setattr(visualize, "_in_ipython_frontend", lambda: False)
    visualize.display_table([["NAME", "SHAPE"],
                             ["conv<span style='color:red'>*** dead?</span>", "(3,)"]])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "SHAPE"]
    assert lines[1].split() == ["conv***", "dead?", "(3,)"]
    assert "<span" not in lines[1]


def test_display_table_html_in_ipython(monkeypatch):
    import IPython.display
    shown = []
    monkeypatch.setattr(visualize, "_in_ipython_frontend", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    visualize.display_table([["A", 1]])
    assert len(shown) == 1
    assert shown[0].data.startswith("<table><tr><td>A")


def test_display_weight_stats_keras3_model(capsys, monkeypatch):
    import keras
    monkeypatch.setattr(visualize, "_in_ipython_frontend", lambda: False)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6, 6, 2))
    x = keras.layers.Conv2D(3, 3, name="conv_a")(inputs)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(4, name="dense_b")(x)
    model = keras.Model(inputs, outputs)
    visualize.display_weight_stats(model)
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split() == ["WEIGHT", "NAME", "SHAPE", "MIN", "MAX", "STD"]
    by_name = {row.split()[0]: row for row in rows[1:]}
    assert set(by_name) == {"conv_a/kernel", "conv_a/bias", "dense_b/kernel",
                            "dense_b/bias***"}
    kernel = model.get_layer("conv_a").get_weights()[0]
    assert "(3, 3, 2, 3)" in by_name["conv_a/kernel"]
    assert "{:+9.4f}".format(kernel.min()).strip() in by_name["conv_a/kernel"]
    assert "{:+9.4f}".format(kernel.std()).strip() in by_name["conv_a/kernel"]
    # Zero-initialised biases are constant: Dense is flagged, Conv2D's bias is exempt.
    assert "dead?" in by_name["dense_b/bias***"]
    assert "dead?" not in by_name["conv_a/bias"]

    # A nested sub-model's layers are listed too; a MaskRCNN-like wrapper uses its own list.
    outer_inputs = keras.Input((6, 6, 2))
    outer = keras.Model(outer_inputs, keras.layers.Dense(2, name="head_c")(model(outer_inputs)))
    visualize.display_weight_stats(outer)
    names = [row.split()[0] for row in capsys.readouterr().out.splitlines()[1:]]
    assert len(names) == 6 and names[-1].startswith("head_c/bias")
    wrapper = types.SimpleNamespace(get_trainable_layers=lambda: [model.get_layer("dense_b")])
    visualize.display_weight_stats(wrapper)
    assert len(capsys.readouterr().out.splitlines()) == 3


# ---------------------------------------------------------------- OpenCV renderer

def test_draw_instances_changes_mask_and_box_edge_only():
    image, boxes, masks, class_ids, scores = make_scene(96, 128)
    boxes = np.array([[10, 12, 50, 60], [40, 70, 88, 120]])
    masks = np.zeros((96, 128, 2), bool)
    masks[18:42, 20:52, 0] = True
    masks[48:80, 78:112, 1] = True
    out = visualize.draw_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores,
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
    out = visualize.draw_instances(image, np.zeros((0, 4)), np.zeros((20, 30, 0), bool),
                                   np.zeros((0,), int), CLASS_NAMES)
    assert out is not image
    np.testing.assert_array_equal(out, image)
    assert out.dtype == np.uint8 and out.shape == (20, 30, 3)


def test_draw_instances_label_has_filled_background_and_scales():
    def label_height(size):
        image = np.zeros((size, size, 3), np.uint8)
        box = np.array([[size // 2, size // 4, size - 2, size - 2]])
        out = visualize.draw_instances(image, box, None, [1], CLASS_NAMES, [0.97],
                                       colors=[(0, 1, 0)], show_mask=False)
        # Rows above the box containing the green label fill.
        above = out[:size // 2, :, 1] == 255
        return int(np.any(above, axis=1).sum())

    small, large = label_height(200), label_height(1600)
    assert small >= 8
    assert large > 3 * small


def test_draw_instances_options_and_input_conversion():
    image, boxes, masks, class_ids, scores = make_scene()
    grey = image[:, :, 0]
    out = visualize.draw_instances(grey, boxes, masks, class_ids, CLASS_NAMES)
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8
    boxes_only = visualize.draw_instances(image, boxes, masks, class_ids, CLASS_NAMES,
                                          show_mask=False)
    assert (boxes_only[19:22, 12:26] == 120).all()  # mask interior not blended
    labels_only = visualize.draw_instances(image, boxes, masks, class_ids, CLASS_NAMES,
                                           colors=[(1, 0, 0), (1, 0, 0)],
                                           show_mask=False, show_bbox=False)
    changed = np.any(labels_only != image, axis=-1)
    assert changed.any()  # the labels are still drawn
    # ...but no box outline: the second box's left and bottom edges, below its label.
    assert not changed[36:44, 35].any() and not changed[43, 40:58].any()
    assert (labels_only[changed][:, 0] == 255).all()  # label fill in the instance colour
    # Deterministic default colours.
    again = visualize.draw_instances(grey, boxes, masks, class_ids, CLASS_NAMES)
    np.testing.assert_array_equal(out, again)


def test_draw_instances_rejects_mismatched_masks():
    image, boxes, masks, class_ids, scores = make_scene()
    with pytest.raises(ValueError, match="masks"):
        visualize.draw_instances(image, boxes, masks[:, :, :1], class_ids, CLASS_NAMES)
    with pytest.raises(ValueError, match="class_ids"):
        visualize.draw_instances(image, boxes, masks, class_ids[:1], CLASS_NAMES)
