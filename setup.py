"""Packaging for the `mrcnn` library (Mask R-CNN on TensorFlow 2 / Keras 3).

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

RUNTIME_REQUIREMENTS = [
    "keras>=3.0",
    "numpy>=1.26",
    "opencv-python-headless>=4.8",
    "h5py>=3.10",
    "pillow>=10.0",
    "scipy>=1.11",
    "pycocotools>=2.0.7",
    "albumentations>=1.4",
    "matplotlib>=3.8",
    "tqdm>=4.66",
    "tensorboard>=2.16",  # training logs (TensorFlow no longer bundles it)
]

TEST_REQUIREMENTS = [
    "pytest>=8.0",
    "pytest-xdist>=3.5",
    "scikit-image>=0.22",
    "nbformat>=5.9",
    "nbclient>=0.9",
    "ipykernel>=6.29",
]

setup(
    name="mrcnn",
    version=VERSION,
    description="Mask R-CNN for TensorFlow 2 / Keras 3, API- and weights-compatible with "
    "matterport's Mask R-CNN",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.11",
    packages=find_packages(include=["mrcnn", "mrcnn.*"]),
    package_data={"mrcnn": ["data/*.tsv"]},
    include_package_data=True,
    install_requires=RUNTIME_REQUIREMENTS,
    extras_require={
        "cpu": ["tensorflow-cpu>=2.16"],
        "gpu": ["tensorflow[and-cuda]>=2.16"],
        "test": TEST_REQUIREMENTS,
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
        "Topic :: Scientific/Engineering :: Image Recognition",
    ],
)
