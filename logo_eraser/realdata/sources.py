"""The real logo photo sources the importer knows: which reader, where to get them, what licence
each states (as of the snapshots checked on 2026-12-07), and how copies are handled.

``coco`` and ``yolo`` read any other dataset in those layouts; give them ``--licence``.
"""

import dataclasses
import functools

from . import readers


@dataclasses.dataclass(frozen=True)
class Source:
    """name: the importer's SOURCE argument. reader: fn(root, on_problem) -> [SourcePhoto].
    url: where a user gets it (``git clone URL``). licence: what the source states.
    find_copies: look for copies of one photo under different names (`duplicates`).
    description: one line."""

    name: str
    reader: object
    url: str
    licence: str
    find_copies: bool
    description: str


SOURCES = {source.name: source for source in (
    Source("toplogo10", readers.read_toplogo10,
           "https://github.com/skovacevic94/logo_detection",
           "none stated (TopLogo-10, QMUL, Hang Su; Flickr photos)", False,
           "TopLogo-10: clothes, shoes, bags, caps, shop fronts; 10 brands"),
    Source("flickrlogos27", readers.read_flickrlogos27,
           "https://github.com/ThomasJRye/DeepLogoFoocus",
           "none stated for the data (FlickrLogos-27, NTUA; Flickr photos; repository code "
           "MIT)", False,
           "FlickrLogos-27: Flickr photos, 27 brands, and 135 logo-free query photos"),
    Source("car-logos", readers.read_coco_json,
           "https://github.com/amadeomarvell/YOLO_NAS_Car_Logo_Detection",
           "CC BY 4.0 (Dataset/README.dataset.txt)", True,
           "car badges in street photos, 27 brands (Roboflow, 480x480, equalised)"),
    Source("logo-tdtu", readers.read_yolo,
           "https://github.com/sunshine12103/object-detection-luckfox",
           "CC BY 4.0 (LOGO-TDTU.v5i.yolov8/README.dataset.txt)", True,
           "a university-logo T-shirt worn on camera, some posters (Roboflow)"),
    Source("yologo", readers.read_yolo,
           "https://github.com/jordane95/yologo-dataset",
           "none stated for the data (repository code GPL-3.0)", False,
           "hotel, restaurant and pharmacy fronts; figurative marks boxed"),
    Source("coco", readers.read_coco_json, "", "", True,
           "any COCO json dataset (<split>/_annotations.coco.json)"),
    Source("yolo", readers.read_yolo, "", "", False,
           "any YOLO txt dataset (<split>/images + <split>/labels)"),
    Source("yolo-with-negatives", functools.partial(readers.read_yolo, empty_is_logo_free=True),
           "", "", False,
           "a YOLO txt dataset whose empty label files mean logo-free photos"),
)}
