"""From a trained network to an app-ready ONNX file: graph, calibration, int8, model card."""
