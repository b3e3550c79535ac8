"""Core layers: ``Dense``, ``Embedding``, ``Identity``, ``Lambda``."""
