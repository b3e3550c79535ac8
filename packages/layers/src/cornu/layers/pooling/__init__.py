"""Pooling layers: max/average pooling in 1D/2D/3D and their global variants."""
