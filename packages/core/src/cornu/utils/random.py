"""Global seeding."""
import random
import sys

import numpy as np


def set_random_seed(seed):
    """Seed Python's ``random``, numpy and the backend framework, for reproducible runs.

    As Keras, TensorFlow's global seed is set too whatever the backend (tf.data
    pipelines and ``tf.random`` ops run on TensorFlow under any backend), where
    TensorFlow is already imported (cornu does not import it for this).
    """
    if not isinstance(seed, int):
        raise ValueError(f"set_random_seed: seed must be an int, received {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    from cornu.backend import get_backend

    backend = get_backend()
    backend.random.set_global_seed(seed)
    tf = sys.modules.get("tensorflow")
    if tf is not None and getattr(backend, "NAME", None) != "tensorflow":
        set_seed = getattr(getattr(tf, "random", None), "set_seed", None)
        if set_seed is not None:
            set_seed(seed)
