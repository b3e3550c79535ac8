"""Orbax checkpoints in the layout of Keras 3's ``keras.callbacks.OrbaxCheckpoint``.

A checkpoint directory holds one folder per step (``<directory>/<step>/``), written by
the ``orbax-checkpoint`` library (an optional dependency: ``pip install
orbax-checkpoint``), each with the checkpointables

* ``pytree``: the model's state tree, ``{"trainable_variables": ...,
  "non_trainable_variables": ..., "optimizer_variables": ..., "metrics_variables":
  ...}``, each a nested dict keyed by the parts of the variables' Keras paths
  (``{"sequential": {"dense": {"kernel": array}}}``); with ``save_weights_only`` only
  the first two;
* ``model_config`` (unless weights only): ``{"config": <the model's JSON config>}``,
  the same config a ``.keras`` archive holds;
* ``assets`` (when a layer has assets): a nested dict of ``uint8`` arrays mirroring
  the assets folder of a ``.keras`` archive.

The keys are Keras 3's variable paths (``"sequential/dense/kernel"``: the names of
the layers whose ``build`` created the variable, outermost first;
``"adam/sequential_dense_kernel_momentum"`` for an optimizer slot), computed from the
layer tree as Keras names them, so Keras reads what cornu writes and the other way
round.  Importing this module does not import orbax; the functions that need it do.
"""
import json
import os

import numpy as np

ORBAX_INSTALL = "pip install orbax-checkpoint"

_VARIABLE_KEYS = ("trainable_variables", "non_trainable_variables", "optimizer_variables",
                  "metrics_variables")


def import_orbax(what="Orbax checkpoints"):
    """``orbax.checkpoint.v1``, or an ImportError naming the package to install."""
    try:
        import orbax.checkpoint as orbax_checkpoint
    except ImportError as err:
        raise ImportError(
            f"{what}: needs the 'orbax-checkpoint' package, which is not installed: "
            f"{ORBAX_INSTALL}"
        ) from err
    return orbax_checkpoint.v1


# -- recognising checkpoints ---------------------------------------------------------------
def _is_step_dir(path):
    try:
        names = set(os.listdir(path))
    except OSError:
        return False
    return "_CHECKPOINT_METADATA" in names or os.path.isdir(os.path.join(path, "pytree"))


def is_orbax_checkpoint(path):
    """Whether ``path`` is an Orbax checkpoint directory: a root holding step folders
    (``0``, ``1``, ...) or one step folder."""
    path = os.fspath(path)
    if not os.path.isdir(path) or os.path.exists(os.path.join(path, "config.json")):
        return False  # (a zipped=False .keras directory holds config.json)
    if _is_step_dir(path):
        return True
    try:
        names = os.listdir(path)
    except OSError:
        return False
    return any(name.isdigit() and _is_step_dir(os.path.join(path, name)) for name in names)


def step_directory(path):
    """The step folder to read: ``path`` itself, or the latest step of a root."""
    path = os.fspath(path)
    if _is_step_dir(path):
        return path
    # (Orbax writes a step into "<step>.orbax-checkpoint-tmp" and renames it when complete.)
    steps = sorted(int(name) for name in os.listdir(path)
                   if name.isdigit() and _is_step_dir(os.path.join(path, name)))
    if not steps:
        raise ValueError(f"{path}: no complete Orbax checkpoint step in this directory")
    return os.path.join(path, str(steps[-1]))


# -- Keras variable paths --------------------------------------------------------------------
def _sublayers(obj):
    """The layers directly below ``obj`` (as the weights walk finds them)."""
    from cornu.saving.weights import _children

    out = []
    for _, child in _children(obj):
        if isinstance(child, list):
            out.extend(layer for _, layer in child)
        else:
            out.append(child)
    return out


def keras_variable_paths(model):
    """``{id(variable): Keras 3 path}`` for the model's layer variables.

    Keras names a variable after the layers whose ``build`` (or ``__init__``) was
    running when it was created: a Sequential or subclassed model builds its layers
    inside its own scope (``"sequential/dense/kernel"``), while a Functional model's
    layers are built by the calls that defined it, before the model existed
    (``"dense/kernel"``).
    """
    from cornu.models.functional import Functional
    from cornu.saving.weights import _own_variables

    paths = {}
    seen = set()

    def visit(layer, scope):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        for v in _own_variables(layer):
            name = str(v.path).rsplit("/", 1)[-1]
            paths.setdefault(id(v), f"{scope}/{name}" if scope else name)
        graph = isinstance(layer, Functional)
        for child in _sublayers(layer):
            child_name = str(child.name)
            visit(child, child_name if graph or not scope else f"{scope}/{child_name}")

    visit(model, "" if isinstance(model, Functional) else str(model.name))
    return paths


def _optimizer_paths(model, layer_paths):
    """``{id(variable): Keras path}`` for the optimizer's variables (slots renamed after
    the Keras path of the variable they follow)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return {}
    prefixes = sorted(
        ((str(v.path).replace("/", "_"), layer_paths[id(v)].replace("/", "_"))
         for v in model.trainable_variables if id(v) in layer_paths),
        key=lambda item: -len(item[0]))
    opt_name = str(getattr(optimizer, "name", "optimizer"))
    out = {}
    for v in optimizer.variables:
        path = str(v.path)
        head, _, tail = path.rpartition("/")
        head = head or opt_name
        for own, keras in prefixes:
            if tail.startswith(own + "_"):
                tail = keras + tail[len(own):]
                break
        out[id(v)] = f"{head}/{tail}"
    return out


def _metric_paths(model):
    out = {}
    for metric in getattr(model, "metrics", []):
        for v in metric.variables:
            path = str(v.path)
            out[id(v)] = path if "/" in path else f"{metric.name}/{path}"
    return out


def _nest(flat, what):
    tree = {}
    for path, value in flat.items():
        parts = path.split("/")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"get_state_tree: the {what} path {path!r} nests under a "
                                 "variable of the same name")
        node[parts[-1]] = value
    return tree


def _flatten(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _groups(model):
    """``{key: [(keras path, variable)]}`` for the four parts of the state tree."""
    layer_paths = keras_variable_paths(model)
    groups = {
        "trainable_variables": [(layer_paths.get(id(v), str(v.path)), v)
                                for v in model.trainable_variables],
        "non_trainable_variables": [(layer_paths.get(id(v), str(v.path)), v)
                                    for v in model.non_trainable_variables],
    }
    optimizer = getattr(model, "optimizer", None)
    opt_paths = _optimizer_paths(model, layer_paths)
    groups["optimizer_variables"] = [(opt_paths.get(id(v), str(v.path)), v)
                                     for v in (optimizer.variables if opt_paths else [])]
    metric_paths = _metric_paths(model)
    groups["metrics_variables"] = [(metric_paths.get(id(v), str(v.path)), v)
                                   for v in model.metrics_variables]
    return groups


def get_state_tree(model, value_format="backend_tensor"):
    """The model's variables as Keras 3's ``Model.get_state_tree`` nests them."""
    if value_format not in ("backend_tensor", "numpy_array"):
        raise ValueError("get_state_tree: value_format must be 'backend_tensor' or "
                         f"'numpy_array', received {value_format!r}")
    tree = {}
    for key, items in _groups(model).items():
        flat = {}
        for path, v in items:
            if path in flat:
                raise ValueError(
                    f"get_state_tree: the variable path {path!r} is found twice in the model "
                    f"{model.name!r}; give its layers (and other objects) unique names")
            flat[path] = v.numpy() if value_format == "numpy_array" else v.value
        tree[key] = _nest(flat, key)
    return tree


def _own_optimizer_name(model, state_tree):
    """The tree with its one optimizer renamed to the model's: optimizer names are made
    unique per process (``adam``, ``adam_1``), so a model built beside another one reads
    a checkpoint's ``adam`` state as its own."""
    saved = state_tree.get("optimizer_variables")
    optimizer = getattr(model, "optimizer", None)
    if not isinstance(saved, dict) or len(saved) != 1 or optimizer is None:
        return state_tree
    (name, values), = saved.items()
    own = str(getattr(optimizer, "name", name))
    if name == own or not isinstance(values, dict):
        return state_tree
    return {**state_tree, "optimizer_variables": {own: values}}


def _other_scope(model, key, path):
    """``path`` with the model's own name scope removed, or added when it has none.

    Keras names variables after the scopes their ``build`` ran in, so one architecture
    can have both spellings: a Sequential model built where it was defined has
    ``net/dense/kernel``, the same model rebuilt by ``load_model`` has
    ``dense/kernel`` (and its optimizer ``adam/dense_kernel_momentum``)."""
    root = str(model.name)
    if key == "optimizer_variables":
        head, _, tail = path.partition("/")
        tail = tail[len(root) + 1:] if tail.startswith(root + "_") else f"{root}_{tail}"
        return f"{head}/{tail}"
    return path[len(root) + 1:] if path.startswith(root + "/") else f"{root}/{path}"


def set_state_tree(model, state_tree, strict=False):
    """Assign the values of a state tree (Keras 3's ``Model.set_state_tree``).

    Paths the model does not have are ignored, as in Keras; with ``strict``, a
    trainable or non-trainable variable of the model missing from a part of the tree
    that is given raises a ValueError naming it.  A value of another shape raises.
    """
    unknown = set(state_tree) - set(_VARIABLE_KEYS)
    if unknown:
        raise ValueError(f"set_state_tree: unknown state tree keys {sorted(unknown)}; "
                         f"expected some of {list(_VARIABLE_KEYS)}")
    if "optimizer_variables" in state_tree:
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not getattr(optimizer, "built", False) \
                and _flatten(state_tree["optimizer_variables"] or {}):
            optimizer.build(model.trainable_variables)
    state_tree = _own_optimizer_name(model, state_tree)
    groups = _groups(model)
    missing = []
    for key, subtree in state_tree.items():
        values = _flatten(subtree or {})
        for own_path, v in groups[key]:
            path = own_path if own_path in values else _other_scope(model, key, own_path)
            if path not in values:
                if strict and key in ("trainable_variables", "non_trainable_variables"):
                    missing.append(own_path)
                continue
            value = np.asarray(values[path])
            if tuple(value.shape) != tuple(v.shape):
                raise ValueError(
                    f"set_state_tree: variable {path!r} of model {model.name!r} has shape "
                    f"{tuple(v.shape)}, the state tree has shape {tuple(value.shape)}")
            v.assign(value.astype(v.dtype) if value.dtype != np.dtype(v.dtype) else value)
    if missing:
        raise ValueError(
            f"The checkpoint has no value for the variables {missing} of model "
            f"{model.name!r} (it holds: {sorted(_flatten(state_tree.get('trainable_variables') or {}))})")


# -- writing -------------------------------------------------------------------------------
def _python_scalars(tree):
    """0-d arrays as Python numbers, as Keras stores them (Orbax saves them as scalars)."""
    if isinstance(tree, dict):
        return {k: _python_scalars(v) for k, v in tree.items()}
    if isinstance(tree, (np.ndarray, np.generic)) and np.ndim(tree) == 0:
        return tree.item()
    return tree


def model_config_json(model):
    """The model's config as a ``.keras`` archive's ``config.json`` holds it."""
    from cornu.serialization import serialize_cornu_object

    config = serialize_cornu_object(model)
    config["compile_config"] = model.get_compile_config()
    build = model.get_build_config()
    if build is not None:
        config["build_config"] = build
    return json.dumps(config)


def _assets_tree(model):
    import tempfile

    from cornu.saving.weights import save_assets

    with tempfile.TemporaryDirectory(prefix="cornu-orbax-assets-") as tmp:
        if not save_assets(model, tmp):
            return None
        tree = {}
        for root, _, files in os.walk(tmp):
            for fname in files:
                rel = os.path.relpath(os.path.join(root, fname), tmp)
                node = tree
                parts = rel.split(os.sep)
                for part in parts[:-1]:
                    node = node.setdefault(part, {})
                with open(os.path.join(root, fname), "rb") as f:
                    node[parts[-1]] = np.frombuffer(f.read(), dtype=np.uint8).copy()
    return tree or None


def checkpointables(model, weights_only=False):
    """What one checkpoint step holds: ``{"pytree": ..., "model_config": ...,
    "assets": ...}`` (only ``pytree``, with the layer variables, when ``weights_only``)."""
    state = get_state_tree(model, value_format="numpy_array")
    if weights_only:
        state = {k: state[k] for k in ("trainable_variables", "non_trainable_variables")}
    payload = {"pytree": _python_scalars(state)}
    if not weights_only:
        payload["model_config"] = {"config": model_config_json(model)}
        assets = _assets_tree(model)
        if assets is not None:
            payload["assets"] = assets
    return payload


# -- reading -------------------------------------------------------------------------------
def _load(step_dir, names):
    ocp = import_orbax(f"Loading the Orbax checkpoint {step_dir}")
    with ocp.Context():
        return ocp.load_checkpointables(step_dir, {name: None for name in names})


def _saved_names(step_dir):
    return {name for name in ("pytree", "model_config", "assets")
            if os.path.isdir(os.path.join(step_dir, name))}


def load_weights(model, path, skip_mismatch=False):
    """``model.load_weights`` of an Orbax checkpoint root (its latest step) or step."""
    step_dir = step_directory(path)
    if "pytree" not in _saved_names(step_dir):
        raise ValueError(f"{step_dir}: the Orbax checkpoint has no 'pytree' (model state)")
    state = _load(step_dir, ["pytree"])["pytree"]
    state = {k: v for k, v in state.items() if k in _VARIABLE_KEYS}
    set_state_tree(model, state, strict=not skip_mismatch)


def _write_assets(tree, directory):
    for key, value in tree.items():
        if key in ("", ".", "..") or "/" in key or "\\" in key or os.sep in key:
            raise ValueError(f"Orbax checkpoint assets: unsafe file name {key!r}")
        target = os.path.join(directory, key)
        if isinstance(value, dict):
            os.makedirs(target, exist_ok=True)
            _write_assets(value, target)
        else:
            with open(target, "wb") as f:
                f.write(np.asarray(value, dtype=np.uint8).tobytes())


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """The model of an Orbax checkpoint (root: its latest step) saved with its config."""
    import tempfile

    from cornu.saving.keras_file import _ALLOCATION_SLACK, model_from_config
    from cornu.saving.weights import load_assets

    step_dir = step_directory(path)
    saved = _saved_names(step_dir)
    if "model_config" not in saved:
        raise ValueError(
            f"{step_dir}: the Orbax checkpoint holds no model configuration (it was saved "
            "with save_weights_only=True); build the model and call model.load_weights on "
            "the checkpoint instead")
    loaded = _load(step_dir, sorted(saved & {"pytree", "model_config", "assets"}))
    raw = loaded["model_config"]["config"]
    try:
        config = json.loads(raw)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{step_dir}: the model configuration is not valid JSON: {err}") \
            from err
    if not compile:
        config["compile_config"] = None
    pytree = loaded.get("pytree") or {}
    size = sum(np.asarray(v).nbytes for v in _flatten(pytree).values())
    model = model_from_config(config, custom_objects, compile, safe_mode,
                              2 * (size + len(raw)) + _ALLOCATION_SLACK, step_dir)
    state = {k: v for k, v in pytree.items() if k in _VARIABLE_KEYS}
    if not compile:
        state.pop("optimizer_variables", None)
    set_state_tree(model, state, strict=True)
    if loaded.get("assets"):
        with tempfile.TemporaryDirectory(prefix="cornu-orbax-assets-") as tmp:
            _write_assets(loaded["assets"], tmp)
            load_assets(model, tmp)
    return model
