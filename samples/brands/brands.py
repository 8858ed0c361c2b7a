"""FlickrLogos-47 brands: configurations and dataset loader for Mask R-CNN, the matterport way.

    import brands                                      # with samples/brands on sys.path

    config = brands.BrandsConfig()
    dataset = brands.BrandsDataset()
    dataset.load_brands("FlickrLogos_47", "train")     # train minus the validation photos
    dataset.prepare()
    masks, class_ids = dataset.load_mask(0)            # [H, W, N] bool, [N] int32 (1..47)

The code lives in the installed ``logo_eraser`` package: the configurations in
``logo_eraser.models`` (``BrandsConfig``, ``LogoConfig`` and their inference versions), the
dataset in ``logo_eraser.flickrlogos.dataset`` (``BrandsDataset``; dataset class id k becomes
Mask R-CNN class id k + 1) and the FlickrLogos-47 layout in ``logo_eraser.flickrlogos``. This
module re-exports them under their old names.
"""

from logo_eraser.flickrlogos import CLASS_NAMES, FlickrLogosError
from logo_eraser.flickrlogos.dataset import (DEFAULT_VAL_FRACTION, FILE_LISTS, SOURCE, SUBSETS,
                                             BrandsDataError, BrandsDataset,
                                             validation_entries)
from logo_eraser.models import (BrandsConfig, BrandsInferenceConfig, LogoConfig,
                                LogoInferenceConfig)

__all__ = [
    "CLASS_NAMES", "FlickrLogosError", "DEFAULT_VAL_FRACTION", "FILE_LISTS", "SOURCE", "SUBSETS",
    "BrandsDataError", "BrandsDataset", "validation_entries", "BrandsConfig",
    "BrandsInferenceConfig", "LogoConfig", "LogoInferenceConfig",
]
