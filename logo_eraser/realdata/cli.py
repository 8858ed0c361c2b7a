"""The ``logo-data`` command: real annotated logo photos into the layout ``logo-train`` reads.

    logo-data sources                                           # what it knows
    logo-data import toplogo10 --from logo_detection -o real/toplogo10
    logo-data import car-logos --from https://github.com/amadeomarvell/YOLO_NAS_Car_Logo_Detection \\
        -o real/car-logos                                       # a git URL is cloned first
    logo-data merge real/toplogo10 real/car-logos synth_v4 -o train_set

Exit status: 0 done, 2 a user error (a malformed line, an unknown layout, an existing output:
one line naming the file; nothing written), 1 an internal error, 130 interrupted (nothing
written).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

from mrcnn.cli import (EXIT_OK, OneLineArgumentParser, UsageError, non_negative_int, one_line,
                       open_unit_interval, run_main, unit_interval)

from .importing import (DEFAULT_TEST_FRACTION, DEFAULT_VAL_FRACTION, ImportProblem,
                        import_source, merge_datasets)
from .records import SourceDataError
from .sources import SOURCES

_GIT_URL = re.compile(r"^(https?://|git@|ssh://|git://)")


class DataError(UsageError):
    """A user error of logo-data: printed as one line, exit status 2."""


def _progress(what):
    def bar(items, total):
        from tqdm import tqdm
        return tqdm(items, total=total, desc=what, unit="photo", file=sys.stderr)
    return bar


def build_parser(prog=None):
    parser = OneLineArgumentParser(
        prog=prog, description="Import real annotated logo photos (TopLogo-10, "
        "FlickrLogos-27, COCO json, YOLO txt) into the FlickrLogos-47 layout that logo-train "
        "reads, one class 'logo', with each photo's source, original path and licence; merge "
        "imported datasets.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("sources", help="list the sources, their URLs and licences")
    importer = commands.add_parser("import", help="import one source into a new folder")
    importer.add_argument("source", choices=tuple(SOURCES), metavar="SOURCE",
                          help=f"one of {', '.join(SOURCES)}")
    importer.add_argument("--from", dest="origin", required=True, metavar="PATH_OR_GIT_URL",
                          help="the source's checkout, or a git URL to clone (needs git and "
                          "network)")
    importer.add_argument("-o", "--output", required=True, metavar="DIR",
                          help="the new dataset folder (must not exist)")
    importer.add_argument("--seed", type=non_negative_int, default=0,
                          help="seed of the photo-level split where a source has none "
                          "(default: 0)")
    importer.add_argument("--test-fraction", type=open_unit_interval,
                          default=DEFAULT_TEST_FRACTION,
                          help=f"share of photos drawn for test where a source has no test "
                          f"split (default: {DEFAULT_TEST_FRACTION})")
    importer.add_argument("--val-fraction", type=unit_interval, default=DEFAULT_VAL_FRACTION,
                          help=f"share drawn for validation where a source has no validation "
                          f"split (default: {DEFAULT_VAL_FRACTION})")
    importer.add_argument("--licence", "--license", dest="licence", metavar="TEXT",
                          help="the data's licence, recorded per photo (required for the "
                          "generic coco and yolo layouts)")
    merger = commands.add_parser("merge", help="merge imported datasets (and logo-synth "
                                 "--labels logo output) into a new folder")
    merger.add_argument("inputs", nargs="+", metavar="DIR", help="dataset folders")
    merger.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="the new dataset folder (must not exist)")
    merger.add_argument("--max-train-photos", action="append", default=[],
                        metavar="DIR=N", help="keep a seeded sample of N training photos of "
                        "that input (validation and test photos are all kept); repeatable")
    merger.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of --max-train-photos' samples (default: 0)")
    parser.add_argument("--debug", action="store_true", help="show internal tracebacks")
    return parser


def _clone(url, parent):
    """Clone a git URL into a temporary folder under ``parent``; returns its path."""
    folder = tempfile.mkdtemp(prefix=".logo-data-clone-", dir=parent)
    try:
        result = subprocess.run(["git", "clone", "--depth", "1", "--quiet", url, folder],
                                capture_output=True, text=True, check=False)
    except OSError as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise DataError(f"cannot run git to clone {url}: {error}") from None
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise DataError(f"git clone {url} failed: {one_line(result.stderr)[-300:]}")
    return folder


def _print_summary(summary):
    for split, count in summary["splits"].items():
        print(f"{split:5}: {count['photos']:5} photos, {count['logos']:5} logos, "
              f"{count['logo_free']:4} logo-free")
    if summary["copies_dropped"]:
        print(f"copies of one photo left out: {summary['copies_dropped']}")
    if summary["problems"]:
        print(f"boxes or photos left out as flawed: {summary['problems']} (first: "
              f"{summary['first_problems'][0]})")


def run(args):
    if args.command == "sources":
        for source in SOURCES.values():
            print(f"{source.name:20} {source.description}\n{'':20} "
                  f"{source.url or '(any such dataset)'}\n{'':20} licence: "
                  f"{source.licence or 'give --licence'}")
        return EXIT_OK
    try:
        if args.command == "import":
            output = os.path.abspath(args.output)
            if os.path.exists(output):
                raise DataError(f"{args.output} already exists; the output is never "
                                "overwritten: choose a new folder")
            clone = None
            origin = args.origin
            if _GIT_URL.match(origin):
                clone = _clone(origin, os.path.dirname(output) or ".")
                origin = clone
            try:
                summary = import_source(args.source, origin, output, seed=args.seed,
                                        test_fraction=args.test_fraction,
                                        val_fraction=args.val_fraction, licence=args.licence,
                                        progress=_progress(args.source))
            finally:
                if clone is not None:
                    shutil.rmtree(clone, ignore_errors=True)
            _print_summary(summary)
            print(f"wrote {args.output}")
        else:
            limits = {}
            for item in args.max_train_photos:
                folder, _, number = item.rpartition("=")
                if folder not in args.inputs or not number.isdigit():
                    raise DataError(f"--max-train-photos {item!r}: expected DIR=N with DIR one "
                                    "of the inputs")
                limits[folder] = int(number)
            counts = merge_datasets(args.inputs, args.output, progress=_progress("merge"),
                                    max_train_photos=limits, seed=args.seed)
            for name, count in counts.items():
                print(f"{name:20} {count:6} photos")
            print(f"wrote {args.output}")
    except (SourceDataError, ImportProblem) as error:
        raise DataError(one_line(error)) from None
    return EXIT_OK


def main(argv=None, prog=None):
    """Command line entry point. Returns the exit status."""
    args = build_parser(prog).parse_args(argv)
    return run_main(run, args)


if __name__ == "__main__":
    sys.exit(main())
