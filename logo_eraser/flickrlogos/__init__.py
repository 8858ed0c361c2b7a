"""The FlickrLogos-47 layout: reading it, writing it, and the Mask R-CNN dataset over it.

* `layout`: the 47 class names, file names, annotation fields, paths, `FlickrLogosError`;
* `reader`: class names, file lists, ``.gt_data.txt`` lines, masks, image sizes;
* `writer`: `FlickrLogosWriter`, the same layout from arrays (tests, synthetic data);
* `dataset`: `BrandsDataset` (an ``mrcnn.dataset.Dataset``) and the validation split.

The names of `layout`, `reader` and `writer` are re-exported here (NumPy and Pillow only);
import `logo_eraser.flickrlogos.dataset` for the dataset (it imports mrcnn).
"""

from .layout import (CLASS_NAMES, CLASS_NAMES_FILE, FILE_LIST_ALL, FILE_LIST_LOGOS_ONLY,
                     GT_DATA_SUFFIX, GT_FIELDS, NO_LOGO_FOLDER, SPLITS, FlickrLogosError,
                     GtInstance, gt_data_path, mask_path, normalise_list_entry, photo_stem)
from .reader import (image_size, mask_to_bool, parse_gt_line, read_class_names, read_file_list,
                     read_gt_data, read_mask)
from .writer import FlickrLogosWriter, WrittenImage

__all__ = [
    "CLASS_NAMES", "CLASS_NAMES_FILE", "FILE_LIST_ALL", "FILE_LIST_LOGOS_ONLY", "GT_DATA_SUFFIX",
    "GT_FIELDS", "NO_LOGO_FOLDER", "SPLITS", "FlickrLogosError", "GtInstance", "gt_data_path",
    "mask_path", "normalise_list_entry", "photo_stem", "image_size", "mask_to_bool",
    "parse_gt_line", "read_class_names", "read_file_list", "read_gt_data", "read_mask",
    "FlickrLogosWriter", "WrittenImage",
]
