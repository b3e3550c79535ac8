"""The tiny model and data the trainer, saving and capability checks share."""
import numpy as np

import cornu

LR = 0.1


def data(n=8):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, 3)).astype("float32")
    y = rng.standard_normal((n, 2)).astype("float32")
    return x, y


def weights():
    rng = np.random.default_rng(6)
    return [rng.standard_normal((3, 2)).astype("float32"),
            rng.standard_normal((2,)).astype("float32")]


def dense_model(**compile_kwargs):
    """``Sequential([Input((3,)), Dense(2)])`` with known weights, SGD and MSE."""
    model = cornu.Sequential([cornu.Input((3,)), cornu.layers.Dense(2, name="dense")],
                             name="conformance")
    model.set_weights(weights())
    model.compile(optimizer=cornu.optimizers.SGD(learning_rate=LR), loss="mse",
                  **compile_kwargs)
    return model


def mse(w, b, x, y):
    return float(np.mean((x @ w + b - y) ** 2))


def sgd_steps(w, b, x, y, batch_size):
    """Plain SGD on the MSE over batches of ``batch_size``, in order: the reference
    ``fit(shuffle=False)`` must reproduce; returns the weights and batch losses."""
    w, b = w.astype("float64"), b.astype("float64")
    losses = []
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        err = xb @ w + b - yb
        losses.append(float(np.mean(err ** 2)))
        grad = 2 * err / err.size
        w, b = w - LR * xb.T @ grad, b - LR * grad.sum(0)
    return w, b, losses
