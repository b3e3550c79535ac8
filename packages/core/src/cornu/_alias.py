"""``import keras`` that runs on cornu: an explicit, opt-in module alias.

After ``cornu.alias_keras()``, a program that says ``import keras``,
``from keras import layers, ops``, ``import keras.layers`` or
``keras.random.SeedGenerator(...)`` gets cornu's own modules: ``keras`` *is*
``cornu`` and ``keras.X.Y`` *is* ``cornu.X.Y`` (the same module objects, so
``isinstance`` checks, registries and module state are shared).  The alias is
a finder at the front of ``sys.meta_path``; nothing is aliased until the
function is called, and nothing in cornu ever calls it.

Rules:

* A real Keras that is already imported in this process is never shadowed:
  ``alias_keras()`` refuses with a ``RuntimeError`` that names the module.
* ``KERAS_BACKEND`` is honoured when ``CORNU_BACKEND`` is unset: it is copied
  into ``CORNU_BACKEND`` of this process, so it wins over cornu's config file
  exactly as ``CORNU_BACKEND`` would (and child processes inherit it).  If
  cornu's backend is already in use and differs, the call refuses.
* ``keras.src.X`` (Keras's implementation modules, which Keras-based libraries
  import: KerasTuner ``keras.src.ops``, SciKeras ``keras.src.saving.saving_lib``,
  KerasHub ``keras.src.backend``...) is the cornu module that holds the same names:
  ``_KERAS_SRC`` lists the paths whose module differs, any other path tries
  ``cornu.X``.
* ``keras.X`` for a module cornu does not have fails with a ``ModuleNotFoundError``
  that says the name was aliased to cornu.
* ``keras.__version__`` and ``keras.version()`` give the Keras API version cornu
  implements (``cornu.keras_version``, "3.15.x"): since ``keras`` *is* ``cornu``,
  the alias sets ``cornu.__version__`` to it for this process; cornu's own
  version stays in ``cornu.cornu_version`` (and ``cornu.version.__version__``).
  TensorFlow's ``tf.keras`` then loads ``keras._tf_keras.keras``, which the alias
  maps onto ``cornu._tf_keras`` (cornu's names; a ``backend`` with TF-Keras's legacy
  functions too), as it maps ``from tensorflow.keras import ...``.
* Calling it twice is harmless.

Two more ways to switch it on, for programs and test suites that are not changed:

* ``cornu run script.py args...`` / ``cornu run -m module args...`` (``cornu.cli``):
  the alias, then the script or module run as ``__main__`` with ``sys.argv`` as
  ``python`` would set it; ``CORNU_ALIAS_KERAS=1`` is set for its child processes.
* ``CORNU_ALIAS_KERAS=1`` in the environment: cornu-core's wheel ships a ``.pth``
  (``zz-cornu-alias-keras.pth`` at the site-packages root) whose line calls
  ``_alias_from_environment()`` at interpreter start-up when the variable is set, so
  every Python process of the environment (pytest and its workers, subprocesses) is
  aliased.  Unset, the line costs an ``import os``.
"""
import importlib
import importlib.abc
import importlib.util
import os
import sys

__all__ = ["alias_keras"]

_ALIAS = "keras"
_TARGET = "cornu"


#: ``keras._tf_keras.keras`` is where TensorFlow's ``tf.keras`` loader finds Keras 3
#: (when ``keras.__version__`` starts with "3."): it is ``cornu._tf_keras``, whose
#: attributes are cornu's except ``backend`` (which adds TF-Keras's legacy backend
#: functions).  (A compatibility path, not public API.)
_TF_KERAS_PARENT = _ALIAS + "._tf_keras"
_TF_KERAS = _TF_KERAS_PARENT + ".keras"
#: ``from tensorflow.keras import layers`` (a real Keras 3 puts ``keras/_tf_keras`` on
#: ``tensorflow.__path__``): under the alias, ``tensorflow.keras.X`` is ``cornu.X`` too.
_TF_IMPORT = "tensorflow.keras"


#: ``keras.src`` is a bare package; these of its modules are cornu modules of other
#: paths (the rest map ``keras.src.X`` -> ``cornu.X``).
_KERAS_SRC_PARENT = _ALIAS + ".src"
_KERAS_SRC = {
    "saving.saving_lib": "saving",
    "saving.serialization_lib": "saving",
    "saving.saving_api": "saving",
    "distribution.distribution_lib": "distribution",
    "trainers.data_adapters.data_adapter_utils": "engine.data_adapters",
    # KerasHub: in_grain_data_pipeline (names no public cornu module holds)
    "utils.backend_utils": "_keras_src",
    # SciKeras's tests: isinstance(v, KerasVariable)
    "backend.common.variables": "_keras_src",
    "backend.common": "_keras_src",  # a package (its module is mapped above)
    # KerasRS: keras.src.utils.tracking.no_automatic_dependency_tracking (an attribute
    # chain after a plain `import keras`: see KerasAliasFinder.exec_module)
    "utils.tracking": "_keras_src",
}


def _target_name(fullname):
    """``keras`` -> ``cornu``, ``keras.a.b`` -> ``cornu.a.b``; None for other names."""
    if fullname == _ALIAS:
        return _TARGET
    if fullname.startswith(_KERAS_SRC_PARENT + "."):
        path = fullname[len(_KERAS_SRC_PARENT) + 1:]
        return _TARGET + "." + _KERAS_SRC.get(path, path)
    if fullname.startswith(_TARGET + ".") and fullname[len(_TARGET) + 1:] in _KERAS_SRC:
        # ``from keras.src.saving import serialization_lib`` imports the submodule by the
        # parent's own name (``cornu.saving.serialization_lib``) once the attribute lookup
        # fails: under the alias that name is the mapped module too.
        return _TARGET + "." + _KERAS_SRC[fullname[len(_TARGET) + 1:]]
    for prefix in (_TF_KERAS, _TF_IMPORT):
        if fullname == prefix or fullname == prefix + ".backend":
            # tf.keras is cornu with TF-Keras's legacy backend functions (cornu._tf_keras)
            return _TARGET + "._tf_keras" + ("_backend" if fullname != prefix else "")
        if fullname.startswith(prefix + "."):
            return _TARGET + fullname[len(prefix):]
    if fullname.startswith(_ALIAS + "."):
        return _TARGET + fullname[len(_ALIAS):]
    return None


def _complete_src_package(module, path):
    """``keras.src.<path>`` (cornu's ``module``) as a package whose mapped children
    (``_KERAS_SRC``) can be imported, and reached as attributes after a plain ``import
    keras`` (``keras.src.utils.tracking.X``), as they can in Keras."""
    children = {key[len(path) + 1:].split(".")[0] for key in _KERAS_SRC
                if key.startswith(path + ".")}
    if not children:
        return
    if not hasattr(module, "__path__"):
        # A plain module (keras.src.backend is cornu.backend): the import system
        # imports a child only from a package, so it gets an empty __path__ (this
        # finder answers for the children).
        module.__path__ = []
    for child in sorted(children):
        if not hasattr(module, child):
            # What ``import keras.src.<path>.<child>`` binds on its parent, done now.
            setattr(module, child, importlib.import_module(
                f"{_KERAS_SRC_PARENT}.{path}.{child}"))


def _src_getattr(name):
    """``keras.src.<name>`` as an attribute of ``keras.src``: imports that module."""
    if name.startswith("__"):
        raise AttributeError(f"module {_KERAS_SRC_PARENT!r} has no attribute {name!r}")
    try:
        return importlib.import_module(f"{_KERAS_SRC_PARENT}.{name}")
    except ModuleNotFoundError as err:
        raise AttributeError(
            f"module {_KERAS_SRC_PARENT!r} has no attribute {name!r} ({err})") from None


class KerasAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``keras`` and ``keras.*`` to the already imported ``cornu`` modules.

    ``create_module`` hands the import system the cornu module itself; the
    import system then stamps its own (alias) ``__spec__`` on it, which
    ``exec_module`` puts back, so cornu's modules keep their true identity.
    """

    def find_spec(self, fullname, path=None, target=None):
        # bare packages: keras.src.trainers{,.data_adapters} hold only the modules mapped
        # above (were they cornu.engine, importing a submodule would set an attribute
        # of cornu.engine, replacing its own data_adapters)
        if fullname in (_TF_KERAS_PARENT, _KERAS_SRC_PARENT, _KERAS_SRC_PARENT + ".trainers",
                        _KERAS_SRC_PARENT + ".trainers.data_adapters"):
            module = type(sys)(fullname, "a Keras path onto cornu (cornu.alias_keras())")
            module.__path__ = []
            module.__cornu_alias__ = True  # the alias's own: not a real Keras
            if fullname == _KERAS_SRC_PARENT:
                # ``keras.src.saving.X`` as attributes (KerasHub, KerasRS write them so)
                module.__getattr__ = _src_getattr
            spec = importlib.util.spec_from_loader(fullname, self, is_package=True)
            spec.loader_state = (module, None)
            return spec
        target_name = _target_name(fullname)
        if target_name is None:
            return None
        parts = target_name.split(".")
        if len(parts) > 1:
            import cornu

            if parts[1] in cornu._FAMILIES:
                cornu.import_family(parts[1])  # a missing family names its distribution
        try:
            module = importlib.import_module(target_name)
        except ModuleNotFoundError as err:
            if err.name is not None and target_name.startswith(err.name):
                raise ModuleNotFoundError(
                    f"No module named {fullname!r}: keras is aliased to cornu "
                    f"(cornu.alias_keras()), and there is no {err.name!r}",
                    name=fullname,
                ) from None
            raise
        spec = importlib.util.spec_from_loader(fullname, self, origin=target_name)
        spec.loader_state = (module, getattr(module, "__spec__", None))
        return spec

    def create_module(self, spec):
        return spec.loader_state[0]

    def exec_module(self, module):
        # The import system stamped the alias spec on the module: put cornu's back.
        alias_spec = getattr(module, "__spec__", None)
        if (alias_spec is not None and alias_spec.loader is self
                and alias_spec.loader_state[1] is not None):
            module.__spec__ = alias_spec.loader_state[1]
            if alias_spec.name.startswith(_KERAS_SRC_PARENT + "."):
                _complete_src_package(module, alias_spec.name[len(_KERAS_SRC_PARENT) + 1:])


def _finder():
    for finder in sys.meta_path:
        if isinstance(finder, KerasAliasFinder):
            return finder
    return None


def _refuse_real_keras():
    """Raise if a real Keras (any module named keras or keras.*) is imported."""
    for name, module in list(sys.modules.items()):
        if (_target_name(name) is None or module is None
                or name.split(".")[0] != _ALIAS or name.startswith(_TF_KERAS_PARENT)
                or getattr(module, "__cornu_alias__", False)):
            continue
        expected = sys.modules.get(_target_name(name))
        if module is not expected:
            location = getattr(module, "__file__", None) or repr(module)
            raise RuntimeError(
                f"cornu.alias_keras(): a real Keras is already imported "
                f"(sys.modules[{name!r}] comes from {location}). Call "
                "cornu.alias_keras() before anything imports keras (TensorFlow "
                "imports an installed Keras when it is imported itself), or run "
                "the program in a fresh process."
            )


def _keras_backend_to_honour():
    """``KERAS_BACKEND`` when ``CORNU_BACKEND`` is unset (else None), checked
    against the backend cornu may already use."""
    wanted = os.environ.get("KERAS_BACKEND")
    if not wanted or os.environ.get("CORNU_BACKEND"):
        return None
    from cornu import backend as _backend

    if _backend.is_bound() and _backend.get_backend().NAME != wanted:
        raise RuntimeError(
            f"cornu.alias_keras(): KERAS_BACKEND={wanted!r}, but cornu's backend "
            f"{_backend.get_backend().NAME!r} is already in use in this process; "
            "set KERAS_BACKEND (or CORNU_BACKEND) before starting Python"
        )
    return wanted


def alias_keras():
    """Make ``import keras`` (and ``keras.*``) resolve to cornu in this process.

    Returns:
        The ``cornu`` module (which is now also ``sys.modules["keras"]``).

    Raises:
        RuntimeError: a real Keras is already imported, or ``KERAS_BACKEND``
            names a backend other than the one cornu already uses.
    """
    import cornu

    keras_backend = _keras_backend_to_honour()
    _refuse_real_keras()
    if keras_backend:
        os.environ["CORNU_BACKEND"] = keras_backend
    if _finder() is None:
        sys.meta_path.insert(0, KerasAliasFinder())
    # ``keras`` is ``cornu``: it presents the Keras API version cornu implements, so
    # that version checks (TensorFlow's ``tf.keras`` loader, libraries) take their
    # Keras 3 path.  cornu's own version stays in ``cornu.cornu_version``.
    cornu.__version__ = cornu.keras_version
    # Modules the program imported as cornu.X before the alias stay reachable
    # as keras.X through the finder; keras itself is bound now so that a
    # later ``import keras`` cannot race with another finder.
    sys.modules.setdefault(_ALIAS, cornu)
    # ``keras.src`` is an attribute of a real ``keras`` (its __init__ imports from it):
    # libraries write ``keras.src.saving.saving_lib.X`` after a plain ``import keras``.
    importlib.import_module(_KERAS_SRC_PARENT)
    return cornu


#: The environment switch that cornu-core's ``.pth`` honours at interpreter start-up.
ENV_SWITCH = "CORNU_ALIAS_KERAS"
_OFF = ("", "0", "false", "no", "off")


def _switched_on(environ=None):
    """Whether ``CORNU_ALIAS_KERAS`` asks for the alias ("1", "true", ...; not "0")."""
    value = (os.environ if environ is None else environ).get(ENV_SWITCH, "")
    return value.strip().lower() not in _OFF


def _alias_from_environment():
    """``alias_keras()`` when ``CORNU_ALIAS_KERAS`` is on (the ``.pth`` calls this).

    A process that asked for the alias and cannot have it does not start: the error
    is a ``SystemExit`` naming the variable (``site`` would only print an ordinary
    exception and go on with the real Keras).
    """
    if not _switched_on():
        return None
    try:
        return alias_keras()
    except Exception as err:
        raise SystemExit(
            f"{ENV_SWITCH}={os.environ.get(ENV_SWITCH)!r}: cornu.alias_keras() failed at "
            f"start-up: {type(err).__name__}: {err}") from err
