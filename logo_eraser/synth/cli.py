"""The command line of the synthetic logo generator (``samples/brands/synth.py``, ``python -m
logo_eraser.synth.cli``): generate a dataset into --output.

Exit status: 0 done, 2 a problem you can fix (one line on stderr, nothing written), 1 an
internal error (--debug shows the traceback).
"""

import os
import sys

from mrcnn.cli import (EXIT_OK, OneLineArgumentParser, UsageError, non_negative_int,
                       positive_int, run_main, unit_interval)

from .artwork import HELD_OUT_BRANDS, PHOTOS_DIR, REPO_ROOT, list_photos
from .compositing import MAX_LOGO_FRACTION
from .dataset import check_output_folder, write_dataset
from .sample import LABEL_MODES, SynthOptions


def build_parser():
    parser = OneLineArgumentParser(
        description="Generate synthetic logo photos (real brand marks and wordmarks pasted "
        "onto photos and textures) in the FlickrLogos-47 layout, with exact instance masks.",
        epilog="Held-out brands (test split only): " + ", ".join(HELD_OUT_BRANDS) + ".")
    parser.add_argument("--output", required=True,
                        help="dataset folder to create (must not exist or be empty)")
    parser.add_argument("--num-images", type=positive_int, required=True,
                        help="photos in the train split (negatives included)")
    parser.add_argument("--num-test", type=non_negative_int, default=None,
                        help="photos in the test split (default: a quarter of --num-images, "
                        "at least 1)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed: the same seed gives the same files (default: 0)")
    parser.add_argument("--labels", choices=LABEL_MODES, default="logo",
                        help="logo: one class 'logo' for every mark (default); brands: the 47 "
                        "FlickrLogos-47 classes")
    parser.add_argument("--negatives", type=unit_interval, default=0.1,
                        help="share of photos without any mark, written to no-logo/ "
                        "(default: 0.1)")
    parser.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                        help="processes generating photos (default: the CPU count); the files "
                        "do not depend on it")
    parser.add_argument("--backgrounds", action="append", default=[], metavar="DIR",
                        help="a folder of more background photos (repeatable); by default "
                        + (f"{os.path.relpath(PHOTOS_DIR, REPO_ROOT)}/ and " if PHOTOS_DIR else "")
                        + "the vendored scikit-image photos")
    parser.add_argument("--no-checkout-photos", action="store_true",
                        help="leave the checkout's images/ out of the backgrounds: they are the "
                        "photos of the real-photo benchmark (bench/real_photos.json)")
    parser.add_argument("--clutter", type=unit_interval, default=0.0,
                        help="chance that a photo gets 1-4 patterned things that are not logos "
                        "(textures, animal spots, photo pieces), as hard negatives (default: 0)")
    parser.add_argument("--objects", action="append", default=[], metavar="DIR",
                        help="a folder of cut-out photos of real things that are not logos "
                        "(PNG with transparency; repeatable): with --clutter, half of the "
                        "clutter is one of them (e.g. tools/vendor_debian_photos.py's)")
    parser.add_argument("--plates", type=unit_interval, default=0.0,
                        help="chance that a mark is printed on a sign, badge or label plate "
                        "(default: 0)")
    parser.add_argument("--finishes", type=unit_interval, default=0.0,
                        help="chance that a mark is chrome (a badge) or pressed into its "
                        "surface (relief, tone-on-tone) instead of printed (default: 0)")
    parser.add_argument("--max-logo-fraction", type=unit_interval, default=MAX_LOGO_FRACTION,
                        help="longer side of the largest mark, a fraction of the photo's "
                        f"(default: {MAX_LOGO_FRACTION})")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace --output when it holds a dataset written by synth.py")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of internal errors")
    return parser


def run(args):
    num_test = args.num_test if args.num_test is not None else max(1, args.num_images // 4)
    backgrounds = tuple(os.path.abspath(folder) for folder in args.backgrounds)
    for folder in backgrounds:
        list_photos(folder)
    objects = tuple(os.path.abspath(folder) for folder in args.objects)
    if objects and not args.clutter:
        raise UsageError("--objects needs --clutter: objects are pasted as clutter")
    options = SynthOptions(seed=args.seed, labels=args.labels, negatives=args.negatives,
                           extra_backgrounds=backgrounds,
                           checkout_photos=not args.no_checkout_photos, clutter=args.clutter,
                           plates=args.plates, max_logo_fraction=args.max_logo_fraction,
                           objects=objects, finishes=args.finishes)
    check_output_folder(args.output, args.overwrite)
    options.library()
    options.object_paths()
    summary = write_dataset(args.output, options, args.num_images, num_test,
                            workers=args.workers, overwrite=args.overwrite,
                            progress=not args.no_progress)
    counts = summary["counts"]
    parts = [f"{split}: {c['photos']} photos ({c['negatives']} without logos, "
             f"{c['instances']} instances)" for split, c in counts.items()]
    print(f"Wrote {summary['output']} ({args.labels} labels, seed {args.seed}): "
          f"{'; '.join(parts)}")
    print(f"{sum(c['photos'] for c in counts.values())} photos in {summary['seconds']:.1f} s: "
          f"{summary['photos_per_second']:.2f} photos/second with {args.workers} worker(s)")
    return EXIT_OK


def main(argv=None):
    """Command line entry point. Returns the exit status (see the module docstring)."""
    args = build_parser().parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())
