"""Shared test setup: one cornu backend per pytest process (nox runs each backend).

``CORNU_BACKEND`` picks cornu's backend; Keras 3, used as a reference in some
tests, is pointed at the same framework so a process imports only one of
torch and tensorflow.
"""
import os

import numpy as np
import pytest

os.environ.setdefault("CORNU_BACKEND", "torch")
os.environ.setdefault("KERAS_BACKEND", os.environ["CORNU_BACKEND"])
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def backend_name():
    """The name of the backend this test process runs on."""
    return os.environ["CORNU_BACKEND"]


@pytest.fixture
def rng():
    """A seeded numpy Generator for reproducible test data."""
    return np.random.default_rng(1234)


def pytest_report_header(config):
    return f"cornu backend: {os.environ['CORNU_BACKEND']}"


# tests/backend-torch and tests/backend-tf hold what only that framework has (a model as a
# torch.nn.Module, tf.GradientTape and tf.train.Checkpoint): each is collected on its own
# backend only (one framework per test process).
_BACKEND_TEST_DIRS = {"torch": "backend-torch", "tensorflow": "backend-tf"}
collect_ignore = [d for b, d in _BACKEND_TEST_DIRS.items() if b != os.environ["CORNU_BACKEND"]]
