"""``losses.get`` / ``metrics.get`` of an unknown name fail with Keras's words first
("Could not interpret loss identifier: ..."), which libraries match (SciKeras's
``test_unknown_loss_raises``), followed by cornu's own hints."""
import pytest

import cornu


@pytest.mark.parametrize("module, kind", [(cornu.losses, "loss"), (cornu.metrics, "metric")])
def test_unknown_names(module, kind):
    with pytest.raises(ValueError, match=f"Could not interpret {kind} identifier: not_a_{kind}"
                       ) as info:
        module.get(f"not_a_{kind}")
    assert f"Unknown {kind}" in str(info.value)  # cornu's message is kept after it


def test_known_names_still_resolve():
    assert cornu.losses.get("mse") is cornu.losses.mean_squared_error
    assert isinstance(cornu.metrics.get("mse"), cornu.metrics.MeanSquaredError)
    assert cornu.losses.get(None) is None


def test_matches_keras():
    keras = pytest.importorskip("keras")
    if getattr(keras, "__name__", "") != "keras":
        pytest.skip("no real Keras")
    for module, ours in ((keras.losses, cornu.losses), (keras.metrics, cornu.metrics)):
        with pytest.raises(ValueError) as theirs:
            module.get("unknown_name")
        with pytest.raises(ValueError) as mine:
            ours.get("unknown_name")
        assert str(mine.value).startswith(str(theirs.value))
