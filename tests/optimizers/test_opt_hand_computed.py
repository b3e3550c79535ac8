"""SGD and Adam against the update rules written out in numpy (float64)."""
import numpy as np
import pytest

from cornu import optimizers


def _run(h, opt, init_arrays, grad_steps):
    variables = h.variables(init_arrays)
    for grads in grad_steps:
        opt.apply_gradients(zip([h.native(g) for g in grads], variables))
    return [v.numpy() for v in variables]


def test_sgd_plain(h, init_arrays, grad_steps):
    got = _run(h, optimizers.SGD(learning_rate=0.1), init_arrays, grad_steps)
    for k, w in enumerate(init_arrays):
        expected = w.astype("float64")
        for grads in grad_steps:
            expected = expected - 0.1 * grads[k]
        np.testing.assert_allclose(got[k], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum(h, init_arrays, grad_steps, nesterov):
    lr, mom = 0.05, 0.9
    got = _run(h, optimizers.SGD(learning_rate=lr, momentum=mom, nesterov=nesterov),
               init_arrays, grad_steps)
    for k, w in enumerate(init_arrays):
        w = w.astype("float64")
        m = np.zeros_like(w)
        for grads in grad_steps:
            g = grads[k]
            m = mom * m - lr * g
            w = w + (mom * m - lr * g if nesterov else m)
        np.testing.assert_allclose(got[k], w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam(h, init_arrays, grad_steps, amsgrad):
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-7
    opt = optimizers.Adam(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps, amsgrad=amsgrad)
    got = _run(h, opt, init_arrays, grad_steps)
    for k, w in enumerate(init_arrays):
        w = w.astype("float64")
        m = np.zeros_like(w)
        v = np.zeros_like(w)
        v_hat = np.zeros_like(w)
        for t, grads in enumerate(grad_steps, start=1):
            g = grads[k]
            m = m + (g - m) * (1 - b1)
            v = v + (g * g - v) * (1 - b2)
            alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            v_hat = np.maximum(v_hat, v)
            w = w - alpha * m / (np.sqrt(v_hat if amsgrad else v) + eps)
        np.testing.assert_allclose(got[k], w, rtol=1e-5, atol=1e-6)
    assert int(h.to_np(opt.iterations)) == len(grad_steps)
    slots = [h.to_np(v) for v in opt.variables[2:]]
    assert len(slots) == (6 if amsgrad else 4)


def test_none_gradient_is_skipped_with_warning(h, init_arrays):
    variables = h.variables(init_arrays)
    opt = optimizers.SGD(learning_rate=1.0)
    with pytest.warns(UserWarning, match="dense/bias"):
        opt.apply([h.native(np.ones((3, 4))), None], variables)
    np.testing.assert_allclose(variables[0].numpy(), init_arrays[0] - 1.0, rtol=1e-6)
    np.testing.assert_allclose(variables[1].numpy(), init_arrays[1])
    assert int(h.to_np(opt.iterations)) == 1
    with pytest.raises(ValueError, match="No gradients"):
        opt.apply([None, None], variables)


def test_numpy_gradients_are_accepted(h, init_arrays):
    variables = h.variables(init_arrays)
    opt = optimizers.SGD(learning_rate=0.5)
    opt.apply_gradients([(np.ones((3, 4), "float32"), variables[0]),
                         (np.ones((4,), "float32"), variables[1])])
    np.testing.assert_allclose(variables[0].numpy(), init_arrays[0] - 0.5, rtol=1e-6)


def test_apply_without_variables_uses_built_list(h, init_arrays):
    variables = h.variables(init_arrays)
    opt = optimizers.SGD(learning_rate=1.0)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([h.native(np.ones((3, 4))), h.native(np.ones(4))])
    opt.build(variables)
    opt.apply([h.native(np.ones((3, 4))), h.native(np.ones(4))])
    np.testing.assert_allclose(variables[1].numpy(), init_arrays[1] - 1.0, rtol=1e-6)


def test_unknown_variable_raises(h, init_arrays):
    variables = h.variables(init_arrays)
    opt = optimizers.Adam()
    opt.build(variables[:1])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([h.native(np.ones(4))], variables[1:])
