"""Reshaping layers: ``Flatten``, ``Reshape``, ``Permute``, ``RepeatVector``, padding, cropping, upsampling."""
