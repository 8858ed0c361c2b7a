"""Building blocks of the Mask R-CNN graph, split by concept (backbone, FPN, RPN, ...)."""
