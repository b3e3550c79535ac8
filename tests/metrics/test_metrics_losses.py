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


# -- CTC, Circle, CategoricalGeneralizedCrossEntropy ------------------------------------
def np_ctc(labels, logits, label_length, logit_length, blank=0):
    """Negative log-likelihood of ``labels`` by the CTC forward recursion (Graves et al.)."""
    logp = _log_softmax(logits.astype("float64"))[:logit_length]
    extended = [blank]
    for label in labels[:label_length]:
        extended += [int(label), blank]
    alpha = np.full(len(extended), -np.inf)
    alpha[0] = logp[0, blank]
    if len(extended) > 1:
        alpha[1] = logp[0, extended[1]]
    for t in range(1, len(logp)):
        previous = alpha.copy()
        for s, label in enumerate(extended):
            total = previous[s]
            if s >= 1:
                total = np.logaddexp(total, previous[s - 1])
            if s >= 2 and label != blank and label != extended[s - 2]:
                total = np.logaddexp(total, previous[s - 2])
            alpha[s] = total + logp[t, label]
    tail = alpha[-1] if len(extended) == 1 else np.logaddexp(alpha[-1], alpha[-2])
    return -tail


def np_circle(labels, emb, gamma=80.0, margin=0.4, remove_diagonal=True):
    d = np.maximum(1 - emb @ emb.T, 0.0)
    positive = labels[:, None] == labels[None, :]
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(len(labels), dtype=bool)
    a_p = np.maximum(margin + d, 0) * positive
    a_n = np.maximum(1 + margin - d, 0) * negative

    def lse(x, mask):
        out = np.full(len(x), -np.inf)
        for i in range(len(x)):
            if mask[i].any():
                out[i] = np.logaddexp.reduce(x[i][mask[i]])
        return out

    z = lse(-gamma * a_p * (margin - d), positive) + lse(gamma * a_n * (1 - margin - d), negative)
    return np.logaddexp(0.0, z)  # softplus


def np_gce(labels, probs, q=0.5):
    p = probs[np.arange(len(labels)), labels]
    return (1 - p ** q) / q


@pytest.fixture
def ctc_data(rng):
    batch, steps, classes, max_len = 4, 10, 6, 4
    labels = rng.integers(1, classes, size=(batch, max_len))
    labels[0, 2:] = 0  # padded with the blank
    labels[2, 1:] = 0
    labels[3, 1] = labels[3, 0]  # a repeated label needs a blank in between
    return labels, rng.normal(size=(batch, steps, classes)).astype("float32")


@pytest.fixture
def circle_data(rng):
    emb = rng.normal(size=(8, 5)).astype("float32")
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return np.array([0, 1, 0, 2, 1, 3, 0, 2]), emb  # label 3 has no positive: loss 0


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss(reduction, ctc_data, rng, to_np, keras_or_none):
    labels, logits = ctc_data
    per = np.array([np_ctc(lab, lg, int((lab != 0).sum()), lg.shape[0])
                    for lab, lg in zip(labels, logits)])
    sw = rng.uniform(0.5, 2.0, size=(len(labels),)).astype("float32")
    loss = losses.CTC(reduction=reduction)
    for weight in (None, sw):
        got = to_np(loss(labels, logits, weight))
        want = _np_reduce(per, None if weight is None else weight.astype("float64"), reduction)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
        if keras_or_none is not None:
            ref = keras_or_none.losses.CTC(reduction=reduction)
            np.testing.assert_allclose(got, to_np(ref(labels, logits, weight)), rtol=1e-5,
                                       atol=1e-5)
    np.testing.assert_allclose(to_np(losses.ctc(labels, logits)), per, rtol=1e-4)


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_circle_loss(kwargs, reduction, circle_data, rng, to_np, keras_or_none):
    labels, emb = circle_data
    per = np_circle(labels, emb.astype("float64"), **kwargs)
    valid = per > 0  # samples with a zero loss are masked out, as in Keras
    sw = rng.uniform(0.5, 2.0, size=(len(labels),)).astype("float32")
    loss = losses.Circle(reduction=reduction, **kwargs)
    for weight in (None, sw):
        got = to_np(loss(labels, emb, weight))
        w = np.ones_like(per) if weight is None else weight.astype("float64")
        if reduction in ("sum_over_batch_size", "mean"):  # the mean over the valid samples
            want = (per * w * valid).sum() / valid.sum()
        elif reduction == "mean_with_sample_weight":  # the mask joins the weights
            want = (per * w * valid).sum() / (w * valid).sum()
        elif reduction == "sum":
            want = (per * w * valid).sum()
        else:
            want = per * w * valid
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=str(weight))
        if keras_or_none is not None:
            ref = keras_or_none.losses.Circle(reduction=reduction, **kwargs)
            np.testing.assert_allclose(got, to_np(ref(labels, emb, weight)), rtol=1e-5,
                                       atol=1e-5)
    if kwargs.get("remove_diagonal", True):
        assert not valid.all()  # the lone label 3 has no positive pair
    # references other than the batch itself
    ref_labels, ref_emb = labels[:4], emb[:4]
    got = to_np(losses.circle(labels, emb, ref_labels=ref_labels, ref_embeddings=ref_emb,
                              remove_diagonal=False))
    assert got.shape == (8,)
    if keras_or_none is not None:
        want = keras_or_none.losses.circle(labels, emb, ref_labels=ref_labels,
                                           ref_embeddings=ref_emb, remove_diagonal=False)
        np.testing.assert_allclose(got, to_np(want), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("q", [0.5, 0.1, 0.9])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_categorical_generalized_cross_entropy(q, reduction, data, rng, to_np, keras_or_none):
    labels, probs = data("sparse")
    per = np_gce(labels, probs.astype("float64"), q)
    sw = rng.uniform(0.5, 2.0, size=(len(labels),)).astype("float32")
    loss = losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=reduction)
    for weight in (None, sw):
        got = to_np(loss(labels, probs, weight))
        want = _np_reduce(per, None if weight is None else weight.astype("float64"), reduction)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        if keras_or_none is not None:
            ref = keras_or_none.losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=reduction)
            np.testing.assert_allclose(got, to_np(ref(labels, probs, weight)), rtol=1e-5,
                                       atol=1e-6)
    # (batch, 1) labels give per-sample values too (Keras broadcasts them to (batch, batch)).
    np.testing.assert_allclose(
        to_np(losses.categorical_generalized_cross_entropy(labels[:, None], probs, q)), per,
        rtol=1e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_new_losses_with_a_mask_on_y_pred(reduction, data, circle_data, to_np, keras_or_none):
    from cornu import ops

    labels, probs = data("sparse")
    mask = np.array([1, 0, 1, 1, 0, 1], dtype=bool)
    masked = ops.convert_to_tensor(probs)
    masked._keras_mask = ops.convert_to_tensor(mask)
    per = np_gce(labels, probs.astype("float64"))
    got = to_np(losses.CategoricalGeneralizedCrossEntropy(reduction=reduction)(labels, masked))
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        np.testing.assert_allclose(got, per[mask].mean(), rtol=1e-5)
    elif reduction == "sum":
        np.testing.assert_allclose(got, per[mask].sum(), rtol=1e-5)
    else:
        np.testing.assert_allclose(got, np.where(mask, per, 0.0), rtol=1e-5)
    # Circle: the input mask and its own (loss > 0) mask combine.
    c_labels, emb = circle_data
    c_mask = np.array([1, 1, 0, 1, 1, 1, 1, 0], dtype=bool)
    c_masked = ops.convert_to_tensor(emb)
    c_masked._keras_mask = ops.convert_to_tensor(c_mask)
    c_per = np_circle(c_labels, emb.astype("float64"))
    keep = c_mask & (c_per > 0)
    got = to_np(losses.Circle(reduction=reduction)(c_labels, c_masked))
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        np.testing.assert_allclose(got, c_per[keep].mean(), rtol=1e-4)
    elif reduction == "sum":
        np.testing.assert_allclose(got, c_per[keep].sum(), rtol=1e-4)
    if keras_or_none is not None:
        keras = keras_or_none
        ref_pred = keras.ops.convert_to_tensor(probs)
        keras.src.backend.set_keras_mask(ref_pred, keras.ops.convert_to_tensor(mask))
        ref = keras.losses.CategoricalGeneralizedCrossEntropy(reduction=reduction)
        np.testing.assert_allclose(
            to_np(losses.CategoricalGeneralizedCrossEntropy(reduction=reduction)(labels, masked)),
            to_np(ref(labels, ref_pred)), rtol=1e-5, atol=1e-6)


def test_new_losses_config_names_and_registry(keras):
    import inspect

    from cornu.plugins import registry

    for name, kwargs in [("CTC", {}), ("Circle", {"gamma": 20.0, "margin": 0.3}),
                         ("CategoricalGeneralizedCrossEntropy", {"q": 0.3})]:
        ours, ref = getattr(losses, name)(**kwargs), getattr(keras.losses, name)(**kwargs)
        assert ours.get_config() == ref.get_config()
        assert ours.name == ref.name
        assert list(inspect.signature(type(ours).__init__).parameters) == \
            list(inspect.signature(type(ref).__init__).parameters)
        assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
        assert isinstance(losses.deserialize(keras.losses.serialize(ref)), type(ours))
        assert registry.get("loss", name) is type(ours)
    for fn in ("ctc", "circle", "categorical_generalized_cross_entropy"):
        assert losses.get(fn) is getattr(losses, fn)
    with pytest.raises(ValueError, match="q must be in the interval"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.0)
    with pytest.raises(ValueError, match="y_true"):
        losses.ctc(np.zeros((2,)), np.zeros((2, 3, 4), "float32"))


# -- sparse labels out of range ---------------------------------------------------------
@pytest.mark.parametrize("bad", [5, -1, 12, -100])  # (-100: torch's default ignore_index)
@pytest.mark.parametrize("from_logits", [True, False])
def test_out_of_range_sparse_label_raises(bad, from_logits, data, to_np):
    labels, probs = data("sparse_logits" if from_logits else "sparse", classes=5)
    labels[2] = bad
    pattern = (rf"sparse_categorical_crossentropy: received a label value of {bad}, outside "
               r"the valid range \[0, 5\) for 5 classes")
    with pytest.raises(ValueError, match=pattern):
        losses.SparseCategoricalCrossentropy(from_logits=from_logits)(labels, probs)
    with pytest.raises(ValueError, match=pattern):
        losses.sparse_categorical_crossentropy(labels, probs, from_logits=from_logits)
    # ignore_class takes its label out before the check
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=bad)
    assert np.isfinite(to_np(loss(labels, probs)))


def test_out_of_range_sparse_label_in_tf_function(backend_name, data):
    if backend_name != "tensorflow":
        pytest.skip("tf.function is tensorflow-only")
    import tensorflow as tf

    labels, logits = data("sparse_logits", classes=4)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    step = tf.function(lambda y, p: loss(y, p))
    step(tf.constant(labels), tf.constant(logits))
    labels[0] = 7
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"sparse_categorical_crossentropy: received a label value of\] "
                             r"\[7\] \[, outside the valid range \[0, 4\) for 4 classes"):
        step(tf.constant(labels), tf.constant(logits))
