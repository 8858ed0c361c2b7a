"""Real annotated logo photos: importing public logo datasets into the FlickrLogos-47 layout
that ``logo-train`` reads (one class, ``logo``), with each photo's provenance.

* `records`: `SourcePhoto`, the box convention, seeded splits, `SourceDataError`;
* `readers`: one reader per source layout (TopLogo-10, FlickrLogos-27, COCO json, YOLO txt);
* `sources`: the known sources, their URLs and licences;
* `duplicates`: copies of one photo under different names (Roboflow's augmented copies);
* `importing`: `import_source` and `merge_datasets` (written to a temporary folder, renamed);
* `cli`: the ``logo-data`` command.
"""
