"""LSTM(128) forward + backward: cornu vs the framework's own LSTM vs Keras 3.

Batch 64 x 100 steps x 32 features, the gradient of ``sum(LSTM(x))`` (last output)
with respect to the weights.  Each backend runs in its own subprocess (one
framework per process):

* torch: cornu ``layers.LSTM`` vs ``torch.nn.LSTM`` called directly vs
  ``keras.layers.LSTM`` (Keras 3 on torch), eager autograd;
* tensorflow: cornu vs a hand-written ``tf.scan`` LSTM (TensorFlow has no LSTM
  of its own outside Keras) vs Keras 3 on TensorFlow, each in a ``tf.function``.

    python benchmarks/rnn.py                       # both backends
    python benchmarks/rnn.py --backends torch --repeats 5 --iters 10

The contenders are interleaved and each keeps its best of ``--repeats`` rounds of
``--iters`` iterations, so drifts in machine speed hit all alike.  Time only on a
quiet machine.  Prints milliseconds per iteration and the ratios cornu / other.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

BATCH, STEPS, FEATURES, UNITS = 64, 100, 32, 128


def torch_contenders(x_np):
    import keras
    import torch

    import cornu

    x = torch.tensor(x_np)

    def make_step(forward, params):
        def step():
            for p in params:
                p.grad = None
            forward().sum().backward()
        return step

    module = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    framework = make_step(lambda: module(x)[1][0][-1], list(module.parameters()))
    layer = cornu.layers.LSTM(UNITS)
    layer(x_np)
    ours = make_step(lambda: layer(x), [w.value for w in layer.trainable_weights])
    klayer = keras.layers.LSTM(UNITS)
    klayer(x_np)
    theirs = make_step(lambda: klayer(x), [w.value for w in klayer.trainable_weights])
    return {"framework": framework, "cornu": ours, "keras": theirs}


def tf_contenders(x_np):
    import keras
    import tensorflow as tf

    import cornu

    x = tf.constant(x_np)

    def make_step(forward, params):
        @tf.function
        def step():
            with tf.GradientTape() as tape:
                y = tf.reduce_sum(forward())
            return tape.gradient(y, params)
        return step

    rng = np.random.default_rng(0)
    kernel = tf.Variable(rng.uniform(-0.1, 0.1, (FEATURES, 4 * UNITS)).astype("float32"))
    recurrent = tf.Variable(rng.uniform(-0.1, 0.1, (UNITS, 4 * UNITS)).astype("float32"))
    bias = tf.Variable(np.zeros(4 * UNITS, "float32"))

    def scan_lstm():
        projected = tf.transpose(tf.tensordot(x, kernel, 1) + bias, [1, 0, 2])

        def cell(state, z):
            h, c = state
            i, f, g, o = tf.split(z + tf.matmul(h, recurrent), 4, axis=-1)
            c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
            return tf.sigmoid(o) * tf.tanh(c), c

        zeros = tf.zeros((BATCH, UNITS))
        h, _ = tf.scan(cell, projected, initializer=(zeros, zeros))
        return h[-1]

    framework = make_step(scan_lstm, [kernel, recurrent, bias])
    layer = cornu.layers.LSTM(UNITS)
    layer(x_np)
    ours = make_step(lambda: layer(x), [w.value for w in layer.trainable_weights])
    klayer = keras.layers.LSTM(UNITS)
    klayer(x_np)
    theirs = make_step(lambda: klayer(x), [w.value for w in klayer.trainable_weights])
    return {"framework": framework, "cornu": ours, "keras": theirs}


def run_backend(backend, repeats, iters):
    os.environ["CORNU_BACKEND"] = backend
    os.environ["KERAS_BACKEND"] = backend
    if backend == "torch":
        import torch  # noqa: F401  (torch before anything that might load TF)
    x = np.random.default_rng(0).standard_normal((BATCH, STEPS, FEATURES)).astype("float32")
    contenders = (torch_contenders if backend == "torch" else tf_contenders)(x)
    for step in contenders.values():  # warm up (tracing, allocator)
        step()
        step()
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, step in contenders.items():
            start = time.perf_counter()
            for _ in range(iters):
                step()
            times[name].append((time.perf_counter() - start) / iters)
    return {name: min(t) * 1000 for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description="cornu LSTM benchmark")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--backends", default="torch,tensorflow")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_backend(args.child, args.repeats, args.iters)))
        return
    framework_label = {"torch": "torch.nn.LSTM", "tensorflow": "tf.scan LSTM"}
    print(f"\nLSTM({UNITS}) forward+backward, batch {BATCH} x {STEPS} steps x {FEATURES} "
          f"features, best of {args.repeats} x {args.iters} (ms per iteration):")
    print(f"{'backend':<11} {'framework':>10} {'cornu':>8} {'keras 3':>8} "
          f"{'cornu/framework':>16} {'cornu/keras':>12}")
    for backend in args.backends.split(","):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        proc = subprocess.run(
            [sys.executable, __file__, "--child", backend, "--repeats", str(args.repeats),
             "--iters", str(args.iters)], capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"benchmark on {backend} failed")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{backend:<11} {r['framework']:>10.1f} {r['cornu']:>8.1f} {r['keras']:>8.1f} "
              f"{r['cornu'] / r['framework']:>16.2f} {r['cornu'] / r['keras']:>12.2f}"
              f"   (framework: {framework_label[backend]})")


if __name__ == "__main__":
    main()
