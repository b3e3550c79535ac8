"""Regularization layers: ``Dropout``, ``SpatialDropout*``, ``GaussianNoise``, ``ActivityRegularization``."""
