"""``KerasFileEditor``: inspect and edit the weights of a ``.keras`` / ``.weights.h5`` file.

Useful to adapt a saved file after changing a model's architecture: rename,
delete or add objects (layers) and weights, compare with a model, and write the
result as a ``.weights.h5`` file.  The weights are read through the same guards
as loading (links, external storage, virtual datasets and shape bombs are
refused).
"""
import json
import os

import h5py
import numpy as np

from cornu.saving.atomic import atomic_path
from cornu.saving.weights import open_h5, safe_dataset, safe_group, walk, write_dataset


class KerasFileEditor:
    """Inspect, edit and re-save the weights of a saved model.

    Args:
        filepath: a ``.keras`` or ``.weights.h5`` file.

    ``weights_dict`` is a nested dict mirroring the file (``{"layers": {"dense":
    {"0": kernel, "1": bias}}}``, the ``vars`` level omitted); ``object_metadata``
    maps each object path to its attributes (its ``name``).

    Example::

        editor = KerasFileEditor("model.keras")
        editor.delete_object("layers/dense_2")
        editor.add_object("layers/einsum_dense", weights={"0": kernel, "1": bias})
        editor.save("edited.weights.h5")
    """

    def __init__(self, filepath):
        self.filepath = os.fspath(filepath)
        self.metadata = None
        self.config = None
        if self.filepath.endswith(".keras"):
            from cornu.saving.keras_file import _open_reader

            with _open_reader(self.filepath) as reader:
                weights = reader.read("model.weights.h5")
                self.config = json.loads(reader.read("config.json"))
                if "metadata.json" in reader.names():
                    self.metadata = json.loads(reader.read("metadata.json"))
            source = weights
        elif self.filepath.endswith(".weights.h5"):
            source = self.filepath
        else:
            raise ValueError(
                "Invalid filename: expected a `.keras` or `.weights.h5` extension. "
                f"Received: filepath={self.filepath}"
            )
        self.object_metadata = {}
        with open_h5(source, self.filepath) as f:
            self.weights_dict = self._extract(f, "")

    def _extract(self, group, path):
        """The nested weights below ``group``; each ``vars`` group merges into its owner."""
        out = {}
        if not path and "vars" in group:
            out.update(self._vars(safe_group(group, "vars"), ""))
        for key in group:
            if key == "vars":
                continue
            link = group.get(key, getlink=True)
            if isinstance(link, h5py.HardLink) and isinstance(group[key], h5py.Group):
                child = safe_group(group, key)
                child_path = f"{path}/{key}"
                inner = self._vars(safe_group(child, "vars"), child_path) \
                    if "vars" in child else {}
                inner.update(self._extract(child, child_path))
                if inner:
                    out[key] = inner
            else:
                out[key] = safe_dataset(group, key)
        return out

    def _vars(self, vars_group, path):
        if "name" in vars_group.attrs:
            self.object_metadata[path] = {"name": vars_group.attrs["name"]}
        return {k: safe_dataset(vars_group, k) for k in vars_group}

    # -- inspection --------------------------------------------------------------------
    def summary(self):
        """Print the file's weight structure (paths, shapes and dtypes)."""
        print(f"Keras model file '{self.filepath}'")
        if self.metadata:
            print(f"Saved with Keras {self.metadata.get('keras_version')} on "
                  f"{self.metadata.get('date_saved')}")

        def show(d, indent):
            for key, value in d.items():
                if isinstance(value, dict):
                    print("  " * indent + f"{key}/")
                    show(value, indent + 1)
                else:
                    print("  " * indent + f"{key}: shape={value.shape}, dtype={value.dtype}")

        show(self.weights_dict, 0)

    def compare(self, reference_model):
        """Compare the file with ``reference_model``: every path and weight shape.

        Returns:
            ``{"status": "success" | "error", "error_count": n, "match_count": m}``
            (each mismatch is printed).
        """
        spec = weight_spec(reference_model)
        errors = 0
        matches = 0

        def compare(target, reference, path, target_name, ref_name, count_matches):
            nonlocal errors, matches
            for key, ref in reference.items():
                inner = f"{path}/{key}"
                if key not in target:
                    errors += 1
                    kind = "Object" if isinstance(ref, dict) else "Weight"
                    print(f"...{kind} {inner} present in {ref_name}, missing from {target_name}")
                elif isinstance(ref, dict):
                    compare(target[key], ref, inner, target_name, ref_name, count_matches)
                elif tuple(target[key].shape) != tuple(ref.shape):
                    if count_matches:
                        errors += 1
                        print(f"...Weight shape mismatch for {inner}: {ref_name} "
                              f"{tuple(ref.shape)}, {target_name} {tuple(target[key].shape)}")
                elif count_matches:
                    matches += 1

        compare(self.weights_dict, spec, "", "saved file", "reference model", True)
        compare(spec, self.weights_dict, "", "reference model", "saved file", False)
        status = "success" if errors == 0 else "error"
        print(f"Comparison {status}: {errors} error(s), {matches} matching weight(s)")
        return {"status": status, "error_count": errors, "match_count": matches}

    # -- editing -----------------------------------------------------------------------
    def _edit(self, fn, source, target=None):
        if target is not None and "/" in target:
            raise ValueError(
                f"Argument `target_name` should be a leaf name, not a full path name. "
                f"Received: target_name='{target}'"
            )
        if "/" in source:
            parts = source.split("/")
            d = self.weights_dict
            for part in parts[:-1]:
                if part not in d or not isinstance(d[part], dict):
                    raise ValueError(f"Path '{source}' not found in model.")
                d = d[part]
            if parts[-1] not in d:
                raise ValueError(f"Path '{source}' not found in model.")
            fn(d, parts[-1], target)
            return
        holders = []

        def find(d):
            for value in d.values():
                if isinstance(value, dict):
                    find(value)
            if source in d:
                holders.append(d)

        find(self.weights_dict)
        if len(holders) > 1:
            raise ValueError(
                f"Name '{source}' occurs more than once in the model; try passing a "
                "complete path"
            )
        if not holders:
            raise ValueError(
                f"Source name '{source}' does not appear in the model. Use "
                "`editor.summary()` to list all objects."
            )
        fn(holders[0], source, target)

    def rename_object(self, object_name, new_name):
        """Rename an object (``"dense_2"`` or a path ``"layers/dense_2"``)."""

        def rename(d, source, target):
            d[target] = d.pop(source)

        self._edit(rename, object_name, new_name)

    def delete_object(self, object_name):
        """Remove an object (a layer) and its weights."""
        self._edit(lambda d, source, target: d.pop(source), object_name)

    def add_object(self, object_path, weights):
        """Add an object at ``object_path`` with ``weights`` (``{"0": array, ...}``)."""
        _check_weights(weights)
        parts = object_path.split("/")
        d = self.weights_dict
        for part in parts[:-1]:
            if part not in d:
                raise ValueError(f"Path '{'/'.join(parts[:-1])}' not found in model.")
            d = d[part]
        d[parts[-1]] = {k: np.asarray(v) for k, v in weights.items()}

    def delete_weight(self, object_name, weight_name):
        """Remove the weight ``weight_name`` (e.g. ``"0"``) of an object."""

        def delete(d, source, target):
            if weight_name not in d[source]:
                raise ValueError(
                    f"Weight {weight_name} not found in object {object_name}. Weights "
                    f"found: {list(d[source].keys())}"
                )
            d[source].pop(weight_name)

        self._edit(delete, object_name)

    def add_weights(self, object_name, weights):
        """Add weights (``{"2": array}``) to an existing object."""
        _check_weights(weights)
        self._edit(lambda d, source, target: d[source].update(
            {k: np.asarray(v) for k, v in weights.items()}), object_name)

    def save(self, filepath):
        """Write the edited weights to a ``.weights.h5`` file (atomically)."""
        filepath = os.fspath(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                "Invalid `filepath` argument: expected a `.weights.h5` extension. "
                f"Received: filepath={filepath}"
            )

        def write(f, d, path):
            arrays = {k: v for k, v in d.items() if not isinstance(v, dict)}
            if arrays:
                group = f.require_group(f"{path}/vars" if path else "vars")
                name = self.object_metadata.get(f"/{path}" if path else "", {}).get("name")
                if name is not None:
                    group.attrs["name"] = name
                for key, value in arrays.items():
                    write_dataset(group, key, value)
            for key, value in d.items():
                if isinstance(value, dict) and value:
                    write(f, value, f"{path}/{key}" if path else key)

        with atomic_path(filepath) as tmp:
            with h5py.File(tmp, "w") as f:
                write(f, self.weights_dict, "")

    def resave_weights(self, filepath):
        """Same as ``save``."""
        self.save(filepath)


def _check_weights(weights):
    if not isinstance(weights, dict):
        raise ValueError(
            "Argument `weights` should be a dict where keys are weight names (usually "
            f"'0', '1', etc.) and values are NumPy arrays. Received: type(weights)="
            f"{type(weights)}"
        )


def weight_spec(model):
    """The nested ``{path part: {"0": array-like with .shape}}`` of what ``model`` saves."""
    spec = {}

    def visit(path, obj):
        from cornu.saving.weights import _own_variables

        variables = _own_variables(obj)
        if not variables:
            return
        d = spec
        for part in filter(None, path.split("/")):
            d = d.setdefault(part, {})
        for i, v in enumerate(variables):
            d[str(i)] = _Spec(v)

    walk(model, visit)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False) and optimizer.variables:
        spec["optimizer"] = {str(i): _Spec(v) for i, v in enumerate(optimizer.variables)}
    return spec


class _Spec:
    def __init__(self, variable):
        self.shape = tuple(variable.shape)
        self.dtype = variable.dtype
