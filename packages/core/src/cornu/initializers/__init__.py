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
    STFT,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
)
from cornu.serialization import make_kind_api

serialize, deserialize, get = make_kind_api("initializer", Initializer, instantiate=True)

# The Keras snake_case and long-form aliases of the classes.
constant = Constant
zeros = Zeros
ones = Ones
identity = IdentityInitializer = Identity
orthogonal = OrthogonalInitializer = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
stft = STFTInitializer = STFT

__all__ = [c.__name__ for c in ALL_INITIALIZERS] + ["Initializer", "get", "serialize", "deserialize"]
