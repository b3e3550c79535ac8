"""cornu models as TensorFlow objects (on the tensorflow backend): cornu variables are
resource variables for ``tf.GradientTape`` (eagerly and in a ``tf.function``), models are
trackables for ``tf.train.Checkpoint``, and layers that create their weights on their first
call do so inside compiled steps and symbolic traces."""
import numpy as np
import pytest
import tensorflow as tf

# The backend's own nox session installs no family; the integration sessions run these.
pytest.importorskip("cornu.layers")
pytest.importorskip("cornu.optimizers")

import cornu  # noqa: E402
from cornu import layers  # noqa: E402


@pytest.fixture
def tf_backend():
    return tf


def _mlp(lib=cornu):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="relu"),
                           lib.layers.Dense(1)])


def _data(rng, n=16):
    x = rng.standard_normal((n, 3)).astype("float32")
    y = rng.standard_normal((n, 1)).astype("float32")
    return x, y


class _LazyBlock(cornu.Layer):
    """Creates a sublayer and a weight on its first call (inside whatever traces it)."""

    def call(self, x):
        if not hasattr(self, "inner"):
            self.inner = layers.Dense(3, name="inner")
            self.scale = self.add_weight(shape=(3,), initializer="random_normal",
                                         name="scale")
        return self.inner(x) * self.scale


class _Blocks(cornu.Model):
    def __init__(self):
        self.scale = 2.0  # an attribute before super().__init__(), as Keras allows
        super().__init__()
        self.first = layers.Dense(4, activation="relu")
        self.blocks = [layers.Dense(4), layers.Dense(4)]
        self.alias = self.first  # the same layer twice: registered once
        self.head = layers.Dense(1)

    def call(self, x):
        x = self.alias(self.first(x))
        for block in self.blocks:
            x = block(x)
        return self.head(x) * self.scale


# -- tensorflow --------------------------------------------------------------------------
def _linear_data(rng, n=16):
    x = rng.standard_normal((n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3).astype("float32")
    return x, y


def _numpy_sgd(w, b, x, y, lr, steps):
    """Plain SGD on the mean squared error of ``x @ w + b``, by hand."""
    w, b = w.astype("float64"), b.astype("float64")
    for _ in range(steps):
        err = x @ w + b - y
        w = w - lr * 2.0 * x.T @ err / err.size
        b = b - lr * 2.0 * err.sum(axis=0) / err.size
    return w, b


@pytest.mark.parametrize("update", ["optimizer", "assign_sub"])
def test_gradient_tape_loop_matches_numpy(tf_backend, rng, update):
    tf = tf_backend
    x, y = _linear_data(rng)
    model = cornu.Sequential([cornu.Input((3,)), layers.Dense(1)])
    w0, b0 = model.get_weights()
    optimizer = cornu.optimizers.SGD(learning_rate=0.1)
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        assert all(g is not None for g in grads)
        if update == "optimizer":
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        else:
            for variable, grad in zip(model.trainable_variables, grads):
                variable.assign_sub(0.1 * grad)
    w, b = _numpy_sgd(w0, b0, x, y, lr=0.1, steps=5)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-5, atol=1e-6)


def test_gradient_tape_adam_matches_keras(tf_backend, rng):
    tf = tf_backend
    keras = pytest.importorskip("keras")
    x, y = _data(rng)
    model, kmodel = _mlp(), _mlp(keras)
    kmodel.set_weights(model.get_weights())
    for net, optimizer in ((model, cornu.optimizers.Adam(0.05)),
                           (kmodel, keras.optimizers.Adam(0.05))):
        for _ in range(4):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(net(x) - y))
            grads = tape.gradient(loss, net.trainable_variables)
            optimizer.apply_gradients(zip(grads, net.trainable_variables))
    for got, want in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_gradient_tape_inside_tf_function(tf_backend, rng):
    tf = tf_backend
    x, y = _linear_data(rng)
    model = cornu.Sequential([cornu.Input((3,)), layers.Dense(1)])
    w0, b0 = model.get_weights()

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        variables = model.trainable_variables
        grads = tape.gradient(loss, variables)
        for variable, grad in zip(variables, grads):
            variable.assign_sub(0.1 * grad)
        return loss

    losses = [float(step(x, y)) for _ in range(5)]
    assert losses == sorted(losses, reverse=True)
    w, b = _numpy_sgd(w0, b0, x, y, lr=0.1, steps=5)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-5, atol=1e-6)


def test_variables_act_as_tensors(tf_backend):
    tf = tf_backend
    variable = cornu.Variable(np.array([1.0, 2.0], "float32"), name="v")
    assert tf.reduce_sum(variable).numpy() == 3.0
    np.testing.assert_array_equal(tf.convert_to_tensor(variable).numpy(), [1.0, 2.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(variable))
    np.testing.assert_allclose(tape.gradient(loss, variable).numpy(), [2.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(variable.value)  # the native tf.Variable, e.g. for a frozen variable
        loss = tf.reduce_sum(variable * 3.0)
    np.testing.assert_allclose(tape.gradient(loss, variable).numpy(), [3.0, 3.0])


def _trained_mlp(rng):
    x, y = _data(rng)
    model = cornu.Sequential([cornu.Input((3,)), layers.Dense(4, activation="relu"),
                              layers.BatchNormalization(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model, x


def test_checkpoint_round_trip_into_a_fresh_model(tf_backend, rng, tmp_path):
    tf = tf_backend
    model, x = _trained_mlp(rng)
    path = tf.train.Checkpoint(model=model).write(str(tmp_path / "ckpt"))
    fresh = cornu.Sequential([cornu.Input((3,)), layers.Dense(4, activation="relu"),
                              layers.BatchNormalization(), layers.Dense(1)])
    status = tf.train.Checkpoint(model=fresh).read(path)
    status.assert_consumed()
    for got, want in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    names = [name for name, _ in tf.train.list_variables(path)]
    assert sum(1 for n in names if n.startswith("model/")) == len(model.weights)


def test_checkpoint_restores_variables_created_after_read(tf_backend, tmp_path):
    tf = tf_backend
    model = _Blocks()
    model(np.ones((2, 4), "float32"))
    path = tf.train.Checkpoint(model=model).write(str(tmp_path / "ckpt"))
    fresh = _Blocks()
    status = tf.train.Checkpoint(model=fresh).read(path)
    fresh(np.ones((2, 4), "float32"))  # builds: the weights are restored as they appear
    status.assert_existing_objects_matched()
    for got, want in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_lazy_weights_inside_fit(tf_backend, rng):
    x, y = _data(rng)
    model = cornu.Sequential([_LazyBlock()])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, np.repeat(y, 3, axis=1), epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert len(model.weights) == 3


def test_lazy_weights_inside_tf_function(tf_backend, rng):
    tf = tf_backend
    x, _ = _data(rng)
    block = _LazyBlock()
    out = tf.function(lambda inputs: block(inputs))(x)  # the first call is a trace
    assert len(block.weights) == 3
    assert all(isinstance(v.value, tf.Variable) for v in block.weights)
    np.testing.assert_allclose(out.numpy(), block(x).numpy(), rtol=1e-6)


def test_lazy_weights_inside_a_functional_trace(tf_backend, rng):
    x, _ = _data(rng)
    inputs = cornu.Input((3,))
    model = cornu.Model(inputs, _LazyBlock()(inputs))
    assert len(model.weights) == 3
    assert model.predict(x, verbose=0).shape == (16, 3)
