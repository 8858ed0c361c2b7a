"""A light backbone for training from scratch on a CPU, as a callable ``Config.BACKBONE``.

Importing this module does not import TensorFlow (scripts put it in their configs before they
validate their arguments); the graph is built when the backbone is called.
"""

import math

import numpy as np

SMALL_BACKBONE_WIDTHS = (32, 64, 128, 256, 256)


def small_backbone(input_image, stage5=True, train_bn=True, widths=SMALL_BACKBONE_WIDTHS):
    """A light backbone for training from scratch on a CPU; a callable for ``Config.BACKBONE``.

    Five stages of two 3x3 convs with BatchNorm (the first strided), ``widths`` channels
    (default 32..256); returns [C1, C2, C3, C4, C5] at strides 2..32 like ResNet. With the
    default widths about 2% of ResNet101's multiply-adds at the same size and 1.2 M
    parameters. Its BatchNorm always trains (``train_bn`` is ignored): from random weights,
    frozen statistics would normalise nothing. Layers are named ``small_c{stage}{a|b}`` and
    ``small_bn{stage}{a|b}``. Pair it with ``COMPUTE_BACKBONE_SHAPE = small_backbone_shapes``.
    """
    from keras import layers as KL

    from .layers import BatchNorm

    x, stages = input_image, []
    for stage, channels in enumerate(widths, start=1):
        for part, strides in (("a", 2), ("b", 1)):
            x = KL.Conv2D(channels, (3, 3), strides=strides, padding="same", use_bias=False,
                          name=f"small_c{stage}{part}")(x)
            x = BatchNorm(name=f"small_bn{stage}{part}", frozen=False)(x)
            x = KL.Activation("relu")(x)
        stages.append(x)
    return stages


def small_backbone_shapes(image_shape):
    """Feature-map sizes [[h, w], ...] of small_backbone at the FPN strides 4..64, for
    ``Config.COMPUTE_BACKBONE_SHAPE``; image_shape (H, W[, C]) in pixels."""
    return np.array([[int(math.ceil(image_shape[0] / stride)),
                      int(math.ceil(image_shape[1] / stride))]
                     for stride in (4, 8, 16, 32, 64)])
