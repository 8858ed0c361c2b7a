"""Tests of mrcnn.config.Config.with_overrides: the one way the library's scripts change a
configuration's values."""

import numpy as np
import pytest

from mrcnn.config import Config


class SmallConfig(Config):
    NAME = "small"
    NUM_CLASSES = 3
    IMAGES_PER_GPU = 2
    IMAGE_MIN_DIM = 128
    IMAGE_MAX_DIM = 128


def test_overrides_change_values_and_recompute_the_derived_ones():
    config = SmallConfig()
    changed = config.with_overrides(IMAGES_PER_GPU=4, NUM_CLASSES=5, IMAGE_MAX_DIM=256,
                                    LEARNING_RATE=0.01)
    assert type(changed) is SmallConfig
    assert (changed.IMAGES_PER_GPU, changed.NUM_CLASSES, changed.LEARNING_RATE) == (4, 5, 0.01)
    assert changed.BATCH_SIZE == 4
    assert changed.IMAGE_META_SIZE == 1 + 3 + 3 + 4 + 1 + 5
    np.testing.assert_array_equal(changed.IMAGE_SHAPE, [256, 256, 3])
    # The original is untouched, and so is the class.
    assert (config.IMAGES_PER_GPU, config.BATCH_SIZE, config.IMAGE_META_SIZE) == (2, 2, 15)
    assert SmallConfig.IMAGES_PER_GPU == 2 and SmallConfig().BATCH_SIZE == 2
    assert changed.to_dict()["LEARNING_RATE"] == 0.01


def test_overrides_chain_and_keep_earlier_changes():
    twice = SmallConfig().with_overrides(IMAGES_PER_GPU=3).with_overrides(GPU_COUNT=2)
    assert twice.BATCH_SIZE == 6


def test_unknown_lower_case_and_derived_keys_are_refused():
    config = SmallConfig()
    with pytest.raises(ValueError, match="SmallConfig has no attribute IMAGES_PER_GUP"):
        config.with_overrides(IMAGES_PER_GUP=1)
    with pytest.raises(ValueError, match="no attribute learning_rate"):
        config.with_overrides(learning_rate=0.1)
    with pytest.raises(ValueError, match="BATCH_SIZE is derived"):
        config.with_overrides(BATCH_SIZE=8)
    assert config.IMAGES_PER_GPU == 2 and config.BATCH_SIZE == 2
