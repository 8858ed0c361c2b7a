"""``python -m mrcnn.export``: the ``mrcnn-export`` command (see ``mrcnn.export.cli``)."""

import sys

from .cli import main

sys.exit(main(prog="python -m mrcnn.export"))
