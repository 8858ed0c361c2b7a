"""The ``Dataset`` base class (matterport's API): classes, images and their instance masks.

Images load as ``[H, W, 3]`` uint8 RGB (``mrcnn.image_io.read_image``); ``load_mask`` returns
bool ``[height, width, instances]`` masks and int32 ``[instances]`` class ids.
"""

import logging

import numpy as np

from mrcnn.image_io import read_image


class Dataset:
    """Base class for datasets (matterport's API).

    Subclass it, call add_class()/add_image() to register classes and images, override
    load_mask() (and image_reference() if useful), then call prepare() before use:

        class ShapesDataset(Dataset):
            def load_shapes(self): ...  # add_class / add_image
            def load_mask(self, image_id): ...

    Class and image ids used everywhere after prepare() are internal, contiguous ids;
    "source" ids are those of the original dataset, joined as "source.id" in the maps.
    """

    def __init__(self, class_map=None):
        self._image_ids = []
        self.image_info = []
        # Background is always the first class.
        self.class_info = [{"source": "", "id": 0, "name": "BG"}]
        self.source_class_ids = {}

    def add_class(self, source, class_id, class_name):
        """Register class `class_id` of dataset `source` (ignored if already registered)."""
        if "." in source:
            raise ValueError(f"source name cannot contain a dot: {source!r}")
        for info in self.class_info:
            if info["source"] == source and info["id"] == class_id:
                return
        self.class_info.append({"source": source, "id": class_id, "name": class_name})

    def add_image(self, source, image_id, path, **kwargs):
        """Register an image; extra keyword arguments are stored in its image_info dict."""
        image_info = {"id": image_id, "source": source, "path": path}
        image_info.update(kwargs)
        self.image_info.append(image_info)

    def image_reference(self, image_id):
        """A link or description of the image for debugging; override in subclasses."""
        return ""

    def prepare(self, class_map=None):
        """Build the internal id tables; call after all add_class()/add_image() calls."""

        def clean_name(name):
            # Keep the part before the first comma: "person, human" -> "person".
            return ",".join(name.split(",")[:1])

        self.num_classes = len(self.class_info)
        self.class_ids = np.arange(self.num_classes)
        self.class_names = [clean_name(info["name"]) for info in self.class_info]
        self.num_images = len(self.image_info)
        self._image_ids = np.arange(self.num_images)
        self.class_from_source_map = {
            f"{info['source']}.{info['id']}": class_id
            for info, class_id in zip(self.class_info, self.class_ids)
        }
        self.image_from_source_map = {
            f"{info['source']}.{info['id']}": image_id
            for info, image_id in zip(self.image_info, self.image_ids)
        }
        # Matterport used list(set(...)), whose order changes between runs; first
        # appearance order holds the same sources, deterministically.
        self.sources = list(dict.fromkeys(info["source"] for info in self.class_info))
        self.source_class_ids = {}
        for source in self.sources:
            # Each source's classes, plus the background class 0.
            self.source_class_ids[source] = [
                class_id for class_id, info in enumerate(self.class_info)
                if class_id == 0 or info["source"] == source
            ]

    def map_source_class_id(self, source_class_id):
        """Internal class id of a "source.id" string, e.g. "coco.12" -> 23."""
        return self.class_from_source_map[source_class_id]

    def get_source_class_id(self, class_id, source):
        """The source dataset's id of internal class `class_id`, which must be from `source`."""
        info = self.class_info[class_id]
        if info["source"] != source:
            raise ValueError(
                f"class {class_id} comes from source {info['source']!r}, not {source!r}"
            )
        return info["id"]

    @property
    def image_ids(self):
        return self._image_ids

    def source_image_link(self, image_id):
        """Path or URL of the image in its source dataset."""
        return self.image_info[image_id]["path"]

    def load_image(self, image_id):
        """The image as [H, W, 3] uint8 RGB.

        Grayscale, 16-bit, palette, RGBA (composited over white) and EXIF-rotated files
        are all converted (see mrcnn.image_io.read_image); unreadable files raise
        mrcnn.image_io.ImageReadError naming the file.
        """
        return read_image(self.image_info[image_id]["path"])

    def load_mask(self, image_id):
        """Instance masks of an image; override in subclasses.

        Returns:
            masks: bool [height, width, instance count], one mask per instance.
            class_ids: int32 [instance count] internal class ids.
        The base class has no annotations and returns an empty mask [0, 0, 0] and no ids.
        """
        logging.warning(
            "You are using the default load_mask(), maybe you need to define your own one.")
        return np.empty([0, 0, 0], dtype=bool), np.empty([0], np.int32)
