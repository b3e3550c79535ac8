"""Dtype policies (``cornu.dtype_policies``, ``cornu.mixed_precision``) and layer autocasting."""
import numpy as np
import pytest

import cornu
from cornu import ops
from cornu.dtype_policies import policy as _policy_module

POLICIES = {  # name -> (compute dtype, variable dtype)
    "float32": ("float32", "float32"),
    "float64": ("float64", "float64"),
    "float16": ("float16", "float16"),
    "bfloat16": ("bfloat16", "bfloat16"),
    "mixed_float16": ("float16", "float32"),
    "mixed_bfloat16": ("bfloat16", "float32"),
}


@pytest.fixture(autouse=True)
def restore_global_policy():
    saved = _policy_module._global_policy
    yield
    _policy_module._global_policy = saved


class Affine(cornu.Layer):
    """``x @ kernel + bias`` plus an un-autocast float counter variable."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="ones", name="bias")
        self.total = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     autocast=False, name="total")

    def call(self, x):
        self.seen = (ops.standardize_dtype(self.kernel.value.dtype),
                     ops.standardize_dtype(self.total.value.dtype))
        return ops.add(ops.matmul(x, self.kernel), self.bias)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Wrapper(cornu.Layer):
    """An outer layer calling an inner one (policies nest as in Keras)."""

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, x):
        return self.inner(x)


def dtype_of(x):
    return ops.standardize_dtype(x.dtype)


# -- the policy objects -------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_dtypes_config_and_serialization(name):
    policy = cornu.dtype_policies.DTypePolicy(name)
    assert (policy.compute_dtype, policy.variable_dtype) == POLICIES[name]
    assert policy.name == name and policy.quantization_mode is None
    assert repr(policy) == f'<DTypePolicy "{name}">'
    assert policy.get_config() == {"name": name}
    assert cornu.dtype_policies.DTypePolicy.from_config(policy.get_config()) == policy
    record = cornu.dtype_policies.serialize(policy)
    assert record == {"module": "keras", "class_name": "DTypePolicy",
                      "config": {"name": name}, "registered_name": None}
    assert cornu.dtype_policies.deserialize(record) == policy
    assert cornu.dtype_policies.get(record) == policy
    assert cornu.dtype_policies.get(name) == policy
    assert cornu.dtype_policies.get(policy) is policy


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policies_match_keras(name):
    keras = pytest.importorskip("keras")
    theirs = keras.dtype_policies.DTypePolicy(name)
    ours = cornu.dtype_policies.DTypePolicy(name)
    assert (ours.compute_dtype, ours.variable_dtype) == (theirs.compute_dtype,
                                                         theirs.variable_dtype)
    assert cornu.dtype_policies.serialize(ours) == keras.dtype_policies.serialize(theirs)
    assert repr(ours) == repr(theirs)


def test_policy_errors_equality_and_aliases():
    DTypePolicy = cornu.dtype_policies.DTypePolicy
    with pytest.raises(ValueError, match="Cannot convert 'mixed_float8'"):
        DTypePolicy("mixed_float8")
    with pytest.raises(TypeError, match="must be a string"):
        DTypePolicy(16)
    with pytest.raises(ValueError, match="Cannot interpret `dtype`"):
        cornu.dtype_policies.get(object())
    with pytest.raises(ValueError, match="unknown policy class"):
        cornu.dtype_policies.deserialize({"class_name": "Nope", "config": {}})
    assert DTypePolicy("float16") != DTypePolicy("mixed_float16")
    assert DTypePolicy("float32") != "float32"
    assert cornu.dtype_policies.FloatDTypePolicy("float64") == DTypePolicy("float64")
    assert cornu.DTypePolicy is DTypePolicy and cornu.FloatDTypePolicy is not None
    assert cornu.dtype_policies.get(np.float64) == DTypePolicy("float64")
    # tf.keras 2 files call the class "Policy".
    legacy = {"class_name": "Policy", "config": {"name": "mixed_float16"}}
    assert cornu.dtype_policies.get(legacy) == DTypePolicy("mixed_float16")
    assert cornu.mixed_precision.Policy is DTypePolicy
    assert cornu.mixed_precision.DTypePolicy is DTypePolicy


def test_global_policy_and_its_aliases():
    assert cornu.config.dtype_policy() == cornu.dtype_policies.DTypePolicy("float32")
    assert cornu.dtype_policies.get(None) is cornu.config.dtype_policy()
    cornu.config.set_dtype_policy("mixed_bfloat16")
    assert cornu.config.dtype_policy().name == "mixed_bfloat16"
    assert cornu.mixed_precision.global_policy() is cornu.config.dtype_policy()
    assert cornu.mixed_precision.dtype_policy() is cornu.config.dtype_policy()
    assert cornu.dtype_policies.DTypePolicy().name == "mixed_bfloat16"  # name=None: global
    layer = Affine()
    assert layer.dtype_policy.name == "mixed_bfloat16"
    assert Affine(dtype="float64").dtype_policy.name == "float64"  # per-layer override
    cornu.mixed_precision.set_global_policy(cornu.dtype_policies.DTypePolicy("float16"))
    assert cornu.config.dtype_policy().name == "float16"
    with pytest.raises(ValueError, match="set_dtype_policy"):
        cornu.config.set_dtype_policy(3)
    cornu.config.set_dtype_policy("float32")
    assert Affine().compute_dtype == "float32"


def test_default_policy_follows_floatx():
    cornu.config.set_floatx("float64")
    try:
        assert cornu.config.dtype_policy().name == "float64"
        assert Affine().dtype == "float64"
    finally:
        cornu.config.set_floatx("float32")
    assert cornu.config.dtype_policy().name == "float32"


# -- layers under a policy ----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(POLICIES))
def test_layer_weights_inputs_and_outputs_follow_the_policy(name):
    compute, variable = POLICIES[name]
    layer = Affine(dtype=name)
    assert layer.dtype_policy == cornu.dtype_policies.DTypePolicy(name)
    assert (layer.compute_dtype, layer.variable_dtype, layer.dtype) == (
        compute, variable, variable)
    x = np.arange(6, dtype="float64").reshape(2, 3) / 4
    y = layer(x)
    assert dtype_of(y) == compute
    assert layer.kernel.dtype == variable and dtype_of(layer.kernel.value) == variable
    assert layer.total.dtype == variable
    # Inside call the kernel reads in the compute dtype; autocast=False variables don't.
    assert layer.seen == (compute, variable)
    kernel = layer.kernel.numpy().astype("float64")
    expected = x @ kernel + 1.0
    tol = {"float16": 1e-2, "bfloat16": 5e-2}.get(compute, 1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(ops.cast(y, "float32")), expected,
                               rtol=tol, atol=tol)


def test_floating_tensor_inputs_are_cast_and_others_left_alone():
    layer = Affine(dtype="mixed_float16")
    for dtype in ("float32", "float64", "float16", "float32"):  # the cache keys on dtype
        y = layer(ops.ones((2, 3), dtype=dtype))
        assert dtype_of(y) == "float16"
    # A float32 layer casts float16 outputs of a mixed layer back up (Keras's output layer
    # pattern), and float64 tensors down.
    head = Affine(dtype="float32")
    assert dtype_of(head(ops.ones((2, 2), dtype="float16"))) == "float32"
    assert dtype_of(head(ops.ones((2, 2), dtype="float64"))) == "float32"
    assert dtype_of(head(ops.ones((2, 2), dtype="float32"))) == "float32"

    class Passthrough(cornu.Layer):
        def call(self, x, scale=None):
            return x if scale is None else (x, scale)

    mixed = Passthrough(dtype="mixed_bfloat16")
    assert dtype_of(mixed(ops.ones((2,), dtype="int32"))) == "int32"
    assert dtype_of(mixed(ops.ones((2,), dtype="bool"))) == "bool"
    assert dtype_of(mixed(np.ones((2,), "float64"))) == "bfloat16"
    assert mixed(np.ones((2,), "int64")).dtype == np.int64  # numpy ints stay as they are
    x, scale = mixed(ops.ones((2,), dtype="int32"), scale=ops.ones((), dtype="float32"))
    assert dtype_of(x) == "int32" and dtype_of(scale) == "bfloat16"
    # autocast=False: floating inputs keep their dtype.
    raw = Passthrough(dtype="mixed_float16", autocast=False)
    assert dtype_of(raw(ops.ones((2,), dtype="float64"))) == "float64"
    raw.autocast = True
    assert dtype_of(raw(ops.ones((2,), dtype="float64"))) == "float16"
    # Layers whose inputs are not numbers opt out, as in Keras.
    opted_out = Passthrough(dtype="mixed_float16")
    opted_out._convert_input_args = False
    assert dtype_of(opted_out(ops.ones((2,), dtype="float32"))) == "float32"


def test_masks_survive_the_input_cast():
    class Masked(cornu.Layer):
        supports_masking = True

        def call(self, x, mask=None):
            self.mask = mask
            return x

    layer = Masked(dtype="mixed_float16")
    x = ops.ones((2, 3), dtype="float32")
    cornu.layer.set_keras_mask(x, ops.convert_to_tensor(np.array([[True, False, True]] * 2)))
    y = layer(x)
    assert dtype_of(y) == "float16"
    np.testing.assert_array_equal(ops.convert_to_numpy(layer.mask), [[True, False, True]] * 2)


def test_nested_layers_autocast_scopes():
    # A float32 layer inside a mixed one reads its variables in float32 (its own compute
    # dtype); a mixed layer inside a float32 one reads them in float16.
    inner = Affine(dtype="float32")
    outer = Wrapper(inner, dtype="mixed_float16")
    y = outer(np.ones((2, 3), "float32"))
    assert inner.seen == ("float32", "float32") and dtype_of(y) == "float32"
    inner = Affine(dtype="mixed_float16")
    outer = Wrapper(inner, dtype="float32")
    y = outer(np.ones((2, 3), "float32"))
    assert inner.seen == ("float16", "float32") and dtype_of(y) == "float16"
    # An inner layer with autocast=False inside a mixed scope reads raw variables.
    inner = Affine(dtype="float32", autocast=False)
    outer = Wrapper(inner, dtype="mixed_bfloat16")
    outer(np.ones((2, 3), "float32"))
    assert inner.seen == ("float32", "float32")
    # Outside any call, variables read in their own dtype.
    assert dtype_of(inner.kernel.value) == "float32"
    assert cornu.variables.autocast_scope[0] is None


def test_dtype_policy_setter_and_config_round_trip():
    layer = Affine(units=3, dtype="mixed_bfloat16")
    config = layer.get_config()
    assert config["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                               "config": {"name": "mixed_bfloat16"}, "registered_name": None}
    clone = Affine.from_config(config)
    assert clone.dtype_policy == layer.dtype_policy and clone.units == 3
    clone = Affine(dtype=cornu.dtype_policies.DTypePolicy("float64"))
    assert clone.compute_dtype == "float64"
    clone.dtype_policy = "mixed_float16"
    assert (clone.compute_dtype, clone.variable_dtype) == ("float16", "float32")
    assert dtype_of(clone(np.ones((1, 2), "float32"))) == "float16"
    # add_weight(dtype=...) takes a dtype or a policy (its variable dtype).
    clone.extra = clone.add_weight(shape=(), dtype="mixed_float16", name="extra")
    assert clone.extra.dtype == "float32"


def test_keras_config_with_a_policy_loads():
    keras = pytest.importorskip("keras")
    theirs = keras.layers.Dense(2, dtype="mixed_float16").get_config()["dtype"]
    layer = Affine(dtype=theirs)
    assert layer.dtype_policy.name == "mixed_float16"


def test_symbolic_outputs_carry_the_compute_dtype():
    inputs = cornu.Input((3,))
    hidden = Affine(4, dtype="mixed_float16")(inputs)
    outputs = Affine(2, dtype="float32")(hidden)
    assert hidden.dtype == "float16" and outputs.dtype == "float32"
    model = cornu.Model(inputs, outputs)
    assert model.input_dtype == "float32"
    y = model(np.ones((2, 3), "float64"))
    assert dtype_of(y) == "float32"
    assert dtype_of(model.layers[1](np.ones((2, 3), "float32"))) == "float16"


def test_gradients_reach_float32_variables(backend_name):
    layer = Affine(dtype="mixed_float16")
    x = np.ones((4, 3), "float32")
    layer(x)
    if backend_name == "torch":
        loss = ops.sum(ops.cast(layer(x), "float32"))
        loss.backward()
        grads = [layer.kernel.value.grad, layer.bias.value.grad]
    else:
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = ops.sum(ops.cast(layer(x), "float32"))
        grads = tape.gradient(loss, [layer.kernel.value, layer.bias.value])
    assert [dtype_of(g) for g in grads] == ["float32", "float32"]
    np.testing.assert_allclose(ops.convert_to_numpy(grads[0]), np.full((3, 2), 4.0))
    np.testing.assert_allclose(ops.convert_to_numpy(grads[1]), np.full((2,), 4.0))
