"""Convolution layers: ``Conv1D``, ``Conv2D``, ``Conv3D``."""
