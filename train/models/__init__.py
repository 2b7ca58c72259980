"""The embedding networks: compact ResNet, pretrained EfficientNet-Lite0, its frozen trunk."""
