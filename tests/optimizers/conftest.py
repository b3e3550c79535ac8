"""Helpers for the cornu.optimizers tests (backend-agnostic; Keras 3 is the reference)."""
import numpy as np
import pytest

import cornu


class Helpers:
    """Conversions between numpy, cornu Variables and native tensors."""

    @staticmethod
    def core():
        return cornu.backend.get_backend().core

    def native(self, x):
        return self.core().convert_to_tensor(np.asarray(x))

    def to_np(self, x):
        return np.asarray(self.core().convert_to_numpy(x))

    @staticmethod
    def variables(arrays, prefix="dense"):
        names = ["kernel", "bias", "gamma", "beta"]
        return [
            cornu.Variable(np.array(a, dtype="float32"), name=names[i],
                           path=f"{prefix}/{names[i]}")
            for i, a in enumerate(arrays)
        ]

    def keras_variables(self, keras, arrays):
        names = ["kernel", "bias", "gamma", "beta"]
        return [keras.Variable(np.array(a, dtype="float32"), name=names[i])
                for i, a in enumerate(arrays)]


@pytest.fixture(scope="session")
def h():
    return Helpers()


@pytest.fixture(scope="session")
def keras():
    return pytest.importorskip("keras")


@pytest.fixture
def init_arrays(rng):
    return [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(4,)).astype("float32")]


@pytest.fixture
def grad_steps(rng):
    """Five steps of gradients for the two variables of ``init_arrays``."""
    return [
        [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(4,)).astype("float32")]
        for _ in range(5)
    ]
