"""``DeviceMesh``, ``TensorLayout``, ``LayoutMap``, ``get_device_count``,
``distribute_tensor`` and ``ModelParallel`` (cornu.distribution): Keras 3's checks and
lookups (KerasHub builds layout maps with them), compared with Keras where Keras runs
them on this backend; a mesh of several devices needs the ``model_parallel``
capability, which neither bundled backend declares."""
import numpy as np
import pytest

import cornu
from cornu import distribution as dist


def _pair():
    import keras

    return [(cornu.distribution, "cornu"), (keras.distribution, "keras")]


def test_device_mesh():
    for lib, _ in _pair():
        mesh = lib.DeviceMesh((2, 2), ("batch", "model"), devices=["a", "b", "c", "d"])
        assert mesh.shape == (2, 2) and mesh.axis_names == ("batch", "model")
        np.testing.assert_array_equal(mesh.devices, [["a", "b"], ["c", "d"]])
        for bad in [dict(shape=(), axis_names=()), dict(shape=(2,), axis_names=("a", "b")),
                    dict(shape=(3,), axis_names=("a",))]:
            with pytest.raises(ValueError):
                lib.DeviceMesh(devices=["a", "b"], **bad)
    mesh = dist.DeviceMesh((1,), ("batch",))  # the process's own devices by default
    assert mesh.devices.tolist() == dist.list_devices()[:1]
    assert dist.get_device_count() == len(dist.list_devices()) >= 1
    assert dist.get_device_count("cpu") >= 1


def test_tensor_layout():
    for lib, _ in _pair():
        mesh = lib.DeviceMesh((2,), ("model",), devices=["a", "b"])
        layout = lib.TensorLayout((None, "model"))
        assert layout.device_mesh is None
        layout.device_mesh = mesh
        assert layout.axes == (None, "model") and layout.device_mesh is mesh
        with pytest.raises(ValueError):
            layout.device_mesh = mesh  # set once
        with pytest.raises(ValueError):
            lib.TensorLayout(("batch",), mesh)  # not an axis of the mesh


def test_layout_map_lookups_match_keras():
    results = {}
    for lib, name in _pair():
        mesh = lib.DeviceMesh((2,), ("model",), devices=["a", "b"])
        layout_map = lib.LayoutMap(mesh)
        layout_map[".*dense.*kernel"] = (None, "model")
        layout_map[".*dense.*bias"] = ("model",)
        layout_map["exact/kernel"] = lib.TensorLayout(("model", None))
        got = []
        for path in ["dense_1/kernel", "model/dense_2/bias", "conv/kernel", "exact/kernel",
                     "xdense/kernelx"]:
            layout = layout_map[path]
            got.append(None if layout is None else layout.axes)
            assert layout is None or layout.device_mesh is mesh
        assert len(layout_map) == 3 and list(layout_map)[0] == ".*dense.*kernel"
        with pytest.raises(ValueError):
            layout_map[".*dense.*kernel"] = ("model", None)  # duplicate key
        with pytest.raises(ValueError):
            layout_map["other"] = ["model"]  # neither a layout nor a tuple
        layout_map[".*_1/kernel"] = (None, None)
        with pytest.raises(ValueError, match="dense_1/kernel"):
            layout_map["dense_1/kernel"]  # matches two keys
        del layout_map[".*_1/kernel"]
        results[name] = got
    assert results["cornu"] == results["keras"]
    assert results["cornu"] == [(None, "model"), ("model",), None, ("model", None), None]


def test_one_device_mesh_places_nothing():
    mesh = dist.DeviceMesh((1,), ("batch",))
    layout_map = dist.LayoutMap(mesh)
    layout_map[".*kernel"] = (None, "batch")
    parallel = dist.ModelParallel(layout_map=layout_map)
    assert parallel.batch_dim_name == "batch" and parallel.device_mesh is mesh
    assert parallel.get_data_layout((8, 3)).axes == ("batch", None)
    dense = cornu.layers.Dense(2)
    dense.build((None, 3))
    assert parallel.get_variable_layout(dense.kernel).axes == (None, "batch")
    assert parallel.get_variable_layout(dense.bias).axes == (None,)  # replicated
    x = cornu.ops.ones((2, 3))
    assert dist.distribute_tensor(x, parallel.get_data_layout((2, 3))) is x
    symbolic = cornu.Input((3,))
    assert dist.distribute_tensor(symbolic, parallel.get_data_layout((2, 3))) is symbolic


def test_several_devices_need_the_capability():
    mesh = dist.DeviceMesh((2,), ("model",), devices=["cpu:0", "cpu:1"])
    layout_map = dist.LayoutMap(mesh)
    with pytest.raises(ValueError, match="model_parallel"):
        dist.ModelParallel(layout_map=layout_map)
    with pytest.raises(ValueError, match="model_parallel"):
        dist.distribute_tensor(cornu.ops.ones((2,)), dist.TensorLayout(("model",), mesh))
    with pytest.raises(ValueError, match="layout_map"):
        dist.ModelParallel()
    with pytest.raises(ValueError, match="LayoutMap"):
        dist.ModelParallel(layout_map={"a": ("model",)})
