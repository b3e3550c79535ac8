"""Global seeding."""
import random

import numpy as np


def set_random_seed(seed):
    """Seed Python's ``random``, numpy and the backend framework, for reproducible runs."""
    if not isinstance(seed, int):
        raise ValueError(f"set_random_seed: seed must be an int, received {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    from cornu.backend import get_backend

    get_backend().random.set_global_seed(seed)
