"""One check per capability the backend declares (``cornu.backend_spec.CAPABILITIES``);
an undeclared capability's checks are skipped."""
import numpy as np
import pytest

import cornu
from cornu import backend, ops

from ._models import data, dense_model


def test_declared_capabilities_are_known():
    from cornu.backend_spec import CAPABILITIES

    declared = set(getattr(backend.get_backend(), "CAPABILITIES", ()))
    assert declared <= set(CAPABILITIES), declared - set(CAPABILITIES)


@pytest.mark.capability("sparse")
def test_sparse_convert_and_densify():
    x = np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 0.0]], "float32")
    s = ops.to_sparse(x)
    np.testing.assert_array_equal(ops.convert_to_numpy(s), x)
    w = np.arange(6, dtype="float32").reshape(3, 2)
    np.testing.assert_allclose(ops.convert_to_numpy(ops.matmul(s, w)), x @ w)


@pytest.mark.capability("strings")
def test_string_tensors():
    t = ops.convert_to_tensor(np.array(["a", "bc"]))
    assert backend.standardize_dtype(t.dtype) == "string"
    assert [v.decode() if isinstance(v, bytes) else v for v in ops.convert_to_numpy(t)] \
        == ["a", "bc"]


@pytest.mark.capability("strings")
@pytest.mark.usefixtures("families")
def test_string_lookup():
    layer = cornu.layers.StringLookup(vocabulary=["a", "b"])
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(np.array(["b", "a", "z"]))),
                                  [2, 1, 0])


@pytest.mark.capability("ragged")
@pytest.mark.usefixtures("families")
def test_ragged_outputs():
    layer = cornu.layers.TextVectorization(vocabulary=["a", "b"], ragged=True)
    assert layer(["a b a", "b"]).to_list() == [[2, 3, 2], [3]]


@pytest.mark.capability("compiled_steps", "gradients")
@pytest.mark.usefixtures("families")
def test_jit_compiled_fit_matches_eager():
    x, y = data(8)
    eager = dense_model(run_eagerly=True)
    eager.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    compiled = dense_model(jit_compile=True)
    compiled.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    for got, want in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(compiled.predict(x, verbose=0), eager.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.capability("distribution")
def test_distribution_single_process():
    from cornu import distribution

    devices = distribution.list_devices()
    assert devices and all(isinstance(d, str) for d in devices)
    assert distribution.num_processes() == 1 and distribution.process_id() == 0
    assert distribution.is_chief()
