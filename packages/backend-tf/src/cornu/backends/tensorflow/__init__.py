"""The TensorFlow backend for cornu (CPU, GPU, TPU).

Registered under the ``cornu.backends`` entry-point group as ``tensorflow``.
Install TensorFlow with ``pip install cornu-backend-tf[cpu]`` (tensorflow-cpu)
or ``cornu-backend-tf[gpu]`` (tensorflow); a bare install uses the TensorFlow
already present.
"""
import importlib as _importlib

NAME = "tensorflow"
#: What this backend can do (``cornu.backend_spec.CAPABILITIES``).
CAPABILITIES = frozenset({"gradients", "compiled_steps", "sparse", "ragged", "strings",
                          "distribution"})
#: ``cornu.backend.result_type`` keeps int64/float64 results (as Keras on TensorFlow,
#: whose variables need int64 on the GPU); other backends narrow them to 32 bits.
RESULT_TYPE_KEEPS_64BIT = True
#: What ``cornu.utils``' dataset builders return for ``format=None``: ``tf.data`` pipelines.
DATASET_FORMAT = "tf"
_SUBMODULES = ("core", "numpy", "nn", "math", "linalg", "image", "random", "trainer",
               "rnn", "distribute", "bases")


def __getattr__(name):
    if name in _SUBMODULES:
        try:
            module = _importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as err:
            if err.name == "tensorflow":
                raise ModuleNotFoundError(
                    "The cornu TensorFlow backend needs TensorFlow: pip install "
                    "cornu-backend-tf[cpu] (or cornu-backend-tf[gpu])", name="tensorflow"
                ) from None
            raise
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
