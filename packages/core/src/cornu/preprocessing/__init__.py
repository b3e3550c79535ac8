"""``cornu.preprocessing`` (``keras.preprocessing``): the dataset-from-directory
functions, ``image`` (image files and arrays) and ``sequence`` (``pad_sequences``).

Every name is cornu's own implementation from ``cornu.utils``, re-exported here under
Keras's module layout; the preprocessing *layers* are ``cornu.layers``.
"""
from cornu.preprocessing import image, sequence
from cornu.utils.dataset_utils import (
    image_dataset_from_directory,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)

__all__ = [
    "image", "image_dataset_from_directory", "sequence", "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
