"""Every public callable of ``keras.ops`` (and of its namespaces) exists in ``cornu.ops``."""
import importlib
import inspect

import pytest

keras = pytest.importorskip("keras")

#: keras.ops namespaces and the cornu.ops namespace that must hold the same names
#: (Keras 3.15 exposes numpy, nn, linalg and image; core and math only at the top level).
NAMESPACES = ["", "numpy", "nn", "linalg", "image", "core", "math"]

#: Names another helper is still adding (empty: nothing pending).
PENDING = set()


def _public_callables(module):
    return sorted(
        name for name in dir(module)
        if not name.startswith("_") and callable(getattr(module, name))
        and not inspect.ismodule(getattr(module, name))
    )


def _keras_namespace(sub):
    if not sub:
        return keras.ops
    try:
        return importlib.import_module(f"keras.ops.{sub}")
    except ModuleNotFoundError:
        return None


@pytest.mark.parametrize("sub", NAMESPACES, ids=[s or "ops" for s in NAMESPACES])
def test_cornu_ops_has_every_keras_ops_name(sub):
    reference = _keras_namespace(sub)
    if reference is None:
        pytest.skip(f"keras.ops.{sub} is not a public namespace in this Keras")
    cornu_ns = importlib.import_module("cornu.ops" + (f".{sub}" if sub else ""))
    missing = []
    for name in _public_callables(reference):
        try:
            getattr(cornu_ns, name)
        except AttributeError:
            missing.append(name)
    unexpected = sorted(set(missing) - PENDING)
    assert not unexpected, (
        f"cornu.ops{'.' + sub if sub else ''} lacks {len(unexpected)} keras.ops names: "
        f"{unexpected}"
    )


def test_coverage_counts():
    """The size of the surface checked above (Keras 3.15: 337 names at the top level)."""
    names = _public_callables(keras.ops)
    assert len(names) > 300
    from cornu import ops

    present = [n for n in names if hasattr(ops, n)]
    assert len(present) == len(names) - len(PENDING & set(names))
