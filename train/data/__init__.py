"""Training data: folder-per-class preloading, class splits, P×K sampling, augmentation, marks."""
