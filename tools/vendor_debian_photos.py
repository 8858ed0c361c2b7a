#!/usr/bin/env python3
"""Copy real logo-free photos out of Debian packages: wallpapers into a background folder for
``logo-synth --backgrounds``, and cut-out photos of things into an object folder for
``logo-synth --objects``.

The photos were picked by eye from plasma-workspace-wallpapers, mate-backgrounds and
lomiri-wallpapers-16.04/-20.04 (Debian bookworm): photographs only (no drawn artwork), and
none showing a brand mark. Each is downscaled to at most 1280 px on its longer side and
written as JPEG, with SOURCES.json giving the package, the path inside it, the copyright and
the licence read from the package's DEP-5 copyright file (GPL-2+, CC-BY-4.0, CC-BY-SA-3.0/4.0
or CC0-1.0).

The objects are Tux Paint's stamps (tuxpaint-stamps-default, GPL-2): the cut-outs (PNG with
transparency) of the animals, food, plants, household, clothes, hobbies, space, seasonal,
medical, houses and monuments folders, photographs only: a stamp whose 16 commonest colours
cover more than half of it is a drawing and is left out (flat drawings are what logos look
like), and so are the mascots and symbols (flags, signs, letters, money, the Tux penguin).
Each is downscaled to at most 320 px.

    python tools/vendor_debian_photos.py --output data/backgrounds_debian \
        --objects-output data/objects_debian
    python tools/vendor_debian_photos.py --debs DIR ...   # the .deb files at hand

Without --debs the packages are fetched with ``apt-get download`` (a Debian or Ubuntu system
with the bookworm archive in its sources). Exit codes: 0 done, 1 failure, 2 bad arguments.
"""

import argparse
import fnmatch
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import cv2
import numpy as np

LONGER_SIDE = 1280
JPEG_QUALITY = 90

PLASMA = "usr/share/wallpapers/{}/contents/images/1920x1080.jpg"
MATE = "usr/share/backgrounds/mate/nature/{}.jpg"
LOMIRI = "usr/share/backgrounds/{}.jpg"

# package -> paths inside it
PHOTOS = {
    "plasma-workspace-wallpapers": [PLASMA.format(name) for name in (
        "BytheWater", "ColdRipple", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey",
        "OneStandsOut", "Path", "summer_1am")]
    + ["usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg"],
    "mate-backgrounds": [MATE.format(name) for name in (
        "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird",
        "RainDrops", "Storm", "TwoWings", "Wood", "YellowFlower")],
    "lomiri-wallpapers-16.04": [LOMIRI.format(name) for name in (
        "Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "Picture_0B_by_freespace",
        "Picture_1A_by_freespace", "aitzgorri_by_Aitzol_Berasategi", "free_by_Peter_Nerlich",
        "friends_by_Aitzol_Berasategi", "greentock_by_Peter_Nerlich",
        "life_by_Aitzol_Berasategi", "picosdeeuropa_by_Aitzol_Berasategi",
        "seeding_by_Clements_Engelhardt", "sunset_by_Aitzol_Berasategi")],
    "lomiri-wallpapers-20.04": [LOMIRI.format("Kleiber_by_Lukas_Baubkus")],
}
STAMPS_PACKAGE = "tuxpaint-stamps-default"
STAMPS_ROOT = "usr/share/tuxpaint/stamps"
STAMP_FOLDERS = ("animals", "food", "plants", "household/dishes", "household/tools",
                 "household/arttools", "clothes", "hobbies", "space", "seasonal", "medical",
                 "town/houses", "town/monuments")
STAMP_LONGER_SIDE = 320
# A stamp is a drawing when its 16 commonest colours (of its opaque pixels, at 5 bits a
# channel) cover more than this share of it.
DRAWING_COLOUR_SHARE = 0.5


def copyright_paragraphs(path):
    """A DEP-5 copyright file -> [{"Files": [...], "Copyright": str, "License": str}]."""
    paragraphs = []
    with open(path, encoding="utf-8") as file:
        blocks = file.read().split("\n\n")
    for block in blocks:
        fields, key = {}, None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if "Files" in fields:
            paragraphs.append({"Files": fields["Files"].split(),
                               "Copyright": " ".join(fields.get("Copyright", "").split()),
                               "License": fields.get("License", "").split("\n")[0]})
    return paragraphs


def licence_of(paragraphs, member):
    """The last paragraph whose Files pattern matches the member (DEP-5: the last match
    wins). Patterns name upstream paths, not installed ones: a plain file name is compared
    with the member's file name, a wildcard pattern with its whole path ("debian/*" must not
    match every photo)."""
    found = None
    for paragraph in paragraphs:
        for pattern in paragraph["Files"]:
            if any(char in pattern for char in "*?["):
                matches = (pattern == "*" or fnmatch.fnmatch(member, pattern)
                           or fnmatch.fnmatch(member, "*/" + pattern))
            else:
                matches = os.path.basename(member) == os.path.basename(pattern)
            if matches:
                found = paragraph
    return found


class ToolError(Exception):
    """A one-line error and the exit status it gives."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def extract_package(debs, package, scratch):
    """Unpack the newest ``<package>_*.deb`` of ``debs`` under ``scratch``.
    Returns (the .deb's path, the unpacked tree, its copyright paragraphs)."""
    found = sorted(glob.glob(os.path.join(debs, f"{package}_*.deb")))
    if not found:
        raise ToolError(f"{debs}: no {package}_*.deb", 2)
    tree = os.path.join(scratch, package)
    subprocess.run(["dpkg-deb", "-x", found[-1], tree], check=True)
    paragraphs = copyright_paragraphs(os.path.join(tree, "usr/share/doc", package, "copyright"))
    return found[-1], tree, paragraphs


def source_record(name, deb, member, paragraphs):
    """The SOURCES.json record of the file ``name`` copied from ``member`` of ``deb``."""
    paragraph = licence_of(paragraphs, member)
    return {"file": name, "package": os.path.basename(deb), "member": member,
            "copyright": paragraph["Copyright"] if paragraph else "",
            "license": paragraph["License"] if paragraph else "unknown"}


def write_sources(folder, records):
    with open(os.path.join(folder, "SOURCES.json"), "w", encoding="utf-8") as file:
        json.dump(records, file, indent=1)


def fetch_debs(folder, packages):
    subprocess.run(["apt-get", "download", *packages], cwd=folder, check=True)


def is_drawing(bgra):
    """True for a flat drawing: few colours cover most of its opaque pixels."""
    opaque = bgra[:, :, 3] > 128 if bgra.shape[2] == 4 else np.ones(bgra.shape[:2], bool)
    if opaque.sum() < 100:
        return True
    quantised = (bgra[:, :, :3][opaque] >> 3).astype(np.int32)
    codes = (quantised[:, 0] << 10) | (quantised[:, 1] << 5) | quantised[:, 2]
    counts = np.sort(np.bincount(codes))[::-1]
    return counts[:16].sum() / counts.sum() > DRAWING_COLOUR_SHARE


def vendor_objects(debs, scratch, staging):
    """The photographic stamps of tuxpaint-stamps-default -> ``staging``; returns their
    SOURCES records."""
    deb, tree, paragraphs = extract_package(debs, STAMPS_PACKAGE, scratch)
    sources = []
    for folder in STAMP_FOLDERS:
        for path in sorted(glob.glob(os.path.join(tree, STAMPS_ROOT, folder, "**", "*.png"),
                                     recursive=True)):
            name = os.path.basename(path)
            if name.endswith(("_mirror.png", "_flip.png")) or "tux" in name.lower():
                continue
            pixels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if pixels is None or pixels.ndim != 3 or pixels.dtype != np.uint8 \
                    or is_drawing(pixels):
                continue
            scale = STAMP_LONGER_SIDE / max(pixels.shape[:2])
            if scale < 1:
                pixels = cv2.resize(pixels, None, fx=scale, fy=scale,
                                    interpolation=cv2.INTER_AREA)
            member = os.path.relpath(path, tree)
            out_name = "_".join(os.path.relpath(path, os.path.join(tree, STAMPS_ROOT))
                                .split(os.sep))
            cv2.imwrite(os.path.join(staging, out_name), pixels)
            sources.append(source_record(out_name, deb, member, paragraphs))
    return sources


def vendor_backgrounds(debs, scratch, staging):
    """The wallpaper photographs of PHOTOS -> ``staging``; returns their SOURCES records."""
    sources = []
    for package, members in PHOTOS.items():
        deb, tree, paragraphs = extract_package(debs, package, scratch)
        for member in members:
            pixels = cv2.imread(os.path.join(tree, member), cv2.IMREAD_COLOR)
            if pixels is None:
                raise ToolError(f"{deb}: cannot read {member}", 1)
            scale = LONGER_SIDE / max(pixels.shape[:2])
            if scale < 1:
                pixels = cv2.resize(pixels, None, fx=scale, fy=scale,
                                    interpolation=cv2.INTER_AREA)
            stem = member.split("/")[-4] if package.startswith("plasma") else \
                os.path.splitext(os.path.basename(member))[0]
            name = f"{package.split('-')[0]}_{stem}.jpg"
            cv2.imwrite(os.path.join(staging, name), pixels,
                        [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            sources.append(source_record(name, deb, member, paragraphs))
    return sources


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", required=True,
                        help="background folder to write (must not exist)")
    parser.add_argument("--objects-output",
                        help="also write the cut-out objects to this folder (must not exist)")
    parser.add_argument("--debs", help="folder holding the .deb files (default: apt-get "
                                       "download them)")
    args = parser.parse_args(argv)
    for folder in (args.output, args.objects_output):
        if folder is not None and os.path.exists(folder):
            print(f"error: {folder}: exists; choose a new folder", file=sys.stderr)
            return 2
    packages = list(PHOTOS) + ([STAMPS_PACKAGE] if args.objects_output else [])
    try:
        with tempfile.TemporaryDirectory() as scratch:
            debs = args.debs
            if debs is None:
                debs = os.path.join(scratch, "debs")
                os.makedirs(debs)
                try:
                    fetch_debs(debs, packages)
                except (OSError, subprocess.CalledProcessError) as error:
                    raise ToolError(f"apt-get download failed ({error})", 1) from None
            staging = os.path.join(scratch, "out")
            os.makedirs(staging)
            sources = vendor_backgrounds(debs, scratch, staging)
            write_sources(staging, sources)
            objects = []
            if args.objects_output:
                object_staging = os.path.join(scratch, "objects")
                os.makedirs(object_staging)
                objects = vendor_objects(debs, scratch, object_staging)
                write_sources(object_staging, objects)
            # Written only once everything is read: no half-filled folder on an error.
            shutil.copytree(staging, args.output)
            if args.objects_output:
                shutil.copytree(object_staging, args.objects_output)
    except ToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.status
    print(f"{len(sources)} photos -> {args.output}"
          + (f"; {len(objects)} objects -> {args.objects_output}" if args.objects_output else ""))
    return 0

if __name__ == "__main__":
    sys.exit(main())
