"""Feature Pyramid Network: top-down pathway with lateral 1x1 convs and 3x3 output convs."""

from keras import layers as KL


def build_fpn(c2, c3, c4, c5, pyramid_size):
    """Build P2..P6 from the backbone stages C2..C5.

    All P levels have ``pyramid_size`` channels; strides 4, 8, 16, 32, 64. P6 (a stride-2
    subsample of P5) only feeds the RPN, for the largest anchors.
    Returns (rpn_feature_maps [P2..P6], mrcnn_feature_maps [P2..P5]).
    """
    p5 = KL.Conv2D(pyramid_size, (1, 1), name="fpn_c5p5")(c5)
    p4 = KL.Add(name="fpn_p4add")([
        KL.UpSampling2D(size=(2, 2), name="fpn_p5upsampled")(p5),
        KL.Conv2D(pyramid_size, (1, 1), name="fpn_c4p4")(c4)])
    p3 = KL.Add(name="fpn_p3add")([
        KL.UpSampling2D(size=(2, 2), name="fpn_p4upsampled")(p4),
        KL.Conv2D(pyramid_size, (1, 1), name="fpn_c3p3")(c3)])
    p2 = KL.Add(name="fpn_p2add")([
        KL.UpSampling2D(size=(2, 2), name="fpn_p3upsampled")(p3),
        KL.Conv2D(pyramid_size, (1, 1), name="fpn_c2p2")(c2)])
    # 3x3 convs smooth the aliasing of the upsampled sums.
    p2 = KL.Conv2D(pyramid_size, (3, 3), padding="same", name="fpn_p2")(p2)
    p3 = KL.Conv2D(pyramid_size, (3, 3), padding="same", name="fpn_p3")(p3)
    p4 = KL.Conv2D(pyramid_size, (3, 3), padding="same", name="fpn_p4")(p4)
    p5 = KL.Conv2D(pyramid_size, (3, 3), padding="same", name="fpn_p5")(p5)
    p6 = KL.MaxPooling2D(pool_size=(1, 1), strides=2, name="fpn_p6")(p5)
    return [p2, p3, p4, p5, p6], [p2, p3, p4, p5]
