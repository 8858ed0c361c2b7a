"""The two ROI heads on top of the pooled features: classifier + box regressor, and mask."""

from keras import layers as KL

from .layers import BatchNorm, GatherRows, SqueezeSpatial, TimeDistributed, TimeDistributedScatter
from .roi_align import PyramidROIAlign


def fpn_classifier_graph(rois, feature_maps, image_meta, pool_size, num_classes, train_bn=True,
                         fc_layers_size=1024):
    """Classifier and box-regression head.

    rois: [batch, num_rois, (y1, x1, y2, x2)] normalised; feature_maps: [P2, P3, P4, P5].
    Returns:
        mrcnn_class_logits: [batch, num_rois, NUM_CLASSES]
        mrcnn_probs: [batch, num_rois, NUM_CLASSES] softmax
        mrcnn_bbox: [batch, num_rois, NUM_CLASSES, (dy, dx, log(dh), log(dw))]
    """
    frozen = not train_bn
    x = PyramidROIAlign([pool_size, pool_size], name="roi_align_classifier")(
        [rois, image_meta] + feature_maps)
    # Two 1024-wide "fully connected" layers, written as convs (the first spans the whole ROI).
    x = TimeDistributed(KL.Conv2D(fc_layers_size, (pool_size, pool_size), padding="valid"),
                        name="mrcnn_class_conv1")(x)
    x = TimeDistributed(BatchNorm(frozen=frozen), name="mrcnn_class_bn1")(x)
    x = KL.Activation("relu")(x)
    x = TimeDistributed(KL.Conv2D(fc_layers_size, (1, 1)), name="mrcnn_class_conv2")(x)
    x = TimeDistributed(BatchNorm(frozen=frozen), name="mrcnn_class_bn2")(x)
    x = KL.Activation("relu")(x)
    shared = SqueezeSpatial(name="pool_squeeze")(x)

    mrcnn_class_logits = TimeDistributed(KL.Dense(num_classes),
                                         name="mrcnn_class_logits")(shared)
    mrcnn_probs = TimeDistributed(KL.Activation("softmax"), name="mrcnn_class")(mrcnn_class_logits)

    x = TimeDistributed(KL.Dense(num_classes * 4, activation="linear"),
                        name="mrcnn_bbox_fc")(shared)
    num_rois = x.shape[1] if x.shape[1] is not None else -1
    mrcnn_bbox = KL.Reshape((num_rois, num_classes, 4), name="mrcnn_bbox")(x)
    return mrcnn_class_logits, mrcnn_probs, mrcnn_bbox


def build_fpn_mask_graph(rois, feature_maps, image_meta, pool_size, num_classes, train_bn=True,
                         row_selector=None, channels=256):
    """Mask head: four 3x3 convs, a 2x deconv and a per-class sigmoid.

    rois: [batch, num_rois, (y1, x1, y2, x2)] normalised; feature_maps: [P2, P3, P4, P5].
    row_selector: optional [batch, num_rois]; the convs then run only on the rows where it is
    non-zero and the other rows come out as zeros. Inference passes the detections' class
    ids (the padding rows' masks are never used); training passes the ROIs' target class ids
    (only positive ROIs enter the mask loss). With frozen BatchNorm each ROI's mask is computed
    independently, so the selected rows' masks are unchanged; with trained BatchNorm
    (``train_bn``) the batch statistics are those of the selected rows.
    channels: of the four convs and the deconv (matterport: 256).
    Returns masks [batch, num_rois, 2 * pool_size, 2 * pool_size, NUM_CLASSES] in 0..1.
    """
    frozen = not train_bn
    x = PyramidROIAlign([pool_size, pool_size], name="roi_align_mask")(
        [rois, image_meta] + feature_maps)
    if row_selector is not None:
        x = GatherRows(name="mrcnn_mask_selected_rows")([x, row_selector])
    for i in range(1, 5):
        x = TimeDistributed(KL.Conv2D(channels, (3, 3), padding="same"),
                            name=f"mrcnn_mask_conv{i}")(x)
        x = TimeDistributed(BatchNorm(frozen=frozen), name=f"mrcnn_mask_bn{i}")(x)
        x = KL.Activation("relu")(x)
    x = TimeDistributed(KL.Conv2DTranspose(channels, (2, 2), strides=2, activation="relu"),
                        name="mrcnn_mask_deconv")(x)
    mask_conv = KL.Conv2D(num_classes, (1, 1), strides=1, activation="sigmoid")
    if row_selector is None:
        return TimeDistributed(mask_conv, name="mrcnn_mask")(x)
    return TimeDistributedScatter(mask_conv, name="mrcnn_mask")([x, row_selector])
