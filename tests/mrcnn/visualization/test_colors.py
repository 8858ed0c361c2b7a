"""Tests for mrcnn.visualization.colors: random_colors and apply_mask."""

import numpy as np

from mrcnn.visualization.colors import apply_mask, random_colors


def test_random_colors_count_range_and_seeded_determinism():
    colors = random_colors(7, seed=3)
    assert len(colors) == 7
    values = np.array(colors)
    assert values.shape == (7, 3)
    assert values.min() >= 0.0 and values.max() <= 1.0
    # Evenly spaced hues: all distinct, and the same set whatever the shuffle.
    assert len({tuple(c) for c in colors}) == 7
    assert colors == random_colors(7, seed=3)
    assert sorted(colors) == sorted(random_colors(7, seed=4))
    # bright=False caps the value channel at 0.7.
    assert np.isclose(np.array(random_colors(5, bright=False, seed=0)).max(), 0.7)


def test_random_colors_unseeded_uses_global_random():
    import random
    random.seed(11)
    first = random_colors(6)
    random.seed(11)
    assert random_colors(6) == first


def test_apply_mask_blends_exactly_the_masked_pixels():
    image = np.zeros((4, 5, 3), dtype=np.float64)
    image[..., 0], image[..., 1], image[..., 2] = 100.0, 50.0, 200.0
    mask = np.zeros((4, 5), dtype=bool)
    mask[1:3, 2:4] = True
    color = (1.0, 0.0, 0.5)
    result = apply_mask(image.copy(), mask, color, alpha=0.25)
    # 100*0.75 + 0.25*255 = 138.75; 50*0.75 + 0 = 37.5; 200*0.75 + 0.25*127.5 = 181.875
    np.testing.assert_allclose(result[mask], np.tile([138.75, 37.5, 181.875], (4, 1)))
    np.testing.assert_array_equal(result[~mask], image[~mask])


def test_apply_mask_uses_rgb_of_rgba_color_and_works_in_place():
    image = np.full((3, 3, 3), 10, dtype=np.uint32)
    mask = np.eye(3, dtype=np.uint8)
    returned = apply_mask(image, mask, (0, 1, 0, 0.8), alpha=0.5)
    assert returned is image
    np.testing.assert_array_equal(image[1, 1], [5, 132, 5])  # 5 + 127.5, truncated
    np.testing.assert_array_equal(image[0, 1], [10, 10, 10])
