"""slice / slice_update / scatter / scatter_update, custom_gradient, and the remaining
keras.ops names (unstack, saturate_cast, rearrange, vectorize, stft/istft, fold/unfold,
ctc_decode), against numpy references."""
import itertools

import numpy as np
import pytest

from cornu import ops


def to_np(x):
    if isinstance(x, (tuple, list)):
        return type(x)(to_np(e) for e in x)
    return np.asarray(ops.convert_to_numpy(x))


def _gradient(backend_name, fn, *xs):
    """Gradients of sum(fn(*xs)) with respect to every x."""
    if backend_name == "torch":
        import torch

        ts = [torch.tensor(x, requires_grad=True) for x in xs]
        ops.sum(fn(*ts)).backward()
        return [t.grad.numpy() for t in ts]
    import tensorflow as tf

    ts = [tf.Variable(x) for x in xs]
    with tf.GradientTape() as tape:
        y = ops.sum(fn(*ts))
    return [tf.convert_to_tensor(g).numpy() for g in tape.gradient(y, ts)]


def _numeric_gradient(fn, xs, eps=1e-6):
    grads = []
    for k, x in enumerate(xs):
        g = np.zeros_like(x)
        for i in range(x.size):
            up = [a.copy() for a in xs]
            down = [a.copy() for a in xs]
            up[k].reshape(-1)[i] += eps
            down[k].reshape(-1)[i] -= eps
            g.reshape(-1)[i] = (np.sum(to_np(fn(*up))) - np.sum(to_np(fn(*down)))) / (2 * eps)
        grads.append(g)
    return grads


# -- slice / slice_update ---------------------------------------------------------------
def test_slice_and_slice_update(compiled, rng):
    x = rng.standard_normal((4, 5, 3)).astype("float32")
    np.testing.assert_array_equal(to_np(ops.slice(x, (1, 2, 0), (2, 3, 3))), x[1:3, 2:5, 0:3])
    np.testing.assert_array_equal(to_np(ops.slice(x, (1, 0, 1), (-1, 2, -1))), x[1:, 0:2, 1:])
    run = compiled(lambda t, s: ops.slice(t, s, (2, 2, 1)))
    np.testing.assert_array_equal(to_np(run(x, np.array([2, 1, 2], "int32"))), x[2:4, 1:3, 2:3])
    u = rng.standard_normal((2, 3, 1)).astype("float32")
    expected = x.copy()
    expected[1:3, 2:5, 1:2] = u
    np.testing.assert_array_equal(to_np(ops.slice_update(x, (1, 2, 1), u)), expected)
    out = compiled(lambda t, v: ops.slice_update(t, (1, 2, 1), v))(x, u)
    np.testing.assert_array_equal(to_np(out), expected)
    assert np.all(to_np(x) == x)  # the input is not modified


def test_slice_update_gradient(backend_name, rng):
    x = rng.standard_normal((3, 4))
    u = rng.standard_normal((2, 2))

    def fn(a, b):
        return ops.slice_update(a, (1, 1), b) ** 2

    for got, want in zip(_gradient(backend_name, fn, x, u), _numeric_gradient(fn, [x, u])):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


# -- scatter / scatter_update --------------------------------------------------------------
def test_scatter_sums_duplicates(compiled):
    indices = np.array([[0, 1], [2, 0], [0, 1]], "int32")
    values = np.array([1.0, 2.0, 3.0], "float32")
    expected = np.zeros((3, 2), "float32")
    np.add.at(expected, tuple(indices.T), values)
    np.testing.assert_array_equal(to_np(ops.scatter(indices, values, (3, 2))), expected)
    # Partial indices scatter whole rows.
    rows = np.array([[1], [1]], "int32")
    slab = np.ones((2, 4), "float32")
    out = compiled(lambda i, v: ops.scatter(i, v, (3, 4)))(rows, slab)
    np.testing.assert_array_equal(to_np(out), [[0] * 4, [2] * 4, [0] * 4])


@pytest.mark.parametrize("reduction", [None, "add", "mul", "max", "min"])
def test_scatter_update_reductions(reduction, compiled, rng):
    x = rng.standard_normal((4, 3)).astype("float32")
    indices = np.array([[0, 1], [3, 2], [0, 1], [1, 0]], "int32")
    updates = rng.standard_normal((4,)).astype("float32")
    expected = x.copy()
    if reduction is None:
        for (i, j), u in zip(indices, updates):
            expected[i, j] = u
        indices, updates = indices[1:], updates[1:]  # no duplicates: the winner is undefined
        expected = x.copy()
        for (i, j), u in zip(indices, updates):
            expected[i, j] = u
    else:
        ufunc = {"add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum}
        ufunc[reduction].at(expected, tuple(indices.T), updates)
    run = compiled(lambda a, i, u: ops.scatter_update(a, i, u, reduction=reduction))
    np.testing.assert_allclose(to_np(ops.scatter_update(x, indices, updates, reduction=reduction)),
                               expected, rtol=1e-6)
    np.testing.assert_allclose(to_np(run(x, indices, updates)), expected, rtol=1e-6)
    # Rows (partial indices) too.
    rows = ops.scatter_update(x, np.array([[2], [0]]), np.ones((2, 3), "float32"),
                              reduction=reduction)
    ref = x.copy()
    if reduction is None:
        ref[[2, 0]] = 1.0
    else:
        ufunc[reduction].at(ref, [2, 0], np.ones((2, 3), "float32"))
    np.testing.assert_allclose(to_np(rows), ref, rtol=1e-6)


def test_scatter_update_gradient(backend_name, rng):
    x = rng.standard_normal((3, 2))
    u = rng.standard_normal((2,))
    indices = np.array([[0, 1], [2, 0]], "int32")

    def fn(a, b):
        return ops.scatter_update(a, indices, b) * ops.scatter_update(a, indices, b, "add")

    for got, want in zip(_gradient(backend_name, fn, x, u), _numeric_gradient(fn, [x, u])):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


# -- custom_gradient -------------------------------------------------------------------------
def test_custom_gradient_keras_example(backend_name):
    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

        return ops.log(1 + e), grad

    x = np.array([0.0, 2.0, 100.0])
    (grad,) = _gradient(backend_name, log1pexp, x)
    np.testing.assert_allclose(grad, 1 / (1 + np.exp(-x)))  # finite at 100, unlike autodiff
    np.testing.assert_allclose(to_np(log1pexp(ops.convert_to_tensor(x[:2]))), np.log1p(np.exp(x[:2])))


def test_custom_gradient_two_inputs_positional_upstream(backend_name, rng):
    @ops.custom_gradient
    def clipped_product(a, b):
        def grad(dy):  # gradient clipping on the way back, a typical use
            return ops.clip(dy * b, -0.1, 0.1), dy * a * 2.0

        return a * b, grad

    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    ga, gb = _gradient(backend_name, lambda x, y: clipped_product(x, y), a, b)
    np.testing.assert_allclose(ga, np.clip(b, -0.1, 0.1))
    np.testing.assert_allclose(gb, 2 * a, rtol=1e-12)


# -- unstack / saturate_cast / rearrange / vectorize ------------------------------------------
def test_unstack(rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    parts = ops.unstack(x, axis=1)
    assert len(parts) == 3
    for k, part in enumerate(parts):
        np.testing.assert_array_equal(to_np(part), x[:, k])
    assert len(ops.unstack(x, num=2)) == 2


def test_saturate_cast():
    x = np.array([-1.0, 256.0, 3.7, np.inf, -np.inf, 1e10], "float32")
    np.testing.assert_array_equal(to_np(ops.saturate_cast(x, "uint8")), [0, 255, 3, 255, 0, 255])
    out = to_np(ops.saturate_cast(x, "int32"))
    assert out.dtype == np.int32 and out[-1] == np.int32(2147483520)  # largest float32 < 2**31
    big = np.array([70000, -70000, 5], "int64")
    np.testing.assert_array_equal(to_np(ops.saturate_cast(big, "int16")), [32767, -32768, 5])
    np.testing.assert_array_equal(to_np(ops.saturate_cast(np.array([1e39], "float64"), "float32")),
                                  [np.finfo("float32").max])


def test_rearrange(rng):
    images = rng.standard_normal((2, 6, 4, 3)).astype("float32")
    np.testing.assert_array_equal(to_np(ops.rearrange(images, "b h w c -> b c h w")),
                                  images.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(to_np(ops.rearrange(images, "b h w c -> (b h) w c")),
                                  images.reshape(12, 4, 3))
    patches = ops.rearrange(images, "b (h1 h) (w1 w) c -> (b h1 w1) h w c", h1=2, w1=2)
    ref = images.reshape(2, 2, 3, 2, 2, 3).transpose(0, 1, 3, 2, 4, 5).reshape(8, 3, 2, 3)
    np.testing.assert_array_equal(to_np(patches), ref)
    with pytest.raises(ValueError, match="same axes"):
        ops.rearrange(images, "b h w c -> b h w")


def test_vectorize(compiled, rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    y = rng.standard_normal((4,)).astype("float32")
    dot = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")
    np.testing.assert_allclose(to_np(dot(x, y)), x @ y, rtol=1e-5)
    elementwise = ops.vectorize(lambda a, b: ops.maximum(a, b) * 2.0)
    np.testing.assert_allclose(to_np(elementwise(x, y)), np.maximum(x, y) * 2, rtol=1e-6)
    scaled = ops.vectorize(lambda a, k: a * k, excluded={1})
    np.testing.assert_allclose(to_np(scaled(x, 3.0)), 3 * x, rtol=1e-6)


# -- stft / istft ------------------------------------------------------------------------------
def _np_stft(x, seq, stride, fft, center):
    if center:
        x = np.pad(x, [(0, 0), (fft // 2, fft // 2)], mode="reflect")
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(seq) / seq)
    left = (fft - seq) // 2
    win = np.pad(win, (left, fft - seq - left))
    n = 1 + (x.shape[-1] - fft) // stride
    frames = np.stack([x[:, i * stride:i * stride + fft] for i in range(n)], 1)
    return np.fft.rfft(frames * win, axis=-1)


@pytest.mark.parametrize("seq,stride,fft,center", [(16, 4, 16, True), (12, 3, 16, False)])
def test_stft_istft(seq, stride, fft, center, rng):
    x = rng.standard_normal((2, 64)).astype("float32")
    real, imag = ops.stft(x, seq, stride, fft, center=center)
    ref = _np_stft(x.astype("float64"), seq, stride, fft, center)
    np.testing.assert_allclose(to_np(real), ref.real, atol=2e-5)
    np.testing.assert_allclose(to_np(imag), ref.imag, atol=2e-5)
    back = to_np(ops.istft((real, imag), seq, stride, fft, length=64 if center else None,
                           center=center))
    # The overlap-add reconstructs every sample covered by a full set of windows.
    skip = fft - stride - (fft // 2 if center else 0)
    np.testing.assert_allclose(back[:, skip:48], x[:, skip:48], atol=2e-5)


def test_stft_matches_keras(rng):
    keras = pytest.importorskip("keras")
    x = rng.standard_normal((2, 50)).astype("float32")
    for window in ("hann", "hamming"):  # (window=None differs between Keras's backends)
        got = ops.stft(x, 10, 5, 16, window=window)
        want = keras.ops.stft(x, 10, 5, 16, window=window)
        for g, w in zip(got, want):
            np.testing.assert_allclose(to_np(g), keras.ops.convert_to_numpy(w), atol=2e-5)
        back = ops.istft(got, 10, 5, 16, window=window, center=False)
        ref = keras.ops.istft(want, 10, 5, 16, window=window, center=False)
        np.testing.assert_allclose(to_np(back), keras.ops.convert_to_numpy(ref), atol=2e-5)


# -- fold / unfold -------------------------------------------------------------------------------
def _np_unfold(x, k, d, p, s):
    x = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    n, c, h, w = x.shape
    oh = (h - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c, k[0], k[1], oh, ow), x.dtype)
    for i, j, a, b in itertools.product(range(k[0]), range(k[1]), range(oh), range(ow)):
        out[:, :, i, j, a, b] = x[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    return out.reshape(n, c * k[0] * k[1], oh * ow)


def test_unfold_fold(rng):
    x = rng.standard_normal((2, 3, 7, 6)).astype("float32")
    args = dict(dilation=(1, 2), padding=1, stride=(2, 1))
    patches = ops.unfold(x, (3, 2), **args)
    ref = _np_unfold(x, (3, 2), (1, 2), (1, 1), (2, 1))
    np.testing.assert_array_equal(to_np(patches), ref)
    # fold is unfold's adjoint: <unfold(x), y> == <x, fold(y)>.
    y = rng.standard_normal(ref.shape).astype("float32")
    folded = to_np(ops.fold(y, (7, 6), (3, 2), **args))
    assert folded.shape == x.shape
    np.testing.assert_allclose(np.sum(ref * y), np.sum(x * folded), rtol=1e-4)
    counts = to_np(ops.fold(ops.unfold(np.ones((1, 1, 4, 4), "float32"), 2), (4, 4), 2))
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2],
                                                 [1, 2, 2, 1]])


# -- ctc_decode ------------------------------------------------------------------------------------
def _np_greedy(logits, lengths, merge_repeated, blank):
    out = np.full(logits.shape[:2], -1)
    scores = np.zeros((logits.shape[0], 1))
    for b, row in enumerate(logits):
        best = row[:lengths[b]].argmax(-1)
        scores[b, 0] = -row[:lengths[b]].max(-1).sum()
        labels = [c for t, c in enumerate(best)
                  if c != blank and not (merge_repeated and t and best[t - 1] == c)]
        out[b, :len(labels)] = labels
    return out[None], scores


def _np_labelings(log_probs, length, blank):
    """Exact log probability of every labeling (sum over all alignments)."""
    totals = {}
    for path in itertools.product(range(log_probs.shape[-1]), repeat=length):
        labels = tuple(c for t, c in enumerate(path) if c != blank and (t == 0 or path[t - 1] != c))
        score = sum(log_probs[t, c] for t, c in enumerate(path))
        totals[labels] = np.logaddexp(totals.get(labels, -np.inf), score)
    return sorted(totals.items(), key=lambda kv: -kv[1])


def test_ctc_decode(rng):
    logits = rng.standard_normal((3, 5, 3)).astype("float32") * 2
    lengths = np.array([5, 3, 4])
    for merge, blank in ((True, 0), (False, 2)):
        decoded, scores = ops.ctc_decode(logits, lengths, merge_repeated=merge, mask_index=blank)
        ref, ref_scores = _np_greedy(logits, lengths, merge, blank)
        np.testing.assert_array_equal(to_np(decoded), ref)
        np.testing.assert_allclose(to_np(scores), ref_scores, rtol=1e-5)
    decoded, scores = ops.ctc_decode(logits, lengths, strategy="beam_search", beam_width=50,
                                     top_paths=2, mask_index=1)
    decoded, scores = to_np(decoded), to_np(scores)
    assert decoded.shape == (2, 3, 5) and scores.shape == (3, 2)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    for b in range(3):
        best = _np_labelings(log_probs[b], lengths[b], blank=1)[:2]
        for k, (labels, score) in enumerate(best):
            row = decoded[k, b]
            assert tuple(row[row >= 0]) == labels
            np.testing.assert_allclose(scores[b, k], score, rtol=1e-4)
    with pytest.raises(ValueError, match="strategy"):
        ops.ctc_decode(logits, lengths, strategy="nope")
