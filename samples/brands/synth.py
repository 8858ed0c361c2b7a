#!/usr/bin/env python3
"""Synthetic logo photos in the FlickrLogos-47 layout: the original entry point of the
generator, which now lives in the package `logo_eraser.synth` (see its docstring).

Same flags, outputs and exit status as ``python -m logo_eraser.synth.cli``:

    python samples/brands/synth.py --output synth_logos --num-images 2000 --num-test 400
    python samples/brands/synth.py --output synth_brands --labels brands --num-images 5000

``import synth`` (with this folder on sys.path) still works: it re-exports the package's
public names and the command line's build_parser, run and main.

Exit status: 0 done, 2 a problem you can fix (one line on stderr, nothing written), 1 an
internal error (--debug shows the traceback).
"""

import sys

from logo_eraser.synth import *  # noqa: F401,F403  (the public names, for `import synth`)
from logo_eraser.synth import __all__ as _package_all
from logo_eraser.synth.cli import build_parser, main, run

__all__ = [*_package_all, "build_parser", "run", "main"]

if __name__ == "__main__":
    sys.exit(main())
