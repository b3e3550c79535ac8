"""Losses align targets and predictions whose ranks differ by one trailing axis of 1.

Labels ``(N,)`` against a ``(N, 1)`` sigmoid output (and ``(N, 1)`` against
``(N,)``) give the values of the aligned ``(N, 1)`` pair, as Keras 3's
``LossFunctionWrapper`` computes them, for the loss functions, the loss classes
and the loss ``compile`` builds.  numpy formulas always run; Keras 3 is compared
where it is installed (the ``keras`` fixture skips otherwise).
"""
import warnings

import numpy as np
import pytest

import cornu
from cornu import losses

EPS = 1e-7
N = 6


# -- numpy references on aligned (N, 1) pairs: one value per sample ----------------------
def _clip(p):
    return np.clip(p, EPS, 1 - EPS)


def _np_bce(t, p):
    p = _clip(p)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def _np_bfce(t, p, gamma=2.0):
    pt = t * p + (1 - t) * (1 - p)
    bce = -(t * np.log(_clip(p)) + (1 - t) * np.log(1 - _clip(p)))
    return (np.power(1 - pt, gamma) * bce).mean(-1)


def _hinge_labels(t):
    return 2.0 * t - 1.0 if np.all((t == 0) | (t == 1)) else t


def _np_cce(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def _np_cfce(t, p, alpha=0.25, gamma=2.0):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * np.power(1 - p, gamma) * -t * np.log(p)).sum(-1)


def _np_huber(t, p, delta=1.0):
    err = np.abs(p - t)
    return np.where(err <= delta, 0.5 * err ** 2, delta * err - 0.5 * delta ** 2).mean(-1)


def _np_cosine(t, p):
    def l2n(x):
        return x / np.sqrt(np.maximum((x * x).sum(-1, keepdims=True), EPS ** 2))

    return -(l2n(t) * l2n(p)).sum(-1)


def _np_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return (t * np.log(t / p)).sum(-1)


def _np_dice(t, p):
    return 1 - 2 * (t * p).sum() / (t.sum() + p.sum() + EPS)


def _np_tversky(t, p, alpha=0.5, beta=0.5):
    tp = (t * p).sum()
    fp = ((1 - p) * t).sum()
    fn = (p * (1 - t)).sum()
    return 1 - tp / (tp + alpha * fp + beta * fn + EPS)


#: (cornu function name, Keras class name, data kind, numpy reference on (N, 1) pairs)
CASES = [
    ("mean_squared_error", "MeanSquaredError", "real", lambda t, p: ((t - p) ** 2).mean(-1)),
    ("mean_absolute_error", "MeanAbsoluteError", "real", lambda t, p: np.abs(t - p).mean(-1)),
    ("mean_absolute_percentage_error", "MeanAbsolutePercentageError", "positive",
     lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    ("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError", "positive",
     lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2
                   ).mean(-1)),
    ("cosine_similarity", "CosineSimilarity", "real", _np_cosine),
    ("huber", "Huber", "real", _np_huber),
    ("log_cosh", "LogCosh", "real", lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    ("kl_divergence", "KLDivergence", "probability", _np_kld),
    ("poisson", "Poisson", "positive", lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    ("binary_crossentropy", "BinaryCrossentropy", "binary", _np_bce),
    ("binary_focal_crossentropy", "BinaryFocalCrossentropy", "binary", _np_bfce),
    ("hinge", "Hinge", "hinge",
     lambda t, p: np.maximum(1 - _hinge_labels(t) * p, 0).mean(-1)),
    ("squared_hinge", "SquaredHinge", "hinge",
     lambda t, p: (np.maximum(1 - _hinge_labels(t) * p, 0) ** 2).mean(-1)),
    ("categorical_hinge", "CategoricalHinge", "hinge",
     lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    ("categorical_crossentropy", "CategoricalCrossentropy", "binary", _np_cce),
    ("categorical_focal_crossentropy", "CategoricalFocalCrossentropy", "binary", _np_cfce),
    ("dice", "Dice", "binary", _np_dice),
    ("tversky", "Tversky", "binary", _np_tversky),
]
IDS = [c[0] for c in CASES]
#: The pairs of shapes that differ by a trailing axis of size 1.
LAYOUTS = {"labels_N_pred_N1": (True, False), "labels_N1_pred_N": (False, True)}


def _pair(kind, rng):
    """(y_true, y_pred), both (N, 1) float32."""
    shape = (N, 1)
    if kind == "real":
        return rng.normal(size=shape), rng.normal(size=shape)
    if kind == "positive":
        return rng.uniform(0.1, 2.0, size=shape), rng.uniform(0.1, 2.0, size=shape)
    if kind == "probability":
        return rng.uniform(0.05, 0.95, size=shape), rng.uniform(0.05, 0.95, size=shape)
    if kind == "hinge":
        return rng.integers(0, 2, size=shape), rng.normal(size=shape)
    if kind == "binary":
        return rng.integers(0, 2, size=shape), rng.uniform(0.05, 0.95, size=shape)
    raise ValueError(kind)


def _as_layout(t, p, layout):
    flat_true, flat_pred = LAYOUTS[layout]
    return (t[:, 0] if flat_true else t), (p[:, 0] if flat_pred else p)


def _np(x):
    return np.asarray(cornu.ops.convert_to_numpy(x), dtype=np.float64)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():  # single-class categorical losses warn, as in Keras
        warnings.simplefilter("ignore", SyntaxWarning)
        return fn(*args, **kwargs)


@pytest.fixture
def case_data(rng):
    def make(kind):
        t, p = _pair(kind, rng)
        return t.astype("float32"), p.astype("float32")

    return make


# -- the functions and the classes -------------------------------------------------------
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name,class_name,kind,reference", CASES, ids=IDS)
def test_function_aligns_like_the_aligned_pair(name, class_name, kind, reference, layout,
                                               case_data):
    t, p = case_data(kind)
    fn = getattr(losses, name)
    expected = reference(t.astype(np.float64), p.astype(np.float64))
    yt, yp = _as_layout(t, p, layout)
    got = _np(_quiet(fn, yt, yp))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, _np(_quiet(fn, t, p)), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name,class_name,kind,reference", CASES, ids=IDS)
def test_class_aligns_with_reductions_and_weights(name, class_name, kind, reference, layout,
                                                  case_data, rng):
    t, p = case_data(kind)
    expected = reference(t.astype(np.float64), p.astype(np.float64))
    yt, yp = _as_layout(t, p, layout)
    cls = getattr(losses, class_name)
    per_sample = _np(_quiet(cls(reduction="none"), yt, yp))
    np.testing.assert_allclose(per_sample, expected, rtol=1e-5, atol=1e-6)
    if np.ndim(expected) == 0:  # dice, tversky reduce every axis already
        return
    sw = rng.uniform(0.5, 2.0, size=(N,)).astype("float32")
    got = _np(_quiet(cls(), yt, yp, sample_weight=sw))
    np.testing.assert_allclose(got, (expected * sw).mean(), rtol=1e-5, atol=1e-6)


def test_sparse_categorical_labels_n1_and_n(rng):
    probs = rng.dirichlet(np.ones(4), size=N).astype("float32")
    labels = rng.integers(0, 4, size=(N,))
    expected = -np.log(np.clip(probs[np.arange(N), labels], EPS, 1 - EPS))
    for y in (labels, labels[:, None]):
        np.testing.assert_allclose(
            _np(losses.sparse_categorical_crossentropy(y, probs)), expected, rtol=1e-5)
        np.testing.assert_allclose(
            _np(losses.SparseCategoricalCrossentropy(reduction="none")(y, probs)), expected,
            rtol=1e-5)


def test_align_ranks_is_free_when_ranks_agree():
    from cornu.engine.compile_utils import align_ranks
    from cornu.losses import squeeze_or_expand_to_same_rank

    a = cornu.ops.ones((4, 1))
    b = cornu.ops.zeros((4, 1))
    for align in (align_ranks, squeeze_or_expand_to_same_rank):
        x, y = align(a, b)
        assert x is a and y is b  # no op ran: the same tensors come back
        x, y = align(cornu.ops.ones((4,)), b)
        assert tuple(x.shape) == (4, 1) and y is b
        x, y = align(a, cornu.ops.ones((4,)))
        assert x is a and tuple(y.shape) == (4, 1)
        x, y = align(cornu.ops.ones((4, 3, 1)), cornu.ops.ones((4, 3)))
        assert tuple(x.shape) == (4, 3)
        x, y = align(cornu.ops.ones((4,)), cornu.ops.ones((4, 3)))  # sparse labels: untouched
        assert tuple(x.shape) == (4,) and tuple(y.shape) == (4, 3)


# -- against Keras 3 ------------------------------------------------------------------
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name,class_name,kind,reference", CASES, ids=IDS)
def test_against_keras(name, class_name, kind, reference, layout, case_data, keras):
    t, p = case_data(kind)
    yt, yp = _as_layout(t, p, layout)
    keras_cls = getattr(keras.losses, class_name)
    keras_values = keras.ops.convert_to_numpy(
        _quiet(keras_cls(reduction=None), yt, yp)).astype(np.float64)
    keras_mean = float(keras.ops.convert_to_numpy(_quiet(keras_cls(), yt, yp)))
    cornu_cls = getattr(losses, class_name)
    np.testing.assert_allclose(_np(_quiet(cornu_cls(reduction=None), yt, yp)), keras_values,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(_np(_quiet(cornu_cls(), yt, yp))), keras_mean,
                               rtol=1e-5, atol=1e-6)
    # cornu's functions align as Keras's classes do (some bare Keras functions raise
    # or broadcast to (N, N) here instead).
    np.testing.assert_allclose(_np(_quiet(getattr(losses, name), yt, yp)), keras_values,
                               rtol=1e-5, atol=1e-6)


def test_sparse_categorical_against_keras(rng, keras):
    logits = rng.normal(size=(N, 4)).astype("float32")
    labels = rng.integers(0, 4, size=(N, 1))
    for y in (labels, labels[:, 0]):
        k = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
        c = losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
        np.testing.assert_allclose(_np(c(y, logits)), keras.ops.convert_to_numpy(k(y, logits)),
                                   rtol=1e-5)
