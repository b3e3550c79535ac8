"""Activation layers: ``Activation``, ``ReLU``, ``LeakyReLU``, ``Softmax``, ``ELU``."""
