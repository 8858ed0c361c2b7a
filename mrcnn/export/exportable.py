"""What a configuration needs to be exported (no TensorFlow import: the command checks it
before the slow start)."""


def check_exportable(config):
    """Raise ValueError unless ``config`` can be exported: "square" resizing (the molded input
    and so the anchors have a fixed size), 3 channels, one image per batch."""
    if config.IMAGE_RESIZE_MODE != "square":
        raise ValueError(f"export needs IMAGE_RESIZE_MODE 'square' (a fixed network input), "
                         f"not {config.IMAGE_RESIZE_MODE!r}")
    if int(config.IMAGE_CHANNEL_COUNT) != 3:
        raise ValueError(f"export takes RGB photos: IMAGE_CHANNEL_COUNT must be 3, not "
                         f"{config.IMAGE_CHANNEL_COUNT}")
    if int(config.BATCH_SIZE) != 1:
        raise ValueError(f"export runs one photo at a time: BATCH_SIZE (GPU_COUNT * "
                         f"IMAGES_PER_GPU) must be 1, not {config.BATCH_SIZE}")
