"""``Input(..., ragged=...)``: Keras 3's argument.  KerasRS builds its models' inputs
with ``keras.Input(shape, dtype=..., ragged=input_type == "ragged")``: False (or None)
is an ordinary dense input, True is refused where the backend has no ragged tensors."""
import pytest

import cornu
from cornu import backend


@pytest.mark.parametrize("ragged", [False, None])
def test_a_dense_input(ragged):
    x = cornu.Input((3,), dtype="int32", ragged=ragged)
    assert tuple(x.shape) == (None, 3) and x.dtype == "int32"
    layer = cornu.models.InputLayer(shape=(2,), ragged=ragged)
    assert layer.get_config()["ragged"] is False


def test_ragged_true_where_the_backend_has_no_ragged_tensors():
    if backend.backend() == "tensorflow":
        pytest.skip("tensorflow has ragged tensors")
    with pytest.raises(ValueError, match="`ragged=True` is not supported with the"):
        cornu.Input((None,), ragged=True)
