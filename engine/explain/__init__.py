"""Why two images are close: occlusion maps and their overlay."""
