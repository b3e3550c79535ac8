"""Sharded weights: ``save_weights("big.weights.json", max_shard_size=GB)`` (Keras 3 layout).

The ``.weights.json`` index is ``{"metadata": {"total_size": bytes}, "weight_map":
{"/layers/dense/vars": "big_00000.weights.h5", ...}}`` (a list of file names when a
group's variables span shards); each shard ``big_NNNNN.weights.h5`` beside it holds
the same inner layout as a single ``.weights.h5`` file.
"""
import json
import os

import h5py

from cornu.saving import h5_reader
from cornu.saving.atomic import atomic_path
from cornu.saving.weights import (
    UnsafeFileError,
    _read_guarded,
    collect_weights,
    errors_naming,
    safe_dataset,
    safe_group,
    trusted_source,
    write_dataset,
)

_MAX_INDEX_BYTES = 64 << 20


def _base_name(filepath):
    name = os.path.basename(filepath)
    for suffix in (".weights.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def save_sharded_weights(model, filepath, max_shard_size, overwrite=True):
    """Write the weights as shards of at most ``max_shard_size`` GB plus a JSON index."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.json"):
        raise ValueError(
            "save_weights with max_shard_size: the filename must end in .weights.json, "
            f"received {filepath!r}"
        )
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    limit = float(max_shard_size) * 1024 ** 3
    directory = os.path.dirname(os.path.abspath(filepath))
    base = _base_name(filepath)
    tensors, groups = collect_weights(model)
    items = []  # (group path, key, array, attrs), in HDF5's name order as Keras writes
    for name, array in sorted(tensors, key=lambda item: item[0].split("/")):
        parent, key = name.rsplit("/", 1)
        items.append((parent, key, array, {"name": groups[parent]} if parent in groups
                      else {}))
    filled = {parent for parent, *_ in items}
    empty_groups = [(path, {"name": name}) for path, name in sorted(groups.items())
                    if path.endswith("vars") and path not in filled]

    shards = [[]]
    size = 0
    total = 0
    for item in items:
        nbytes = item[2].nbytes
        if nbytes > limit:
            raise ValueError(
                f"The variable {item[0]}/{item[1]} takes {nbytes} bytes, more than "
                f"max_shard_size={max_shard_size} GB; increase max_shard_size."
            )
        if shards[-1] and size + nbytes > limit:
            shards.append([])
            size = 0
        shards[-1].append(item)
        size += nbytes
        total += nbytes
    weight_map = {}
    names = [f"{base}_{i:05d}.weights.h5" for i in range(len(shards))]
    for name, shard in zip(names, shards):
        with atomic_path(os.path.join(directory, name)) as tmp:
            with h5py.File(tmp, "w") as f:
                if name == names[0]:
                    for group_path, attrs in empty_groups:
                        group = f.require_group(group_path)
                        group.attrs.update(attrs)
                for group_path, key, value, attrs in shard:
                    group = f.require_group(group_path)
                    group.attrs.update(attrs)
                    write_dataset(group, key, value)
                    entry = "/" + group_path
                    known = weight_map.get(entry)
                    if known is None:
                        weight_map[entry] = name
                    elif known != name and (not isinstance(known, list) or name not in known):
                        weight_map[entry] = (known if isinstance(known, list) else [known]) + [name]
    for name in names:
        h5_reader.remember(os.path.join(directory, name))
    index = {"metadata": {"total_size": float(total)}, "weight_map": weight_map}
    with atomic_path(filepath) as tmp:
        with open(tmp, "w") as f:
            json.dump(index, f, indent=4)


def load_sharded_weights(model, filepath, skip_mismatch=False):
    """Load weights written by ``save_sharded_weights`` (or Keras 3's sharded saving)."""
    filepath = os.fspath(filepath)
    h5_reader.require_file(filepath)
    if os.path.getsize(filepath) > _MAX_INDEX_BYTES:
        raise UnsafeFileError(f"{filepath}: the shard index is implausibly large")
    try:
        with open(filepath) as f:
            index = json.load(f)
        weight_map = index["weight_map"]
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{filepath} is not a sharded-weights index: {err}") from err
    directory = os.path.dirname(os.path.abspath(filepath))
    files = []
    for value in weight_map.values():
        for name in value if isinstance(value, list) else [value]:
            if (not isinstance(name, str) or os.path.basename(name) != name
                    or name in ("", ".", "..") or "\\" in name):
                raise UnsafeFileError(
                    f"{filepath}: refusing the shard name {name!r}: shards must be plain "
                    "file names beside the index"
                )
            if name not in files:
                files.append(name)
    # Merge the shards into one in-memory file (each dataset read safely), then read it.
    merged = h5py.File(f"{filepath}-merged", "w", driver="core", backing_store=False)
    try:
        for name in files:
            path = os.path.join(directory, name)
            with errors_naming(path):
                shard = h5_reader.read_h5(path, path, trusted=trusted_source(path))
                _copy_safely(shard, merged)
        _read_guarded(model, merged, filepath, skip_mismatch=skip_mismatch)
    finally:
        merged.close()


def _copy_safely(source, target):
    def visit(group, path):
        for key in group:
            link = group.get(key, getlink=True)
            child_path = f"{path}/{key}" if path else key
            if isinstance(link, h5py.HardLink) and h5_reader.is_group(group[key]):
                sub = safe_group(group, key)
                out = target.require_group(child_path)
                for attr in ("name",):
                    if attr in sub.attrs:
                        out.attrs[attr] = sub.attrs[attr]
                visit(sub, child_path)
            else:
                value = safe_dataset(group, key)
                parent = target.require_group(path) if path else target
                write_dataset(parent, key, value)

    visit(source, "")
