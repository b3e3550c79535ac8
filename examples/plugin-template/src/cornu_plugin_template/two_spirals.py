"""A dataset: two interleaved spirals (the classic hard binary classification task).

Generated, not downloaded: ``load_data`` is deterministic for a given ``seed``.
Class ``c`` (0 or 1) is the spiral ``r * (cos(t + c*pi), sin(t + c*pi))`` with
``r = t / (turns * 2 pi)`` for ``t`` spread evenly over ``turns`` turns.
"""
import numpy as np


def load_data(num_samples=400, turns=1.5, noise=0.0, test_split=0.25, seed=0):
    """The two-spirals data, shuffled, split into train and test.

    Args:
        num_samples: the total number of points (an even number, half per class).
        turns: how many turns each spiral makes.
        noise: the standard deviation of Gaussian noise added to the coordinates.
        test_split: the fraction of points held out as the test set.
        seed: the seed of the shuffle and of the noise.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float32 points of shape ``(n, 2)``
        and int32 labels of shape ``(n,)``.
    """
    if num_samples < 2 or num_samples % 2:
        raise ValueError(f"two_spirals: num_samples must be an even number >= 2, "
                         f"received {num_samples!r}")
    if not 0.0 <= test_split < 1.0:
        raise ValueError(f"two_spirals: test_split must be in [0, 1), received {test_split!r}")
    half = num_samples // 2
    t = np.linspace(0.0, turns * 2 * np.pi, half, endpoint=False) + np.pi / 8
    radius = t / (turns * 2 * np.pi)
    points, labels = [], []
    for label in (0, 1):
        angle = t + label * np.pi
        points.append(np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1))
        labels.append(np.full(half, label))
    x = np.concatenate(points)
    y = np.concatenate(labels)
    rng = np.random.default_rng(seed)
    if noise:
        x = x + rng.normal(0.0, noise, x.shape)
    order = rng.permutation(num_samples)
    x, y = x[order].astype("float32"), y[order].astype("int32")
    n_test = int(round(num_samples * test_split))
    split = num_samples - n_test
    return (x[:split], y[:split]), (x[split:], y[split:])
