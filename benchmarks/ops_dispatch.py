"""Dispatch overhead of ``cornu.ops``: ``add``, ``matmul`` and ``relu`` on small tensors,
against calling the framework directly (and ``keras.ops``) in the same process.

Each backend runs in its own subprocess (one framework per process). On tiny
tensors the kernel costs little, so the per-call time is mostly Python dispatch:
the ratio ``cornu / direct`` is the cost of going through ``cornu.ops`` (target
<= 1.3x: one Python call of overhead, no lookups).

    python benchmarks/ops_dispatch.py
    python benchmarks/ops_dispatch.py --backends torch --number 20000 --repeats 9

The contenders are interleaved (every repeat times each of them in turn) and the
best repeat counts, so drifts in machine speed hit all of them alike. Time only on
a quiet machine.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

OPS = ("add", "matmul", "relu")


def per_call(fn, args, number):
    """Seconds per call of ``fn(*args)`` over ``number`` calls (loop cost included)."""
    start = time.perf_counter()
    for _ in range(number):
        fn(*args)
    return (time.perf_counter() - start) / number


def contenders(backend, size):
    """``{op: {contender: (fn, args)}}`` with the inputs already on the device."""
    import cornu.ops as ops

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype("float32")
    b = rng.standard_normal((size, size)).astype("float32")
    if backend == "torch":
        import torch

        ta, tb = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
        direct = {"add": (torch.add, (ta, tb)), "matmul": (torch.matmul, (ta, tb)),
                  "relu": (torch.relu, (ta,))}
    else:
        import tensorflow as tf

        ta, tb = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
        direct = {"add": (tf.add, (ta, tb)), "matmul": (tf.matmul, (ta, tb)),
                  "relu": (tf.nn.relu, (ta,))}
    table = {name: {"direct": direct[name]} for name in OPS}
    for name in OPS:
        fn, args = direct[name]
        table[name]["cornu"] = (getattr(ops, name), args)
    try:
        import keras
    except ImportError:
        return table
    for name in OPS:
        table[name]["keras"] = (getattr(keras.ops, name), table[name]["direct"][1])
    return table


def run_backend(backend, size, number, repeats):
    """Runs in the child process: per-call seconds of every contender, best repeat."""
    os.environ["CORNU_BACKEND"] = backend
    os.environ["KERAS_BACKEND"] = backend
    if backend == "torch":
        import torch

        torch.set_num_threads(1)  # tiny tensors: threads only add noise
    table = contenders(backend, size)
    for entries in table.values():  # warm up: bind the fronts, load kernels
        for fn, args in entries.values():
            per_call(fn, args, 100)
    results = {}
    for name, entries in table.items():
        times = {who: [] for who in entries}
        for _ in range(repeats):
            for who, (fn, args) in entries.items():
                times[who].append(per_call(fn, args, number))
        results[name] = {who: min(t) for who, t in times.items()}
    return results


def main():
    parser = argparse.ArgumentParser(description="cornu.ops dispatch-overhead benchmark")
    parser.add_argument("--backends", default="torch,tensorflow")
    parser.add_argument("--size", type=int, default=8, help="square tensors of this side")
    parser.add_argument("--number", type=int, default=20000, help="calls per timing")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_backend(args.child, args.size, args.number, args.repeats)))
        return
    rows = []
    for backend in args.backends.split(","):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        proc = subprocess.run(
            [sys.executable, __file__, "--child", backend, "--size", str(args.size),
             "--number", str(args.number), "--repeats", str(args.repeats)],
            capture_output=True, text=True, env=env,
        )
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"dispatch benchmark on {backend} failed")
        results = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.extend((backend, name, r) for name, r in results.items())
    print(f"\nPer-call time on {args.size}x{args.size} float32, {args.number} calls, best of "
          f"{args.repeats} (microseconds; ratios are cornu / other):")
    print(f"{'backend':<11} {'op':<7} {'direct':>8} {'cornu':>8} {'keras 3':>8} "
          f"{'cornu/direct':>13} {'cornu/keras':>12}")
    for backend, name, r in rows:
        keras_time = r.get("keras")
        keras_cols = (f"{keras_time * 1e6:>8.2f}", f"{r['cornu'] / keras_time:>12.2f}") if (
            keras_time) else (f"{'-':>8}", f"{'-':>12}")
        print(f"{backend:<11} {name:<7} {r['direct'] * 1e6:>8.2f} {r['cornu'] * 1e6:>8.2f} "
              f"{keras_cols[0]} {r['cornu'] / r['direct']:>13.2f} {keras_cols[1]}")


if __name__ == "__main__":
    main()
