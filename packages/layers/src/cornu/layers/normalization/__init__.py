"""Normalization layers: ``BatchNormalization``, ``LayerNormalization``."""
