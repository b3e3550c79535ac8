"""``cornu.optimizers.legacy`` (``keras.optimizers.legacy``): as in Keras 3, the module
exists (programs written for ``tf.keras`` import it) and each of its names is one class
whose constructor raises the ImportError Keras raises, which says that Keras 2's
optimizers are not supported (here with a pointer to ``cornu.optimizers``)."""
import importlib

import pytest

import cornu
import cornu.optimizers
from cornu.optimizers import legacy

NAMES = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]

KERAS_MESSAGE = (
    "`keras.optimizers.legacy` is not supported in Keras 3. When using "
    "`tf.keras`, to continue using a `tf.keras.optimizers.legacy` "
    "optimizer, you can install the `tf_keras` package (Keras 2) and "
    "set the environment variable `TF_USE_LEGACY_KERAS=True` to "
    "configure TensorFlow to use `tf_keras` when accessing `tf.keras`."
)


@pytest.fixture(scope="module")
def keras():
    from cornu.backend import get_backend

    get_backend()  # cornu's framework first
    keras = pytest.importorskip("keras")
    if keras is cornu:
        pytest.skip("keras is aliased to cornu here")
    return keras


def test_the_module_is_an_attribute_and_lists_its_names():
    assert cornu.optimizers.legacy is legacy is importlib.import_module("cornu.optimizers.legacy")
    assert sorted(legacy.__all__) == NAMES
    assert "legacy" in cornu.optimizers.__all__


@pytest.mark.parametrize("name", NAMES)
def test_creating_one_raises_keras_message(name):
    cls = getattr(legacy, name)
    for args, kwargs in [((), {}), ((0.001,), {"beta_1": 0.9, "name": name})]:
        with pytest.raises(ImportError) as info:
            cls(*args, **kwargs)
        assert str(info.value).startswith(KERAS_MESSAGE)
        assert "cornu.optimizers" in str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_like_keras(keras, name):
    ours, theirs = getattr(legacy, name), getattr(keras.optimizers.legacy, name)
    assert ours.__name__ == theirs.__name__ == "LegacyOptimizerWarning"
    assert ours is legacy.Adam and theirs is keras.optimizers.legacy.Adam  # one class
    with pytest.raises(ImportError) as info:
        theirs()
    assert str(info.value) == KERAS_MESSAGE
    assert not issubclass(ours, cornu.optimizers.Optimizer)
    assert sorted(n for n in dir(keras.optimizers.legacy) if not n.startswith("_")) == NAMES


def test_from_import_and_the_alias():
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import cornu
        cornu.alias_keras()
        from keras.optimizers.legacy import Adam
        import keras
        print(Adam is cornu.optimizers.legacy.Adam, keras.optimizers.legacy is cornu.optimizers.legacy)
        try:
            Adam(learning_rate=0.1)
        except ImportError as err:
            print(type(err).__name__)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "ImportError"]
