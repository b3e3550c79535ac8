"""``cornu.dtype_policies.DTypePolicyMap``: policies by layer path (Keras 3's
``keras.dtype_policies.DTypePolicyMap``), in the way KerasHub's backbones use it: a map
built from a model's layers in ``get_config``, stored as the model's ``dtype``, and
read back through ``dtype_policies.get``.
"""
import numpy as np
import pytest

import cornu
from cornu import dtype_policies, layers
from cornu.dtype_policies import DTypePolicy, DTypePolicyMap


def test_lookup_exact_then_regex_then_default():
    policy_map = DTypePolicyMap(default_policy="float32")
    policy_map["encoder/layer_0/dense"] = DTypePolicy("bfloat16")
    policy_map["encoder/.*"] = "float16"
    policy_map["decoder"] = DTypePolicy("bfloat16")
    assert policy_map["encoder/layer_0/dense"].name == "bfloat16"
    assert policy_map["encoder/attention/query"].name == "float16"
    assert policy_map["decoder/attention"].name == "float32"  # "decoder" is exact only
    assert len(policy_map) == 3 and "decoder" in policy_map and "x" not in policy_map
    assert list(policy_map) == ["encoder/layer_0/dense", "encoder/.*", "decoder"]
    policy_map["encoder/attention/.*"] = "bfloat16"
    with pytest.raises(ValueError, match="matches multiple dtype policy"):
        policy_map["encoder/attention/query"]
    with pytest.raises(ValueError, match="already exist"):
        policy_map["decoder"] = "float16"
    del policy_map["decoder"]
    assert "decoder" not in policy_map


def test_it_is_a_policy_of_its_default():
    policy_map = DTypePolicyMap("mixed_bfloat16")
    assert isinstance(policy_map, DTypePolicy)
    assert policy_map.name == "map_mixed_bfloat16"
    assert (policy_map.compute_dtype, policy_map.variable_dtype) == ("bfloat16", "float32")
    assert policy_map.quantization_mode is None
    assert DTypePolicyMap().default_policy.name == dtype_policies.dtype_policy().name
    with pytest.raises(ValueError, match="cannot be a `DTypePolicyMap`"):
        DTypePolicyMap(DTypePolicyMap())
    with pytest.raises(TypeError, match="must be a dict"):
        DTypePolicyMap(policy_map=[("a", "float32")])
    assert dtype_policies.get(policy_map) is policy_map


def test_serialize_and_get_round_trip():
    policy_map = DTypePolicyMap("float32", {"block/dense": DTypePolicy("float16")})
    config = dtype_policies.serialize(policy_map)
    assert config["class_name"] == "DTypePolicyMap"
    assert config["config"]["default_policy"] == "float32"
    assert config["config"]["policy_map"]["block/dense"]["class_name"] == "DTypePolicy"
    again = dtype_policies.get(config)
    assert isinstance(again, DTypePolicyMap) and again == policy_map
    assert again["block/dense"].name == "float16" and again["other"].name == "float32"


def test_a_model_config_that_stores_its_layers_policies():
    # KerasHub's Backbone.get_config: a map of its layers' policies as its `dtype`.
    inputs = cornu.Input((3,))
    model = cornu.Model(inputs, layers.Dense(2, name="head")(inputs))
    policy_map = DTypePolicyMap()
    for layer in model.layers:
        policy_map[layer.name] = layer.dtype_policy
    assert sorted(policy_map) == sorted(layer.name for layer in model.layers)
    dense = layers.Dense(2, dtype=dtype_policies.get(dtype_policies.serialize(policy_map)))
    assert isinstance(dense.dtype_policy, DTypePolicyMap)
    assert dense.compute_dtype == "float32"
    out = dense(np.ones((1, 3), "float32"))
    assert cornu.backend.standardize_dtype(out.dtype) == "float32"
    restored = layers.Dense.from_config(dense.get_config())
    assert restored.dtype_policy == dense.dtype_policy


def test_matches_keras():
    keras = pytest.importorskip("keras")
    if getattr(keras, "__name__", "") != "keras" or not hasattr(keras, "dtype_policies"):
        pytest.skip("no real Keras")
    theirs = keras.dtype_policies.DTypePolicyMap("float32")
    ours = DTypePolicyMap("float32")
    for m in (theirs, ours):
        m["a/.*"] = "float16"
        m["a/b"] = "bfloat16"
    for path in ("a/b", "a/c", "z"):
        assert ours[path].name == theirs[path].name
    assert ours.name == theirs.name
    assert dtype_policies.serialize(ours)["config"] == \
        keras.dtype_policies.serialize(theirs)["config"]
