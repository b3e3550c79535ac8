"""One cornu backend per test process: CORNU_BACKEND (default torch)."""
import os

os.environ.setdefault("CORNU_BACKEND", "torch")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(7)
