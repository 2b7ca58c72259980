"""The embedding model: its manifest, its bytes and identity, and the ONNX Runtime session that runs it."""
