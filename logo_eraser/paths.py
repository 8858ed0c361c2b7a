"""Where the eraser finds its files: inside the package, and in a source checkout when it runs
from one.

The shipped model travels inside the package (``logo_eraser/models/mask_rcnn_logo.h5``), so a
plain ``pip install`` finds it. A checkout of the repository adds the places its scripts have
always used (``<checkout>/mask_rcnn_brands.h5``, ``<checkout>/logs``, ``<checkout>/images``);
an installed package has no checkout and uses the current folder for those instead.
"""

import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _find_checkout_root():
    """The repository root when this package is imported from a checkout (an editable
    install, or the source tree itself), else None."""
    root = os.path.dirname(PACKAGE_DIR)
    markers = ("setup.py", "mrcnn", "block")
    return root if all(os.path.exists(os.path.join(root, name)) for name in markers) else None


# The repository root, or None for an installed package.
CHECKOUT_ROOT = _find_checkout_root()


def work_folder():
    """Where outputs without a given path go: the checkout root, else the current folder."""
    return CHECKOUT_ROOT if CHECKOUT_ROOT is not None else os.getcwd()
