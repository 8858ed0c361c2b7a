#!/usr/bin/env python3
"""Copy real logo-free photos out of Debian's wallpaper packages into a background folder
for ``logo-synth --backgrounds``.

The photos were picked by eye from plasma-workspace-wallpapers, mate-backgrounds and
lomiri-wallpapers-16.04/-20.04 (Debian bookworm): photographs only (no drawn artwork), and
none showing a brand mark. Each is downscaled to at most 1280 px on its longer side and
written as JPEG, with SOURCES.json giving the package, the path inside it, the copyright and
the licence read from the package's DEP-5 copyright file (GPL-2+, CC-BY-4.0, CC-BY-SA-3.0/4.0
or CC0-1.0).

    python tools/vendor_debian_backgrounds.py --output data/backgrounds_debian
    python tools/vendor_debian_backgrounds.py --debs DIR --output ...   # .deb files at hand

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
                matches = pattern == "*" or fnmatch.fnmatch(member, "*/" + pattern)
            else:
                matches = os.path.basename(member) == os.path.basename(pattern)
            if matches:
                found = paragraph
    return found


def fetch_debs(folder):
    subprocess.run(["apt-get", "download", *PHOTOS], cwd=folder, check=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", required=True, help="folder to write (must not exist)")
    parser.add_argument("--debs", help="folder holding the .deb files (default: apt-get "
                                       "download them)")
    args = parser.parse_args(argv)
    if os.path.exists(args.output):
        print(f"error: {args.output}: exists; choose a new folder", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        debs = args.debs
        if debs is None:
            debs = os.path.join(scratch, "debs")
            os.makedirs(debs)
            try:
                fetch_debs(debs)
            except (OSError, subprocess.CalledProcessError) as error:
                print(f"error: apt-get download failed ({error})", file=sys.stderr)
                return 1
        staging = os.path.join(scratch, "out")
        os.makedirs(staging)
        sources = []
        for package, members in PHOTOS.items():
            found = sorted(glob.glob(os.path.join(debs, f"{package}_*.deb")))
            if not found:
                print(f"error: {debs}: no {package}_*.deb", file=sys.stderr)
                return 2
            tree = os.path.join(scratch, package)
            subprocess.run(["dpkg-deb", "-x", found[-1], tree], check=True)
            paragraphs = copyright_paragraphs(
                os.path.join(tree, "usr/share/doc", package, "copyright"))
            for member in members:
                pixels = cv2.imread(os.path.join(tree, member), cv2.IMREAD_COLOR)
                if pixels is None:
                    print(f"error: {found[-1]}: cannot read {member}", file=sys.stderr)
                    return 1
                scale = LONGER_SIDE / max(pixels.shape[:2])
                if scale < 1:
                    pixels = cv2.resize(pixels, None, fx=scale, fy=scale,
                                        interpolation=cv2.INTER_AREA)
                stem = member.split("/")[-4] if package.startswith("plasma") else \
                    os.path.splitext(os.path.basename(member))[0]
                name = f"{package.split('-')[0]}_{stem}.jpg"
                cv2.imwrite(os.path.join(staging, name), pixels,
                            [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                paragraph = licence_of(paragraphs, member)
                sources.append({"file": name, "package": os.path.basename(found[-1]),
                                "member": member,
                                "copyright": paragraph["Copyright"] if paragraph else "",
                                "license": paragraph["License"] if paragraph else "unknown"})
        with open(os.path.join(staging, "SOURCES.json"), "w", encoding="utf-8") as file:
            json.dump(sources, file, indent=1)
        shutil.copytree(staging, args.output)
    print(f"{len(sources)} photos -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
