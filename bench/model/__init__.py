"""The model's quality: training recipes, leave-one-kind-out transfer, teaching, thresholds, metrics path."""
