"""The artwork library: the brands and their artworks (simple-icons marks vendored in ``data/``,
wordmarks of brand names), the wordmark fonts, the background photos, and which of them are
held out of training (HELD_OUT_BRANDS, HELD_OUT_FONTS).

``load_library()`` reads them once per process; ``FLICKRLOGOS_ARTWORK`` says which artwork
each FlickrLogos-47 class gets.
"""

import dataclasses
import functools
import importlib.util
import json
import os
import unicodedata

import cv2
import numpy as np
from PIL import ImageFont

from mrcnn.cli import UsageError
from mrcnn.image_io import list_images

from .. import flickrlogos, paths

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# The vendored artwork (simple-icons marks, background photos, manifest.json, licence):
# package data, written by tools/render_simple_icons.py.
ARTWORK_DIR = os.path.join(PACKAGE_DIR, "data")
# The repository root when the package runs from a checkout (the source tree or an editable
# install), else the folder holding the package: synth.json names photos relative to it.
REPO_ROOT = paths.CHECKOUT_ROOT or os.path.dirname(paths.PACKAGE_DIR)
# A checkout's images/ add background photos; an installed package has none (None).
PHOTOS_DIR = (os.path.join(paths.CHECKOUT_ROOT, "images") if paths.CHECKOUT_ROOT is not None
              else None)
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")

# --- brands -------------------------------------------------------------------------------------

# Where the FlickrLogos-47 classes get their artwork: ("icon", simple-icons slug) or
# ("wordmark", text). Wordmarks in plain fonts stand in for the lettering of brands without a
# simple-icons mark; carlsberggroup is the "Carlsberg Group" script mark.
FLICKRLOGOS_ARTWORK = {
    "HP": (("icon", "hp"),),
    "adidas_symbol": (("icon", "adidas"),),
    "adidas_text": (("wordmark", "adidas"),),
    "aldi": (("icon", "aldinord"), ("icon", "aldisud")),
    "apple": (("icon", "apple"),),
    "becks_text": (("wordmark", "BECK'S"),),
    "bmw": (("icon", "bmw"),),
    "carlsberg_text": (("icon", "carlsberggroup"), ("wordmark", "Carlsberg")),
    "chimay_text": (("wordmark", "Chimay"),),
    "cocacola": (("icon", "cocacola"), ("wordmark", "Coca-Cola")),
    "corona_text": (("wordmark", "Corona"), ("wordmark", "Corona Extra")),
    "dhl": (("icon", "dhl"),),
    "erdinger_text": (("wordmark", "Erdinger"),),
    "esso_text": (("wordmark", "Esso"),),
    "fedex": (("icon", "fedex"), ("wordmark", "FedEx")),
    "ferrari": (("icon", "ferrari"),),
    "ford": (("icon", "ford"),),
    "fosters_text": (("wordmark", "Foster's"),),
    "google": (("icon", "google"), ("wordmark", "Google")),
    "guinness_text": (("wordmark", "Guinness"),),
    "heineken": (("wordmark", "Heineken"),),
    "milka": (("wordmark", "Milka"),),
    "nvidia_symbol": (("icon", "nvidia"),),
    "nvidia_text": (("wordmark", "NVIDIA"),),
    "paulaner_text": (("wordmark", "Paulaner"),),
    "pepsi_text": (("wordmark", "pepsi"),),
    "rittersport": (("wordmark", "Ritter Sport"),),
    "shell": (("icon", "shell"),),
    "singha_text": (("wordmark", "Singha"),),
    "starbucks": (("icon", "starbucks"),),
    "stellaartois_text": (("wordmark", "Stella Artois"),),
    "tsingtao_text": (("wordmark", "Tsingtao"),),
    "ups": (("icon", "ups"),),
}
CLASSES_WITHOUT_ARTWORK = tuple(name for name in flickrlogos.CLASS_NAMES
                                if name not in FLICKRLOGOS_ARTWORK)

# Brands known only by name (no simple-icons mark): wordmarks for the `logo` mode.
WORDMARK_BRANDS = (
    "Amazon", "Microsoft", "Walmart", "Nestle", "Gucci", "Rolex", "Lego", "Disney", "Heinz",
    "Kellogg's", "Subway", "Domino's", "Pizza Hut", "Dunkin'", "Chanel", "Prada", "Versace",
    "Louis Vuitton", "Omega", "Swatch", "Casio", "Canon", "Olympus", "Philips", "Oracle", "IBM",
    "Lexus", "Jaguar", "Land Rover", "Yamaha", "Kawasaki", "Michelin", "Goodyear", "Pirelli",
    "Bridgestone", "Bayer", "BASF", "Mattel", "Hasbro", "Nutella", "Ferrero", "Haribo",
    "Costco", "Santander", "T-Mobile", "AT&T", "Hyatt", "Marvel", "Converse", "Lacoste",
)

# Brands kept out of training in both label modes (icon slugs and wordmark brand keys).
HELD_OUT_BRANDS = (
    # simple-icons marks
    "puma", "fila", "uniqlo", "samsung", "sony", "intel", "huawei", "nokia", "nikon", "jbl",
    "razer", "playstation", "ubisoft", "github", "firefox", "telegram", "pinterest",
    "wikipedia", "dropbox", "bitcoin", "spotify", "audi", "porsche", "toyota", "volvo",
    "renault", "mini", "ducati", "johndeere", "redbull", "mcdonalds", "ikea", "lidl", "ebay",
    "airbnb", "lufthansa", "emirates", "boeing", "nasa", "visa", "mastercard", "vodafone",
    "nba", "hilton",
    # wordmark-only brands
    "gucci", "rolex", "lego", "canon", "michelin", "haribo", "santander", "hyatt", "casio",
    "oracle",
)

# Fonts of matplotlib's mpl-data/fonts/ttf used for wordmarks; HELD_OUT_FONTS only in test.
FONT_FILES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf", "DejaVuSansMono-Bold.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf",
    "cmss10.ttf", "cmr10.ttf", "cmb10.ttf", "cmti10.ttf", "cmtt10.ttf",
)
HELD_OUT_FONTS = ("DejaVuSerif-BoldItalic.ttf", "cmss10.ttf", "cmti10.ttf")


@dataclasses.dataclass(frozen=True)
class Artwork:
    """One mark a brand can be shown with.

    kind: "icon" (source = simple-icons slug) or "wordmark" (source = the text).
    colour: the brand colour (R, G, B) 0..255, or None when unknown.
    flickr_class: the FlickrLogos-47 class name it counts as, or None.
    """

    brand: str
    kind: str
    source: str
    colour: object
    flickr_class: object


@dataclasses.dataclass(frozen=True)
class Brand:
    """A brand and its artworks. held_out: only in the test split (see HELD_OUT_BRANDS)."""

    key: str
    title: str
    artworks: tuple
    held_out: bool

    @property
    def is_flickrlogos(self):
        return any(artwork.flickr_class for artwork in self.artworks)

    @property
    def has_icon(self):
        return any(artwork.kind == "icon" for artwork in self.artworks)


@dataclasses.dataclass(frozen=True)
class Library:
    """Everything the generator draws from.

    brands: {key: Brand}, sorted by key. icon_files: {slug: PNG path}. fonts: {"train": paths,
    "test": paths}. photos: background photo paths, sorted.
    """

    brands: dict
    icon_files: dict
    fonts: dict
    photos: tuple


class ArtworkError(UsageError):
    """The vendored artwork, a font or a background folder is missing or unreadable."""


def ascii_text(text):
    """Brand titles as ASCII (Süd -> Sud, ŠKODA -> SKODA): every font renders them."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(folded.split()) or "Logo"


def brand_key(text):
    """A wordmark brand's key: lower-case ASCII letters and digits (``Kellogg's`` -> kelloggs)."""
    return "".join(ch for ch in ascii_text(text).lower() if ch.isalnum())


def _hex_colour(text):
    text = text.strip().lstrip("#")
    return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))


def matplotlib_font_dir():
    """matplotlib's bundled TrueType folder (mpl-data/fonts/ttf), found without importing it."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise ArtworkError("matplotlib is not installed: it provides the wordmark fonts")
    return os.path.join(os.path.dirname(spec.origin), "mpl-data", "fonts", "ttf")


def list_photos(folder, extensions=PHOTO_EXTENSIONS, kind="background", item="photo"):
    """Image files directly in ``folder`` (sorted). Raises ArtworkError (naming the folder's
    ``kind`` and the ``item`` looked for) when it is missing or holds none."""
    if not os.path.isdir(folder):
        raise ArtworkError(f"{kind} folder not found: {folder}")
    photos = list_images(folder, extensions)
    if not photos:
        raise ArtworkError(f"{folder}: no {item} ({', '.join(extensions)})")
    return photos


@functools.lru_cache(maxsize=4)
def load_library(extra_backgrounds=(), artwork_dir=ARTWORK_DIR, checkout_photos=True):
    """The brands, icons, fonts and background photos (cached per process).

    extra_backgrounds: folders of further background photos (a tuple).
    checkout_photos: use the checkout's images/ (PHOTOS_DIR) as backgrounds too; they are the
        real-photo benchmark's photos, so data for a model measured on it leaves them out.
    Raises ArtworkError naming what is missing.
    """
    manifest_path = os.path.join(artwork_dir, "manifest.json")
    try:
        with open(manifest_path, encoding="utf-8") as file:
            manifest = json.load(file)
        icons = {record["slug"]: record for record in manifest["icons"]}
        background_files = [os.path.join(artwork_dir, record["file"])
                            for record in manifest.get("backgrounds", [])]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ArtworkError(f"{manifest_path}: cannot read the artwork manifest ({error}); "
                           "regenerate it with tools/render_simple_icons.py") from None
    icon_files = {slug: os.path.join(artwork_dir, record["file"]) for slug, record in icons.items()}
    missing = [path for path in icon_files.values() if not os.path.isfile(path)]
    if missing:
        raise ArtworkError(f"{missing[0]}: artwork file missing; regenerate the artwork with "
                           "tools/render_simple_icons.py")

    held_out = set(HELD_OUT_BRANDS)
    brands = {}
    flickr_icon_brand = {}
    # FlickrLogos-47 brands: one brand per FlickrLogos brand name (adidas_symbol and
    # adidas_text are both "adidas").
    flickr_artworks = {}
    for class_name, sources in FLICKRLOGOS_ARTWORK.items():
        key = class_name.rsplit("_", 1)[0] if class_name.endswith(("_symbol", "_text")) \
            else class_name
        key = key.lower()
        for kind, source in sources:
            if kind == "icon":
                if source not in icons:
                    raise ArtworkError(f"{manifest_path}: icon '{source}' of class {class_name} "
                                       "is not vendored")
                flickr_icon_brand[source] = key
                colour = _hex_colour(icons[source]["hex"])
            else:
                colour = None
            flickr_artworks.setdefault(key, []).append(
                Artwork(key, kind, source, colour, class_name))
    for key, artworks in flickr_artworks.items():
        brands[key] = Brand(key, key, tuple(artworks), key in held_out)
    for slug, record in sorted(icons.items()):
        if slug in flickr_icon_brand:
            continue
        colour = _hex_colour(record["hex"])
        title = ascii_text(record["title"])
        brands[slug] = Brand(slug, title, (Artwork(slug, "icon", slug, colour, None),
                                           Artwork(slug, "wordmark", title, colour, None)),
                             slug in held_out)
    for title in WORDMARK_BRANDS:
        key = brand_key(title)
        if key in brands:
            continue
        brands[key] = Brand(key, title, (Artwork(key, "wordmark", title, None, None),),
                            key in held_out)
    unknown = held_out - set(brands)
    if unknown:
        raise ArtworkError(f"HELD_OUT_BRANDS names unknown brands: {sorted(unknown)}")
    if any(brands[key].is_flickrlogos for key in held_out):
        raise ArtworkError("HELD_OUT_BRANDS must not hold FlickrLogos-47 brands")

    font_dir = matplotlib_font_dir()
    fonts = {"train": [], "test": []}
    for name in FONT_FILES:
        path = os.path.join(font_dir, name)
        if not os.path.isfile(path):
            continue            # another matplotlib version: use the fonts it has
        fonts["test" if name in HELD_OUT_FONTS else "train"].append(path)
    if not fonts["train"] or not fonts["test"]:
        raise ArtworkError(f"{font_dir}: the wordmark fonts ({', '.join(FONT_FILES[:3])}...) "
                           "are missing")

    photos = (list_photos(PHOTOS_DIR)
              if checkout_photos and PHOTOS_DIR and os.path.isdir(PHOTOS_DIR) else [])
    photos += [path for path in background_files if os.path.isfile(path)]
    for folder in extra_backgrounds:
        photos += list_photos(folder)
    if not photos:
        raise ArtworkError(f"no background photo: neither {PHOTOS_DIR or 'a checkout images/'}"
                           " nor the vendored backgrounds exist")
    return Library(dict(sorted(brands.items())), icon_files, fonts,
                   tuple(sorted(set(photos))))


@functools.lru_cache(maxsize=4)
def load_objects(folders):
    """The cut-out object photos (PNG with alpha) of ``folders`` (a tuple), sorted.
    Raises ArtworkError for a folder that is missing or holds none."""
    paths_found = []
    for folder in folders:
        paths_found += list_photos(folder, (".png",), "object", "cut-out object")
    return tuple(sorted(set(paths_found)))


@functools.lru_cache(maxsize=128)
def _object_pixels(path):
    """A cut-out object -> ([h, w, 3] float32 RGB 0..1, [h, w] float32 alpha 0..1), cached per
    process; a PNG without an alpha channel is opaque."""
    pixels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ArtworkError(f"{path}: cannot read the object as a colour PNG")
    scale = 255.0 if pixels.dtype == np.uint8 else 65535.0
    rgb = cv2.cvtColor(np.ascontiguousarray(pixels[:, :, :3]), cv2.COLOR_BGR2RGB)
    alpha = pixels[:, :, 3] if pixels.shape[2] == 4 else np.full(pixels.shape[:2], scale)
    return rgb.astype(np.float32) / scale, alpha.astype(np.float32) / scale


@functools.lru_cache(maxsize=None)
def _icon_coverage(path):
    """An icon PNG -> [h, w] float32 coverage 0..1 (cached per process)."""
    coverage = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if coverage is None:
        raise ArtworkError(f"{path}: cannot read the icon")
    return coverage.astype(np.float32) / 255.0


@functools.lru_cache(maxsize=64)
def _photo_pixels(path):
    """A background photo -> [H, W, 3] uint8 RGB (cached per process)."""
    pixels = cv2.imread(path, cv2.IMREAD_COLOR)
    if pixels is None:
        raise ArtworkError(f"{path}: cannot read the background photo")
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)


@functools.lru_cache(maxsize=256)
def _font(path, size):
    return ImageFont.truetype(path, size)
