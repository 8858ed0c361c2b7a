"""Tests for the mrcnn.visualize facade: matterport's names re-exported from mrcnn.visualization."""

import importlib

import pytest

from mrcnn import visualize

CONCEPT_MODULES = {
    "mrcnn.visualization.colors": ["random_colors", "apply_mask"],
    "mrcnn.visualization.figures": [
        "display_images", "display_instances", "display_differences", "draw_rois",
        "display_top_masks", "plot_precision_recall", "plot_overlaps", "draw_boxes"],
    "mrcnn.visualization.rendering": ["draw_box", "draw_instances"],
    "mrcnn.visualization.weight_stats": ["display_table", "display_weight_stats"],
}
HOME_OF = {name: module for module, names in CONCEPT_MODULES.items() for name in names}


def test_all_lists_every_public_name_once():
    # matterport's public functions plus this repo's draw_instances, nothing lost in the split.
    assert len(visualize.__all__) == len(set(visualize.__all__))
    assert set(visualize.__all__) == set(HOME_OF)


@pytest.mark.parametrize("name", sorted(HOME_OF))
def test_name_is_the_concept_module_object(name):
    concept = importlib.import_module(HOME_OF[name])
    exported = getattr(visualize, name)
    assert exported is getattr(concept, name)
    assert exported.__module__ == HOME_OF[name]


def test_star_import_gives_all_names():
    namespace = {}
    exec("from mrcnn.visualize import *", namespace)
    for name in visualize.__all__:
        assert namespace[name] is getattr(visualize, name)
