"""cornu.losses: every loss against numpy formulas and against Keras 3's loss."""
import numpy as np
import pytest

from cornu import losses

EPS = 1e-7


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


# -- numpy references (float64), one value per sample ----------------------------------
def _hinge_labels(t):
    return 2.0 * t - 1.0 if np.all((t == 0) | (t == 1)) else t


def _l2n(x):
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), EPS ** 2))


def _log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def np_bce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        el = np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))
    else:
        p = np.clip(p, EPS, 1 - EPS)
        el = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return el.mean(-1)


def np_cce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        return -(t * _log_softmax(p)).sum(-1)
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def np_scce(t, p, from_logits=False):
    onehot = np.eye(p.shape[-1])[t.astype(int)]
    return np_cce(onehot, p, from_logits=from_logits)


def np_bfce(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
            label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = sigmoid(p)
    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return out.mean(-1)


def np_cfce(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        p = softmax(p)
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - p) ** gamma * -t * np.log(p)).sum(-1)


def np_huber(t, p, delta=1.0):
    e = p - t
    return np.where(np.abs(e) <= delta, 0.5 * e ** 2, delta * np.abs(e) - 0.5 * delta ** 2).mean(-1)


NUMPY = {
    "MeanSquaredError": lambda t, p: ((t - p) ** 2).mean(-1),
    "MeanAbsoluteError": lambda t, p: np.abs(t - p).mean(-1),
    "MeanAbsolutePercentageError":
        lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "MeanSquaredLogarithmicError":
        lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2).mean(-1),
    "Huber": np_huber,
    "LogCosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "Hinge": lambda t, p: np.maximum(1 - _hinge_labels(t) * p, 0).mean(-1),
    "SquaredHinge": lambda t, p: (np.maximum(1 - _hinge_labels(t) * p, 0) ** 2).mean(-1),
    "CategoricalHinge":
        lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
    "KLDivergence": lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1),
    "Poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "CosineSimilarity": lambda t, p: -(_l2n(t) * _l2n(p)).sum(-1),
    "BinaryCrossentropy": np_bce,
    "CategoricalCrossentropy": np_cce,
    "SparseCategoricalCrossentropy": np_scce,
    "BinaryFocalCrossentropy": np_bfce,
    "CategoricalFocalCrossentropy": np_cfce,
}

# (class name, constructor kwargs, data kind)
CASES = [
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True}, "categorical_logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "categorical_logits"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "binary_logits"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"),
    ("Hinge", {}, "hinge"),
    ("Hinge", {}, "hinge_pm1"),
    ("SquaredHinge", {}, "hinge"),
    ("SquaredHinge", {}, "hinge_pm1"),
    ("CategoricalHinge", {}, "categorical_hinge"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5,
                                 "label_smoothing": 0.1}, "binary"),
    ("BinaryFocalCrossentropy", {"from_logits": True}, "binary_logits"),
    ("CategoricalFocalCrossentropy", {}, "categorical"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "alpha": 0.5, "gamma": 1.0,
                                      "label_smoothing": 0.1}, "categorical_logits"),
]
IDS = [f"{name}-{kind}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw, kind in CASES]


def _np_reduce(values, sample_weight, reduction):
    weighted = values if sample_weight is None else values * sample_weight
    if reduction in (None, "none"):
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return weighted.sum() / sample_weight.sum()
    return weighted.sum() / weighted.size


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=IDS)
def test_loss_matches_numpy(name, kwargs, kind, data, to_np, rng):
    y_true, y_pred = data(kind)
    sample_weight = rng.uniform(0.0, 2.0, size=(y_true.shape[0],)).astype("float32")
    expected_values = NUMPY[name](y_true.astype("float64"), y_pred.astype("float64"), **kwargs)
    for reduction in REDUCTIONS:
        loss = getattr(losses, name)(reduction=reduction, **kwargs)
        for sw in (None, sample_weight):
            got = to_np(loss(y_true, y_pred, sample_weight=sw))
            want = _np_reduce(expected_values, None if sw is None else sw.astype("float64"),
                              reduction)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5,
                                       err_msg=f"{name} reduction={reduction} sw={sw is not None}")


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=IDS)
def test_loss_matches_keras(name, kwargs, kind, data, to_np, rng, keras):
    y_true, y_pred = data(kind)
    sample_weights = [None, rng.uniform(0.0, 2.0, size=(y_true.shape[0],)).astype("float32"),
                      rng.uniform(0.0, 2.0, size=(y_true.shape[0], 1)).astype("float32")]
    for reduction in REDUCTIONS:
        ours = getattr(losses, name)(reduction=reduction, **kwargs)
        ref = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        for sw in sample_weights:
            np.testing.assert_allclose(
                to_np(ours(y_true, y_pred, sample_weight=sw)),
                to_np(ref(y_true, y_pred, sample_weight=sw)),
                rtol=1e-5, atol=1e-5, err_msg=f"{name} reduction={reduction}",
            )
    # Same config as Keras for the same arguments, and a faithful round trip.
    ours = getattr(losses, name)(**kwargs)
    assert ours.get_config() == getattr(keras.losses, name)(**kwargs).get_config()
    again = type(ours).from_config(ours.get_config())
    assert again.get_config() == ours.get_config()


FUNCTIONS = [
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_logits"),
    ("categorical_crossentropy", {"label_smoothing": 0.1}, "categorical"),
    ("binary_crossentropy", {"from_logits": True}, "binary_logits"),
    ("mean_squared_error", {}, "regression"),
    ("mean_absolute_error", {}, "regression"),
    ("mean_absolute_percentage_error", {}, "regression"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("huber", {"delta": 0.7}, "regression"),
    ("log_cosh", {}, "regression"),
    ("hinge", {}, "hinge"),
    ("squared_hinge", {}, "hinge"),
    ("categorical_hinge", {}, "categorical_hinge"),
    ("kl_divergence", {}, "distribution"),
    ("poisson", {}, "positive"),
    ("cosine_similarity", {}, "regression"),
    ("binary_focal_crossentropy", {"gamma": 3.0}, "binary"),
    ("categorical_focal_crossentropy", {}, "categorical"),
    ("dice", {}, "binary"),
    ("dice", {"axis": -1}, "binary"),
    ("tversky", {"alpha": 0.3, "beta": 0.7}, "binary"),
]


@pytest.mark.parametrize("name,kwargs,kind", FUNCTIONS, ids=[f[0] + str(i) for i, f in enumerate(FUNCTIONS)])
def test_loss_function_matches_keras(name, kwargs, kind, data, to_np, keras):
    y_true, y_pred = data(kind)
    ours = getattr(losses, name)(y_true, y_pred, **kwargs)
    ref = getattr(keras.losses, name)(y_true, y_pred, **kwargs)
    np.testing.assert_allclose(to_np(ours), to_np(ref), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls,kwargs", [("Dice", {}), ("Dice", {"axis": (1,)}),
                                        ("Tversky", {"alpha": 0.2, "beta": 0.8})])
def test_segmentation_losses(cls, kwargs, data, to_np, keras):
    y_true, y_pred = data("binary")
    ours = getattr(losses, cls)(**kwargs)
    ref = getattr(keras.losses, cls)(**kwargs)
    np.testing.assert_allclose(to_np(ours(y_true, y_pred)), to_np(ref(y_true, y_pred)),
                               rtol=1e-5, atol=1e-6)
    assert ours.get_config() == ref.get_config()


def test_dice_numpy(data, to_np):
    t, p = data("binary")
    want = 1 - 2 * (t * p).sum() / (t.sum() + p.sum() + EPS)
    np.testing.assert_allclose(to_np(losses.Dice()(t, p)), want, rtol=1e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ignore_class(reduction, rng, to_np, keras_or_none):
    labels = rng.integers(0, 4, size=(8,))
    labels[[1, 4, 5]] = -1
    logits = rng.normal(size=(8, 4)).astype("float32")
    sw = rng.uniform(0.5, 1.5, size=(8,)).astype("float32")
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                                reduction=reduction)
    valid = labels != -1
    per_sample = np.where(valid, np_scce(np.where(valid, labels, 0), logits, from_logits=True), 0)
    got = to_np(loss(labels, logits))
    if reduction in ("sum_over_batch_size", "mean"):
        np.testing.assert_allclose(got, per_sample.sum() / valid.sum(), rtol=1e-5)
    elif reduction == "sum":
        np.testing.assert_allclose(got, per_sample.sum(), rtol=1e-5)
    elif reduction in (None, "none"):
        np.testing.assert_allclose(got, per_sample, rtol=1e-5, atol=1e-6)
    if keras_or_none is not None:
        ref = keras_or_none.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=-1, reduction=reduction)
        for weight in (None, sw):
            np.testing.assert_allclose(to_np(loss(labels, logits, weight)),
                                       to_np(ref(labels, logits, weight)), rtol=1e-5, atol=1e-6)


@pytest.fixture
def keras_or_none(backend):
    try:
        import keras
    except ImportError:
        return None
    return keras


def test_sparse_labels_with_trailing_axis_and_sample_weight_shapes(rng, to_np):
    labels = rng.integers(0, 3, size=(5, 1))
    probs = softmax(rng.normal(size=(5, 3))).astype("float32")
    loss = losses.SparseCategoricalCrossentropy()
    want = np_scce(labels[:, 0], probs.astype("float64")).mean()
    np.testing.assert_allclose(to_np(loss(labels, probs)), want, rtol=1e-5)
    sw = np.arange(5, dtype="float32")
    want_w = (np_scce(labels[:, 0], probs.astype("float64")) * sw).mean()
    np.testing.assert_allclose(to_np(loss(labels, probs, sw)), want_w, rtol=1e-5)
    np.testing.assert_allclose(to_np(loss(labels, probs, sw[:, None])), want_w, rtol=1e-5)


def test_regression_on_rank1_and_sequence_inputs(rng, to_np):
    y_true = rng.normal(size=(6,)).astype("float32")
    y_pred = rng.normal(size=(6, 1)).astype("float32")  # (batch,) vs (batch, 1): aligned
    np.testing.assert_allclose(to_np(losses.MeanSquaredError()(y_true, y_pred)),
                               ((y_true - y_pred[:, 0]) ** 2).mean(), rtol=1e-5)
    y_true = rng.normal(size=(2, 3, 4)).astype("float32")
    y_pred = rng.normal(size=(2, 3, 4)).astype("float32")
    sw = rng.uniform(size=(2, 3)).astype("float32")  # per time step
    per = ((y_true - y_pred) ** 2).mean(-1)
    np.testing.assert_allclose(to_np(losses.MeanSquaredError()(y_true, y_pred, sw)),
                               (per * sw).sum() / per.size, rtol=1e-5)
    np.testing.assert_allclose(to_np(losses.MeanSquaredError(reduction="none")(y_true, y_pred)),
                               per, rtol=1e-5)


def test_loss_base_and_wrapper(rng, to_np):
    class Doubled(losses.Loss):
        def call(self, y_true, y_pred):
            from cornu import ops

            return ops.multiply(ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1), 2.0)

    y_true, y_pred = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    loss = Doubled()
    assert loss.name.startswith("doubled")
    assert loss.dtype == "float32"
    np.testing.assert_allclose(to_np(loss(y_true, y_pred)), 2 * np.abs(y_true - y_pred).mean(),
                               rtol=1e-5)
    assert loss.get_config() == {"name": loss.name, "reduction": "sum_over_batch_size"}

    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", delta=0.3)
    np.testing.assert_allclose(to_np(wrapper(y_true, y_pred)),
                               np_huber(y_true, y_pred, 0.3).mean(), rtol=1e-5)
    config = wrapper.get_config()
    assert config == {"name": "h", "reduction": "sum_over_batch_size", "delta": 0.3,
                      "fn": {"module": "builtins", "class_name": "function",
                             "config": "huber", "registered_name": "function"}}
    again = losses.LossFunctionWrapper.from_config(config)
    assert again.fn is losses.huber and again.get_config() == config

    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(NotImplementedError):
        losses.Loss()(y_true, y_pred)


def test_get_serialize_deserialize():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("bce") is losses.binary_crossentropy
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert losses.get(None) is None
    huber = losses.Huber(delta=2.0, name="hh")
    assert losses.get(huber) is huber
    config = losses.serialize(losses.BinaryCrossentropy(from_logits=True, name="b"))
    assert config == {
        "module": "keras.losses", "class_name": "BinaryCrossentropy",
        "config": {"name": "b", "reduction": "sum_over_batch_size", "from_logits": True,
                   "label_smoothing": 0.0, "axis": -1},
        "registered_name": None,
    }
    back = losses.deserialize(config)
    assert isinstance(back, losses.BinaryCrossentropy) and back.from_logits is True
    assert losses.get(config).get_config() == back.get_config()
    fn_config = losses.serialize(losses.sparse_categorical_crossentropy)
    assert fn_config["config"] == "sparse_categorical_crossentropy"
    assert losses.deserialize(fn_config) is losses.sparse_categorical_crossentropy
    with pytest.raises(ValueError, match="Unknown loss"):
        losses.get("not_a_loss")


def test_core_compile_resolves_our_losses(rng, to_np):
    from cornu.engine.compile_utils import resolve_loss

    fn_loss = resolve_loss("sparse_categorical_crossentropy")
    assert getattr(fn_loss, "fn", None) is losses.sparse_categorical_crossentropy
    cls_loss = resolve_loss("SparseCategoricalCrossentropy")
    assert isinstance(cls_loss, losses.SparseCategoricalCrossentropy)
    labels = rng.integers(0, 3, size=(5,))
    probs = softmax(rng.normal(size=(5, 3))).astype("float32")
    np.testing.assert_allclose(to_np(fn_loss(labels, probs)), to_np(cls_loss(labels, probs)),
                               rtol=1e-6)
    assert isinstance(resolve_loss("huber"), object)
    assert resolve_loss("mse").fn is losses.mean_squared_error


def test_keras_default_names_and_signatures(keras):
    import inspect

    for name, _, _ in CASES:
        ours, ref = getattr(losses, name), getattr(keras.losses, name)
        assert list(inspect.signature(ours.__init__).parameters) == \
            list(inspect.signature(ref.__init__).parameters), name
        assert ours().name == ref().name


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_masked_predictions(reduction, rng, to_np, keras_or_none):
    """A ``_keras_mask`` on ``y_pred`` (set by masking layers) drops samples, as in Keras."""
    from cornu import ops

    y_true = rng.normal(size=(6, 3)).astype("float32")
    y_pred = rng.normal(size=(6, 3)).astype("float32")
    mask = np.array([1, 0, 1, 1, 0, 1], dtype=bool)
    sw = np.arange(6, dtype="float32")
    masked = ops.convert_to_tensor(y_pred)
    masked._keras_mask = ops.convert_to_tensor(mask)
    loss = losses.MeanSquaredError(reduction=reduction)
    per = ((y_true - y_pred) ** 2).mean(-1)
    got = to_np(loss(y_true, masked))
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        np.testing.assert_allclose(got, per[mask].mean(), rtol=1e-5)
    elif reduction == "sum":
        np.testing.assert_allclose(got, per[mask].sum(), rtol=1e-5)
    else:
        np.testing.assert_allclose(got, np.where(mask, per, 0.0), rtol=1e-5)
    if keras_or_none is not None:
        keras = keras_or_none
        ref_pred = keras.ops.convert_to_tensor(y_pred)
        keras.src.backend.set_keras_mask(ref_pred, keras.ops.convert_to_tensor(mask))
        ref = keras.losses.MeanSquaredError(reduction=reduction)
        np.testing.assert_allclose(to_np(loss(y_true, masked, sw)),
                                   to_np(ref(y_true, ref_pred, sw)), rtol=1e-5, atol=1e-6)
