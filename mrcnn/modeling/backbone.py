"""ResNet50/101 backbone (bottleneck blocks, matterport's layer names) and its feature-map sizes;
where the configured backbone is chosen (ResNet, EfficientNet-Lite or a callable).

The backbone returns the stage outputs C1..C5 (strides 2, 4, 8, 16, 32).
"""

import math

import numpy as np

from keras import layers as KL

from .efficientnet_lite import VARIANTS as EFFICIENTNET_LITE_VARIANTS
from .efficientnet_lite import efficientnet_lite_graph
from .layers import BatchNorm

# Identity blocks in stage 4 after its conv block: ResNet50 has 6 blocks there, ResNet101 23.
_STAGE4_IDENTITY_BLOCKS = {"resnet50": 5, "resnet101": 22}


def _bottleneck_branch(input_tensor, kernel_size, filters, stage, block, strides, use_bias,
                       train_bn):
    """The residual branch: 1x1 (strided) -> kxk -> 1x1 convs, each with BatchNorm."""
    f1, f2, f3 = filters
    conv_name = f"res{stage}{block}_branch"
    bn_name = f"bn{stage}{block}_branch"
    frozen = not train_bn

    x = KL.Conv2D(f1, (1, 1), strides=strides, name=conv_name + "2a",
                  use_bias=use_bias)(input_tensor)
    x = BatchNorm(name=bn_name + "2a", frozen=frozen)(x)
    x = KL.Activation("relu")(x)
    x = KL.Conv2D(f2, (kernel_size, kernel_size), padding="same", name=conv_name + "2b",
                  use_bias=use_bias)(x)
    x = BatchNorm(name=bn_name + "2b", frozen=frozen)(x)
    x = KL.Activation("relu")(x)
    x = KL.Conv2D(f3, (1, 1), name=conv_name + "2c", use_bias=use_bias)(x)
    return BatchNorm(name=bn_name + "2c", frozen=frozen)(x)


def identity_block(input_tensor, kernel_size, filters, stage, block, use_bias=True,
                   train_bn=True):
    """Bottleneck block whose shortcut is the input itself (same shape in and out).

    kernel_size: middle conv's kernel; filters: the three convs' channel counts;
    stage, block: naming (``res{stage}{block}_branch2a``, ``bn{stage}{block}_branch2a``...).
    """
    x = _bottleneck_branch(input_tensor, kernel_size, filters, stage, block, (1, 1), use_bias,
                           train_bn)
    x = KL.Add()([x, input_tensor])
    return KL.Activation("relu", name=f"res{stage}{block}_out")(x)


def conv_block(input_tensor, kernel_size, filters, stage, block, strides=(2, 2), use_bias=True,
               train_bn=True):
    """Bottleneck block with a strided 1x1 conv on the shortcut (changes shape)."""
    x = _bottleneck_branch(input_tensor, kernel_size, filters, stage, block, strides, use_bias,
                           train_bn)
    # Created after the branch: matterport's (and the weights files') layer order.
    shortcut = KL.Conv2D(filters[2], (1, 1), strides=strides, name=f"res{stage}{block}_branch1",
                         use_bias=use_bias)(input_tensor)
    shortcut = BatchNorm(name=f"bn{stage}{block}_branch1", frozen=not train_bn)(shortcut)
    x = KL.Add()([x, shortcut])
    return KL.Activation("relu", name=f"res{stage}{block}_out")(x)


def resnet_graph(input_image, architecture, stage5=False, train_bn=True):
    """Build ResNet50 or ResNet101 on ``input_image`` [batch, H, W, C].

    Returns [C1, C2, C3, C4, C5], the stage outputs (C5 is None unless ``stage5``).
    """
    if architecture not in _STAGE4_IDENTITY_BLOCKS:
        raise ValueError(f"unknown backbone {architecture!r}: use 'resnet50' or 'resnet101'")
    # Stage 1
    x = KL.ZeroPadding2D((3, 3))(input_image)
    x = KL.Conv2D(64, (7, 7), strides=(2, 2), name="conv1", use_bias=True)(x)
    x = BatchNorm(name="bn_conv1", frozen=not train_bn)(x)
    x = KL.Activation("relu")(x)
    c1 = x = KL.MaxPooling2D((3, 3), strides=(2, 2), padding="same")(x)
    # Stage 2
    x = conv_block(x, 3, [64, 64, 256], stage=2, block="a", strides=(1, 1), train_bn=train_bn)
    x = identity_block(x, 3, [64, 64, 256], stage=2, block="b", train_bn=train_bn)
    c2 = x = identity_block(x, 3, [64, 64, 256], stage=2, block="c", train_bn=train_bn)
    # Stage 3
    x = conv_block(x, 3, [128, 128, 512], stage=3, block="a", train_bn=train_bn)
    for block in "bcd":
        x = identity_block(x, 3, [128, 128, 512], stage=3, block=block, train_bn=train_bn)
    c3 = x
    # Stage 4: blocks b, c, ... (ResNet101 reaches 'w')
    x = conv_block(x, 3, [256, 256, 1024], stage=4, block="a", train_bn=train_bn)
    for i in range(_STAGE4_IDENTITY_BLOCKS[architecture]):
        x = identity_block(x, 3, [256, 256, 1024], stage=4, block=chr(ord("b") + i),
                           train_bn=train_bn)
    c4 = x
    # Stage 5
    if stage5:
        x = conv_block(x, 3, [512, 512, 2048], stage=5, block="a", train_bn=train_bn)
        x = identity_block(x, 3, [512, 512, 2048], stage=5, block="b", train_bn=train_bn)
        c5 = identity_block(x, 3, [512, 512, 2048], stage=5, block="c", train_bn=train_bn)
    else:
        c5 = None
    return [c1, c2, c3, c4, c5]


def check_backbone_name(name):
    """ValueError unless ``name`` is a backbone this module builds."""
    if name not in _STAGE4_IDENTITY_BLOCKS and name not in EFFICIENTNET_LITE_VARIANTS:
        raise ValueError(f"unknown backbone {name!r}: use 'resnet50', 'resnet101', "
                         f"{', '.join(repr(v) for v in EFFICIENTNET_LITE_VARIANTS)} "
                         "or a callable")


def compute_backbone_shapes(config, image_shape):
    """[[height, width], ...] of the feature maps at each of ``config.BACKBONE_STRIDES``.

    image_shape: (H, W[, C]) of the molded input, in pixels. A callable backbone supplies
    ``config.COMPUTE_BACKBONE_SHAPE`` instead.
    """
    if callable(config.BACKBONE):
        if config.COMPUTE_BACKBONE_SHAPE is None:
            raise ValueError("a callable BACKBONE needs config.COMPUTE_BACKBONE_SHAPE")
        return config.COMPUTE_BACKBONE_SHAPE(image_shape)
    check_backbone_name(config.BACKBONE)
    # EfficientNet-Lite's "same" padding gives ceil(side / stride) too, like ResNet here.

    return np.array([[int(math.ceil(image_shape[0] / stride)),
                      int(math.ceil(image_shape[1] / stride))]
                     for stride in config.BACKBONE_STRIDES])


def build_backbone(input_image, config):
    """Run the configured backbone (name or callable) on ``input_image``; returns [C2..C5].
    Its BatchNorm trains as ``config.BACKBONE_TRAIN_BN`` says (None: as ``TRAIN_BN``)."""
    train_bn = config.TRAIN_BN if config.BACKBONE_TRAIN_BN is None else config.BACKBONE_TRAIN_BN
    if callable(config.BACKBONE):
        _, c2, c3, c4, c5 = config.BACKBONE(input_image, stage5=True, train_bn=train_bn)
    elif config.BACKBONE in EFFICIENTNET_LITE_VARIANTS:
        _, c2, c3, c4, c5 = efficientnet_lite_graph(input_image, config.BACKBONE,
                                                    config.MEAN_PIXEL, train_bn=train_bn)
    else:
        check_backbone_name(config.BACKBONE)
        _, c2, c3, c4, c5 = resnet_graph(input_image, config.BACKBONE, stage5=True,
                                         train_bn=train_bn)
    return [c2, c3, c4, c5]


__all__ = ["identity_block", "conv_block", "resnet_graph", "check_backbone_name",
           "compute_backbone_shapes", "build_backbone"]
