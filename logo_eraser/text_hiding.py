"""Which words of a photo to hide: brand names (``--text brands``), all text (``--text all``),
or none (``--text off``), and their regions in the form the hiding takes.

`TextFinder(mode, lexicon, keep_names).find(image)` reads the photo (`text_reading.TextReader`),
matches every line against the brand lexicon (`brand_names.BrandLexicon`) and returns a
`TextRegion` per run of words to hide or to keep:

* ``brands``: each brand name read (whole words; one misread letter tolerated in longer
  names) is a region, hidden unless its brand is in ``keep_names``;
* ``all``: every line is hidden, except the brand names in ``keep_names``: a line holding one is
  cut around it (the kept name is a region with ``hidden`` False, the words before and after it
  are hidden regions).

A region's polygon is the words' polygon grown by ``text_reading.TEXT_MARGIN_FRACTION`` of the
text's height on every side. `text_detections` turns the hidden regions into a detect()-style
dict (boxes, full-resolution masks) that photos.erase_detections and the video tracker take
alongside the Mask R-CNN detections; `describe_text` is the JSON record ``--json`` writes.
"""

import dataclasses

import numpy as np

from . import brand_names
from .text_reading import TextReader, grow_polygons, polygon_boxes, polygon_masks

TEXT_MODES = ("brands", "all", "off")
DEFAULT_TEXT_MODE = "brands"


@dataclasses.dataclass
class TextRegion:
    """A run of words read in a photo and what the eraser does with it.

    text: the words; line: the whole line they were read in; score: the line's reading score;
    polygon: [4, (x, y)] float32 px, grown; brand, source, edits: the brand name matched (None
    for plain text in --text all), where it comes from (brand_names.SOURCE_*) and letters
    misread (0 or 1); hidden: False for a kept brand; why: a short explanation for --json.
    """
    text: str
    line: str
    score: float
    polygon: np.ndarray
    brand: str = None
    source: str = None
    edits: int = 0
    hidden: bool = True
    why: str = ""


class TextFinder:
    """Finds the text to hide in photos (see the module docstring).

    mode: "brands" or "all" ("off" finds nothing, and reads nothing); lexicon: a
    brand_names.BrandLexicon (default: brand_names.default_lexicon()); keep_names: brand names
    whose text stays visible (names the lexicon lacks are ignored); reader: a TextReader
    (default: one made here; TextReaderMissing when its package is missing).
    """

    def __init__(self, mode=DEFAULT_TEXT_MODE, lexicon=None, keep_names=(), reader=None):
        if mode not in TEXT_MODES:
            raise ValueError(f"unknown text mode {mode!r}; choose from {', '.join(TEXT_MODES)}")
        self.mode = mode
        self.lexicon = lexicon if lexicon is not None else brand_names.default_lexicon()
        self.kept_keys = {brand_names.name_key(name) for name in keep_names
                          if name in self.lexicon}
        self.reader = reader if reader is not None or mode == "off" else TextReader()
        self.lines = []  # the lines read in the latest photo (text_reading.TextLine)

    def find(self, image):
        """The `TextRegion` list of ``image`` ([H, W, 3] uint8 RGB), hidden and kept."""
        self.lines = [] if self.mode == "off" else self.reader.read(image)
        return self.regions_of(self.lines)

    def regions_of(self, lines):
        """The `TextRegion` list of text_reading.TextLine ``lines`` read in a photo."""
        regions = []
        for line in lines:
            matches = self.lexicon.find(line.text)
            kept = [m for m in matches if brand_names.name_key(m.name) in self.kept_keys]
            if self.mode == "brands":
                regions.extend(self._region(line, m.start, m.end, m) for m in matches)
                continue
            regions.extend(self._region(line, m.start, m.end, m) for m in kept)
            start = 0
            for end, next_start in [(m.start, m.end) for m in kept] + [(len(line.text), None)]:
                words = brand_names.tokens(line.text[start:end])
                if words:  # the letters and digits between kept names
                    first, last = start + words[0][1], start + words[-1][2]
                    match = next((m for m in matches if m.start >= first and m.end <= last
                                  and m not in kept), None)
                    regions.append(self._region(line, first, last, match, plain=True))
                start = next_start if next_start is not None else end
        return regions

    def _region(self, line, start, end, match, plain=False):
        polygon = grow_polygons(line.span_polygon(start, end)[None])[0]
        region = TextRegion(line.text[start:end], line.text, line.score, polygon)
        if match is not None:
            region.brand, region.source, region.edits = match.name, match.source, match.edits
        key = brand_names.name_key(match.name) if match is not None else None
        if not plain and key in self.kept_keys:
            region.hidden = False
            region.why = f"names {match.name}, kept (--keep)"
        elif plain:
            region.why = "all text (--text all)" + (
                f"; names {match.name} ({match.source})" if match is not None else "")
        else:
            misread = ", one letter misread" if match.edits else ""
            region.why = f"names {match.name} ({match.source}{misread})"
        return region


def text_detections(regions, image_shape):
    """The hidden regions as a detect()-style dict: "rois" [M, (y1, x1, y2, x2)] int px (y2, x2
    exclusive, clipped), "masks" [H, W, M] bool (the grown polygons), "scores" [M] (reading
    scores), "labels" [M] ({"text": the words, "brand": the brand matched or None}).
    image_shape: (H, W[, C])."""
    hidden = [region for region in regions if region.hidden]
    polygons = (np.stack([region.polygon for region in hidden]) if hidden
                else np.zeros((0, 4, 2), np.float32))
    return {"rois": polygon_boxes(polygons, image_shape),
            "masks": polygon_masks(polygons, image_shape),
            "scores": np.array([region.score for region in hidden], dtype=np.float32),
            "labels": [{"text": region.text, "brand": region.brand} for region in hidden]}


def describe_text(mode, lines, regions, image_shape):
    """The --json record of a photo's text: the mode, every line read (text, score, polygon
    [[x, y] x 4] px) and every region (text, line, brand, source, misread letters, hidden, why,
    box [y1, x1, y2, x2] px, grown polygon)."""
    boxes = polygon_boxes(np.stack([r.polygon for r in regions]) if regions
                          else np.zeros((0, 4, 2)), image_shape)
    return {
        "mode": mode,
        "read": [{"text": line.text, "score": round(line.score, 6),
                  "polygon": np.rint(line.polygon).astype(int).tolist()} for line in lines],
        "regions": [{"text": region.text, "line": region.line, "brand": region.brand,
                     "source": region.source, "misread_letters": int(region.edits),
                     "hidden": bool(region.hidden), "why": region.why,
                     "box": [int(v) for v in box],
                     "polygon": np.rint(region.polygon).astype(int).tolist()}
                    for region, box in zip(regions, boxes)],
    }
