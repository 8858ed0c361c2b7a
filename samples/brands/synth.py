#!/usr/bin/env python3
"""Synthetic logo photos in the FlickrLogos-47 layout, for the brands loader and fine-tune script.

Real brand marks (simple-icons, vendored in artwork/) and wordmarks rendered from brand names
with several fonts are composited onto photos (the repository's images/, a few scikit-image
sample photos, any --backgrounds folder) and procedural textures (gradients, noise, stripes,
fabric, wood, brushed metal, tiles). Each mark is recoloured (brand colour, white, black, other),
sometimes outlined or put on a plate, warped (rotation, perspective, cylinders such as cans and
bottles, cloth folds), lit, given the texture of the surface, partly hidden by other marks and
occluders or by the photo border; the photo then gets colour and lighting changes, blur, noise
and JPEG artefacts. Sizes run from 12 px to 60% of the photo, several marks per photo, and a
share of photos hold no mark at all (FlickrLogos' ``no-logo/`` negatives).

Masks are exact: an instance's mask is the set of its pasted pixels (warped alpha at least
COVERAGE_THRESHOLD, 0.25, so that the thin strokes of small marks count) that are inside the
photo and not covered by anything pasted later (a later mark or occluder takes the pixels its
own alpha covers at that threshold); instances with fewer than MIN_VISIBLE_PIXELS visible
pixels are dropped. Boxes are the masks' extents (gt_data.txt: last pixel inclusive); an
instance is `difficult` when less than half of it is visible and `truncated` when the photo
border cuts it.

Label modes (--labels):

- ``logo``: one class, ``logo`` (dataset id 0, Mask R-CNN id 1: NUM_CLASSES = 2), for every
  mark. The brands of HELD_OUT_BRANDS (and wordmarks in HELD_OUT_FONTS) appear only in the
  test split and the test split holds nothing else, so test figures measure logos the model
  has never seen.
- ``brands``: the 47 FlickrLogos-47 classes (className2ClassID.txt lists all 47; the
  CLASSES_WITHOUT_ARTWORK get no instance). Every photo also holds, with some probability,
  marks of other brands as unlabelled distractors: in train only brands outside
  HELD_OUT_BRANDS, in test only brands of it. The 47 classes appear in both splits (a class
  never trained cannot be tested); test wordmarks use only HELD_OUT_FONTS.

Every photo comes from its own random generator seeded by (seed, split, index), so the files
depend neither on the worker count nor on the order in which workers finish.

    python samples/brands/synth.py --output synth_logos --num-images 2000 --num-test 400
    python samples/brands/synth.py --output synth_brands --labels brands --num-images 5000

    import synth
    sample = synth.generate_sample(synth.SynthOptions(seed=0), "train", 7)
    sample.image, sample.masks, sample.class_ids      # [H, W, 3] uint8, [H, W, N] bool, [N]

Exit status: 0 done, 2 a problem you can fix (one line on stderr, nothing written), 1 an
internal error (--debug shows the traceback).
"""

import dataclasses
import functools
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
import unicodedata

SAMPLE_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(SAMPLE_DIR, os.pardir, os.pardir))
for _path in (REPO_ROOT, SAMPLE_DIR):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

import flickrlogos  # noqa: E402
from mrcnn.cli import (EXIT_OK, OneLineArgumentParser, UsageError, non_negative_int,  # noqa: E402
                       positive_int, run_main, unit_interval)

ARTWORK_DIR = os.path.join(SAMPLE_DIR, "artwork")
PHOTOS_DIR = os.path.join(REPO_ROOT, "images")
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
INFO_FILE = "synth.json"          # written into every generated dataset (also marks it as ours)
LABEL_MODES = ("logo", "brands")
LOGO_CLASS_NAMES = ("logo",)

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

# --- generation parameters ------------------------------------------------------------------------

MIN_VISIBLE_PIXELS = 20          # smaller visible instances are dropped
COVERAGE_THRESHOLD = 0.25        # alpha at and above which a pixel belongs to a mark (low, so
                                 # that thin strokes of small marks are not left out)
MIN_LOGO_SIDE = 12               # pixels, longer side of the smallest mark
MAX_LOGO_FRACTION = 0.6          # of the photo's longer side, for the largest mark
PHOTO_SIDES = (320, 640)         # range of the photos' longer side, pixels
LOGO_COUNTS = (1, 2, 3, 4, 5, 6)
LOGO_COUNT_WEIGHTS = (0.4, 0.25, 0.15, 0.1, 0.06, 0.04)
DISTRACTOR_SHARE = 0.25          # brands mode: chance that a further mark is an unlabelled one
WORDMARK_FONT_PIXELS = 96
SPLIT_CODES = {"train": 0, "test": 1}


############################################################
#  Artwork library
############################################################

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


def list_photos(folder):
    """Image files directly in ``folder`` (sorted). Raises ArtworkError when there is none."""
    if not os.path.isdir(folder):
        raise ArtworkError(f"background folder not found: {folder}")
    names = sorted(name for name in os.listdir(folder)
                   if name.lower().endswith(PHOTO_EXTENSIONS) and not name.startswith("."))
    if not names:
        raise ArtworkError(f"{folder}: no photo ({', '.join(PHOTO_EXTENSIONS)})")
    return [os.path.join(folder, name) for name in names]


@functools.lru_cache(maxsize=4)
def load_library(extra_backgrounds=(), artwork_dir=ARTWORK_DIR):
    """The brands, icons, fonts and background photos (cached per process).

    extra_backgrounds: folders of further background photos (a tuple).
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

    photos = list_photos(PHOTOS_DIR) if os.path.isdir(PHOTOS_DIR) else []
    photos += [path for path in background_files if os.path.isfile(path)]
    for folder in extra_backgrounds:
        photos += list_photos(folder)
    if not photos:
        raise ArtworkError(f"no background photo: neither {PHOTOS_DIR} nor the vendored "
                           "backgrounds exist")
    return Library(dict(sorted(brands.items())), icon_files, fonts,
                   tuple(sorted(set(photos))))


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


############################################################
#  Options, samples, pools
############################################################

@dataclasses.dataclass(frozen=True)
class SynthOptions:
    """What to generate. labels: "logo" or "brands". negatives: share of photos without marks.
    extra_backgrounds: folders of more background photos (tuple)."""

    seed: int = 0
    labels: str = "logo"
    negatives: float = 0.1
    extra_backgrounds: tuple = ()

    def __post_init__(self):
        if self.labels not in LABEL_MODES:
            raise ValueError(f"labels must be one of {LABEL_MODES}, got {self.labels!r}")
        if not 0 <= self.negatives <= 1:
            raise ValueError(f"negatives must be 0..1, got {self.negatives}")


@dataclasses.dataclass
class Sample:
    """One generated photo.

    image: [H, W, 3] uint8 RGB. masks: [H, W, N] bool, the visible pixels of each labelled
    instance. class_ids: [N] int32 dataset class ids (0 = ``logo`` in logo mode, 0..46 in
    brands mode). brands: [N] brand keys. difficult, truncated: [N] int32 0/1 (less than half
    visible; partly outside the photo). distractors: brand keys of the unlabelled marks pasted
    (brands mode).
    """

    image: np.ndarray
    masks: np.ndarray
    class_ids: np.ndarray
    brands: tuple
    difficult: np.ndarray
    truncated: np.ndarray
    distractors: tuple = ()

    @property
    def is_negative(self):
        return self.class_ids.size == 0


def class_names(labels):
    """The classes of className2ClassID.txt for a label mode, index = dataset id."""
    return LOGO_CLASS_NAMES if labels == "logo" else flickrlogos.CLASS_NAMES


def split_brands(library, split):
    """The brands whose marks may appear in ``split``: held-out ones in test, others in train."""
    return [brand for brand in library.brands.values() if brand.held_out == (split == "test")]


def _pick_brand_artwork(brands, rng):
    """A brand (marks weigh twice as much as name-only brands), then one of its artworks
    (its mark three times out of four)."""
    weights = np.array([1.0 if brand.has_icon else 0.5 for brand in brands])
    brand = brands[rng.choice(len(brands), p=weights / weights.sum())]
    icons = [a for a in brand.artworks if a.kind == "icon"]
    wordmarks = [a for a in brand.artworks if a.kind == "wordmark"]
    if icons and (not wordmarks or rng.random() < 0.75):
        return icons[rng.integers(len(icons))]
    return wordmarks[rng.integers(len(wordmarks))]


def _pick_class_artwork(library, rng):
    """brands mode: a FlickrLogos class with artwork (uniformly), then one of its artworks."""
    class_name = list(FLICKRLOGOS_ARTWORK)[rng.integers(len(FLICKRLOGOS_ARTWORK))]
    artworks = [artwork for brand in library.brands.values() for artwork in brand.artworks
                if artwork.flickr_class == class_name]
    return artworks[rng.integers(len(artworks))]


def _sample_rng(seed, split, index):
    """The generator of one photo: depends only on (seed, split, index)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), SPLIT_CODES[split],
                                                         int(index)]))


############################################################
#  Backgrounds
############################################################

def _random_colour(rng, saturation=(0.0, 1.0), value=(0.0, 1.0)):
    """An RGB colour (float32 [3], 0..1) from a random hue and the given S, V ranges."""
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(*saturation) * 255,
                      rng.uniform(*value) * 255]]], np.float32)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255


def _value_noise(height, width, rng, cell=32, octaves=3):
    """Smooth noise [H, W] float32 in 0..1: bicubic up-sampled random grids, summed."""
    total = np.zeros((height, width), np.float32)
    weight_sum = 0.0
    for octave in range(octaves):
        size = max(2, cell >> octave)
        grid = rng.random((height // size + 2, width // size + 2)).astype(np.float32)
        layer = cv2.resize(grid, ((width // size + 2) * size, (height // size + 2) * size),
                           interpolation=cv2.INTER_CUBIC)[:height, :width]
        weight = 0.5 ** octave
        total += weight * layer
        weight_sum += weight
    total /= weight_sum
    low, high = total.min(), total.max()
    return (total - low) / max(high - low, 1e-6)


def _palette_map(t, colours):
    """t [H, W] in 0..1 -> [H, W, 3]: piecewise-linear through ``colours`` [K, 3]."""
    colours = np.asarray(colours, np.float32)
    position = np.clip(t, 0, 1) * (len(colours) - 1)
    lower = np.minimum(position.astype(np.int32), len(colours) - 2)
    fraction = (position - lower)[..., None]
    return colours[lower] * (1 - fraction) + colours[lower + 1] * fraction


def procedural_background(height, width, rng):
    """A texture [H, W, 3] float32 0..1: gradient, noise, stripes, fabric, wood, metal or
    tiles, in random colours."""
    kind = ("gradient", "noise", "stripes", "fabric", "wood", "metal", "tiles")[
        rng.integers(7)]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    along = (x * np.cos(angle) + y * np.sin(angle)) / max(height, width)
    colours = [_random_colour(rng) for _ in range(3)]
    fine_noise = rng.normal(0, 1, (height, width)).astype(np.float32)
    if kind == "gradient":
        t = along - along.min()
        t /= max(t.max(), 1e-6)
        if rng.random() < 0.5:
            cy, cx = rng.uniform(0, height), rng.uniform(0, width)
            radial = np.hypot(y - cy, x - cx) / max(height, width)
            t = 0.5 * t + 0.5 * np.clip(radial, 0, 1)
        image = _palette_map(t, colours[:2])
    elif kind == "noise":
        t = _value_noise(height, width, rng, cell=int(rng.integers(8, 96)))
        image = _palette_map(t, colours)
    elif kind == "stripes":
        period = rng.uniform(0.02, 0.2)
        wave = 0.5 + 0.5 * np.sin(2 * np.pi * along / period)
        sharpness = rng.uniform(1, 12)
        t = 1 / (1 + np.exp(-sharpness * (wave - 0.5)))
        image = _palette_map(t, colours[:2])
    elif kind == "fabric":
        period = rng.uniform(2.5, 8)
        weave = np.sin(2 * np.pi * x / period) * np.sin(2 * np.pi * y / period)
        plaid_period = rng.uniform(0.05, 0.25) * max(height, width)
        plaid = (np.sin(2 * np.pi * x / plaid_period) > 0.4).astype(np.float32) + \
            (np.sin(2 * np.pi * y / plaid_period) > 0.4).astype(np.float32)
        use_plaid = rng.random() < 0.5
        t = 0.5 + 0.15 * weave + 0.05 * fine_noise + (0.2 * plaid - 0.2 if use_plaid else 0)
        image = _palette_map(t, colours[:2])
    elif kind == "wood":
        cy, cx = rng.uniform(-height, 2 * height), rng.uniform(-width, 2 * width)
        stretch = rng.uniform(0.05, 0.3)
        distance = np.hypot((x - cx) * stretch, y - cy) if rng.random() < 0.5 else \
            np.hypot(x - cx, (y - cy) * stretch)
        distance += 12 * _value_noise(height, width, rng, cell=64)
        rings = (distance / rng.uniform(4, 14)) % 1.0
        t = 0.3 + 0.5 * rings ** 2 + 0.03 * fine_noise
        brown = np.array([rng.uniform(0.35, 0.7), rng.uniform(0.2, 0.45),
                          rng.uniform(0.05, 0.25)], np.float32)
        image = _palette_map(t, [brown * 0.5, brown, np.minimum(brown * 1.5, 1)])
    elif kind == "metal":
        length = int(rng.integers(15, 61))
        brushed = cv2.blur(fine_noise, (length, 1))
        t = 0.5 + 0.075 * brushed / max(float(brushed.std()), 1e-6) + 0.3 * (along - 0.5)
        grey = rng.uniform(0.3, 0.8)
        tint = _random_colour(rng, saturation=(0, 0.15), value=(0.8, 1.0))
        image = np.clip(t, 0, 1)[..., None] * grey * 1.6 * tint
    else:  # tiles / bricks
        tile_h = rng.uniform(0.04, 0.15) * max(height, width)
        tile_w = tile_h * rng.uniform(1, 3)
        row = np.floor(y / tile_h)
        offset = (row % 2) * tile_w * 0.5 * (rng.random() < 0.6)
        column = np.floor((x + offset) / tile_w)
        cell_ids = (row * 7919 + column * 104729) % 257 / 257.0
        t = 0.3 + 0.4 * cell_ids + 0.04 * fine_noise
        image = _palette_map(t, colours[:2])
        grout = np.minimum((y % tile_h), ((x + offset) % tile_w)) < max(1.0, tile_h * 0.06)
        image[grout] = colours[2] * 0.6 + 0.2
    return np.clip(image, 0, 1).astype(np.float32)


def photo_background(height, width, rng, photos):
    """A random crop of a random photo, flipped or not, resized to [H, W, 3] float32 0..1;
    gray photos (textures) are tinted."""
    pixels = _photo_pixels(photos[rng.integers(len(photos))])
    photo_h, photo_w = pixels.shape[:2]
    aspect = width / height
    crop_w = min(photo_w, photo_h * aspect)
    scale = rng.uniform(0.35, 1.0) ** 0.5
    crop_w, crop_h = max(8, int(crop_w * scale)), max(8, int(crop_w * scale / aspect))
    crop_h = min(crop_h, photo_h)
    top = int(rng.integers(0, photo_h - crop_h + 1))
    left = int(rng.integers(0, photo_w - crop_w + 1))
    crop = pixels[top:top + crop_h, left:left + crop_w]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    interpolation = cv2.INTER_AREA if crop_w > width else cv2.INTER_LINEAR
    image = cv2.resize(np.ascontiguousarray(crop), (width, height),
                       interpolation=interpolation).astype(np.float32) / 255
    channel_spread = image.reshape(-1, 3).std(axis=1).mean()
    if channel_spread < 0.01:   # a gray texture: give it a colour
        image = image * (0.3 + 0.7 * _random_colour(rng, (0.3, 0.9), (0.8, 1.0)))
    return image


############################################################
#  Artwork rendering
############################################################

def render_wordmark(text, font_path, rng):
    """A brand name as a coverage map [h, w] float32 0..1, cropped to the ink.

    Random case, letter spacing and (for names of several words) stacking.
    """
    case = rng.random()
    if case < 0.3:
        text = text.upper()
    elif case < 0.45:
        text = text.lower()
    elif case < 0.55:
        text = " ".join(word[:1].upper() + word[1:].lower() for word in text.split())
    font = _font(font_path, WORDMARK_FONT_PIXELS)
    ascent, descent = font.getmetrics()
    pad = WORDMARK_FONT_PIXELS // 4
    words = text.split()
    if len(words) > 1 and rng.random() < 0.25:
        lines = [" ".join(words[:len(words) // 2]), " ".join(words[len(words) // 2:])]
        line_height = ascent + descent
        width = int(max(font.getlength(line) for line in lines)) + 2 * pad
        canvas = Image.new("L", (width, line_height * len(lines) + 2 * pad), 0)
        draw = ImageDraw.Draw(canvas)
        for i, line in enumerate(lines):
            draw.text((width / 2, pad + ascent + i * line_height), line, font=font, fill=255,
                      anchor="ms")
    else:
        spacing = rng.choice([0.0, 0.0, rng.uniform(-0.04, 0.08), rng.uniform(0.1, 0.35)]) * \
            WORDMARK_FONT_PIXELS
        advances = [font.getlength(ch) for ch in text]
        width = int(sum(advances) + spacing * max(len(text) - 1, 0)) + 2 * pad + \
            WORDMARK_FONT_PIXELS
        canvas = Image.new("L", (max(width, 1), ascent + descent + 2 * pad), 0)
        draw = ImageDraw.Draw(canvas)
        position = float(pad)
        for ch, advance in zip(text, advances):
            draw.text((position, pad + ascent), ch, font=font, fill=255, anchor="ls")
            position += advance + spacing
    coverage = np.asarray(canvas, np.float32) / 255
    rows = np.flatnonzero(coverage.max(axis=1) > 0)
    columns = np.flatnonzero(coverage.max(axis=0) > 0)
    if rows.size == 0:
        return np.ones((8, 8), np.float32)   # a font without these glyphs: a solid chip
    return coverage[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def _contrasting(colour, rng):
    """White, black or a random colour that differs clearly in brightness from ``colour``."""
    luma = float(np.dot(colour, (0.299, 0.587, 0.114)))
    if rng.random() < 0.6:
        return np.full(3, 1.0 if luma < 0.5 else 0.0, np.float32)
    value = (0.0, 0.35) if luma > 0.5 else (0.75, 1.0)
    return _random_colour(rng, (0.0, 1.0), value)


def _plate_alpha(height, width, shape, rng):
    """[h, w] float32 coverage of a plate: rectangle, rounded rectangle, ellipse or circle."""
    canvas = np.zeros((height, width), np.uint8)
    if shape == "ellipse":
        cv2.ellipse(canvas, (width // 2, height // 2), (width // 2 - 1, height // 2 - 1), 0, 0,
                    360, 255, -1, cv2.LINE_AA)
    elif shape == "rounded":
        radius = int(min(height, width) * rng.uniform(0.1, 0.4))
        cv2.rectangle(canvas, (radius, 0), (width - 1 - radius, height - 1), 255, -1)
        cv2.rectangle(canvas, (0, radius), (width - 1, height - 1 - radius), 255, -1)
        for cy in (radius, height - 1 - radius):
            for cx in (radius, width - 1 - radius):
                cv2.circle(canvas, (cx, cy), radius, 255, -1, cv2.LINE_AA)
    else:
        canvas[:] = 255
    return canvas.astype(np.float32) / 255


def style_artwork(coverage, brand_colour, rng, kind):
    """Colour a mark: coverage [h, w] 0..1 -> (premultiplied RGB [h', w', 3], alpha [h', w'])
    float32, with random fill colour, gradient, outline and plate (which enlarge the patch)."""
    choice = rng.random()
    if brand_colour is not None and choice < 0.45:
        fill = np.asarray(brand_colour, np.float32) / 255
    elif choice < 0.6:
        fill = np.ones(3, np.float32)
    elif choice < 0.75:
        fill = np.full(3, rng.uniform(0, 0.15), np.float32)
    else:
        fill = _random_colour(rng)
    height, width = coverage.shape
    colour = np.broadcast_to(fill, (height, width, 3)).astype(np.float32)
    if rng.random() < 0.15:     # two-tone gradient fill
        ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
        other = np.clip(fill * rng.uniform(0.5, 1.5) + rng.uniform(-0.2, 0.2), 0, 1)
        colour = colour * (1 - ramp) + other * ramp
    alpha = coverage
    if rng.random() < (0.25 if kind == "wordmark" else 0.1):     # outline
        radius = max(1, int(round(max(height, width) * rng.uniform(0.008, 0.025))))
        alpha = np.pad(alpha, radius + 1)
        colour = np.pad(colour, ((radius + 1,) * 2, (radius + 1,) * 2, (0, 0)))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)
        outer = cv2.dilate(alpha, kernel)
        outline = _contrasting(fill, rng)
        colour = colour * alpha[..., None] + outline * (1 - alpha[..., None])
        alpha = outer
    if rng.random() < (0.3 if kind == "wordmark" else 0.2):      # plate (label, badge)
        mark_h, mark_w = alpha.shape
        shape = ("rect", "rounded", "ellipse")[rng.integers(3)]
        margin = rng.uniform(0.08, 0.3) * min(mark_h, mark_w) + 2
        if shape == "ellipse":
            plate_h, plate_w = int(mark_h * 1.45 + 2 * margin), int(mark_w * 1.45 + 2 * margin)
        else:
            plate_h, plate_w = int(mark_h + 2 * margin), int(mark_w + 2 * margin)
        top, left = (plate_h - mark_h) // 2, (plate_w - mark_w) // 2
        mark_alpha = np.zeros((plate_h, plate_w), np.float32)
        mark_alpha[top:top + mark_h, left:left + mark_w] = alpha
        mark_colour = np.zeros((plate_h, plate_w, 3), np.float32)
        mark_colour[top:top + mark_h, left:left + mark_w] = colour
        plate = _plate_alpha(plate_h, plate_w, shape, rng)
        plate_colour = _contrasting(fill, rng)
        colour = mark_colour * mark_alpha[..., None] + plate_colour * (1 - mark_alpha[..., None])
        alpha = np.maximum(plate, mark_alpha)
    return colour * alpha[..., None], alpha.astype(np.float32)


############################################################
#  Warps and compositing
############################################################

def _surface_warp(premultiplied, alpha, rng):
    """Bend a patch onto a cylinder (can, bottle; vertical or horizontal axis) or cloth folds,
    or leave it flat. Returns (premultiplied RGB, alpha), with shading and highlights."""
    kind = rng.choice(["flat", "cylinder", "cloth"], p=[0.5, 0.3, 0.2])
    if kind == "flat":
        return premultiplied, alpha
    transpose = kind == "cylinder" and rng.random() < 0.25
    if transpose:
        premultiplied, alpha = premultiplied.transpose(1, 0, 2), alpha.T
    height, width = alpha.shape
    layers = np.dstack([premultiplied, alpha])
    if kind == "cylinder":
        half_angle = np.deg2rad(rng.uniform(25, 65))
        out_width = max(2, int(round(width * np.sin(half_angle) / half_angle)))
        u = (np.arange(out_width, dtype=np.float32) + 0.5) / out_width * 2 - 1
        angle = np.arcsin(np.clip(u * np.sin(half_angle), -1, 1))
        source_x = (angle / half_angle + 1) / 2 * width - 0.5
        bow = rng.uniform(-0.08, 0.08) * height           # top/bottom seen from above or below
        pad = int(abs(bow)) + 1
        yy = np.arange(height + 2 * pad, dtype=np.float32)[:, None] - pad
        map_y = yy - bow * (np.cos(angle)[None, :] - np.cos(half_angle))
        map_x = np.broadcast_to(source_x[None, :], map_y.shape)
        warped = cv2.remap(layers, np.ascontiguousarray(map_x, np.float32),
                           np.ascontiguousarray(map_y, np.float32), cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        light = rng.uniform(-0.6, 0.6)
        shade = 0.55 + 0.45 * np.clip(np.cos(angle - light), 0, 1)
        highlight = rng.uniform(0, 0.4) * np.exp(-((angle - light * 0.8) / 0.12) ** 2)
        warped[..., :3] = warped[..., :3] * shade[None, :, None] + \
            highlight[None, :, None] * warped[..., 3:4]
    else:
        amplitude = rng.uniform(0.02, 0.06) * height
        wavelength = rng.uniform(0.3, 0.9) * width
        phase = rng.uniform(0, 2 * np.pi)
        pad = int(amplitude) + 2
        layers = np.pad(layers, ((pad, pad), (0, 0), (0, 0)))
        y, x = np.mgrid[0:height + 2 * pad, 0:width].astype(np.float32)
        wave = np.sin(2 * np.pi * x / wavelength + phase)
        map_y = y + amplitude * wave
        map_x = x + 0.3 * amplitude * np.sin(2 * np.pi * y / wavelength + phase)
        warped = cv2.remap(layers, map_x, map_y, cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        fold_shade = 1 + rng.uniform(0.1, 0.3) * np.cos(2 * np.pi * x / wavelength + phase)
        warped[..., :3] *= fold_shade[..., None]
    premultiplied, alpha = warped[..., :3], warped[..., 3]
    if transpose:
        premultiplied, alpha = premultiplied.transpose(1, 0, 2), alpha.T
    return np.ascontiguousarray(premultiplied), np.ascontiguousarray(alpha)


def _projection(height, width, rng):
    """A homography of a [height, width] patch centred on the origin: rotation, anisotropic
    scale, shear and perspective. Returns (3x3 float64, destination corners [4, 2])."""
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    centred = corners - [width / 2, height / 2]
    rotation = rng.normal(0, 12) if rng.random() < 0.85 else rng.uniform(-60, 60)
    theta = np.deg2rad(rotation)
    stretch = rng.uniform(0.85, 1.15)
    shear = rng.uniform(-0.3, 0.3) if rng.random() < 0.15 else 0.0
    linear = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]) @ \
        np.array([[stretch, shear], [0, 1 / stretch]])
    destination = centred @ linear.T
    if rng.random() < 0.5:      # perspective: move the corners independently
        size = max(height, width)
        destination += rng.uniform(-0.1, 0.1, (4, 2)) * size
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32),
                                         destination.astype(np.float32))
    return matrix, destination


def _box_overlaps(box, boxes):
    """True when box (x1, y1, x2, y2) overlaps one of ``boxes`` by more than a small part."""
    for other in boxes:
        inter_w = min(box[2], other[2]) - max(box[0], other[0])
        inter_h = min(box[3], other[3]) - max(box[1], other[1])
        if inter_w <= 0 or inter_h <= 0:
            continue
        smaller = min((box[2] - box[0]) * (box[3] - box[1]),
                      (other[2] - other[0]) * (other[3] - other[1]))
        if inter_w * inter_h > 0.15 * smaller:
            return True
    return False


@dataclasses.dataclass
class _Layer:
    """A mark or occluder pasted into the photo: its full-frame coverage and bookkeeping."""

    coverage: np.ndarray      # [H, W] bool, pixels at or above COVERAGE_THRESHOLD in the photo
    full_area: int            # those pixels counted before the photo border cropped them
    frame_area: int           # and after (before anything hid them)
    class_id: object          # dataset id, None for distractors and occluders
    brand: object
    box: tuple                # (x1, y1, x2, y2) of the warped patch, may exceed the photo


def _place_mark(photo, artwork, library, split, boxes, rng):
    """Render, warp, light and paste one artwork into ``photo`` ([H, W, 3] float32, changed in
    place). Returns (coverage [H, W] bool, pixels before and after cropping to the photo, box)
    or None when it found no place."""
    height, width = photo.shape[:2]
    if artwork.kind == "icon":
        coverage = _icon_coverage(library.icon_files[artwork.source])
    else:
        fonts = library.fonts[split]
        coverage = render_wordmark(artwork.source, fonts[rng.integers(len(fonts))], rng)
    premultiplied, alpha = style_artwork(coverage, artwork.colour, rng, artwork.kind)

    longest = max(height, width)
    # Log-uniform sizes; a third of the draws from 12 px up, the rest from 32 px up, so that
    # tiny marks are common but not the majority.
    smallest = MIN_LOGO_SIDE if rng.random() < 0.35 else 32
    target = float(np.exp(rng.uniform(np.log(smallest), np.log(MAX_LOGO_FRACTION * longest))))
    allow_truncation = rng.random() < 0.12
    for _ in range(12):
        scale = target / max(alpha.shape)
        size = (max(2, int(round(alpha.shape[1] * scale))),
                max(2, int(round(alpha.shape[0] * scale))))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        patch_rgb = cv2.resize(premultiplied, size, interpolation=interpolation)
        patch_alpha = cv2.resize(alpha, size, interpolation=interpolation)
        patch_rgb, patch_alpha = _surface_warp(patch_rgb, patch_alpha, rng)
        matrix, corners = _projection(*patch_alpha.shape, rng)
        low, high = corners.min(axis=0), corners.max(axis=0)
        box_w, box_h = high - low
        if box_w > width or box_h > height:
            target *= 0.75
            continue
        slack = 0.35 if allow_truncation else 0.0
        x0 = rng.uniform(-slack * box_w, width - box_w * (1 - slack))
        y0 = rng.uniform(-slack * box_h, height - box_h * (1 - slack))
        box = (x0, y0, x0 + box_w, y0 + box_h)
        if _box_overlaps(box, boxes):
            target *= 0.9
            continue
        break
    else:
        return None

    # Warp into the patch's own window (unclipped), then crop that to the photo.
    left, top = int(np.floor(x0)), int(np.floor(y0))
    window_w, window_h = int(np.ceil(box_w)) + 2, int(np.ceil(box_h)) + 2
    shift = np.array([[1, 0, x0 - low[0] - left], [0, 1, y0 - low[1] - top], [0, 0, 1]])
    layers = cv2.warpPerspective(np.dstack([patch_rgb, patch_alpha]), shift @ matrix,
                                 (window_w, window_h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    full_area = int((layers[..., 3] >= COVERAGE_THRESHOLD).sum())
    y1, x1 = max(top, 0), max(left, 0)
    y2, x2 = min(top + window_h, height), min(left + window_w, width)
    if full_area == 0 or y2 <= y1 or x2 <= x1:
        return None
    layers = layers[y1 - top:y2 - top, x1 - left:x2 - left]
    rgb, alpha = layers[..., :3], np.clip(layers[..., 3], 0, 1)
    region = photo[y1:y2, x1:x2]

    # Light and surface: a brightness ramp across the mark and the background's fine texture.
    ramp_y, ramp_x = np.mgrid[0:y2 - y1, 0:x2 - x1].astype(np.float32)
    direction = rng.uniform(-1, 1, 2)
    ramp = (ramp_x * direction[0] + ramp_y * direction[1]) / max(x2 - x1, y2 - y1, 1)
    light = rng.uniform(0.75, 1.1) * (1 + rng.uniform(0, 0.3) * (ramp - ramp.mean()))
    luminance = region @ np.array([0.299, 0.587, 0.114], np.float32)
    texture = luminance - cv2.GaussianBlur(luminance, (0, 0), 2.0)
    rgb = rgb * (light * (1 + rng.uniform(0, 0.8) * texture))[..., None]
    opacity = 1.0 if rng.random() < 0.6 else rng.uniform(0.8, 1.0)
    before = region.copy()
    region[:] = np.clip(region * (1 - opacity * alpha[..., None]) + opacity * rgb, 0, 1)

    coverage_window = alpha >= COVERAGE_THRESHOLD
    if not coverage_window.any():
        region[:] = before
        return None
    # A mark that cannot be seen against its background would be label noise: undo it.
    contrast = np.abs(region - before).max(axis=2)[coverage_window].mean()
    if contrast < 0.08:
        region[:] = before
        return None
    coverage_frame = np.zeros((height, width), bool)
    coverage_frame[y1:y2, x1:x2] = coverage_window
    return coverage_frame, full_area, int(coverage_window.sum()), box


def _paste_occluder(photo, target_box, library, rng):
    """Paste a bar, blob or polygon over part of ``target_box``, filled with a piece of another
    photo or a shaded colour. Returns its coverage [H, W] bool."""
    height, width = photo.shape[:2]
    canvas = np.zeros((height, width), np.uint8)
    x1, y1, x2, y2 = target_box
    box_w, box_h = max(x2 - x1, 2), max(y2 - y1, 2)
    shape = ("bar", "blob", "polygon")[rng.integers(3)]
    if shape == "bar":
        thickness = max(2, int(rng.uniform(0.1, 0.35) * min(box_w, box_h)))
        angle = rng.uniform(0, np.pi)
        cx, cy = rng.uniform(x1, x2), rng.uniform(y1, y2)
        reach = 2 * max(box_w, box_h)
        start = (int(cx - reach * np.cos(angle)), int(cy - reach * np.sin(angle)))
        end = (int(cx + reach * np.cos(angle)), int(cy + reach * np.sin(angle)))
        cv2.line(canvas, start, end, 255, thickness, cv2.LINE_AA)
    elif shape == "blob":
        side = rng.integers(4)
        cx = (x1, x2, rng.uniform(x1, x2), rng.uniform(x1, x2))[side]
        cy = (rng.uniform(y1, y2), rng.uniform(y1, y2), y1, y2)[side]
        axes = (max(2, int(rng.uniform(0.2, 0.5) * box_w)),
                max(2, int(rng.uniform(0.2, 0.5) * box_h)))
        cv2.ellipse(canvas, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, 255, -1,
                    cv2.LINE_AA)
    else:
        corner = np.array([(x1, y1), (x2, y1), (x2, y2), (x1, y2)][rng.integers(4)])
        count = int(rng.integers(3, 7))
        angles = np.sort(rng.uniform(0, 2 * np.pi, count))
        radii = rng.uniform(0.3, 0.7, count) * min(box_w, box_h)
        points = corner + np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
        cv2.fillPoly(canvas, [points.astype(np.int32)], 255, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(canvas.astype(np.float32) / 255, (0, 0), 0.7)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 1 + 0.3 * ((x - x1) / width - (y - y1) / height)
    if rng.random() < 0.55:
        fill = photo_background(height, width, rng, library.photos) * shade[..., None]
    else:
        colour = _random_colour(rng, (0, 0.8), (0.1, 0.95))
        fill = colour * shade[..., None] + \
            rng.normal(0, 0.02, (height, width, 1)).astype(np.float32)
    photo[:] = photo * (1 - alpha[..., None]) + np.clip(fill, 0, 1) * alpha[..., None]
    return alpha >= COVERAGE_THRESHOLD


def _photo_effects(photo, rng):
    """Camera and lighting: colour balance, brightness, contrast, gamma, saturation, vignette,
    blur, noise, down-up sampling, JPEG artefacts. [H, W, 3] float32 -> uint8."""
    height, width = photo.shape[:2]
    image = photo * rng.uniform(0.9, 1.1, 3).astype(np.float32)             # white balance
    image = (image - 0.5) * rng.uniform(0.75, 1.25) + 0.5 + rng.uniform(-0.12, 0.12)
    image = np.clip(image, 0, 1) ** rng.uniform(0.8, 1.25)
    grey = image @ np.array([0.299, 0.587, 0.114], np.float32)
    image = grey[..., None] + (image - grey[..., None]) * rng.uniform(0.6, 1.3)
    if rng.random() < 0.3:      # vignette
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        radius = np.hypot((x - width / 2) / width, (y - height / 2) / height) * 2
        image = image * (1 - rng.uniform(0.1, 0.45) * radius ** 2)[..., None]
    if rng.random() < 0.3:      # light falling from one side
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = ((x / width - 0.5) * np.cos(angle) + (y / height - 0.5) * np.sin(angle))
        image = image * (1 + rng.uniform(0.2, 0.6) * ramp)[..., None]
    if rng.random() < 0.03:
        image = np.repeat((image @ np.array([0.299, 0.587, 0.114], np.float32))[..., None],
                          3, axis=2)
    image = np.clip(image, 0, 1).astype(np.float32)
    blur = rng.random()
    if blur < 0.2:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 1.6))
    elif blur < 0.28:           # motion blur
        length = int(rng.integers(3, 10))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2] = 1 / length
        rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5),
                                           rng.uniform(0, 180), 1)
        kernel = cv2.warpAffine(kernel, rotation, (length, length))
        image = cv2.filter2D(image, -1, kernel / max(kernel.sum(), 1e-6))
    if rng.random() < 0.15:     # a low-resolution camera
        factor = rng.uniform(0.45, 0.8)
        small = cv2.resize(image, (max(1, int(width * factor)), max(1, int(height * factor))),
                           interpolation=cv2.INTER_AREA)
        image = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        sigma = rng.uniform(0.004, 0.03)
        shape = (height, width, 3) if rng.random() < 0.5 else (height, width, 1)
        image = image + rng.normal(0, sigma, shape).astype(np.float32)
    pixels = np.clip(image * 255 + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        quality = int(rng.integers(30, 96))
        ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR),
                                   [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            pixels = cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return pixels


############################################################
#  One photo
############################################################

def generate_sample(options, split, index, library=None):
    """Generate photo ``index`` of ``split`` ("train" or "test"): a Sample.

    The result depends only on (options, split, index): the same arguments give the same
    pixels and masks in any process.
    """
    if split not in SPLIT_CODES:
        raise ValueError(f"split must be one of {tuple(SPLIT_CODES)}, got {split!r}")
    library = library or load_library(tuple(options.extra_backgrounds))
    rng = _sample_rng(options.seed, split, index)
    longest = int(rng.integers(PHOTO_SIDES[0], PHOTO_SIDES[1] + 1))
    aspect = (1.0, 4 / 3, 3 / 2, 16 / 9)[rng.integers(4)]
    shortest = int(round(longest / aspect))
    height, width = (shortest, longest) if rng.random() < 0.65 else (longest, shortest)
    if rng.random() < 0.65:
        background = photo_background(height, width, rng, library.photos)
    else:
        background = procedural_background(height, width, rng)

    negative = rng.random() < options.negatives
    brands = split_brands(library, split)
    labelled_pool = brands if options.labels == "logo" else None
    distractor_pool = [] if options.labels == "logo" else \
        [brand for brand in brands if not brand.is_flickrlogos]

    for _attempt in range(20):
        photo = background.copy()
        layers = []
        if not negative:
            count = int(rng.choice(LOGO_COUNTS, p=LOGO_COUNT_WEIGHTS))
            boxes = []
            for number in range(count):
                distractor = number > 0 and distractor_pool and rng.random() < DISTRACTOR_SHARE
                if distractor:
                    artwork = _pick_brand_artwork(distractor_pool, rng)
                elif options.labels == "logo":
                    artwork = _pick_brand_artwork(labelled_pool, rng)
                else:
                    artwork = _pick_class_artwork(library, rng)
                placed = _place_mark(photo, artwork, library, split, boxes, rng)
                if placed is None:
                    continue
                coverage, full_area, frame_area, box = placed
                boxes.append(box)
                for layer in layers:              # the new mark hides what lies beneath
                    layer.coverage &= ~coverage
                class_id = None if distractor else (
                    0 if options.labels == "logo" else
                    flickrlogos.CLASS_NAMES.index(artwork.flickr_class))
                layers.append(_Layer(coverage, full_area, frame_area, class_id, artwork.brand,
                                     box))
        occluder_targets = [layer.box for layer in layers]
        if not occluder_targets:    # negatives: occluders at random, so they are no logo cue
            box_w, box_h = rng.uniform(0.1, 0.4) * width, rng.uniform(0.1, 0.4) * height
            x1, y1 = rng.uniform(0, width - box_w), rng.uniform(0, height - box_h)
            occluder_targets = [(x1, y1, x1 + box_w, y1 + box_h)]
        if rng.random() < 0.35:
            for _ in range(int(rng.integers(1, 3))):
                target = occluder_targets[rng.integers(len(occluder_targets))]
                hidden = _paste_occluder(photo, target, library, rng)
                for layer in layers:
                    layer.coverage &= ~hidden
        kept = [layer for layer in layers if layer.class_id is not None
                and int(layer.coverage.sum()) >= MIN_VISIBLE_PIXELS]
        if negative or kept:
            break
    else:
        raise RuntimeError(f"{split} photo {index}: no mark could be placed in 20 attempts")

    image = _photo_effects(photo, rng)
    distractors = tuple(layer.brand for layer in layers if layer.class_id is None)
    if not kept:
        return Sample(image, np.zeros((height, width, 0), bool), np.zeros(0, np.int32), (),
                      np.zeros(0, np.int32), np.zeros(0, np.int32), distractors)
    masks = np.stack([layer.coverage for layer in kept], axis=-1)
    visible = masks.sum(axis=(0, 1))
    full = np.array([layer.full_area for layer in kept])
    cropped = np.array([layer.frame_area < layer.full_area for layer in kept])
    return Sample(
        image=image, masks=masks,
        class_ids=np.array([layer.class_id for layer in kept], np.int32),
        brands=tuple(layer.brand for layer in kept),
        difficult=(visible < 0.5 * full).astype(np.int32),
        truncated=cropped.astype(np.int32),
        distractors=distractors)


############################################################
#  Whole datasets
############################################################

_WORKER_OPTIONS = None


def _init_worker(options_fields):
    global _WORKER_OPTIONS
    cv2.setNumThreads(1)        # the processes are the parallelism
    _WORKER_OPTIONS = SynthOptions(**options_fields)
    load_library(tuple(_WORKER_OPTIONS.extra_backgrounds))


def _generate_task(task):
    split, index = task
    return split, index, generate_sample(_WORKER_OPTIONS, split, index)


def _is_synth_dataset(folder):
    return os.path.isfile(os.path.join(folder, INFO_FILE)) and os.path.isfile(
        os.path.join(folder, flickrlogos.CLASS_NAMES_FILE))


def check_output_folder(output, overwrite):
    """Refuse an output that is a file, a non-empty folder (without ``overwrite``), or, with
    ``overwrite``, a non-empty folder that does not hold a dataset written by this script."""
    output = os.path.abspath(output)
    if os.path.exists(output) and not os.path.isdir(output):
        raise UsageError(f"{output} exists and is not a folder")
    if os.path.isdir(output) and os.listdir(output):
        if not overwrite:
            raise UsageError(f"{output} is not empty; choose another --output or pass "
                             "--overwrite to replace a dataset written by synth.py")
        if not _is_synth_dataset(output):
            raise UsageError(f"{output} is not empty and holds no {INFO_FILE}: refusing to "
                             "replace a folder synth.py did not write")
    parent = os.path.dirname(output)
    if not os.path.isdir(parent):
        raise UsageError(f"the folder {parent} of --output does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write into {parent}")
    return output


def write_dataset(output, options, num_train, num_test, workers=1, overwrite=False,
                  progress=True):
    """Generate ``num_train`` + ``num_test`` photos into ``output`` (FlickrLogos-47 layout).

    Written into a temporary folder beside ``output`` and renamed at the end, so ``output``
    either holds the whole dataset or is untouched. Returns a summary dict (counts, seconds,
    photos_per_second). Raises UsageError for an unusable output folder.
    """
    output = check_output_folder(output, overwrite)
    library = load_library(tuple(options.extra_backgrounds))
    tasks = [("train", i) for i in range(num_train)] + [("test", i) for i in range(num_test)]
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.partial-",
                               dir=os.path.dirname(output))
    root = os.path.join(staging, "dataset")
    counts = {split: {"photos": 0, "negatives": 0, "instances": 0} for split in SPLIT_CODES}
    brand_counts = {split: {} for split in SPLIT_CODES}
    distractor_counts = {split: {} for split in SPLIT_CODES}
    started = time.perf_counter()
    pool = None
    try:
        if workers > 1 and len(tasks) > 1:
            import multiprocessing

            # Spawned, not forked: a forked child can deadlock in OpenCV's thread pool. The
            # workers import this file as the module `synth` (also when it runs as a script).
            import synth as worker_module

            pool = multiprocessing.get_context("spawn").Pool(
                min(workers, len(tasks)), worker_module._init_worker,
                (dataclasses.asdict(options),))
            results = pool.imap(worker_module._generate_task, tasks, chunksize=2)
        else:
            results = ((split, index, generate_sample(options, split, index, library))
                       for split, index in tasks)
        if progress:
            from tqdm import tqdm

            results = tqdm(results, total=len(tasks), unit="photo", desc="Generating")
        with flickrlogos.FlickrLogosWriter(root, class_names(options.labels)) as writer:
            for split, _index, sample in results:
                counts[split]["photos"] += 1
                for brand in sample.distractors:
                    distractor_counts[split][brand] = distractor_counts[split].get(brand, 0) + 1
                if sample.is_negative:
                    writer.add_negative(split, sample.image)
                    counts[split]["negatives"] += 1
                    continue
                writer.add_image(split, sample.image, sample.masks, sample.class_ids,
                                 difficult=sample.difficult, truncated=sample.truncated)
                counts[split]["instances"] += len(sample.brands)
                for brand in sample.brands:
                    brand_counts[split][brand] = brand_counts[split].get(brand, 0) + 1
        if pool is not None:
            pool.close()
            pool.join()
            pool = None
        elapsed = time.perf_counter() - started
        info = {
            "generator": "samples/brands/synth.py",
            "seed": options.seed, "labels": options.labels, "negatives": options.negatives,
            "classes": list(class_names(options.labels)),
            "classes_without_artwork": list(CLASSES_WITHOUT_ARTWORK)
            if options.labels == "brands" else [],
            "held_out_brands": sorted(HELD_OUT_BRANDS),
            "held_out_fonts": sorted(HELD_OUT_FONTS),
            "counts": counts,
            "instances_per_brand": {split: dict(sorted(per.items()))
                                    for split, per in brand_counts.items()},
            "distractors_per_brand": {split: dict(sorted(per.items()))
                                      for split, per in distractor_counts.items()},
            "backgrounds": [os.path.relpath(path, REPO_ROOT) if path.startswith(REPO_ROOT)
                            else os.path.basename(path) for path in library.photos],
        }
        with open(os.path.join(root, INFO_FILE), "w", encoding="utf-8") as file:
            json.dump(info, file, indent=1)
            file.write("\n")
        # Swap in: an old dataset of ours is moved aside first and removed only afterwards.
        previous = os.path.join(staging, "previous")
        if os.path.isdir(output):
            os.rename(output, previous)
        os.rename(root, output)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        shutil.rmtree(staging, ignore_errors=True)
    total = len(tasks)
    return {"output": output, "counts": counts, "seconds": elapsed,
            "photos_per_second": total / elapsed if elapsed > 0 else float("inf")}


############################################################
#  Command line
############################################################

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
                        f"{os.path.relpath(PHOTOS_DIR, REPO_ROOT)}/ and the vendored "
                        "scikit-image photos")
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
    options = SynthOptions(seed=args.seed, labels=args.labels, negatives=args.negatives,
                           extra_backgrounds=backgrounds)
    check_output_folder(args.output, args.overwrite)
    load_library(backgrounds)
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
