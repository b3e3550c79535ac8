"""fit/evaluate/predict under ``keras.config``'s debugging caps (max_epochs,
max_steps_per_epoch), fit's messages with interactive logging on and off, and the
flash-attention switches in the attention layers, compared with Keras 3 run in a fresh
interpreter on cornu's backend."""
import json
import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cornu
from cornu import backend as B
from cornu import layers
from cornu.utils import io_utils

CAPS_SCRIPT = textwrap.dedent("""
    import json, warnings
    import numpy as np
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = rng.normal(size=(40, 1)).astype("float32")

    class Count(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.counts = {"train": 0, "test": 0, "predict": 0, "epochs": 0}
        def on_train_batch_end(self, batch, logs=None): self.counts["train"] += 1
        def on_test_batch_end(self, batch, logs=None): self.counts["test"] += 1
        def on_predict_batch_end(self, batch, logs=None): self.counts["predict"] += 1
        def on_epoch_end(self, epoch, logs=None): self.counts["epochs"] += 1

    def model():
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        m.compile(optimizer="sgd", loss="mse")
        return m

    out = {}
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    for name, kwargs in {
        "plain": dict(epochs=5, batch_size=4),
        "few_epochs": dict(epochs=1, batch_size=4),
        "steps": dict(epochs=3, batch_size=4, steps_per_epoch=2),
        "validation": dict(epochs=4, batch_size=4, validation_data=(x[:24], y[:24])),
    }.items():
        m, c = model(), Count()
        history = m.fit(x, y, verbose=0, callbacks=[c], **kwargs)
        out[name] = [history.epoch, len(history.history["loss"]), c.counts]
    m, c = model(), Count()
    m.evaluate(x, y, batch_size=4, verbose=0, callbacks=[c])
    p = m.predict(x, batch_size=4, verbose=0, callbacks=[c])
    out["evaluate_predict"] = [c.counts, list(p.shape)]
    keras.config.set_max_epochs(None)
    keras.config.set_max_steps_per_epoch(None)
    m, c = model(), Count()
    history = m.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[c])
    out["uncapped"] = [history.epoch, c.counts]
    print(json.dumps(out))
""")


def _run(code, **env):
    full = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
    full.update(env)
    proc = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _keras(code):
    pytest.importorskip("keras")
    return _run("import keras\n" + code, KERAS_BACKEND=B.backend())


def test_caps_give_keras_epochs_and_steps():
    keras = _keras(CAPS_SCRIPT)
    ours = _run("import cornu as keras\n" + CAPS_SCRIPT)
    assert ours == keras
    assert keras["plain"] == [[0, 1], 2, {"train": 6, "test": 0, "predict": 0, "epochs": 2}]


def test_caps_warn_as_keras_and_come_from_the_environment():
    code = textwrap.dedent("""
        import json, warnings
        import numpy as np
        m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        m.compile(optimizer="sgd", loss="mse")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = m.fit(np.zeros((20, 2)), np.zeros((20, 1)), epochs=4, batch_size=2, verbose=0)
        print(json.dumps([h.epoch, sorted({str(w.message) for w in caught
                                            if str(w.message).startswith("Limiting")})]))
    """)
    env = dict(KERAS_MAX_EPOCHS="3", KERAS_MAX_STEPS_PER_EPOCH="2")
    pytest.importorskip("keras")
    keras = _run("import keras\n" + code, KERAS_BACKEND=B.backend(), **env)
    ours = _run("import cornu as keras\n" + code, **env)
    assert ours == keras == [[0, 1, 2], ["Limiting epochs to 3", "Limiting steps_per_epoch to 2"]]


# -- interactive logging through fit ---------------------------------------------------


def _fit_with_messages():
    model = cornu.Sequential([cornu.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    stop = cornu.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9, verbose=1)
    model.fit(x, y, epochs=3, batch_size=4, verbose=1, callbacks=[stop])
    model.evaluate(x, y, verbose=1)
    model.summary()


def test_fit_output_goes_to_stdout_or_to_the_logger(capsys, caplog):
    _fit_with_messages()
    shown = capsys.readouterr().out
    assert "Epoch 1/3" in shown and "2/2" in shown and "early stopping" in shown
    assert "Total params" in shown
    cornu.config.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="cornu"):
            _fit_with_messages()
    finally:
        cornu.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    logged = [r.getMessage() for r in caplog.records if r.name == "cornu"]
    assert "Epoch 1/3" in logged and "Epoch 2/3" in logged
    assert any("early stopping" in m for m in logged)
    assert sum(m.startswith("2/2") for m in logged) == 2  # two training epochs
    assert sum(m.startswith("1/1") for m in logged) == 1  # evaluate
    assert any("Total params" in m for m in logged)
    assert not any("\r" in m for m in logged)


def test_callback_messages_go_to_the_logger(caplog, tmp_path):
    model = cornu.Sequential([cornu.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    cbs = [cornu.callbacks.LearningRateScheduler(lambda epoch, lr: lr, verbose=1),
           cornu.callbacks.ModelCheckpoint(str(tmp_path / "m.weights.h5"),
                                           save_weights_only=True, verbose=1),
           cornu.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=1e9,
                                             verbose=1)]
    io_utils.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="cornu"):
            model.fit(x, y, epochs=2, verbose=0, callbacks=cbs)
    finally:
        io_utils.enable_interactive_logging()
    logged = " | ".join(r.getMessage() for r in caplog.records)
    for text in ("LearningRateScheduler setting learning rate", "saving model to",
                 "ReduceLROnPlateau reducing learning rate"):
        assert text in logged


# -- flash attention ---------------------------------------------------------------------


@pytest.fixture
def flash_restored():
    yield
    cornu.config.enable_flash_attention()


def _attention_outputs():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 5, 8)).astype("float32")
    v = rng.normal(size=(2, 6, 8)).astype("float32")
    mask = rng.uniform(size=(2, 5, 6)) > 0.3
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4, seed=1)
    gqa = layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    outs = [mha(q, v), mha(q, v, attention_mask=mask), mha(q, q, use_causal_mask=True),
            gqa(q, v), gqa(q, q, use_causal_mask=True)]
    weights = [mha.get_weights(), gqa.get_weights()]
    return [cornu.ops.convert_to_numpy(o) for o in outs], weights, (mha, gqa)


def test_flash_attention_flag_steers_layers_with_equal_results(flash_restored):
    cornu.utils.set_random_seed(0)
    auto, weights, (mha, gqa) = _attention_outputs()
    assert mha._flash_attention is None and gqa._flash_attention is None
    cornu.config.disable_flash_attention()
    cornu.utils.set_random_seed(0)
    off, weights_off, (mha_off, gqa_off) = _attention_outputs()
    assert mha_off._flash_attention is False and gqa_off._flash_attention is False
    for a, b in zip(weights, weights_off):
        for wa, wb in zip(a, b):
            np.testing.assert_array_equal(wa, wb)
    for a, b in zip(auto, off):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # dropout is refused only when flash attention is asked for explicitly
    layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1)
    with pytest.raises(ValueError, match="dropout"):
        layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1, flash_attention=True)


FLASH_SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    out = []
    q = np.random.default_rng(0).normal(size=(1, 4, 8)).astype("float32")
    keras.config.disable_flash_attention()
    out.append(keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)._flash_attention)
    keras.config.enable_flash_attention()
    out.append(keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)._flash_attention)
    out.append(keras.layers.MultiHeadAttention(num_heads=2, key_dim=4,
                                               flash_attention=False)._flash_attention)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, flash_attention=True)
    try:
        layer(q, q)  # float32 on a CPU: no flash kernel
        out.append("ran")
    except Exception as e:
        out.append(type(e).__name__)
    try:
        layer(q, q, return_attention_scores=True)
    except Exception as e:
        out.append(type(e).__name__)
    print(json.dumps(out))
""")


def test_flash_attention_true_fails_like_keras_on_cpu():
    if B.backend() == "torch":
        import torch

        if torch.cuda.is_available():
            pytest.skip("a CUDA device may run the flash kernel")
    keras = _keras(FLASH_SCRIPT)
    ours = _run("import cornu as keras\n" + FLASH_SCRIPT)
    assert ours == keras
    assert keras[:3] == [False, None, None]
