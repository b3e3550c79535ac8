"""Fixtures for the cornu-metrics tests (cornu.losses and cornu.metrics).

Keras 3 is the reference where it is installed; tests that compare with it take the
``keras`` fixture and are skipped without it (the per-package nox session installs
only cornu-core, cornu-metrics and a backend).  Every test also checks numpy formulas.
"""
import numpy as np
import pytest


@pytest.fixture(scope="session")
def backend():
    """cornu's backend module, imported before Keras (torch first, as the house rule says)."""
    from cornu.backend import get_backend

    return get_backend()


@pytest.fixture(scope="session")
def keras(backend):
    """Keras 3 on the same framework as cornu, or skip."""
    keras = pytest.importorskip("keras")
    assert keras.backend.backend() == backend.NAME, "KERAS_BACKEND must match CORNU_BACKEND"
    return keras


@pytest.fixture(scope="session")
def to_np():
    """Any cornu/keras tensor (or Variable) as a float64 numpy array."""
    from cornu import ops

    def convert(x):
        if type(x).__module__.startswith("keras"):  # a Keras variable
            x = x.value  # the native tensor
        return np.asarray(ops.convert_to_numpy(x), dtype=np.float64)

    return convert


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.fixture
def data(rng):
    """``data(kind, batch)`` -> ``(y_true, y_pred)`` float32/int numpy arrays of a given kind."""

    def make(kind, batch=6, classes=4):
        shape = (batch, classes)
        if kind == "regression":
            return (rng.normal(size=shape).astype("float32"),
                    rng.normal(size=shape).astype("float32"))
        if kind == "positive":
            return (rng.uniform(0.05, 1.0, size=shape).astype("float32"),
                    rng.uniform(0.05, 1.0, size=shape).astype("float32"))
        if kind == "distribution":
            return (softmax(rng.normal(size=shape)).astype("float32"),
                    softmax(rng.normal(size=shape)).astype("float32"))
        labels = rng.integers(0, classes, size=(batch,))
        onehot = np.eye(classes, dtype="float32")[labels]
        logits = rng.normal(size=shape).astype("float32") * 2.0
        if kind == "categorical":
            return onehot, softmax(logits).astype("float32")
        if kind == "categorical_logits":
            return onehot, logits
        if kind == "sparse":
            return labels.astype("int64"), softmax(logits).astype("float32")
        if kind == "sparse_logits":
            return labels.astype("int64"), logits
        binary = rng.integers(0, 2, size=shape).astype("float32")
        if kind == "binary":
            return binary, rng.uniform(0.01, 0.99, size=shape).astype("float32")
        if kind == "binary_logits":
            return binary, logits
        if kind == "hinge":
            return binary, rng.normal(size=shape).astype("float32")
        if kind == "hinge_pm1":
            return 2.0 * binary - 1.0, rng.normal(size=shape).astype("float32")
        if kind == "categorical_hinge":
            return onehot, rng.normal(size=shape).astype("float32")
        raise ValueError(kind)

    return make
