"""Random-number helpers shared by the data modules.

The data functions take an ``rng`` that is NumPy's global ``np.random`` (matterport's
behaviour), a ``np.random.RandomState`` or a ``np.random.Generator``. The tf.data pipeline
gives every image draw its own ``RandomState`` so that worker threads never share a state.
"""

import numpy as np

# Largest seed handed to third-party augmenters (albumentations, imgaug take 32-bit seeds).
_MAX_SEED = 2 ** 31 - 1


def resolve(rng):
    """``rng`` or, when None, the global ``np.random`` module."""
    return np.random if rng is None else rng


def randint(rng, low, high, size=None):
    """Integers in [low, high) from a RandomState-like or a Generator."""
    rng = resolve(rng)
    if hasattr(rng, "integers"):
        return rng.integers(low, high, size=size)
    return rng.randint(low, high, size=size)


def draw_seed(rng):
    """A seed in [0, 2**31 - 1) drawn from ``rng`` (for seeding an augmenter)."""
    return int(randint(rng, 0, _MAX_SEED))


def image_rng(seed, epoch, image_id):
    """The RandomState of one draw of one image: a function of (seed, epoch, image_id) only,
    so results do not depend on which thread loads the image or when."""
    sequence = np.random.SeedSequence([int(seed), int(epoch), int(image_id)])
    return np.random.RandomState(np.random.MT19937(sequence))
