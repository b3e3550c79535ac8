"""One training epoch: cornu vs a hand-written framework loop vs Keras 3, per backend.

Each backend runs in its own subprocess (one framework per process). Models:
the demo MLP (Flatten-300-100-10) and a small CNN (Conv2D 32 - MaxPool -
Conv2D 64 - MaxPool - Flatten - Dense 10), SGD, sparse categorical
crossentropy with accuracy, batch 32, verbose=0, on Fashion-MNIST-shaped
samples. Every contender tracks loss and accuracy on the device, as fit does.

    python benchmarks/run.py                 # both backends, both models
    python benchmarks/run.py --samples 20000 --repeats 3 --backends torch
    python benchmarks/run.py --jit           # adds cornu with jit_compile=True

Time only on a quiet machine: other processes on the 2 cores make torch's
OpenMP threads spin and the figures meaningless. Prints seconds (best of
``--repeats``) and ratios against the hand-written loop and Keras 3.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def make_data(samples, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((samples, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=(samples,)).astype("int64")
    return x, y


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# -- model builders shared by cornu and Keras (same API) -------------------------------
def build_mlp(lib):
    return lib.Sequential([
        lib.layers.Flatten(input_shape=(28, 28)),
        lib.layers.Dense(300, activation="relu"),
        lib.layers.Dense(100, activation="relu"),
        lib.layers.Dense(10, activation="softmax"),
    ])


def build_cnn(lib):
    return lib.Sequential([
        lib.layers.Input((28, 28, 1)),
        lib.layers.Conv2D(32, 3, activation="relu"),
        lib.layers.MaxPooling2D(),
        lib.layers.Conv2D(64, 3, activation="relu"),
        lib.layers.MaxPooling2D(),
        lib.layers.Flatten(),
        lib.layers.Dense(10, activation="softmax"),
    ])


def library_epoch(lib, model_name, x, y, jit_compile="auto"):
    """A callable that runs one fit epoch (the model is built and traced already)."""
    model = (build_mlp if model_name == "mlp" else build_cnn)(lib)
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=jit_compile)
    model.fit(x[:640], y[:640], batch_size=32, epochs=1, verbose=0)  # build + trace
    return lambda: model.fit(x, y, batch_size=32, epochs=1, verbose=0)


# -- hand-written loops -------------------------------------------------------------------
def torch_loop(model_name, x, y):
    import torch
    from torch import nn

    if model_name == "mlp":
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100),
                            nn.ReLU(), nn.Linear(100, 10))
        data = torch.from_numpy(x)
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                            nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 10))
        data = torch.from_numpy(x[:, None, :, :].copy())
    labels = torch.from_numpy(y)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    n = len(x)

    def epoch(limit=n):
        total = torch.zeros(())
        correct = torch.zeros((), dtype=torch.int64)
        perm = torch.randperm(limit)
        for start in range(0, limit, 32):
            index = perm[start:start + 32]
            xb, yb = data.index_select(0, index), labels.index_select(0, index)
            optimizer.zero_grad(set_to_none=True)
            logits = net(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                total += loss.detach() * len(index)
                correct += (logits.argmax(1) == yb).sum()
        return float(total) / limit, int(correct) / limit

    epoch(640)
    return epoch


def tf_loop(model_name, x, y):
    import tensorflow as tf

    def weight(shape):
        fan_in, fan_out = np.prod(shape[:-1]), shape[-1]
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return tf.Variable(tf.random.uniform(shape, -limit, limit))

    if model_name == "mlp":
        params = [weight((784, 300)), tf.Variable(tf.zeros(300)), weight((300, 100)),
                  tf.Variable(tf.zeros(100)), weight((100, 10)), tf.Variable(tf.zeros(10))]

        def forward(xb):
            h = tf.reshape(xb, (-1, 784))
            h = tf.nn.relu(h @ params[0] + params[1])
            h = tf.nn.relu(h @ params[2] + params[3])
            return h @ params[4] + params[5]
        data = tf.constant(x)
    else:
        params = [weight((3, 3, 1, 32)), tf.Variable(tf.zeros(32)), weight((3, 3, 32, 64)),
                  tf.Variable(tf.zeros(64)), weight((1600, 10)), tf.Variable(tf.zeros(10))]

        def forward(xb):
            h = tf.nn.relu(tf.nn.conv2d(xb, params[0], 1, "VALID") + params[1])
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            h = tf.nn.relu(tf.nn.conv2d(h, params[2], 1, "VALID") + params[3])
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            return tf.reshape(h, (-1, 1600)) @ params[4] + params[5]
        data = tf.constant(x[..., None])
    labels = tf.constant(y)
    total = tf.Variable(0.0)
    correct = tf.Variable(0, dtype=tf.int64)

    @tf.function(reduce_retracing=True)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            logits = forward(xb)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(yb, logits))
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(0.01 * g)
        n = tf.cast(tf.shape(xb)[0], tf.float32)
        total.assign_add(loss * n)
        correct.assign_add(tf.reduce_sum(tf.cast(tf.argmax(logits, 1) == yb, tf.int64)))

    n = len(x)

    def epoch(limit=n):
        total.assign(0.0)
        correct.assign(0)
        perm = tf.random.shuffle(tf.range(limit))
        for start in range(0, limit, 32):
            index = perm[start:start + 32]
            step(tf.gather(data, index), tf.gather(labels, index))
        return float(total.numpy()) / limit

    epoch(640)
    return epoch


def run_backend(backend, samples, repeats, models, jit=False):
    """Runs in the child process: times the three contenders on one backend."""
    os.environ["CORNU_BACKEND"] = backend
    os.environ["KERAS_BACKEND"] = backend
    if backend == "torch":
        import torch  # noqa: F401  (import torch before anything that might load TF)
    import keras

    import cornu

    x, y = make_data(samples)
    results = {}
    for model_name in models:
        xm = x if model_name == "mlp" else x[..., None]
        cornu.utils.set_random_seed(0)
        epochs = {
            "hand": (torch_loop if backend == "torch" else tf_loop)(model_name, x, y),
            "cornu": library_epoch(cornu, model_name, xm, y),
            "keras": library_epoch(keras, model_name, xm, y),
        }
        if jit:
            import logging

            choices = []
            handler = logging.Handler()
            handler.emit = lambda record, out=choices: out.append(record.getMessage())
            logging.getLogger("cornu").addHandler(handler)
            logging.getLogger("cornu").setLevel(logging.INFO)
            epochs["jit"] = library_epoch(cornu, model_name, xm, y, jit_compile=True)
        # Interleave the contenders so drifts in machine speed hit all of them alike.
        times = {name: [] for name in epochs}
        for _ in range(repeats):
            for name, epoch in epochs.items():
                times[name].append(best_of(epoch, 1))
        results[model_name] = {name: min(t) for name, t in times.items()}
        if jit:  # what jit_compile=True chose to run, and what it measured
            logging.getLogger("cornu").removeHandler(handler)
            results[model_name]["jit_choice"] = " | ".join(choices) or "-"
    return results


def main():
    parser = argparse.ArgumentParser(description="cornu training-speed benchmark")
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", default="torch,tensorflow")
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--jit", action="store_true",
                        help="also time cornu with compile(jit_compile=True)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    models = args.models.split(",")
    if args.child:
        print(json.dumps(run_backend(args.child, args.samples, args.repeats, models,
                                     jit=args.jit)))
        return
    rows = []
    for backend in args.backends.split(","):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        proc = subprocess.run(
            [sys.executable, __file__, "--child", backend, "--samples", str(args.samples),
             "--repeats", str(args.repeats), "--models", args.models,
             *(["--jit"] if args.jit else [])],
            capture_output=True, text=True, env=env,
        )
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"benchmark on {backend} failed")
        results = json.loads(proc.stdout.strip().splitlines()[-1])
        for model_name, r in results.items():
            rows.append((backend, model_name, r))
    hand_label = {"torch": "hand torch loop", "tensorflow": "hand tf.function"}
    print(f"\nOne epoch, {args.samples} samples, batch 32, best of {args.repeats} "
          "(seconds; ratios are cornu / other):")
    print(f"{'backend':<11} {'model':<5} {'hand loop':>10} {'cornu':>8} {'keras 3':>8} "
          f"{'cornu/hand':>11} {'cornu/keras':>12}")
    for backend, model_name, r in rows:
        print(f"{backend:<11} {model_name:<5} {r['hand']:>10.3f} {r['cornu']:>8.3f} "
              f"{r['keras']:>8.3f} {r['cornu'] / r['hand']:>11.2f} "
              f"{r['cornu'] / r['keras']:>12.2f}   ({hand_label[backend]})")
    if args.jit:
        print("\njit_compile=True (seconds; ratio is jit / eager cornu):")
        for backend, model_name, r in rows:
            print(f"{backend:<11} {model_name:<5} {r['jit']:>8.3f} {r['jit'] / r['cornu']:>8.2f}"
                  f"   {r['jit_choice']}")


if __name__ == "__main__":
    main()
