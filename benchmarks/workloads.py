"""The workloads that benchmarks/run.py and benchmarks/gpu.py time, defined once.

Four models, each written three times with the same shapes and the same optimizer:

* for cornu and Keras 3 (one builder; ``lib`` is the ``cornu`` or the ``keras`` module);
* in plain torch (``nn.Module`` + ``torch.optim`` + a manual loop);
* in plain TensorFlow (``tf.Variable`` s in a ``tf.Module`` + a ``tf.function`` step and a
  hand-written optimizer, since TensorFlow's own optimizers are Keras's).

=============  ==========================================================  ============
model          layers                                                      optimizer
=============  ==========================================================  ============
mlp            Flatten(28x28) - Dense 300 relu - Dense 100 relu - Dense 10  SGD 0.01
cnn            Conv 32 - MaxPool - Conv 64 - MaxPool - Flatten - Dense 10  SGD 0.01
transformer    token Embedding(5000, 128) + positional Embedding(64, 128),  AdamW 1e-3
               MultiHeadAttention(4 heads x 32) + residual + LayerNorm,    (decay 0.004)
               FFN 512 relu - 128 + residual + LayerNorm,
               GlobalAveragePooling1D, Dense 10
lstm           Embedding(5000, 128) - LSTM(128) - Dense 10                 Adam 1e-3
=============  ==========================================================  ============

Sparse categorical crossentropy, batch 32 (training) and 256 (predict), sequences of 64
tokens.  The cornu/Keras models end in a softmax (Keras style), the hand-written ones
give logits to a fused cross-entropy: the same loss.  Keras's epsilons are used
everywhere (LayerNorm 1e-3, Adam/AdamW 1e-7).  Every training loop tracks the loss and
the accuracy on the device, as ``fit`` does, and reads them once per epoch.

Only numpy is imported here; each framework is imported inside the functions that use
it, so a process loads only the framework it benchmarks.
"""
import math
import os
import time

import numpy as np

MODELS = ("mlp", "cnn", "transformer", "lstm")
VOCAB, SEQ, D_MODEL, HEADS, FFN, UNITS, CLASSES = 5000, 64, 128, 4, 512, 128, 10
TRAIN_BATCH, PREDICT_BATCH = 32, 256
OPTIMIZERS = {  # model -> (kind, learning rate); Keras's defaults otherwise
    "mlp": ("sgd", 0.01), "cnn": ("sgd", 0.01), "transformer": ("adamw", 1e-3),
    "lstm": ("adam", 1e-3),
}
WEIGHT_DECAY, BETA_1, BETA_2, EPSILON = 0.004, 0.9, 0.999, 1e-7


def make_data(model_name, samples, seed=0):
    """``(x, y)``: Fashion-MNIST-shaped images (``cnn``: with a channel axis) or int32
    token sequences, and int64 labels in [0, 10)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, size=(samples,)).astype("int64")
    if model_name in ("transformer", "lstm"):
        return rng.integers(0, VOCAB, size=(samples, SEQ)).astype("int32"), y
    x = rng.random((samples, 28, 28), dtype=np.float32)
    return (x[..., None] if model_name == "cnn" else x), y


def best_of(fn, repeats):
    """The smallest wall time of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def rss_bytes():
    """The resident set size of this process now (psutil, else /proc, else the peak)."""
    try:
        import psutil

        return psutil.Process().memory_info().rss
    except ImportError:
        pass
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return peak_rss_bytes()  # (no way to read the current RSS here)


def peak_rss_bytes():
    """The peak resident set size of this process so far: Linux's ``VmHWM`` (the kernel
    updates ``getrusage``'s ``ru_maxrss`` lazily, so it can lag the current RSS), else
    ``getrusage``."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux
    return peak


# -- cornu and Keras 3: one builder, ``lib`` is either module ------------------------------
def build(lib, model_name):
    """The model ``model_name`` built with ``lib`` (cornu or keras), not compiled."""
    L = lib.layers
    if model_name == "mlp":
        return lib.Sequential([
            L.Input((28, 28)), L.Flatten(), L.Dense(300, activation="relu"),
            L.Dense(100, activation="relu"), L.Dense(CLASSES, activation="softmax"),
        ])
    if model_name == "cnn":
        return lib.Sequential([
            L.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
            L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(),
            L.Dense(CLASSES, activation="softmax"),
        ])
    if model_name == "transformer":
        inputs = L.Input((SEQ,), dtype="int32")
        h = _token_and_position(lib)(inputs)
        attended = L.MultiHeadAttention(HEADS, D_MODEL // HEADS)(h, h)
        h = L.LayerNormalization()(L.Add()([h, attended]))
        ffn = L.Dense(D_MODEL)(L.Dense(FFN, activation="relu")(h))
        h = L.LayerNormalization()(L.Add()([h, ffn]))
        h = L.GlobalAveragePooling1D()(h)
        # The head in float32 under a mixed policy (Keras's advice for the softmax).
        return lib.Model(inputs, L.Dense(CLASSES, activation="softmax", dtype="float32")(h))
    if model_name == "lstm":
        return lib.Sequential([
            L.Input((SEQ,), dtype="int32"), L.Embedding(VOCAB, UNITS), L.LSTM(UNITS),
            L.Dense(CLASSES, activation="softmax", dtype="float32"),
        ])
    raise ValueError(f"unknown model {model_name!r}; choose from {', '.join(MODELS)}")


def _token_and_position(lib):
    """A layer adding a learned embedding of the positions to the tokens' (Keras's
    text-classification example), defined on ``lib.layers.Layer``."""
    L = lib.layers

    class TokenAndPositionEmbedding(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.token = L.Embedding(VOCAB, D_MODEL)
            self.position = L.Embedding(SEQ, D_MODEL)

        def call(self, x):
            return self.token(x) + self.position(lib.ops.arange(SEQ))

    return TokenAndPositionEmbedding()


def optimizer(lib, model_name):
    kind, lr = OPTIMIZERS[model_name]
    if kind == "sgd":
        return lib.optimizers.SGD(learning_rate=lr)
    if kind == "adamw":
        return lib.optimizers.AdamW(learning_rate=lr, weight_decay=WEIGHT_DECAY,
                                    beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON)
    return lib.optimizers.Adam(learning_rate=lr, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON)


def compiled(lib, model_name, jit_compile="auto"):
    model = build(lib, model_name)
    model.compile(optimizer=optimizer(lib, model_name),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=jit_compile)
    return model


def library_trainer(lib, model_name, x, y, jit_compile="auto", warmup=None):
    """``(epoch, model)``: ``epoch()`` runs one ``fit`` epoch over ``x, y`` and returns
    ``(loss, accuracy)``; the model is built and its step traced already."""
    model = compiled(lib, model_name, jit_compile)
    warm = warmup or min(len(x), 20 * TRAIN_BATCH)
    model.fit(x[:warm], y[:warm], batch_size=TRAIN_BATCH, epochs=1, verbose=0)

    def epoch():
        logs = model.fit(x, y, batch_size=TRAIN_BATCH, epochs=1, verbose=0).history
        return logs["loss"][-1], logs["accuracy"][-1]

    return epoch, model


def library_predictor(model, x):
    """``predict()``: ``model.predict`` over ``x`` at batch 256 (numpy in, numpy out)."""
    return lambda: model.predict(x, batch_size=PREDICT_BATCH, verbose=0)


# -- plain torch ---------------------------------------------------------------------------
def torch_net(model_name):
    import torch
    from torch import nn

    if model_name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100),
                             nn.ReLU(), nn.Linear(100, CLASSES))
    if model_name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, CLASSES))

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.token = nn.Embedding(VOCAB, D_MODEL)
            self.position = nn.Embedding(SEQ, D_MODEL)
            # need_weights=False: torch's fused scaled_dot_product_attention, as Keras.
            self.attention = nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True)
            self.norm1 = nn.LayerNorm(D_MODEL, eps=1e-3)
            self.ffn = nn.Sequential(nn.Linear(D_MODEL, FFN), nn.ReLU(), nn.Linear(FFN, D_MODEL))
            self.norm2 = nn.LayerNorm(D_MODEL, eps=1e-3)
            self.head = nn.Linear(D_MODEL, CLASSES)
            self.register_buffer("positions", torch.arange(SEQ), persistent=False)

        def forward(self, x):
            h = self.token(x) + self.position(self.positions)
            attended, _ = self.attention(h, h, h, need_weights=False)
            h = self.norm1(h + attended)
            h = self.norm2(h + self.ffn(h))
            return self.head(h.mean(dim=1))

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, UNITS)
            self.lstm = nn.LSTM(UNITS, UNITS, batch_first=True)
            self.head = nn.Linear(UNITS, CLASSES)

        def forward(self, x):
            _, (h, _) = self.lstm(self.embedding(x))
            return self.head(h[-1])

    if model_name == "transformer":
        return Transformer()
    if model_name == "lstm":
        return LSTMClassifier()
    raise ValueError(f"unknown model {model_name!r}")


def torch_optimizer(model_name, params):
    import torch

    kind, lr = OPTIMIZERS[model_name]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=(BETA_1, BETA_2), eps=EPSILON,
                                 weight_decay=WEIGHT_DECAY)
    return torch.optim.Adam(params, lr=lr, betas=(BETA_1, BETA_2), eps=EPSILON)


def _torch_inputs(model_name, x, device):
    import torch

    if model_name == "cnn":
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))  # NHWC -> NCHW
    t = torch.from_numpy(x)
    return (t.long() if t.dtype == torch.int32 else t).to(device)


def torch_trainer(model_name, x, y, device="cpu", amp_dtype=None):
    """``(epoch, net)``: a hand-written torch epoch over ``x, y`` (shuffled, batch 32),
    loss and accuracy summed on the device; ``amp_dtype`` runs it under autocast."""
    import torch
    from torch import nn

    device = torch.device(device)
    net = torch_net(model_name).to(device)
    opt = torch_optimizer(model_name, net.parameters())
    data, labels = _torch_inputs(model_name, x, device), torch.from_numpy(y).to(device)
    loss_fn = nn.CrossEntropyLoss()
    n = len(x)

    def epoch(limit=n):
        total = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        perm = torch.randperm(limit, device=device)
        for start in range(0, limit, TRAIN_BATCH):
            index = perm[start:start + TRAIN_BATCH]
            xb, yb = data.index_select(0, index), labels.index_select(0, index)
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=amp_dtype or torch.bfloat16,
                                enabled=amp_dtype is not None):
                logits = net(xb)
            loss = loss_fn(logits.float(), yb)
            loss.backward()
            opt.step()
            with torch.no_grad():
                total += loss.detach() * len(index)
                correct += (logits.argmax(1) == yb).sum()
        return float(total) / limit, int(correct) / limit

    epoch(min(n, 20 * TRAIN_BATCH))  # warm up (allocator, cuDNN's autotuner)
    return epoch, net


def torch_predictor(model_name, net, x, device="cpu", amp_dtype=None):
    """``predict()``: a no-grad loop at batch 256 over ``x`` (numpy in, numpy out: the
    copy to the device, the softmax, one concatenation and one copy back)."""
    import torch

    device = torch.device(device)

    def predict():
        net.eval()
        data = _torch_inputs(model_name, x, device)
        with torch.no_grad(), torch.autocast(device.type, dtype=amp_dtype or torch.bfloat16,
                                             enabled=amp_dtype is not None):
            outs = [torch.softmax(net(data[s:s + PREDICT_BATCH]).float(), dim=-1)
                    for s in range(0, len(data), PREDICT_BATCH)]
        net.train()
        return torch.cat(outs).cpu().numpy()

    return predict


def torch_param_count(net):
    return sum(p.numel() for p in net.parameters())


# -- plain TensorFlow -------------------------------------------------------------------
def tf_net(model_name):
    """A ``tf.Module`` with the model's variables and ``forward(x) -> logits``."""
    import tensorflow as tf

    rng = np.random.default_rng(0)

    def glorot(*shape, fan_in=None, fan_out=None):
        fan_in = fan_in or int(np.prod(shape[:-1]))
        fan_out = fan_out or shape[-1]
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return tf.Variable(rng.uniform(-limit, limit, shape).astype("float32"))

    def zeros(*shape):
        return tf.Variable(np.zeros(shape, "float32"))

    def ones(*shape):
        return tf.Variable(np.ones(shape, "float32"))

    def layer_norm(h, gamma, beta):
        mean, var = tf.nn.moments(h, axes=[-1], keepdims=True)
        return (h - mean) * tf.math.rsqrt(var + 1e-3) * gamma + beta

    net = tf.Module()
    if model_name == "mlp":
        net.w = [glorot(784, 300), zeros(300), glorot(300, 100), zeros(100),
                 glorot(100, CLASSES), zeros(CLASSES)]

        def forward(x):
            w = net.w
            h = tf.reshape(x, (-1, 784))
            h = tf.nn.relu(h @ w[0] + w[1])
            h = tf.nn.relu(h @ w[2] + w[3])
            return h @ w[4] + w[5]
    elif model_name == "cnn":
        net.w = [glorot(3, 3, 1, 32), zeros(32), glorot(3, 3, 32, 64), zeros(64),
                 glorot(1600, CLASSES), zeros(CLASSES)]

        def forward(x):
            w = net.w
            h = tf.nn.relu(tf.nn.conv2d(x, w[0], 1, "VALID") + w[1])
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            h = tf.nn.relu(tf.nn.conv2d(h, w[2], 1, "VALID") + w[3])
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            return tf.reshape(h, (-1, 1600)) @ w[4] + w[5]
    elif model_name == "transformer":
        k = D_MODEL // HEADS
        net.w = [
            glorot(VOCAB, D_MODEL), glorot(SEQ, D_MODEL),                      # 0, 1
            glorot(D_MODEL, HEADS, k, fan_in=D_MODEL, fan_out=D_MODEL), zeros(HEADS, k),  # q
            glorot(D_MODEL, HEADS, k, fan_in=D_MODEL, fan_out=D_MODEL), zeros(HEADS, k),  # k
            glorot(D_MODEL, HEADS, k, fan_in=D_MODEL, fan_out=D_MODEL), zeros(HEADS, k),  # v
            glorot(HEADS, k, D_MODEL, fan_in=D_MODEL, fan_out=D_MODEL), zeros(D_MODEL),   # o
            ones(D_MODEL), zeros(D_MODEL),                                      # 10, 11
            glorot(D_MODEL, FFN), zeros(FFN), glorot(FFN, D_MODEL), zeros(D_MODEL),  # 12-15
            ones(D_MODEL), zeros(D_MODEL), glorot(D_MODEL, CLASSES), zeros(CLASSES),  # 16-19
        ]
        scale = 1.0 / math.sqrt(k)

        def forward(x):
            w = net.w
            h = tf.gather(w[0], x) + w[1]
            q = tf.einsum("btd,dhk->bthk", h, w[2]) + w[3]
            key = tf.einsum("btd,dhk->bthk", h, w[4]) + w[5]
            v = tf.einsum("btd,dhk->bthk", h, w[6]) + w[7]
            scores = tf.nn.softmax(tf.einsum("bthk,bshk->bhts", q * scale, key), axis=-1)
            attended = tf.einsum("bhts,bshk->bthk", scores, v)
            h = layer_norm(h + tf.einsum("bthk,hkd->btd", attended, w[8]) + w[9], w[10], w[11])
            ffn = tf.nn.relu(h @ w[12] + w[13]) @ w[14] + w[15]
            h = layer_norm(h + ffn, w[16], w[17])
            return tf.reduce_mean(h, axis=1) @ w[18] + w[19]
    elif model_name == "lstm":
        net.w = [glorot(VOCAB, UNITS), glorot(UNITS, 4 * UNITS), glorot(UNITS, 4 * UNITS),
                 zeros(4 * UNITS), glorot(UNITS, CLASSES), zeros(CLASSES)]

        def forward(x):
            w = net.w
            embedded = tf.gather(w[0], x)  # (batch, time, units)
            projected = tf.transpose(tf.tensordot(embedded, w[1], 1) + w[3], [1, 0, 2])

            def cell(state, z):
                h, c = state
                i, f, g, o = tf.split(z + h @ w[2], 4, axis=-1)
                c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
                return tf.sigmoid(o) * tf.tanh(c), c

            zero = tf.zeros((tf.shape(x)[0], UNITS))
            h, _ = tf.scan(cell, projected, initializer=(zero, zero))
            return h[-1] @ w[4] + w[5]
    else:
        raise ValueError(f"unknown model {model_name!r}")
    net.forward = forward
    return net


class TFOptimizer:
    """SGD / Adam / AdamW with Keras 3's update rules, in TensorFlow ops (called inside
    the ``tf.function`` step)."""

    def __init__(self, model_name, params):
        import tensorflow as tf

        self.kind, self.lr = OPTIMIZERS[model_name]
        self.params = params
        self.iterations = tf.Variable(0, dtype=tf.int64)
        if self.kind != "sgd":
            self.m = [tf.Variable(tf.zeros_like(p)) for p in params]
            self.v = [tf.Variable(tf.zeros_like(p)) for p in params]

    def apply(self, grads):
        import tensorflow as tf

        grads = [tf.convert_to_tensor(g) for g in grads]  # embeddings: IndexedSlices
        if self.kind == "sgd":
            for p, g in zip(self.params, grads):
                p.assign_sub(self.lr * g)
            return
        t = tf.cast(self.iterations.assign_add(1), tf.float32)
        alpha = self.lr * tf.sqrt(1 - BETA_2 ** t) / (1 - BETA_1 ** t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            if self.kind == "adamw":
                p.assign_sub(p * (WEIGHT_DECAY * self.lr))
            m.assign_add((g - m) * (1 - BETA_1))
            v.assign_add((tf.square(g) - v) * (1 - BETA_2))
            p.assign_sub(alpha * m / (tf.sqrt(v) + EPSILON))


def tf_trainer(model_name, x, y):
    """``(epoch, net)``: a hand-written TensorFlow epoch: the data on the device, one
    ``tf.function`` step per batch (the batch gathered inside it, any batch size in one
    trace), loss and accuracy summed in variables and read once per epoch."""
    import tensorflow as tf

    net = tf_net(model_name)
    params = list(net.w)
    opt = TFOptimizer(model_name, params)
    data, labels = tf.constant(x), tf.constant(y)
    total = tf.Variable(0.0)
    correct = tf.Variable(0, dtype=tf.int64)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def step(index):
        xb, yb = tf.gather(data, index), tf.gather(labels, index)
        with tf.GradientTape() as tape:
            logits = net.forward(xb)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(yb, logits))
        opt.apply(tape.gradient(loss, params))
        total.assign_add(loss * tf.cast(tf.shape(index)[0], tf.float32))
        correct.assign_add(tf.reduce_sum(tf.cast(tf.argmax(logits, 1) == yb, tf.int64)))

    n = len(x)

    def epoch(limit=n):
        total.assign(0.0)
        correct.assign(0)
        sizes = [min(TRAIN_BATCH, limit - s) for s in range(0, limit, TRAIN_BATCH)]
        for index in tf.split(tf.random.shuffle(tf.range(limit)), sizes):  # one op
            step(index)
        return float(total.numpy()) / limit, int(correct.numpy()) / limit

    epoch(min(n, 20 * TRAIN_BATCH))
    return epoch, net


def tf_predictor(net, x):
    """``predict()``: a ``tf.function`` inference step at batch 256 (one trace for
    every batch size), the outputs concatenated on the device, one copy back."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, *x.shape[1:]], tf.as_dtype(x.dtype))])
    def infer(xb):
        return tf.nn.softmax(net.forward(xb), axis=-1)

    def predict():
        data = tf.constant(x)
        outs = [infer(data[s:s + PREDICT_BATCH]) for s in range(0, len(x), PREDICT_BATCH)]
        return tf.concat(outs, axis=0).numpy()

    return predict


def tf_param_count(net):
    return int(sum(np.prod(v.shape) for v in net.w))
