"""Reading the words in a photo: a scene-text reader whose weights come inside a package.

`TextReader.read(image)` finds the lines of text of an RGB photo and reads them with RapidOCR
(the ``rapidocr`` package, Apache-2.0): PaddleOCR's PP-OCRv6 small detection and recognition
networks (Apache-2.0, Baidu / PaddleOCR; Chinese, English and digits) as ONNX files inside the
package's wheel, run by ONNX Runtime on the CPU. Nothing is downloaded: the package finds its
models in its own folder. Each line comes back as a `TextLine`: its text, its recognition score
and its polygon, and the polygon of each word (RapidOCR's word boxes, from where the recogniser
placed each character), so that `TextLine.span_polygon` can give the polygon of any run of
characters, e.g. just the brand's name in "Drink Pepsi today".

Polygons are float32 arrays [4, (x, y)] in photo pixels: top-left, top-right, bottom-right,
bottom-left along the reading direction (a tilted line gives a tilted quadrilateral).
`grow_polygons` and `polygon_masks` turn them into the regions the eraser hides.
"""

import dataclasses

import cv2
import numpy as np

# Lines whose recognition score is below this are dropped (RapidOCR's own default).
DEFAULT_MIN_SCORE = 0.5
# A hidden text region is the polygon grown by this fraction of its height on every side.
TEXT_MARGIN_FRACTION = 0.2
# Half a pixel of margin at least.
MIN_TEXT_MARGIN = 1.0
INSTALL_HINT = "pip install rapidocr onnxruntime"


class TextReaderMissing(RuntimeError):
    """The text reader's package (rapidocr, or ONNX Runtime) is not installed."""


@dataclasses.dataclass
class TextLine:
    """One line read in a photo.

    text: what was read; score: the recogniser's confidence 0..1; polygon: [4, (x, y)] float32
    photo pixels; words: [(start, end, polygon [4, 2])] character ranges of ``text`` (end
    exclusive) with their polygons, empty when the reader gave none that fit the text.
    """
    text: str
    score: float
    polygon: np.ndarray
    words: list = dataclasses.field(default_factory=list)

    def span_polygon(self, start, end):
        """The polygon [4, (x, y)] float32 of characters [start, end) of the line: from the
        left edge of the first word they touch to the right edge of the last, a word cut
        part-way (or a line without word polygons) split in proportion to its characters."""
        pieces = [(max(start, w_start), min(end, w_end), w_start, w_end, polygon)
                  for w_start, w_end, polygon in self.words if w_start < end and w_end > start]
        if not pieces:
            pieces = [(start, end, 0, max(1, len(self.text)), self.polygon)]
        first, last = pieces[0], pieces[-1]
        left = _sub_quad(first[4], (first[0] - first[2]) / max(1, first[3] - first[2]), 1.0)
        right = _sub_quad(last[4], 0.0, (last[1] - last[2]) / max(1, last[3] - last[2]))
        return np.stack([left[0], right[1], right[2], left[3]]).astype(np.float32)


def _sub_quad(quad, a, b):
    """The part of quadrilateral ``quad`` [4, 2] (tl, tr, br, bl) between fractions a and b
    (0..1) of its length along the reading direction."""
    quad = np.asarray(quad, dtype=np.float64)
    top, bottom = quad[1] - quad[0], quad[2] - quad[3]
    return np.stack([quad[0] + a * top, quad[0] + b * top,
                     quad[3] + b * bottom, quad[3] + a * bottom])


def _word_ranges(text, words):
    """[(start, end, polygon)] of RapidOCR's word results (text, score, box) found in order in
    ``text``; [] when one is not found (the line is then split in proportion instead)."""
    ranges, cursor = [], 0
    for word, _, box in words:
        word = str(word)
        start = text.find(word, cursor) if word else -1
        if start < 0:
            return []
        cursor = start + len(word)
        ranges.append((start, cursor, np.asarray(box, dtype=np.float32).reshape(4, 2)))
    return ranges


class TextReader:
    """RapidOCR with its packaged PP-OCR models, loaded on first use (about 1 s).

    min_score: lines read with a lower confidence are dropped. threads: ONNX Runtime's threads
    per network (-1: its default, all cores). Raises TextReaderMissing (with the pip command)
    when the package is not installed.
    """

    def __init__(self, min_score=DEFAULT_MIN_SCORE, threads=-1):
        self.min_score = float(min_score)
        self.threads = int(threads)
        self._engine = None
        check_available()

    def _load(self):
        from rapidocr import RapidOCR

        return RapidOCR(params={
            "Global.log_level": "critical",     # no log line per photo without text
            "Global.use_cls": False,            # no 180-degree classifier: upright text
            "Global.text_score": self.min_score,
            "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
        })

    def read(self, image):
        """The lines of text in ``image`` ([H, W, 3] uint8 RGB): a `TextLine` list in the
        reader's order (top to bottom, left to right)."""
        if self._engine is None:
            self._engine = self._load()
        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        result = self._engine(bgr, return_word_box=True)
        if getattr(result, "txts", None) is None or getattr(result, "boxes", None) is None:
            return []
        word_results = getattr(result, "word_results", None) or ()
        if len(word_results) != len(result.txts):
            word_results = [()] * len(result.txts)  # cannot tell which words go with which line
        lines = []
        for text, score, box, words in zip(result.txts, result.scores, result.boxes,
                                           word_results):
            text = str(text)
            lines.append(TextLine(text, float(score),
                                  np.asarray(box, dtype=np.float32).reshape(4, 2),
                                  _word_ranges(text, words)))
        return lines


def check_available():
    """Raise TextReaderMissing (one line, with the pip command) unless rapidocr and ONNX
    Runtime can be imported."""
    import importlib.util

    missing = [name for name in ("rapidocr", "onnxruntime")
               if importlib.util.find_spec(name) is None]
    if missing:
        raise TextReaderMissing(f"reading text needs the {' and '.join(missing)} "
                                f"package{'s' if len(missing) > 1 else ''} "
                                f"({INSTALL_HINT})")


def grow_polygons(polygons, fraction=TEXT_MARGIN_FRACTION):
    """Quadrilaterals grown on every side by ``fraction`` of their height.

    polygons: [N, 4, (x, y)] (tl, tr, br, bl). Returns [N, 4, 2] float32: each corner moved
    out along the quadrilateral's own axes (so a tilted line stays tilted)."""
    quads = np.asarray(polygons, dtype=np.float64).reshape(-1, 4, 2)
    along = (quads[:, 1] - quads[:, 0] + quads[:, 2] - quads[:, 3]) / 2
    across = (quads[:, 3] - quads[:, 0] + quads[:, 2] - quads[:, 1]) / 2
    length = np.linalg.norm(along, axis=1, keepdims=True)
    height = np.linalg.norm(across, axis=1, keepdims=True)
    u = np.where(length > 0, along / np.maximum(length, 1e-9), [1.0, 0.0])
    v = np.where(height > 0, across / np.maximum(height, 1e-9), [0.0, 1.0])
    margin = np.maximum(MIN_TEXT_MARGIN, fraction * height)[:, :, None]  # [N, 1, 1]
    signs_u = np.array([-1.0, 1.0, 1.0, -1.0])[None, :, None]
    signs_v = np.array([-1.0, -1.0, 1.0, 1.0])[None, :, None]
    grown = quads + margin * (signs_u * u[:, None, :] + signs_v * v[:, None, :])
    return grown.astype(np.float32)


def polygon_boxes(polygons, image_shape):
    """[N, (y1, x1, y2, x2)] int boxes (y2, x2 exclusive) around polygons [N, 4, (x, y)],
    clipped to the photo (image_shape: (H, W[, C]))."""
    quads = np.asarray(polygons, dtype=np.float64).reshape(-1, 4, 2)
    height, width = image_shape[:2]
    x1 = np.clip(np.floor(quads[:, :, 0].min(axis=1)), 0, width - 1)
    y1 = np.clip(np.floor(quads[:, :, 1].min(axis=1)), 0, height - 1)
    x2 = np.clip(np.ceil(quads[:, :, 0].max(axis=1)) + 1, x1 + 1, width)
    y2 = np.clip(np.ceil(quads[:, :, 1].max(axis=1)) + 1, y1 + 1, height)
    return np.stack([y1, x1, y2, x2], axis=1).astype(np.int64)


def polygon_masks(polygons, image_shape):
    """[H, W, N] bool masks of polygons [N, 4, (x, y)] (filled, edges included)."""
    quads = np.asarray(polygons, dtype=np.float64).reshape(-1, 4, 2)
    height, width = image_shape[:2]
    masks = np.zeros((height, width, len(quads)), dtype=bool)
    for index, quad in enumerate(quads):
        layer = np.zeros((height, width), np.uint8)
        cv2.fillPoly(layer, [np.rint(quad).astype(np.int32)], 1)
        masks[:, :, index] = layer.astype(bool)
    return masks
