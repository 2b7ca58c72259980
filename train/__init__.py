"""Training for Lookalike embedders: triplet-loss metric learning, validation and ONNX export."""
