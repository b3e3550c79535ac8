"""Small sequence models learn with fit (recurrent and attention layers, both backends)."""
import numpy as np

import cornu
from cornu import layers


def synthetic_sentiment(rng, n, max_len=12):
    """Token sequences of varying length, right-padded with 0.  Tokens 1-4 are
    "positive", 5-8 "negative", 9-19 neutral; the label says whether there are more
    positive than negative tokens (ties removed)."""
    x = np.zeros((n, max_len), "int32")
    lengths = rng.integers(4, max_len + 1, n)
    for i, length in enumerate(lengths):
        x[i, :length] = rng.integers(1, 20, length)
    pos = ((x >= 1) & (x <= 4)).sum(1)
    neg = ((x >= 5) & (x <= 8)).sum(1)
    keep = pos != neg
    return x[keep], (pos > neg)[keep, None].astype("float32")


def test_lstm_learns_synthetic_sentiment_with_masking():
    """Embedding(mask_zero) -> Bidirectional(LSTM) -> Dense reaches >= 90% accuracy on
    held-out sequences (the padding is masked, so the fused kernel runs packed).  It
    reaches ~99% after two epochs."""
    cornu.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = synthetic_sentiment(rng, 1200)
    x_test, y_test = synthetic_sentiment(rng, 400)
    model = cornu.Sequential([
        cornu.Input((x.shape[1],), dtype="int32"),
        layers.Embedding(20, 8, mask_zero=True),
        layers.Bidirectional(layers.LSTM(12)),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=cornu.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=5, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.9, accuracy


def test_gru_and_attention_learn_the_running_sum():
    """GRU(return_sequences) -> MultiHeadAttention -> pooled regression of the sum of a
    sequence: the error falls below a tenth of the target's variance."""
    cornu.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (1024, 8, 1)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]
    inputs = cornu.Input((8, 1))
    h = layers.GRU(16, return_sequences=True)(inputs)
    h = layers.MultiHeadAttention(num_heads=2, key_dim=8)(h, h)
    outputs = layers.Dense(1)(layers.GlobalAveragePooling1D()(h))
    model = cornu.Model(inputs, outputs)
    model.compile(optimizer=cornu.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, batch_size=64, epochs=8, verbose=0)
    assert history.history["loss"][-1] < 0.1 * float(y.var()), history.history["loss"]


def test_stateful_in_a_model_trains(rng):
    model = cornu.Sequential([cornu.Input((4, 3), batch_size=2),
                              layers.LSTM(3, stateful=True), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.standard_normal((4, 4, 3)).astype("float32")
    y = rng.standard_normal((4, 1)).astype("float32")
    history = model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    states = model.layers[0].states
    assert any(np.abs(np.asarray(s.numpy())).sum() > 0 for s in states)
    model.layers[0].reset_states()
    assert all(np.abs(np.asarray(s.numpy())).sum() == 0 for s in states)
