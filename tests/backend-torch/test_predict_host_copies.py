"""predict on torch keeps the per-batch outputs on the device and assembles them with
one concatenation and one device-to-host copy per output, not one per batch."""
import numpy as np
import pytest

# The backend's own nox session installs no family; the integration sessions run these.
pytest.importorskip("cornu.layers")

import cornu  # noqa: E402
from cornu import layers  # noqa: E402
from cornu.backends.torch import core as torch_core  # noqa: E402
from cornu.backends.torch import trainer as torch_trainer  # noqa: E402


@pytest.fixture
def host_copies(monkeypatch):
    """Counts the tensors converted to numpy (each one a device-to-host copy on a GPU)."""
    calls = []
    convert = torch_core.convert_to_numpy

    def counting(x):
        calls.append(tuple(getattr(x, "shape", ())))
        return convert(x)

    monkeypatch.setattr(torch_trainer, "convert_to_numpy", counting)
    monkeypatch.setattr(torch_core, "convert_to_numpy", counting)
    return calls


def test_predict_copies_to_the_host_once(rng, host_copies):
    model = cornu.Sequential([cornu.Input((20,)), layers.Dense(8, activation="relu"),
                              layers.Dense(3)])
    x = rng.standard_normal((1001, 20)).astype("float32")  # 4 batches, the last partial
    expected = model(x).detach().numpy()
    host_copies.clear()
    out = model.predict(x, batch_size=256, verbose=0)
    assert host_copies == [(1001, 3)]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_concat_to_numpy_copies_each_output_once(rng, host_copies):
    import torch

    batches = [{"a": torch.ones(n, 2) * i, "b": (torch.zeros(n), torch.arange(n))}
               for i, n in enumerate((4, 4, 3))]
    out = torch_trainer.concat_to_numpy(batches)
    assert sorted(host_copies) == [(11,), (11,), (11, 2)]
    np.testing.assert_array_equal(out["a"][:, 0], [0] * 4 + [1] * 4 + [2] * 3)
    np.testing.assert_array_equal(out["b"][1], [0, 1, 2, 3] * 2 + [0, 1, 2])
    assert isinstance(out["b"], tuple) and out["b"][0].shape == (11,)
