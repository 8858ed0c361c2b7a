#!/usr/bin/env python3
"""Regenerate the artwork vendored in logo_eraser/synth/data/ (a developer tool).

The synthetic logo generator (logo_eraser.synth) pastes real brand marks onto photos. It
reads them as small PNG files so that it needs only NumPy, OpenCV and Pillow at run time. This
script makes those files:

- ``icons/<slug>.png``: the simple-icons marks listed in ``ICON_SLUGS``, rasterised with
  cairosvg, cropped to the mark and scaled to ``--size`` pixels on the longer side. The PNG is
  8-bit gray: the value is the mark's coverage (its alpha); the colour is not stored in the
  pixels but in the manifest (simple-icons' brand colour).
- ``backgrounds/<name>.jpg``: a few CC0 / public-domain sample photos of scikit-image.
- ``manifest.json``: one record per icon (slug, title, hex colour, file, source, licence) and
  per background, plus the simple-icons version.
- ``LICENSE.md`` and ``DISCLAIMER.md``: simple-icons' CC0 licence and trademark disclaimer,
  copied from the package; ``README.md``: what the folder holds.

Only icons whose simple-icons data names no licence (the package's CC0 applies) or CC0 are
taken; the others are refused.

Usage (cairosvg is a development-only dependency; libcairo must be installed)::

    npm pack simple-icons            # writes simple-icons-<version>.tgz
    pip install cairosvg
    python tools/render_simple_icons.py --package simple-icons-<version>.tgz

Exit status: 0 done, 2 a problem you can fix (one line on stderr), 1 an internal error.
"""

import argparse
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile

import cv2
import numpy as np
from PIL import Image

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         os.pardir))
# The package data of logo_eraser.synth (it finds the folder beside its modules).
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "logo_eraser", "synth", "data")

# The FlickrLogos-47 brands simple-icons has (logo_eraser.synth maps them to their classes),
# then about 200 other well-known brands for the single-class `logo` mode.
FLICKRLOGOS_SLUGS = (
    "hp", "adidas", "aldinord", "aldisud", "apple", "bmw", "carlsberggroup", "cocacola", "dhl",
    "fedex", "ferrari", "ford", "google", "nvidia", "shell", "starbucks", "ups",
)
OTHER_SLUGS = (
    # sport and fashion
    "nike", "puma", "reebok", "underarmour", "newbalance", "fila", "jordan", "zara", "uniqlo",
    "dior", "hermes",
    # technology and electronics
    "meta", "facebook", "instagram", "whatsapp", "x", "youtube", "netflix", "spotify", "samsung",
    "sony", "lg", "panasonic", "toshiba", "hitachi", "intel", "amd", "qualcomm", "arm", "dell",
    "lenovo", "asus", "acer", "cisco", "huawei", "xiaomi", "oppo", "vivo", "oneplus",
    "motorola", "nokia", "blackberry", "htc", "nikon", "fujifilm", "kodak", "leica", "dji",
    "bose", "jbl", "beatsbydre", "sennheiser", "razer", "corsair", "steam", "playstation",
    "sega", "ubisoft", "ea", "epicgames", "activision", "github", "gitlab", "linux", "ubuntu",
    "firefox", "googlechrome", "opera", "safari", "discord", "telegram", "signal", "snapchat",
    "tiktok", "pinterest", "reddit", "tumblr", "twitch", "mozilla", "wikipedia", "autodesk",
    "dropbox", "sap", "bitcoin", "ethereum", "shazam", "soundcloud", "deezer", "mastodon",
    "wix", "wordpress", "vimeo", "dailymotion", "blender", "unity", "unrealengine", "siemens",
    "bosch", "abb", "3m",
    # cars and vehicles
    "audi", "volkswagen", "porsche", "lamborghini", "maserati", "fiat", "chevrolet", "cadillac",
    "jeep", "chrysler", "tesla", "toyota", "honda", "nissan", "mazda", "subaru", "mitsubishi",
    "suzuki", "hyundai", "kia", "volvo", "peugeot", "renault", "citroen", "opel", "skoda",
    "seat", "mini", "rollsroyce", "bentley", "astonmartin", "mclaren", "bugatti", "ducati",
    "ktm", "vespa", "caterpillar", "johndeere",
    # food, drink and retail
    "redbull", "monster", "mcdonalds", "burgerking", "kfc", "tacobell", "aral", "ikea",
    "target", "lidl", "tesco", "carrefour", "ebay", "aliexpress", "etsy", "zalando",
    # transport, travel and delivery
    "usps", "dpd", "airbnb", "uber", "lyft", "tripadvisor", "expedia", "lufthansa", "airfrance",
    "klm", "britishairways", "emirates", "qatarairways", "turkishairlines", "ryanair",
    "easyjet", "delta", "americanairlines", "unitedairlines", "southwestairlines",
    "singaporeairlines", "boeing", "airbus", "deutschebahn", "sncf", "nasa", "spacex",
    "hilton", "marriott",
    # finance, telecoms, media, sport
    "visa", "mastercard", "americanexpress", "paypal", "stripe", "hsbc", "barclays",
    "deutschebank", "vodafone", "verizon", "orange", "o2", "hbo", "fifa", "nba", "mlb", "nhl",
    "premierleague", "yelp",
)
ICON_SLUGS = FLICKRLOGOS_SLUGS + OTHER_SLUGS
ACCEPTED_LICENCES = (None, "CC0-1.0")

# scikit-image sample photos vendored as backgrounds, with the licence skimage.data states
# (not astronaut.png and rocket.jpg: they show real logos, which would be unlabelled).
SKIMAGE_BACKGROUNDS = {
    "coffee.png": "CC0 (photographer: Rachel Michetti)",
    "chelsea.png": "CC0 (photographer: Stefan van der Walt)",
    "brick.png": "CC0 (CC0Textures, Bricks25)",
    "grass.png": "CC0 (CC0Textures)",
    "gravel.png": "CC0 (CC0Textures, Gravel04)",
}

ARTWORK_README = """# Artwork of the synthetic logo generator

Written by `tools/render_simple_icons.py` (do not edit by hand; rerun it instead).

- `icons/`: {icons} brand marks of [simple-icons](https://simpleicons.org) {version}, rasterised
  to {size} px on the longer side. Each PNG is 8-bit gray: the mark's coverage (alpha). The
  brand colour is `hex` in `manifest.json`.
- `backgrounds/`: CC0 / public-domain sample photos of scikit-image (licences in
  `manifest.json`).
- `LICENSE.md`: simple-icons' licence (CC0 1.0). `DISCLAIMER.md`: simple-icons' disclaimer. The
  marks are trademarks of their owners: CC0 waives copyright, not trademark rights. They are
  here only to train and test a logo detector; do not use them to suggest endorsement.
"""

RENDER_SIDE = 768       # cairosvg canvas: the 24x24 viewBox at 32 px per unit
MARGIN = 2              # transparent pixels kept around the cropped mark


class ToolError(Exception):
    """A problem the user can fix: printed as one line, exit status 2."""


def open_package(path, scratch):
    """The folder of an unpacked simple-icons package (``path`` is the folder or the .tgz
    ``npm pack`` writes; a .tgz is unpacked into ``scratch``)."""
    if os.path.isdir(path):
        folder = path
    elif tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            archive.extractall(scratch, filter="data")
        folder = os.path.join(scratch, "package")
    else:
        raise ToolError(f"{path}: neither a folder nor a .tgz of the simple-icons package")
    for name in ("package.json", os.path.join("data", "simple-icons.json"), "icons",
                 "LICENSE.md", "DISCLAIMER.md"):
        if not os.path.exists(os.path.join(folder, name)):
            raise ToolError(f"{folder}: not the simple-icons package ({name} is missing)")
    return folder


def rasterise_mark(svg_bytes, size):
    """An icon's SVG -> [h, w] uint8 coverage, cropped to the mark, longer side ``size``."""
    import cairosvg

    png = cairosvg.svg2png(bytestring=svg_bytes, output_width=RENDER_SIDE,
                           output_height=RENDER_SIDE)
    alpha = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[..., 3]
    rows = np.flatnonzero(alpha.max(axis=1) > 0)
    columns = np.flatnonzero(alpha.max(axis=0) > 0)
    if rows.size == 0:
        raise ToolError("the SVG draws nothing")
    alpha = alpha[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    scale = (size - 2 * MARGIN) / max(alpha.shape)
    height = max(1, round(alpha.shape[0] * scale))
    width = max(1, round(alpha.shape[1] * scale))
    alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_AREA)
    return np.pad(alpha, MARGIN)


def vendor_icons(package, output, size):
    """Rasterise ICON_SLUGS into output/icons; returns the manifest records."""
    with open(os.path.join(package, "data", "simple-icons.json"), encoding="utf-8") as file:
        records = {record["slug"]: record for record in json.load(file)}
    icons_dir = os.path.join(output, "icons")
    os.makedirs(icons_dir)
    manifest = []
    for slug in ICON_SLUGS:
        record = records.get(slug)
        if record is None:
            raise ToolError(f"simple-icons has no icon '{slug}' (edit ICON_SLUGS)")
        licence = (record.get("license") or {}).get("type")
        if licence not in ACCEPTED_LICENCES:
            raise ToolError(f"icon '{slug}' is under {licence}, not CC0 (edit ICON_SLUGS)")
        with open(os.path.join(package, "icons", f"{slug}.svg"), "rb") as file:
            svg = file.read()
        try:
            coverage = rasterise_mark(svg, size)
        except ToolError as error:
            raise ToolError(f"icon '{slug}': {error}") from None
        name = f"{slug}.png"
        Image.fromarray(coverage).save(os.path.join(icons_dir, name), optimize=True)
        manifest.append({"slug": slug, "title": record["title"], "hex": record["hex"],
                         "file": f"icons/{name}", "source": record.get("source", ""),
                         "license": licence or "CC0-1.0 (simple-icons)"})
    return manifest


def vendor_backgrounds(output, max_side=640, quality=90):
    """Copy SKIMAGE_BACKGROUNDS (from the installed scikit-image) into output/backgrounds as
    JPEG files at most ``max_side`` pixels on the longer side; returns the manifest records."""
    try:
        import skimage.data
    except ImportError:
        raise ToolError("scikit-image is not installed (needed for the background photos)") \
            from None
    data_dir = os.path.dirname(skimage.data.__file__)
    backgrounds_dir = os.path.join(output, "backgrounds")
    os.makedirs(backgrounds_dir)
    records = []
    for file_name, licence in SKIMAGE_BACKGROUNDS.items():
        path = os.path.join(data_dir, file_name)
        if not os.path.isfile(path):
            raise ToolError(f"{path}: scikit-image sample photo not found")
        with Image.open(path) as image:
            photo = image.convert("RGB")
        scale = min(1.0, max_side / max(photo.size))
        if scale < 1:
            photo = photo.resize((round(photo.size[0] * scale), round(photo.size[1] * scale)),
                                 Image.Resampling.LANCZOS)
        name = os.path.splitext(file_name)[0] + ".jpg"
        photo.save(os.path.join(backgrounds_dir, name), quality=quality, optimize=True)
        records.append({"file": f"backgrounds/{name}", "source": f"scikit-image {file_name}",
                        "license": licence})
    return records


def build(package, output, size):
    """Write the whole artwork folder into ``output`` (which must not exist yet)."""
    with open(os.path.join(package, "package.json"), encoding="utf-8") as file:
        version = json.load(file).get("version", "unknown")
    icons = vendor_icons(package, output, size)
    backgrounds = vendor_backgrounds(output)
    for name in ("LICENSE.md", "DISCLAIMER.md"):
        shutil.copyfile(os.path.join(package, name), os.path.join(output, name))
    manifest = {
        "simple_icons_version": version,
        "icon_size": size,
        "note": "icons/*.png: 8-bit coverage (alpha) of the mark; 'hex' is the brand colour",
        "icons": icons,
        "backgrounds": backgrounds,
    }
    with open(os.path.join(output, "manifest.json"), "w", encoding="utf-8") as file:
        json.dump(manifest, file, indent=1, ensure_ascii=False)
        file.write("\n")
    with open(os.path.join(output, "README.md"), "w", encoding="utf-8") as file:
        file.write(ARTWORK_README.format(version=version, icons=len(icons), size=size))
    return len(icons), len(backgrounds), version


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", required=True,
                        help="the simple-icons package: the .tgz from `npm pack simple-icons` "
                        "or its unpacked folder")
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help=f"artwork folder, replaced as a whole (default: {DEFAULT_OUTPUT})")
    parser.add_argument("--size", type=int, default=256,
                        help="pixels on the longer side of each mark (default: 256)")
    args = parser.parse_args(argv)
    try:
        if not 16 <= args.size <= 1024:
            raise ToolError(f"--size must be 16..1024, got {args.size}")
        try:
            import cairosvg  # noqa: F401  (only checks that it is there)
        except (ImportError, OSError) as error:
            raise ToolError(f"cairosvg is needed to rasterise the SVGs ({error}); "
                            "pip install cairosvg") from None
        output = os.path.abspath(args.output)
        parent = os.path.dirname(output)
        os.makedirs(parent, exist_ok=True)
        with tempfile.TemporaryDirectory() as scratch:
            package = open_package(args.package, scratch)
            # Build beside the target, then swap, so a failure leaves the old artwork intact.
            staging = tempfile.mkdtemp(prefix=".artwork-", dir=parent)
            try:
                built = os.path.join(staging, "artwork")
                icons, backgrounds, version = build(package, built, args.size)
                previous = os.path.join(staging, "previous")
                if os.path.exists(output):
                    os.rename(output, previous)
                os.rename(built, output)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except ToolError as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    print(f"Wrote {icons} icons (simple-icons {version}) and {backgrounds} backgrounds to "
          f"{output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
