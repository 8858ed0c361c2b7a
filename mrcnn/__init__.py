"""Mask R-CNN for TensorFlow 2 / Keras 3, API- and weights-compatible with matterport."""
__version__ = "3.0.0"
