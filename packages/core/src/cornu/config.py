"""Global settings: backend, floatx, epsilon, image_data_format.

The backend is chosen, in order (the contract of DESIGN.md), from the
``CORNU_BACKEND`` environment variable, the ``"backend"`` key of the config file
(``$CORNU_HOME/cornu.json``, ``~/.cornu/cornu.json`` by default),
``set_backend(...)`` called before first use, and otherwise the first installed
backend (torch before tensorflow).

This module is a leaf of the core's import graph: it imports nothing from cornu, so every
module may read a setting without joining an import cycle (the ``leaves`` contract of
importlinter.ini).  A setting that lives here is read by the module that acts on it
(``cornu.serialization`` reads the unsafe-deserialization switch, ``cornu.utils.io_utils``
the interactive-logging one); the few functions whose answer is another module's code (the
backend in use, the dtype policy) call that module through a getter that ``cornu/__init__.py``
registers here (``_provide``).
"""
import json
import os

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_requested_backend = None  # set by set_backend() before the backend is bound
_TRACEBACK_FILTERING = True

_VALID_FLOATX = ("float16", "bfloat16", "float32", "float64")


def cornu_home():
    return os.path.expanduser(os.environ.get("CORNU_HOME", os.path.join("~", ".cornu")))


def config_path():
    return os.path.join(cornu_home(), "cornu.json")


def _read_config_file():
    try:
        with open(config_path()) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _apply_config_file():
    global _FLOATX, _EPSILON, _IMAGE_DATA_FORMAT
    data = _read_config_file()
    if data.get("floatx") in _VALID_FLOATX:
        _FLOATX = data["floatx"]
    if isinstance(data.get("epsilon"), (int, float)):
        _EPSILON = float(data["epsilon"])
    if data.get("image_data_format") in ("channels_last", "channels_first"):
        _IMAGE_DATA_FORMAT = data["image_data_format"]


_apply_config_file()


def floatx():
    """The default float dtype, e.g. ``"float32"``."""
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    value = str(value)
    if value not in _VALID_FLOATX:
        raise ValueError(f"set_floatx: expected one of {_VALID_FLOATX}, received {value!r}")
    _FLOATX = value


def epsilon():
    """The fuzz factor used in numeric expressions (default 1e-7)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    data_format = str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "set_image_data_format: expected 'channels_last' or 'channels_first', "
            f"received {data_format!r}"
        )
    _IMAGE_DATA_FORMAT = data_format


def standardize_data_format(data_format):
    if data_format is None:
        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "data_format must be 'channels_last' or 'channels_first', "
            f"received {data_format!r}"
        )
    return data_format


def enable_traceback_filtering():
    """Turn traceback filtering on (the default): an error raised inside ``fit``,
    ``evaluate``, ``predict``, the ``*_on_batch`` methods or a top-level layer call
    reaches the user with cornu's and the framework's frames dropped, as the
    exception first raised (not the framework's wrapper around it)."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = True


def disable_traceback_filtering():
    """Turn traceback filtering off: errors keep every frame, as raised."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = False


def is_traceback_filtering_enabled():
    """Whether traceback filtering is on (see ``enable_traceback_filtering``)."""
    return _TRACEBACK_FILTERING


def requested_backend():
    """The backend name the user asked for, or None to use the installed default."""
    env = os.environ.get("CORNU_BACKEND")
    if env:
        return env
    from_file = _read_config_file().get("backend")
    if from_file:
        return from_file
    return _requested_backend


def set_backend(name):
    """Choose the backend.  Must be called before the backend is first used."""
    global _requested_backend
    _backend = _provider("backend")
    if _backend.is_bound():
        if _backend.get_backend().NAME == name:
            return
        raise RuntimeError(
            f"set_backend({name!r}): the backend {_backend.get_backend().NAME!r} is "
            "already in use in this process; set CORNU_BACKEND before starting Python"
        )
    _requested_backend = name


def backend():
    """The name of the active (or to-be-selected) backend."""
    return _provider("backend").backend_name()


def set_dtype_policy(policy):
    """Set the global dtype policy (``"mixed_float16"``, ``"mixed_bfloat16"``, ``"float32"``,
    ... or a ``cornu.dtype_policies.DTypePolicy``); layers created afterwards use it."""
    _provider("dtype_policy").set_dtype_policy(policy)


def dtype_policy():
    """The global ``DTypePolicy`` (the ``floatx()`` policy until one is set)."""
    return _provider("dtype_policy").dtype_policy()


_UNSAFE_DESERIALIZATION = False  # read by cornu.serialization.in_safe_mode


def enable_unsafe_deserialization():
    """Turn safe mode off for the whole process, as
    ``keras.config.enable_unsafe_deserialization``: loading may then rebuild lambdas
    and other configs that run code, whatever ``safe_mode`` a call passes.  Only for
    files you trust."""
    global _UNSAFE_DESERIALIZATION
    _UNSAFE_DESERIALIZATION = True


def is_nnx_enabled():
    """Always False: Flax NNX is a JAX feature, and cornu has no JAX backend."""
    return False


# -- interactive logging (stdout or the "cornu" logger): read by cornu.utils.io_utils -------
_INTERACTIVE_LOGGING = True


def enable_interactive_logging():
    """Send progress bars and callbacks' messages to stdout (the default)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging():
    """Send progress bars and callbacks' messages to the ``"cornu"`` Python logger
    (level INFO) instead of stdout, e.g. for training jobs on a server."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


def is_interactive_logging_enabled():
    """Whether cornu's messages go to stdout (True, the default) or to the logger."""
    return _INTERACTIVE_LOGGING


# -- flash attention ------------------------------------------------------------------------
_FLASH_ATTENTION = None  # None: use it where the inputs allow (auto); False: never


def enable_flash_attention():
    """Let attention layers (``MultiHeadAttention``, ``GroupedQueryAttention``) use flash
    attention where the backend and the inputs allow it (the default).  As in Keras this
    restores the automatic choice (``is_flash_attention_enabled()`` is then None): it does
    not force the kernel; ``flash_attention=True`` on a layer does."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = None


def disable_flash_attention():
    """Keep attention layers off the flash-attention kernel
    (``is_flash_attention_enabled()`` is then False)."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled():
    """None (the default: automatic, used where possible) or False (disabled), as Keras."""
    return _FLASH_ATTENTION


# -- debugging caps on fit/evaluate/predict ---------------------------------------------------
def _int_from_env(name):
    value = os.environ.get(name)
    return None if value is None else int(value)


_MAX_EPOCHS = _int_from_env("KERAS_MAX_EPOCHS")
_MAX_STEPS_PER_EPOCH = _int_from_env("KERAS_MAX_STEPS_PER_EPOCH")


def set_max_epochs(max_epochs):
    """Cap the epochs of every ``fit`` at ``max_epochs`` (None: no cap).  For debugging;
    the ``KERAS_MAX_EPOCHS`` environment variable sets it at import, as in Keras."""
    global _MAX_EPOCHS
    _MAX_EPOCHS = max_epochs


def max_epochs():
    """The cap on ``fit``'s epochs (``set_max_epochs``, ``KERAS_MAX_EPOCHS``), or None."""
    return _MAX_EPOCHS


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the steps of every epoch of ``fit`` (validation included), ``evaluate`` and
    ``predict`` at ``max_steps_per_epoch`` (None: no cap).  For debugging; the
    ``KERAS_MAX_STEPS_PER_EPOCH`` environment variable sets it at import, as in Keras."""
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = max_steps_per_epoch


def max_steps_per_epoch():
    """The cap on steps per epoch (``set_max_steps_per_epoch``,
    ``KERAS_MAX_STEPS_PER_EPOCH``), or None."""
    return _MAX_STEPS_PER_EPOCH


# -- what config asks of the modules above it ------------------------------------------------
# config imports nothing from cornu (see the module docstring): the functions above whose
# answer is another module's code reach it through a getter registered here by
# cornu/__init__.py, which runs before any ``cornu.*`` module can be used.
_PROVIDERS = {}


def _provide(name, getter):
    """Register ``getter()``, which returns the module behind the ``name`` functions:
    ``"backend"`` (``cornu.backend``: ``set_backend``, ``backend``),
    ``"dtype_policy"`` (``cornu.dtype_policies.policy``: ``set_dtype_policy``,
    ``dtype_policy``)."""
    _PROVIDERS[name] = getter


def _provider(name):
    getter = _PROVIDERS.get(name)
    if getter is None:
        raise RuntimeError(
            f"cornu.config: nothing provides {name!r}; cornu/__init__.py registers it "
            "(import cornu, not a copy of cornu/config.py alone)")
    return getter()
