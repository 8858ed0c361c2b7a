"""One photo: the options (SynthOptions), the result (Sample) and generate_sample, which draws
a background, pastes marks and occluders, keeps each mark's visible pixels as its mask and
passes the photo through the camera. Each photo has its own random generator, seeded by
(seed, split, index).
"""

import dataclasses

import numpy as np

from .. import flickrlogos
from .artwork import FLICKRLOGOS_ARTWORK, load_library, load_objects
from .camera import _photo_effects
from .compositing import (MAX_LOGO_FRACTION, _Layer, _paste_clutter, _paste_object,
                          _paste_occluder, _place_mark)
from .textures import photo_background, procedural_background

LABEL_MODES = ("logo", "brands")
LOGO_CLASS_NAMES = ("logo",)

MIN_VISIBLE_PIXELS = 20          # smaller visible instances are dropped
PHOTO_SIDES = (320, 640)         # range of the photos' longer side, pixels
LOGO_COUNTS = (1, 2, 3, 4, 5, 6)
LOGO_COUNT_WEIGHTS = (0.4, 0.25, 0.15, 0.1, 0.06, 0.04)
DISTRACTOR_SHARE = 0.25          # brands mode: chance that a further mark is an unlabelled one
SPLIT_CODES = {"train": 0, "test": 1}


@dataclasses.dataclass(frozen=True)
class SynthOptions:
    """What to generate. labels: "logo" or "brands". negatives: share of photos without marks.
    extra_backgrounds: folders of more background photos (tuple). checkout_photos: also use the
    checkout's images/ as backgrounds (see load_library). clutter: chance that a photo gets 1-4
    textured things that are not logos (patterned objects, under any mark: real photos are full
    of them, and a model that saw only marks on plain ground takes every pattern for a logo).
    plates: chance that a mark is printed on a plate (a sign, badge or label) in perspective
    with it. max_logo_fraction: the largest mark's longer side, a fraction of the photo's.
    objects: folders of cut-out photos of real things (PNG with alpha); with any, half of the
    clutter pasted is one of them (animals, food, tools: the real things a model trained on
    marks alone takes for logos).
    finishes: chance that a mark is chrome or pressed into its surface (relief, tone-on-tone)
    instead of printed in colour: the car badges and embossed marks of real photos.
    The defaults reproduce the datasets written before these options existed."""

    seed: int = 0
    labels: str = "logo"
    negatives: float = 0.1
    extra_backgrounds: tuple = ()
    checkout_photos: bool = True
    clutter: float = 0.0
    plates: float = 0.0
    max_logo_fraction: float = MAX_LOGO_FRACTION
    objects: tuple = ()
    finishes: float = 0.0

    def __post_init__(self):
        if self.labels not in LABEL_MODES:
            raise ValueError(f"labels must be one of {LABEL_MODES}, got {self.labels!r}")
        for name in ("negatives", "clutter", "plates", "finishes"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be 0..1, got {getattr(self, name)}")
        if not 0.05 <= self.max_logo_fraction <= 1:
            raise ValueError(f"max_logo_fraction must be 0.05..1, got {self.max_logo_fraction}")

    def library(self):
        """The artwork library these options draw from (load_library, cached per process)."""
        return load_library(tuple(self.extra_backgrounds), checkout_photos=self.checkout_photos)

    def object_paths(self):
        """The cut-out objects of ``objects`` (load_objects, cached per process)."""
        return load_objects(tuple(self.objects)) if self.objects else ()


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


def generate_sample(options, split, index, library=None):
    """Generate photo ``index`` of ``split`` ("train" or "test"): a Sample.

    The result depends only on (options, split, index): the same arguments give the same
    pixels and masks in any process.
    """
    if split not in SPLIT_CODES:
        raise ValueError(f"split must be one of {tuple(SPLIT_CODES)}, got {split!r}")
    library = library or options.library()
    objects = options.object_paths()
    rng = _sample_rng(options.seed, split, index)
    longest = int(rng.integers(PHOTO_SIDES[0], PHOTO_SIDES[1] + 1))
    aspect = (1.0, 4 / 3, 3 / 2, 16 / 9)[rng.integers(4)]
    shortest = int(round(longest / aspect))
    height, width = (shortest, longest) if rng.random() < 0.65 else (longest, shortest)
    if rng.random() < 0.65:
        background = photo_background(height, width, rng, library.photos)
    else:
        background = procedural_background(height, width, rng)
    if options.clutter and rng.random() < options.clutter:
        for _ in range(int(rng.integers(1, 5))):
            # No extra random draw without objects: older datasets stay as they were.
            if objects and rng.random() < 0.5:
                _paste_object(background, objects[rng.integers(len(objects))], rng)
            else:
                _paste_clutter(background, library, rng)

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
                placed = _place_mark(photo, artwork, library, split, boxes, rng,
                                     plates=options.plates, finishes=options.finishes,
                                     max_fraction=options.max_logo_fraction)
                if placed is None:
                    continue
                coverage, full_area, frame_area, box, painted = placed
                for layer in layers:    # the new mark (and its plate) hides what lies beneath
                    layer.coverage &= ~painted
                if box is None:         # a plate whose mark could not be seen
                    continue
                boxes.append(box)
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
