"""model.compile(optimizer=MultiOptimizer(...)) + fit: each layer moves as its optimizer alone."""
import numpy as np

import cornu
from cornu import optimizers
from cornu.optimizers import MultiOptimizer, OptimizerMap


def _data(n=32):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1))).astype("float32")
    return x, y


def _model():
    return cornu.Sequential([cornu.Input((5,)), cornu.layers.Dense(8, activation="tanh",
                                                                   name="first"),
                             cornu.layers.Dense(1, name="second")])


def test_first_layer_adam_rest_sgd_matches_single_optimizer_references():
    x, y = _data()
    cornu.utils.set_random_seed(0)
    model = _model()
    init = [w.copy() for w in model.get_weights()]  # (torch: get_weights may share memory)
    model.compile(loss="mse", optimizer=MultiOptimizer(OptimizerMap(
        optimizers.SGD(0.05, momentum=0.9), {"first/.*": optimizers.Adam(0.01)})))
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0, shuffle=False)  # one step

    # After one step every layer's gradient was taken at the initial weights, so each
    # layer equals a model trained one step by that layer's optimizer alone.
    refs = {}
    for name, opt in (("adam", optimizers.Adam(0.01)),
                      ("sgd", optimizers.SGD(0.05, momentum=0.9))):
        ref = _model()
        ref.set_weights(init)
        ref.compile(loss="mse", optimizer=opt)
        ref.fit(x, y, batch_size=len(x), epochs=1, verbose=0, shuffle=False)
        refs[name] = ref.get_weights()
    weights = model.get_weights()
    for i in (0, 1):  # first/kernel, first/bias
        np.testing.assert_allclose(weights[i], refs["adam"][i], rtol=1e-5, atol=1e-6)
        assert not np.allclose(weights[i], init[i])
    for i in (2, 3):  # second/kernel, second/bias
        np.testing.assert_allclose(weights[i], refs["sgd"][i], rtol=1e-5, atol=1e-6)

    opt = model.optimizer
    adam, sgd = opt.optimizers
    assert [v.path for v in adam._trainable_variables] == ["first/kernel", "first/bias"]
    assert [v.path for v in sgd._trainable_variables] == ["second/kernel", "second/bias"]
    history = model.fit(x, y, batch_size=8, epochs=4, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], losses
    steps = 1 + 4 * 4
    assert int(np.asarray(cornu.ops.convert_to_numpy(opt.iterations))) == steps
    for sub in (adam, sgd):
        assert int(np.asarray(cornu.ops.convert_to_numpy(sub.iterations))) == steps


def test_hand_computed_fit_and_unused_default():
    """Keras's own example: ones kernels, x = 1, y = 0, mse, one step."""
    optimizer = MultiOptimizer(OptimizerMap(
        default_optimizer=optimizers.SGD(0.1),
        optimizer_map={".*dense_1/.*": optimizers.SGD(1e-3),
                       ".*dense_2/.*": optimizers.SGD(1e-2)}))
    model = cornu.Sequential([
        cornu.Input((1,)),
        cornu.layers.Dense(2, kernel_initializer="ones", use_bias=False, name="dense_1"),
        cornu.layers.Dense(1, kernel_initializer="ones", use_bias=False, name="dense_2")])
    model.compile(loss="mse", optimizer=optimizer)
    model.fit(np.ones((1, 1), "float32"), np.zeros((1, 1), "float32"), batch_size=1, verbose=0)
    # prediction 2, dloss/dpred = 4: kernel grads are 4 (dense_1) and 4 (dense_2).
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), [[0.996, 0.996]], rtol=1e-6)
    np.testing.assert_allclose(model.layers[1].kernel.numpy(), [[0.96], [0.96]], rtol=1e-6)
    its = [int(np.asarray(cornu.ops.convert_to_numpy(o.iterations)))
           for o in (optimizer, *optimizer.optimizers)]
    assert its == [1, 1, 1, 0]  # the default optimizer owns no variable


def test_callbacks_and_save_load_with_multi_optimizer(tmp_path):
    x, y = _data()
    cornu.utils.set_random_seed(1)
    model = _model()
    adam, sgd = optimizers.Adam(0.01), optimizers.SGD(0.04)
    model.compile(loss="mse", optimizer=MultiOptimizer(OptimizerMap(sgd, {"first/.*": adam})))
    # LearningRateScheduler sets each sub-optimizer's own learning rate.
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False,
              callbacks=[cornu.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)])
    np.testing.assert_allclose(float(cornu.ops.convert_to_numpy(adam.learning_rate)), 0.0025)
    np.testing.assert_allclose(float(cornu.ops.convert_to_numpy(sgd.learning_rate)), 0.01)

    path = str(tmp_path / "multi.keras")
    model.save(path)
    loaded = cornu.saving.load_model(path)
    opt = loaded.optimizer
    assert isinstance(opt, MultiOptimizer)
    assert [type(o).__name__ for o in opt.optimizers] == ["Adam", "SGD"]
    assert len(opt.variables) == len(model.optimizer.variables)
    for a, b in zip(opt.variables, model.optimizer.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    # Training goes on from the restored state exactly as the original does.
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
