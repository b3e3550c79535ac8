"""Device meshes and tensor layouts: how a model-parallel run would place tensors.

``DeviceMesh``, ``TensorLayout`` and ``LayoutMap`` are plain descriptions (Keras 3's
names and checks): libraries build them to say how a model could be sharded
(KerasHub's ``get_layout_map``), and they work on every backend.  Placing tensors by
them needs a backend that shards variables across devices, declared by the
``"model_parallel"`` capability; on a one-device mesh a layout places nothing, so
``distribute_tensor`` returns its tensor unchanged there.
"""
import collections.abc
import math
import re

import numpy as np


def get_device_count(device_type=None):
    """The number of devices of ``device_type`` ("cpu", "gpu"; the default kind: the
    accelerators if there are any, else the CPUs) this process can use."""
    from cornu.distribution import list_devices

    return len(list_devices(device_type))


class DeviceMesh:
    """Devices arranged in a grid with a name per axis.

    Args:
        shape: the grid's shape, e.g. ``(8,)`` or ``(2, 4)``.
        axis_names: one name per axis (``("batch", "model")``).
        devices: the devices, as many as the shape holds (default:
            ``cornu.distribution.list_devices()``).
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError("DeviceMesh: `shape` and `axis_names` must not be empty; "
                             f"received shape={shape}, axis_names={axis_names}.")
        if len(shape) != len(axis_names):
            raise ValueError("DeviceMesh: `shape` and `axis_names` must have the same "
                             f"length; received shape={shape}, axis_names={axis_names}.")
        if devices is None:
            from cornu.distribution import list_devices

            devices = list_devices()
        devices = np.array(devices)
        if math.prod(shape) != devices.size:
            raise ValueError(f"DeviceMesh: shape {tuple(shape)} holds {math.prod(shape)} "
                             f"devices; received {devices.size} (devices.shape="
                             f"{devices.shape}).")
        self._shape = shape
        self._axis_names = axis_names
        self._devices = devices.reshape(shape)

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        return self._devices

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"

    __str__ = __repr__


class TensorLayout:
    """Which mesh axis each dimension of a tensor is split over (None: not split).

    Args:
        axes: one entry per tensor dimension, a mesh axis name or None.
        device_mesh: the mesh (it may be given later, once).
    """

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self):
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(f"TensorLayout: the device mesh is already set "
                             f"({self._device_mesh}); it cannot be replaced.")
        self._device_mesh = device_mesh
        self._validate_axes()

    def _validate_axes(self):
        if self._device_mesh is None:
            return
        unknown = set(self._axes) - {None} - set(self._device_mesh.axis_names)
        if unknown:
            raise ValueError(f"TensorLayout: axes {sorted(unknown)} are not axes of the "
                             f"mesh (its axis names: {list(self._device_mesh.axis_names)}).")

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"

    __str__ = __repr__


class LayoutMap(collections.abc.MutableMapping):
    """Variable paths to layouts: each key is a regular expression that a path must
    match whole (an exact key wins); a path matching several keys is an error, one
    matching none has no layout (None).  A tuple value is made a ``TensorLayout``.
    """

    def __init__(self, device_mesh=None):
        self._layout_map = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key):
        if key in self._layout_map:
            return self._layout_map[key]
        matching = [pattern for pattern in self._layout_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"LayoutMap: path {key!r} matches several keys {matching}; "
                             "each path may match at most one.")
        return self._layout_map[matching[0]] if matching else None

    def __setitem__(self, key, layout):
        if key in self._layout_map:
            raise ValueError(f"LayoutMap: {key!r} is already mapped (to "
                             f"{self._layout_map[key]}); keys must be unique.")
        if isinstance(layout, tuple):
            layout = TensorLayout(axes=layout)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"LayoutMap: the value for {key!r} must be a TensorLayout or "
                             f"a tuple of axis names; received {type(layout).__name__}.")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key):
        return self._layout_map.pop(key)

    def __len__(self):
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)

    @property
    def device_mesh(self):
        return self._device_mesh


LayoutMap.get.__doc__ = LayoutMap.__getitem__.__doc__


def _require_sharding(what, mesh):
    """A mesh of more than one device needs a backend that shards variables."""
    from cornu.backend import get_backend, supports

    if mesh is not None and mesh.devices.size > 1 and not supports("model_parallel"):
        raise ValueError(
            f"{what}: the {get_backend().NAME!r} backend does not shard tensors across devices "
            f"(it does not declare the 'model_parallel' capability); received a mesh of "
            f"{mesh.devices.size} devices. Use DataParallel, or a one-device mesh.")


def distribute_tensor(tensor, layout):
    """``tensor`` placed by ``layout``: on a one-device mesh (or a symbolic tensor, when
    a model is being built) it is ``tensor`` itself."""
    from cornu.symbolic import KerasTensor

    if isinstance(tensor, KerasTensor):
        return tensor
    if not isinstance(layout, TensorLayout):
        raise ValueError("distribute_tensor: `layout` must be a TensorLayout; received "
                         f"{type(layout).__name__}.")
    _require_sharding("distribute_tensor", layout.device_mesh)
    return tensor


class ModelParallel:
    """Shards variables by a ``LayoutMap`` and the batch over ``batch_dim_name``.

    Args:
        layout_map: a ``LayoutMap`` with a device mesh.
        batch_dim_name: the mesh axis the batch is split over (default: the mesh's
            first axis).
        auto_shard_dataset: split the dataset between processes (True).
    """

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True,
                 **kwargs):
        kwargs.pop("device_mesh", None)  # Keras accepts it and takes the map's
        if kwargs:
            raise TypeError(f"ModelParallel: unexpected arguments {sorted(kwargs)}.")
        if layout_map is None:
            raise ValueError("ModelParallel: you must pass `layout_map`.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError("ModelParallel: `layout_map` must be a LayoutMap; received "
                             f"{type(layout_map).__name__}.")
        mesh = layout_map.device_mesh
        if mesh is None:
            raise ValueError("ModelParallel: the layout map has no device mesh; build it "
                             "as LayoutMap(DeviceMesh(...)).")
        _require_sharding("ModelParallel", mesh)
        self._layout_map = layout_map
        self._device_mesh = mesh
        self._batch_dim_name = batch_dim_name or mesh.axis_names[0]
        self._auto_shard_dataset = auto_shard_dataset

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self):
        return self._auto_shard_dataset

    def get_data_layout(self, data_shape):
        """The layout of a batch: its first dimension over the batch axis."""
        axes = [None] * len(data_shape)
        if axes:
            axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable):
        """The layout the map gives ``variable.path`` (replicated when none matches)."""
        layout = self._layout_map[variable.path]
        return layout if layout is not None else TensorLayout(
            [None] * len(variable.shape), self._device_mesh)

    def get_tensor_layout(self, path):
        """The map's layout for an intermediate tensor's path, or None."""
        return self._layout_map[path]

    def __repr__(self):
        return (f"<ModelParallel device_mesh={self._device_mesh}, "
                f"batch_dim_name={self._batch_dim_name!r}>")
