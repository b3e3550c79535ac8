"""Fixtures of the backend conformance suite (with or without its pytest plugin).

The suite runs on the backend cornu binds (``--cornu-backend NAME`` of
``cornu.testing.backend_conformance`` sets it); it imports no framework itself.
"""
import importlib

import numpy as np
import pytest

MARKERS = (
    "capability(name): the test checks what the backend declares with capability `name` "
    "(cornu.backend_spec.CAPABILITIES); skipped when the backend does not declare it",
)


def pytest_configure(config):
    for line in MARKERS:
        config.addinivalue_line("markers", line)


@pytest.fixture(autouse=True)
def _declared_capabilities(request):
    """Skip a ``capability(name)`` test on a backend that does not declare ``name``."""
    from cornu import backend

    for mark in request.node.iter_markers("capability"):
        for name in mark.args:
            if not backend.supports(name):
                pytest.skip(f"the {backend.backend_name()!r} backend does not declare the "
                            f"{name!r} capability")


@pytest.fixture(scope="session")
def backend_name():
    """The name of the backend under test."""
    from cornu import backend

    return backend.get_backend().NAME


@pytest.fixture
def rng():
    """A seeded numpy Generator: the suite's data is the same on every backend."""
    return np.random.default_rng(20)


@pytest.fixture(scope="session")
def families():
    """The families the model tests build with (Dense, SGD, the MSE loss); skips the
    model tests, with the command to install them, where one is missing."""
    missing = []
    for module, dist in (("cornu.layers", "cornu-layers"),
                         ("cornu.optimizers", "cornu-optimizers"),
                         ("cornu.losses", "cornu-metrics")):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(dist)
    if missing:
        pytest.skip(f"the model checks need {', '.join(missing)}: pip install "
                    f"{' '.join(missing)}")
