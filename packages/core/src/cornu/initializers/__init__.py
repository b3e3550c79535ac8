"""``cornu.initializers``: weight initializers (Keras 3 names, arguments and configs)."""
from cornu.initializers.initializers import (
    ALL_INITIALIZERS,
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    Initializer,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
)
from cornu.serialization import make_kind_api

serialize, deserialize, get = make_kind_api("initializer", Initializer, instantiate=True)

__all__ = [c.__name__ for c in ALL_INITIALIZERS] + ["Initializer", "get", "serialize", "deserialize"]
