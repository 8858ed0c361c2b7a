"""A light backbone for training from scratch on a CPU, as a callable ``Config.BACKBONE``.

Importing this module does not import TensorFlow (scripts put it in their configs before they
validate their arguments); the graph is built when the backbone is called.
"""

import math

import numpy as np

SMALL_BACKBONE_WIDTHS = (32, 64, 128, 256, 256)


def small_backbone(input_image, stage5=True, train_bn=True, widths=SMALL_BACKBONE_WIDTHS,
                   residual_blocks=(0, 0, 0, 0, 0)):
    """A light backbone for training from scratch on a CPU; a callable for ``Config.BACKBONE``.

    Five stages of two 3x3 convs with BatchNorm (the first strided), ``widths`` channels
    (default 32..256), each stage followed by ``residual_blocks[stage - 1]`` residual blocks
    (two 3x3 convs and an identity shortcut, as ResNet's basic block); returns
    [C1, C2, C3, C4, C5] at strides 2..32 like ResNet. With the default widths and no residual
    blocks about 2% of ResNet101's multiply-adds at the same size and 1.2 M parameters; a block
    in stages 4 and 5 (16x16 and 8x8 at 256 px) adds depth and receptive field for large marks
    at little cost. Its BatchNorm always trains (``train_bn`` is ignored): from random weights,
    frozen statistics would normalise nothing. Layers are named ``small_c{stage}{a|b}`` and
    ``small_bn{stage}{a|b}``, block k's ``small_c{stage}r{k}{a|b}`` and
    ``small_bn{stage}r{k}{a|b}``. Pair it with ``COMPUTE_BACKBONE_SHAPE = small_backbone_shapes``;
    pass other widths or blocks with ``functools.partial``.
    """
    from keras import layers as KL

    from .layers import BatchNorm

    if len(residual_blocks) != len(widths):
        raise ValueError(f"residual_blocks {tuple(residual_blocks)} needs one count per stage "
                         f"of widths {tuple(widths)}")

    def conv_bn(x, channels, strides, name, relu=True):
        x = KL.Conv2D(channels, (3, 3), strides=strides, padding="same", use_bias=False,
                      name=f"small_c{name}")(x)
        x = BatchNorm(name=f"small_bn{name}", frozen=False)(x)
        return KL.Activation("relu")(x) if relu else x

    x, stages = input_image, []
    for stage, (channels, blocks) in enumerate(zip(widths, residual_blocks), start=1):
        x = conv_bn(x, channels, 2, f"{stage}a")
        x = conv_bn(x, channels, 1, f"{stage}b")
        for block in range(1, blocks + 1):
            branch = conv_bn(x, channels, 1, f"{stage}r{block}a")
            branch = conv_bn(branch, channels, 1, f"{stage}r{block}b", relu=False)
            x = KL.Add(name=f"small_res{stage}r{block}")([x, branch])
            x = KL.Activation("relu")(x)
        stages.append(x)
    return stages


def small_backbone_shapes(image_shape):
    """Feature-map sizes [[h, w], ...] of small_backbone at the FPN strides 4..64, for
    ``Config.COMPUTE_BACKBONE_SHAPE``; image_shape (H, W[, C]) in pixels."""
    return np.array([[int(math.ceil(image_shape[0] / stride)),
                      int(math.ceil(image_shape[1] / stride))]
                     for stride in (4, 8, 16, 32, 64)])
