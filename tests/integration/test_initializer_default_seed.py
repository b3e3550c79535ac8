"""An initializer built without a seed draws its seed from Python's ``random`` when it
is made, as Keras 3's do: a program that seeds ``random`` (SciKeras's ``random_state``
seeds ``random``, numpy and TensorFlow, not torch) rebuilds the same weights.  A reused
instance still gives fresh values on each call."""
import random

import numpy as np
import pytest

import cornu
from cornu import initializers, layers, ops


def _weights():
    model = cornu.Sequential([cornu.Input((5,)), layers.Dense(4), layers.Dense(3)])
    return [ops.convert_to_numpy(v) for v in model.weights]


def test_seeding_python_random_rebuilds_the_same_weights():
    random.seed(3)
    first = _weights()
    random.seed(3)
    again = _weights()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    random.seed(4)
    assert not np.array_equal(_weights()[0], first[0])


@pytest.mark.parametrize("name", ["RandomNormal", "RandomUniform", "GlorotUniform",
                                  "HeNormal", "Orthogonal", "TruncatedNormal"])
def test_each_call_of_an_unseeded_instance_differs(name):
    init = getattr(initializers, name)()
    a, b = (ops.convert_to_numpy(init((4, 4))) for _ in range(2))
    assert not np.array_equal(a, b)
    assert init.get_config()["seed"] is None  # the drawn seed is not saved, as Keras
    seeded = getattr(initializers, name)(seed=7)
    np.testing.assert_array_equal(ops.convert_to_numpy(seeded((4, 4))),
                                  ops.convert_to_numpy(seeded((4, 4))))


def test_matches_keras_reproducibility():
    import keras

    def keras_weights():
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])
        return model.weights[0].numpy() if hasattr(model.weights[0], "numpy") else \
            keras.ops.convert_to_numpy(model.weights[0])

    random.seed(11)
    theirs = keras_weights()
    random.seed(11)
    np.testing.assert_array_equal(keras_weights(), theirs)  # Keras: the same property
