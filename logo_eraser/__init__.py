"""The logo eraser: find brand logos in creators' photos and videos with Mask R-CNN (``mrcnn``)
and hide them.

Subpackages and modules, by concept:

* `models`: the models the eraser knows (brands and logo configurations, class names, the
  shipped ``mask_rcnn_logo.h5``), recognising a weights file and choosing its configuration;
* `hiding`: where a logo is hidden (hull, mask or box, grown) and how (mosaic, blur, solid,
  inpaint): NumPy and OpenCV only;
* `photos`: the photo pipeline: read, detect, hide, write;
* `video_io`: reading and writing video with PyAV, streaming (timestamps, rotation, sound kept);
* `tracking`: logos followed across frames (association, optical flow, hold, scene cuts);
* `videos`: the video pipeline: read, detect every N frames, track, hide, write;
* `cli`: the ``logo-eraser`` command (``block/final_project.py`` runs it too);
* `flickrlogos`: the FlickrLogos-47 layout (reader, writer) and its Mask R-CNN dataset;
* `synth`: the synthetic training photos (``logo-synth``);
* `training`: fine-tuning and evaluation on FlickrLogos-47 or synthetic data (``logo-train``);
* `paths`: where files are found inside the package and in a source checkout.

Importing the package imports nothing heavy; TensorFlow is imported when a model is loaded.
"""
