"""The run.py workloads on a GPU: cornu vs hand-written torch vs Keras 3 (torch backend),
in float32 and under the ``mixed_bfloat16`` dtype policy.

One command times, per dtype policy and model (benchmarks/workloads.py: mlp, cnn,
transformer, lstm):

* ``train``: one ``fit`` epoch at batch 32 against a hand-written torch loop (the data
  on the device, ``torch.optim``, ``torch.autocast(dtype=bfloat16)`` for the mixed
  policy) and Keras 3's ``fit``; with the peak GPU memory each one allocated in its epoch;
* ``predict``: ``model.predict`` at batch 256 on an odd number of samples against a
  no-grad torch loop and Keras's ``predict``.

``torch.backends.cudnn.benchmark = True`` for every contender; the attention runs on
torch's fused ``scaled_dot_product_attention`` in all three (``nn.MultiheadAttention``
with ``need_weights=False`` in the hand-written model, ``ops.dot_product_attention`` in
cornu's and Keras's ``MultiHeadAttention``).  Each dtype policy runs in a process of
its own (the policy is global).

    python benchmarks/gpu.py                                   # CUDA, both policies
    python benchmarks/gpu.py --models transformer --dtypes mixed_bfloat16 --repeats 5
    python benchmarks/gpu.py --device cpu --quick --samples 64 --repeats 1   # smoke run

``--device cpu`` runs the same code on the CPU (the GPU hidden from the process), so
the script is exercised where there is no GPU; its figures mean nothing.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workloads as W  # noqa: E402

DTYPES = ("float32", "mixed_bfloat16")
SECTIONS = ("train", "predict")


def job(device, policy, models, samples, predict_samples, repeats, sections):
    """Runs in the child: every model under ``policy`` on ``device``."""
    os.environ["CORNU_BACKEND"] = "torch"
    os.environ["KERAS_BACKEND"] = "torch"
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device here: run with --device cpu")
    torch.backends.cudnn.benchmark = True
    import keras

    import cornu

    cornu.mixed_precision.set_global_policy(policy)
    keras.mixed_precision.set_global_policy(policy)
    amp = torch.bfloat16 if policy == "mixed_bfloat16" else None
    cuda = device == "cuda"

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def timed(fn):
        """``(seconds, peak bytes allocated above what was allocated before)``."""
        sync()
        if cuda:
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
        start = time.perf_counter()
        result = fn()
        sync()
        seconds = time.perf_counter() - start
        peak = torch.cuda.max_memory_allocated() - base if cuda else None
        return seconds, peak, result

    out = {"device": torch.cuda.get_device_name() if cuda else "cpu",
           "torch": torch.__version__, "keras": keras.__version__}
    for model_name in models:
        x, y = W.make_data(model_name, samples)
        cornu.utils.set_random_seed(0)
        hand, net = W.torch_trainer(model_name, x, y, device=device, amp_dtype=amp)
        ours, cmodel = W.library_trainer(cornu, model_name, x, y)
        theirs, kmodel = W.library_trainer(keras, model_name, x, y)
        for model in (cmodel, kmodel):
            if model.dtype_policy.name != policy:
                raise RuntimeError(f"{model_name}: built under {model.dtype_policy.name}, "
                                   f"not {policy}")
        result = {}
        if "train" in sections:
            epochs = {"hand": hand, "cornu": ours, "keras": theirs}
            times = {name: [] for name in epochs}
            peaks = {}
            for _ in range(repeats):  # interleaved: drifts hit all alike
                for name, epoch in epochs.items():
                    seconds, peak, (loss, accuracy) = timed(epoch)
                    if not (loss == loss and 0 <= accuracy <= 1):  # NaN check
                        raise RuntimeError(f"{policy} {model_name} {name}: loss {loss}")
                    times[name].append(seconds)
                    peaks[name] = peak
            result["train"] = {name: min(t) for name, t in times.items()}
            result["train_peak"] = peaks
        if "predict" in sections:
            px, _ = W.make_data(model_name, predict_samples, seed=1)
            predictors = {
                "hand": W.torch_predictor(model_name, net, px, device=device, amp_dtype=amp),
                "cornu": W.library_predictor(cmodel, px),
                "keras": W.library_predictor(kmodel, px),
            }
            for name, predict in predictors.items():  # warm up, and check the outputs
                got = predict()
                if tuple(got.shape) != (predict_samples, W.CLASSES):
                    raise RuntimeError(f"{policy} {model_name} {name}: predict gave "
                                       f"{got.shape}")
            times = {name: [] for name in predictors}
            for _ in range(repeats):
                for name, predict in predictors.items():
                    times[name].append(timed(predict)[0])
            result["predict"] = {name: min(t) for name, t in times.items()}
        out[model_name] = result
    return out


def _ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def _table(title, header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))).rstrip())


def main(argv=None):
    parser = argparse.ArgumentParser(description="cornu GPU benchmarks (torch backend)")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--predict-samples", type=int, default=None,
                        help="predict samples (default 50001; --quick: 301)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default=",".join(W.MODELS))
    parser.add_argument("--dtypes", default=",".join(DTYPES))
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes (a smoke run; figures meaningless)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(job(**json.loads(args.child))))
        return
    models = [m for m in args.models.split(",") if m]
    dtypes = [d for d in args.dtypes.split(",") if d]
    sections = [s for s in args.sections.split(",") if s]
    for values, known, what in ((models, W.MODELS, "model"), (dtypes, DTYPES, "dtype"),
                                (sections, SECTIONS, "section")):
        for v in values:
            if v not in known:
                parser.error(f"unknown {what} {v!r}; choose from {', '.join(known)}")
    predict_samples = args.predict_samples or (301 if args.quick else 50001)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if args.device == "cpu":
        env.update(CUDA_VISIBLE_DEVICES="", KERAS_TORCH_DEVICE="cpu")  # hide any GPU
    results = {}
    for policy in dtypes:
        spec = dict(device=args.device, policy=policy, models=models, samples=args.samples,
                    predict_samples=predict_samples, repeats=args.repeats, sections=sections)
        proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"gpu benchmark under {policy} on {args.device} failed")
        results[policy] = json.loads(proc.stdout.strip().splitlines()[-1])
    first = next(iter(results.values()))
    print(f"\ndevice: {first['device']}; torch {first['torch']}, keras {first['keras']}; "
          "cudnn.benchmark on")
    head = ["device", "dtype policy", "model", "hand torch", "cornu", "keras 3", "cornu/hand",
            "cornu/keras"]

    def mib(n):
        return "-" if n is None else f"{n / 2 ** 20:.0f}"

    if "train" in sections:
        rows = []
        for policy, res in results.items():
            for model_name in models:
                t, p = res[model_name]["train"], res[model_name]["train_peak"]
                rows.append([args.device, policy, model_name, f"{t['hand']:.3f}",
                             f"{t['cornu']:.3f}", f"{t['keras']:.3f}",
                             _ratio(t["cornu"], t["hand"]), _ratio(t["cornu"], t["keras"]),
                             f"{mib(p['hand'])}/{mib(p['cornu'])}/{mib(p['keras'])}"])
        _table(f"train: one epoch, {args.samples} samples, batch {W.TRAIN_BATCH}, best of "
               f"{args.repeats} (seconds; ratios are cornu / other)",
               [*head, "peak MiB hand/cornu/keras"], rows)
    if "predict" in sections:
        rows = []
        for policy, res in results.items():
            for model_name in models:
                t = res[model_name]["predict"]
                rows.append([args.device, policy, model_name, f"{t['hand']:.3f}",
                             f"{t['cornu']:.3f}", f"{t['keras']:.3f}",
                             _ratio(t["cornu"], t["hand"]), _ratio(t["cornu"], t["keras"]),
                             f"{predict_samples / t['cornu']:.0f}"])
        _table(f"predict: {predict_samples} samples, batch {W.PREDICT_BATCH} (the last "
               f"{predict_samples % W.PREDICT_BATCH} partial), best of {args.repeats} "
               "(seconds)", [*head, "cornu samples/s"], rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
