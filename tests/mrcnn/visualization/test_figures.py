"""Tests for mrcnn.visualization.figures: headless matplotlib figures saved to PNG."""

import os
import subprocess
import sys
import warnings

import matplotlib

matplotlib.use("Agg")  # never open windows from the test run, even on a desktop

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mrcnn.visualization import figures  # noqa: E402

CLASS_NAMES = ["BG", "cat", "dog"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


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


def test_display_instances_saves_png_with_mask_colours(tmp_path, make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    path = str(tmp_path / "instances.png")
    red = [(1.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    result = figures.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores,
                                       title="t", figsize=(3, 3), colors=red,
                                       save_path=path)
    assert result is None
    pixels = read_png(path)
    # The input is grey everywhere: red pixels can only come from the blended masks.
    assert count_reddish(pixels) > 100
    assert not plt.get_fignums(), "figure created for save_path must be closed"


def test_display_instances_without_masks_has_no_red_fill(tmp_path, make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    red = [(1.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    with_mask, without_mask = str(tmp_path / "a.png"), str(tmp_path / "b.png")
    figures.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores,
                              figsize=(3, 3), colors=red, save_path=with_mask)
    figures.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores,
                              figsize=(3, 3), colors=red, show_mask=False,
                              show_bbox=False, save_path=without_mask)
    assert count_reddish(read_png(with_mask)) > 2 * count_reddish(read_png(without_mask))


def test_display_instances_zero_instances(tmp_path, capsys):
    image = np.random.default_rng(0).integers(0, 255, (32, 40, 3), dtype=np.uint8)
    path = str(tmp_path / "empty.png")
    figures.display_instances(image, np.zeros((0, 4)), np.zeros((32, 40, 0), bool),
                              np.zeros((0,), np.int32), CLASS_NAMES, figsize=(2, 2),
                              save_path=path)
    assert "No instances to display" in capsys.readouterr().out
    read_png(path)


def test_display_instances_mismatched_counts_raise(make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    with pytest.raises(ValueError, match="display_instances"):
        figures.display_instances(image, boxes, masks[:, :, :1], class_ids, CLASS_NAMES,
                                  figsize=(2, 2))


def test_display_instances_into_caller_axes_keeps_figure_open(tmp_path, make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    fig, ax = plt.subplots(1, figsize=(2, 2))
    path = str(tmp_path / "ax.png")
    figures.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores, ax=ax,
                              captions=["a", "b"], save_path=path)
    read_png(path)
    assert plt.fignum_exists(fig.number)
    assert [t.get_text() for t in ax.texts] == ["a", "b"]


def test_display_instances_captions_from_names_and_scores(make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    fig, ax = plt.subplots(1, figsize=(2, 2))
    figures.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores, ax=ax)
    assert [t.get_text() for t in ax.texts] == ["cat 0.970", "dog 0.610"]


def test_no_show_warning_and_figure_left_open_under_agg(make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # plt.show() under Agg would warn
        figures.display_instances(image, boxes, masks, class_ids, CLASS_NAMES, scores,
                                  figsize=(2, 2))
    assert len(plt.get_fignums()) == 1  # still there for a later plt.savefig


def test_headless_without_mplbackend(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY",
                                                            "WAYLAND_DISPLAY")}
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
    figures.display_images(images, titles=["a", "b", "c"], cols=3, save_path=path)
    read_png(path)
    assert not plt.get_fignums()


def test_display_top_masks_saves_png(tmp_path, make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    path = str(tmp_path / "top.png")
    figures.display_top_masks(image, masks, class_ids, CLASS_NAMES, limit=2, save_path=path)
    read_png(path)


def test_plot_precision_recall_saves_png(tmp_path):
    path = str(tmp_path / "pr.png")
    figures.plot_precision_recall(0.75, np.array([0, 1, 1, 0.5, 0]),
                                  np.array([0, 0.25, 0.5, 0.75, 1]), save_path=path)
    read_png(path)


def test_plot_overlaps_saves_png(tmp_path):
    overlaps = np.array([[0.8, 0.1], [0.0, 0.6], [0.3, 0.0]])
    path = str(tmp_path / "overlaps.png")
    figures.plot_overlaps(np.array([1, 2, 0]), np.array([1, 1, 2]),
                          np.array([0.9, 0.8, 0.4]), overlaps, CLASS_NAMES, save_path=path)
    read_png(path)


def test_draw_boxes_saves_png(tmp_path, make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    path = str(tmp_path / "boxes.png")
    refined = boxes + np.array([1, 1, -1, -1])
    figures.draw_boxes(image, boxes=boxes.astype(np.float32), refined_boxes=refined,
                       masks=masks, captions=["one", "two"], visibilities=[0, 2],
                       title="boxes", save_path=path)
    read_png(path)
    with pytest.raises(ValueError):
        figures.draw_boxes(image)


def test_draw_rois_saves_png_and_prints_counts(tmp_path, capsys, make_scene):
    np.random.seed(0)
    image, boxes, masks, class_ids, scores = make_scene()
    rois = np.concatenate([boxes, [[0, 0, 10, 10]]]).astype(np.int32)
    refined = rois + 1
    roi_masks = np.zeros((3, 7, 7), np.float32)
    roi_masks[:, 1:6, 1:6] = 0.9
    path = str(tmp_path / "rois.png")
    figures.draw_rois(image, rois, refined, roi_masks, np.array([1, 2, 0]), CLASS_NAMES,
                      limit=10, save_path=path)
    read_png(path)
    out = capsys.readouterr().out
    assert "Positive ROIs:  2" in out and "Negative ROIs:  1" in out


def test_paste_roi_mask_fills_box_only():
    roi_mask = np.ones((7, 7), np.float32)
    pasted = figures._paste_roi_mask(roi_mask, (2, 3, 8, 10), (12, 12, 3))
    assert pasted.dtype == bool and pasted.shape == (12, 12)
    assert pasted[2:8, 3:10].all() and pasted.sum() == 6 * 7


def test_display_differences_saves_png(tmp_path, make_scene):
    image, boxes, masks, class_ids, scores = make_scene()
    pred_masks = np.roll(masks, 2, axis=1)
    fig, ax = plt.subplots(1, figsize=(3, 3))
    path = str(tmp_path / "diff.png")
    figures.display_differences(image, boxes, class_ids, masks,
                                boxes + np.array([0, 2, 0, 2]), class_ids, scores,
                                pred_masks, CLASS_NAMES, ax=ax, save_path=path)
    pixels = read_png(path)
    texts = [t.get_text() for t in ax.texts]
    assert texts[:2] == ["", ""]
    assert texts[2].startswith("0.97 / ") and texts[3].startswith("0.61 / ")
    assert count_reddish(pixels) > 0  # predictions are drawn red
