"""``cornu.preprocessing.sequence`` (``keras.preprocessing.sequence``): ``pad_sequences``
(``cornu.utils.sequence_utils``)."""
from cornu.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
