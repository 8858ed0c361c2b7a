"""Synthetic logo photos in the FlickrLogos-47 layout, for the brands loader and fine-tune script.

Real brand marks (simple-icons, vendored in data/) and wordmarks rendered from brand names
with several fonts are composited onto photos (a checkout's images/ unless
--no-checkout-photos, a few scikit-image sample photos, any --backgrounds folder) and procedural textures (gradients, noise, stripes,
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
    python -m logo_eraser.synth.cli --output synth_brands --labels brands --num-images 5000

    from logo_eraser import synth
    sample = synth.generate_sample(synth.SynthOptions(seed=0), "train", 7)
    sample.image, sample.masks, sample.class_ids      # [H, W, 3] uint8, [H, W, N] bool, [N]

Modules:

* `artwork`: the artwork library (brands, icons, fonts, background photos, held-out brands);
* `textures`: procedural and photo backgrounds;
* `rendering`: wordmarks, and the colours, outlines and plates of a mark;
* `compositing`: surface warps, projection, pasting marks and occluders with exact masks;
* `camera`: colour, lighting, blur, noise and JPEG effects on the finished photo;
* `sample`: SynthOptions, Sample and generate_sample (one photo);
* `dataset`: write_dataset (a whole dataset, in worker processes, swapped in at the end);
* `cli`: the command line (not imported here; ``python -m logo_eraser.synth.cli``).
"""

from .artwork import (ARTWORK_DIR, CLASSES_WITHOUT_ARTWORK, FLICKRLOGOS_ARTWORK, FONT_FILES,
                      HELD_OUT_BRANDS, HELD_OUT_FONTS, PHOTO_EXTENSIONS, PHOTOS_DIR,
                      WORDMARK_BRANDS, Artwork, ArtworkError, Brand, Library, ascii_text,
                      brand_key, list_photos, load_library, matplotlib_font_dir)
from .compositing import COVERAGE_THRESHOLD, MAX_LOGO_FRACTION, MIN_LOGO_SIDE
from .dataset import INFO_FILE, check_output_folder, write_dataset
from .rendering import WORDMARK_FONT_PIXELS, render_wordmark, style_artwork
from .sample import (DISTRACTOR_SHARE, LABEL_MODES, LOGO_CLASS_NAMES, LOGO_COUNT_WEIGHTS,
                     LOGO_COUNTS, MIN_VISIBLE_PIXELS, PHOTO_SIDES, SPLIT_CODES, Sample,
                     SynthOptions, class_names, generate_sample, split_brands)
from .textures import photo_background, procedural_background

__all__ = [
    # artwork
    "ARTWORK_DIR", "CLASSES_WITHOUT_ARTWORK", "FLICKRLOGOS_ARTWORK", "FONT_FILES",
    "HELD_OUT_BRANDS", "HELD_OUT_FONTS", "PHOTO_EXTENSIONS", "PHOTOS_DIR", "WORDMARK_BRANDS",
    "Artwork", "ArtworkError", "Brand", "Library", "ascii_text", "brand_key", "list_photos",
    "load_library", "matplotlib_font_dir",
    # backgrounds, rendering, compositing
    "photo_background", "procedural_background", "WORDMARK_FONT_PIXELS", "render_wordmark",
    "style_artwork", "COVERAGE_THRESHOLD", "MAX_LOGO_FRACTION", "MIN_LOGO_SIDE",
    # one photo
    "DISTRACTOR_SHARE", "LABEL_MODES", "LOGO_CLASS_NAMES", "LOGO_COUNT_WEIGHTS", "LOGO_COUNTS",
    "MIN_VISIBLE_PIXELS", "PHOTO_SIDES", "SPLIT_CODES", "Sample", "SynthOptions", "class_names",
    "generate_sample", "split_brands",
    # whole datasets
    "INFO_FILE", "check_output_folder", "write_dataset",
]
