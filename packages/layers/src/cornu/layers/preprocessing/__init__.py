"""The preprocessing layers of cornu-layers.

``_LAYER_CLASSES`` maps each class to its Keras aliases; ``cornu.layers`` merges it
into its own table (what ``_plugin.py`` registers) and re-exports ``__all__``.
"""

from cornu.layers.preprocessing.category_encoding import CategoryEncoding
from cornu.layers.preprocessing.discretization import Discretization
from cornu.layers.preprocessing.feature_space import FeatureSpace
from cornu.layers.preprocessing.hashed_crossing import HashedCrossing
from cornu.layers.preprocessing.hashing import Hashing
from cornu.layers.preprocessing.integer_lookup import IntegerLookup
from cornu.layers.preprocessing.mel_spectrogram import MelSpectrogram
from cornu.layers.preprocessing.normalization import Normalization
from cornu.layers.preprocessing.rescaling import Rescaling
from cornu.layers.preprocessing.stft_spectrogram import STFTSpectrogram
from cornu.layers.preprocessing.string_lookup import StringLookup
from cornu.layers.preprocessing.text_vectorization import TextVectorization

_LAYER_CLASSES: dict = {
    # numeric, categorical, lookup, text, FeatureSpace and audio (H4a)
    Normalization: (), Discretization: (), Rescaling: (), CategoryEncoding: (),
    Hashing: (), HashedCrossing: (), StringLookup: (), IntegerLookup: (),
    TextVectorization: (), MelSpectrogram: (), STFTSpectrogram: (),
}

#: Registered as layers (so configs and saved files resolve them) but not exported by
#: ``cornu.layers``: Keras 3 exposes FeatureSpace as ``keras.utils.FeatureSpace``.
_REGISTERED_ONLY: dict = {FeatureSpace: ()}

# image preprocessing and augmentation (H4b)
from cornu.layers.preprocessing.image import *  # noqa: E402,F401,F403
from cornu.layers.preprocessing.image import _LAYER_CLASSES as _IMAGE_LAYER_CLASSES  # noqa: E402

_LAYER_CLASSES.update(_IMAGE_LAYER_CLASSES)

__all__: list = [cls.__name__ for cls in _LAYER_CLASSES]
