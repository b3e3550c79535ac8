"""cornu vs a hand-written framework loop vs Keras 3, per backend, on the CPU.

The workloads (benchmarks/workloads.py): an MLP and a small CNN on Fashion-MNIST-shaped
images, a transformer encoder block and an LSTM(128) classifier on 64-token sequences.
Each hand-written loop computes the same math (same shapes, same optimizer) and tracks
the loss and the accuracy on the device, as ``fit`` does.  Sections (``--sections``):

* ``train``: one ``fit`` epoch (batch 32) against the hand loop (torch: ``nn.Module`` +
  ``torch.optim``; tensorflow: ``tf.Variable`` s + a ``tf.function`` step) and Keras 3;
* ``predict``: ``model.predict`` at batch 256 on an odd number of samples (the last
  batch partial) against a no-grad torch loop / a ``tf.function`` inference loop and
  Keras's ``predict``; on tensorflow, how many times cornu's predict step traced;
* ``pipeline``: ``fit`` fed by numpy arrays, a ``tf.data.Dataset``, a
  ``torch.utils.data.DataLoader`` and a ``PyDataset(workers=2)`` (threads), cornu and
  Keras 3 (time per epoch, each feed against numpy arrays);
* ``memory``: the peak RSS of a process that trains one epoch (one process per
  contender and model), and the growth of RSS over ``fit(epochs=20)`` and over 1000
  ``predict`` calls of the MLP;
* ``startup``: a fresh interpreter's ``import`` + build/compile of the MLP + its first
  finished train step, cornu vs plain torch / tensorflow vs Keras 3.

Every backend and every memory/startup measurement runs in a process of its own (one
framework per process; the ``pipeline`` processes load both, since a ``tf.data`` feed
on torch needs TensorFlow).

    python benchmarks/run.py                                  # everything, both backends
    python benchmarks/run.py --backends torch --models transformer,lstm --sections train
    python benchmarks/run.py --samples 64 --repeats 1 --quick --models mlp   # smoke run
    python benchmarks/run.py --jit                            # adds jit_compile=True

Time only on a quiet machine: other processes on the cores make the frameworks' thread
pools spin and the figures meaningless.  Prints seconds (best of ``--repeats``, the
contenders interleaved) and the ratios cornu / other.
"""
import argparse
import json
import logging
import math
import os
import re
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workloads as W  # noqa: E402

SECTIONS = ("train", "predict", "pipeline", "memory", "startup")
FEEDS = ("numpy", "tf.data", "DataLoader", "PyDataset")
HAND = {"torch": "hand torch loop", "tensorflow": "hand tf.function"}


def _import_frameworks(backend, tf_too=False):
    """Set the backend, then import the framework(s), Keras 3 and cornu (torch first:
    before anything that might load TensorFlow)."""
    os.environ["CORNU_BACKEND"] = backend
    os.environ["KERAS_BACKEND"] = backend
    if backend == "torch":
        import torch  # noqa: F401
    if tf_too or backend == "tensorflow":
        import tensorflow  # noqa: F401
    import keras

    import cornu

    return cornu, keras


def _hand_trainer(backend, model_name, x, y):
    if backend == "torch":
        epoch, net = W.torch_trainer(model_name, x, y)
        return epoch, net, W.torch_param_count(net)
    epoch, net = W.tf_trainer(model_name, x, y)
    return epoch, net, W.tf_param_count(net)


def _hand_predictor(backend, model_name, net, x):
    if backend == "torch":
        return W.torch_predictor(model_name, net, x)
    return W.tf_predictor(net, x)


def _check_training(name, result):
    loss, accuracy = result
    if not (math.isfinite(loss) and 0.0 <= accuracy <= 1.0):
        raise RuntimeError(f"{name}: the epoch gave loss {loss}, accuracy {accuracy}")


def _check_predictions(name, out, samples):
    out = np.asarray(out, dtype="float32")
    if out.shape != (samples, W.CLASSES) or not np.allclose(out.sum(-1), 1.0, atol=1e-2):
        raise RuntimeError(f"{name}: predict gave {out.shape}, not {samples} rows of "
                           f"{W.CLASSES} probabilities")


def _tf_retrace_log():
    """The messages of TensorFlow's logger that report retracing, as they come."""
    import tensorflow as tf

    found = []
    handler = logging.Handler()
    handler.emit = lambda record: found.append(record.getMessage()) if "retracing" in \
        record.getMessage() else None
    tf.get_logger().addHandler(handler)
    return found


def _warned_function(message):
    """The function a TensorFlow retracing warning names."""
    match = re.search(r"calls to <function (\S+)", message)
    return match.group(1) if match else message[:80]


def _traces(model):
    compiled = getattr(model.predict_function, "compiled", ())
    return sum(f.experimental_get_tracing_count() for f in compiled)


# -- child jobs ---------------------------------------------------------------------------
def job_speed(backend, models, samples, predict_samples, repeats, sections, jit=False):
    """train and predict: hand loop, cornu and Keras 3 in one process, interleaved."""
    cornu, keras = _import_frameworks(backend)
    retraces = _tf_retrace_log() if backend == "tensorflow" else []
    out = {}
    for model_name in models:
        x, y = W.make_data(model_name, samples)
        cornu.utils.set_random_seed(0)
        hand, net, hand_params = _hand_trainer(backend, model_name, x, y)
        ours, cmodel = W.library_trainer(cornu, model_name, x, y)
        theirs, kmodel = W.library_trainer(keras, model_name, x, y)
        result = {"params": {"hand": hand_params, "cornu": cmodel.count_params(),
                             "keras": kmodel.count_params()}}
        if "train" in sections:
            epochs = {"hand": hand, "cornu": ours, "keras": theirs}
            choices = []
            if jit:  # what jit_compile=True chose to run, and what it measured
                handler = logging.Handler()
                handler.emit = lambda record, found=choices: found.append(record.getMessage())
                logging.getLogger("cornu").addHandler(handler)
                logging.getLogger("cornu").setLevel(logging.INFO)
                epochs["jit"], _ = W.library_trainer(cornu, model_name, x, y, jit_compile=True)
            times = {name: [] for name in epochs}
            for _ in range(repeats):
                for name, epoch in epochs.items():
                    start = time.perf_counter()
                    _check_training(f"{backend} {model_name} {name}", epoch())
                    times[name].append(time.perf_counter() - start)
            result["train"] = {name: min(t) for name, t in times.items()}
            if jit:
                result["train"]["jit_choice"] = " | ".join(choices) or "-"
        if "predict" in sections:
            px, _ = W.make_data(model_name, predict_samples, seed=1)
            before = len(retraces)
            predictors = {"hand": _hand_predictor(backend, model_name, net, px),
                          "cornu": W.library_predictor(cmodel, px),
                          "keras": W.library_predictor(kmodel, px)}
            times = {name: [] for name in predictors}
            for name, predict in predictors.items():  # warm up, and check the outputs
                _check_predictions(f"{backend} {model_name} {name}", predict(), predict_samples)
            for _ in range(repeats):
                for name, predict in predictors.items():
                    times[name].append(W.best_of(predict, 1))
            result["predict"] = {name: min(t) for name, t in times.items()}
            if backend == "tensorflow":
                result["predict"]["cornu_traces"] = _traces(cmodel)
                # TensorFlow's "triggered tf.function retracing" warnings meanwhile, by
                # the function they name (cornu's steps are make_step's locals)
                result["predict"]["retrace_warnings"] = [
                    _warned_function(m) for m in retraces[before:]]
        out[model_name] = result
    return out


def _feeds(lib, x, y, feed, shuffle_seed=0):
    """What ``fit`` gets for ``feed``: ``(data, fit kwargs)``."""
    batch = W.TRAIN_BATCH
    if feed == "numpy":
        return (x, y), {"batch_size": batch}
    if feed == "tf.data":
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=shuffle_seed)
        return (ds.batch(batch).prefetch(tf.data.AUTOTUNE),), {}
    if feed == "DataLoader":
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        ds = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        return (DataLoader(ds, batch_size=batch, shuffle=True),), {}
    if feed == "PyDataset":
        class Batches(lib.utils.PyDataset):
            def __init__(self):
                super().__init__(workers=2, use_multiprocessing=False)
                self.order = np.arange(len(x))

            def __len__(self):
                return math.ceil(len(x) / batch)

            def __getitem__(self, i):
                index = self.order[i * batch:(i + 1) * batch]
                return x[index], y[index]

            def on_epoch_end(self):
                np.random.shuffle(self.order)

        return (Batches(),), {}
    raise ValueError(feed)


def job_pipeline(backend, model_name, samples, repeats):
    """One fit epoch per feed, cornu and Keras 3 (both frameworks imported)."""
    cornu, keras = _import_frameworks(backend, tf_too=True)
    import torch  # noqa: F401  (the DataLoader feed on tensorflow)

    x, y = W.make_data(model_name, samples)
    runs = {}
    for lib_name, lib in (("cornu", cornu), ("keras", keras)):
        for feed in FEEDS:
            model = W.compiled(lib, model_name)
            args, kwargs = _feeds(lib, x, y, feed)

            def epoch(model=model, args=args, kwargs=kwargs, name=f"{lib_name} {feed}"):
                history = model.fit(*args, epochs=1, verbose=0, **kwargs).history
                _check_training(f"{backend} {name}",
                                (history["loss"][-1], history["accuracy"][-1]))

            epoch()  # build, trace (each feed gives its own dtypes and structure)
            runs[(lib_name, feed)] = epoch
    times = {key: [] for key in runs}
    for _ in range(repeats):
        for key, epoch in runs.items():
            times[key].append(W.best_of(epoch, 1))
    return {f"{lib_name}|{feed}": min(t) for (lib_name, feed), t in times.items()}


def job_memory(backend, contender, model_name, samples, growth, growth_epochs,
               growth_predicts):
    """Peak RSS of one training epoch of ``contender`` (nothing else imported beyond
    its framework); with ``growth``, then RSS before/after ``fit(epochs=N)`` and N
    ``predict`` calls of the MLP."""
    os.environ["CORNU_BACKEND"] = backend
    os.environ["KERAS_BACKEND"] = backend
    x, y = W.make_data(model_name, samples)
    if contender == "hand":
        epoch, net, _ = _hand_trainer(backend, model_name, x, y)
    else:
        lib = __import__(contender)
        epoch, _ = W.library_trainer(lib, model_name, x, y)
    setup = W.rss_bytes()
    _check_training(f"{backend} {model_name} {contender}", epoch())
    out = {"setup": setup, "peak": max(W.peak_rss_bytes(), W.rss_bytes())}
    if not growth:
        return out
    gx, gy = W.make_data("mlp", 256, seed=2)
    px = gx[:64]
    if contender == "hand":
        fit_epoch, net, _ = _hand_trainer(backend, "mlp", gx, gy)

        def fit():
            for _ in range(growth_epochs):
                fit_epoch()
        predict = _hand_predictor(backend, "mlp", net, px)
    else:
        fit_epoch, model = W.library_trainer(lib, "mlp", gx, gy)

        def fit():
            model.fit(gx, gy, batch_size=W.TRAIN_BATCH, epochs=growth_epochs, verbose=0)

        def predict():
            return model.predict(px, verbose=0)
    fit()
    predict()  # warm: traces, caches and allocator pools
    before = W.rss_bytes()
    fit()
    after_fit = W.rss_bytes()
    for _ in range(growth_predicts):
        predict()
    after_predict = W.rss_bytes()
    out.update(fit_growth=after_fit - before, predict_growth=after_predict - after_fit)
    return out


_PROBE = """
import json, sys, time
sys.path.insert(0, {here!r})
import workloads as W
t0 = time.perf_counter()
import numpy as np
x, y = W.make_data("mlp", W.TRAIN_BATCH)
{code}
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "build": t2 - t1, "step": t3 - t2}}))
"""

_PROBE_CODE = {
    "cornu": """import cornu as lib
t1 = time.perf_counter()
model = W.compiled(lib, "mlp")
t2 = time.perf_counter()
model.fit(x, y, batch_size=W.TRAIN_BATCH, epochs=1, verbose=0)""",
    "keras": """import keras as lib
t1 = time.perf_counter()
model = W.compiled(lib, "mlp")
t2 = time.perf_counter()
model.fit(x, y, batch_size=W.TRAIN_BATCH, epochs=1, verbose=0)""",
    "hand-torch": """import torch
t1 = time.perf_counter()
net = W.torch_net("mlp")
opt = W.torch_optimizer("mlp", net.parameters())
loss_fn = torch.nn.CrossEntropyLoss()
t2 = time.perf_counter()
loss = loss_fn(net(torch.from_numpy(x)), torch.from_numpy(y))
loss.backward()
opt.step()
float(loss)""",
    "hand-tensorflow": """import tensorflow as tf
t1 = time.perf_counter()
net = W.tf_net("mlp")
opt = W.TFOptimizer("mlp", list(net.w))

@tf.function
def step(xb, yb):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            yb, net.forward(xb)))
    opt.apply(tape.gradient(loss, net.w))
    return loss
t2 = time.perf_counter()
float(step(tf.constant(x), tf.constant(y)).numpy())""",
}


def job_startup(backend, contender, repeats):
    """Best of ``repeats`` fresh interpreters: import, build + compile, first step."""
    code = _PROBE_CODE["hand-" + backend if contender == "hand" else contender]
    env = dict(os.environ, CORNU_BACKEND=backend, KERAS_BACKEND=backend,
               TF_CPP_MIN_LOG_LEVEL="3")
    best = None
    for _ in range(repeats):
        proc = subprocess.run([sys.executable, "-c", _PROBE.format(here=HERE, code=code)],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"startup probe {contender} on {backend} failed:\n"
                               f"{proc.stderr[-3000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        if best is None or sum(r.values()) < sum(best.values()):
            best = r
    return best


JOBS = {"speed": job_speed, "pipeline": job_pipeline, "memory": job_memory,
        "startup": job_startup}


# -- the parent: runs the jobs, prints the tables ---------------------------------------
def run_child(job, **kwargs):
    """Runs ``JOBS[job](**kwargs)`` in a fresh interpreter; returns its JSON result."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps([job, kwargs])],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        print(proc.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"benchmark job {job} {kwargs} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def _table(title, header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["", title]
    for r in [header, *rows]:
        lines.append("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    print("\n".join(lines))


def _mib(n):
    return f"{n / 2 ** 20:.1f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description="cornu benchmarks (CPU, both backends)")
    parser.add_argument("--samples", type=int, default=20000, help="training samples")
    parser.add_argument("--predict-samples", type=int, default=None,
                        help="predict samples (default 10001; --quick: 301)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", default="torch,tensorflow")
    parser.add_argument("--models", default=",".join(W.MODELS))
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes everywhere (a smoke run; figures meaningless)")
    parser.add_argument("--jit", action="store_true",
                        help="also time cornu with compile(jit_compile=True)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        job, kwargs = json.loads(args.child)
        print(json.dumps(JOBS[job](**kwargs)))
        return
    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in W.MODELS:
            parser.error(f"unknown model {m!r}; choose from {', '.join(W.MODELS)}")
    sections = [s for s in args.sections.split(",") if s]
    for s in sections:
        if s not in SECTIONS:
            parser.error(f"unknown section {s!r}; choose from {', '.join(SECTIONS)}")
    backends = [b for b in args.backends.split(",") if b]
    predict_samples = args.predict_samples or (301 if args.quick else 10001)
    growth_epochs, growth_predicts = (2, 20) if args.quick else (20, 1000)
    results = {}
    for backend in backends:
        res = results[backend] = {}
        if "train" in sections or "predict" in sections:
            res["speed"] = run_child(
                "speed", backend=backend, models=models, samples=args.samples,
                predict_samples=predict_samples, repeats=args.repeats,
                sections=[s for s in sections if s in ("train", "predict")], jit=args.jit)
        if "pipeline" in sections:
            res["pipeline"] = run_child("pipeline", backend=backend, model_name=models[0],
                                        samples=args.samples, repeats=args.repeats)
        if "memory" in sections:
            res["memory"] = {
                model_name: {c: run_child("memory", backend=backend, contender=c,
                                          model_name=model_name, samples=args.samples,
                                          growth=i == 0, growth_epochs=growth_epochs,
                                          growth_predicts=growth_predicts)
                             for c in ("hand", "cornu", "keras")}
                for i, model_name in enumerate(models)}
        if "startup" in sections:
            res["startup"] = {c: run_child("startup", backend=backend, contender=c,
                                           repeats=1 if args.quick else args.repeats)
                              for c in ("hand", "cornu", "keras")}
    report(results, args, models, sections, predict_samples, growth_epochs, growth_predicts)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


def report(results, args, models, sections, predict_samples, growth_epochs, growth_predicts):
    head = ["backend", "model", "hand loop", "cornu", "keras 3", "cornu/hand", "cornu/keras"]
    if "train" in sections:
        rows, jit_rows = [], []
        for backend, res in results.items():
            for model_name, r in res["speed"].items():
                t, p = r["train"], r["params"]
                params = (str(p["cornu"]) if p["hand"] == p["cornu"] == p["keras"]
                          else f"{p['hand']}/{p['cornu']}/{p['keras']}")
                rows.append([backend, model_name, f"{t['hand']:.3f}", f"{t['cornu']:.3f}",
                             f"{t['keras']:.3f}", _ratio(t["cornu"], t["hand"]),
                             _ratio(t["cornu"], t["keras"]), params, HAND[backend]])
                if args.jit:
                    jit_rows.append([backend, model_name, f"{t['jit']:.3f}",
                                     _ratio(t["jit"], t["cornu"]), t["jit_choice"]])
        _table(f"train: one epoch, {args.samples} samples, batch {W.TRAIN_BATCH}, best of "
               f"{args.repeats} (seconds; ratios are cornu / other)",
               [*head, "params (hand/cornu/keras)", "hand loop is"], rows)
        if jit_rows:
            _table("train, jit_compile=True (seconds; ratio is jit / eager cornu)",
                   ["backend", "model", "jit", "jit/cornu", "chose"], jit_rows)
    if "predict" in sections:
        rows, others = [], []
        for backend, res in results.items():
            for model_name, r in res["speed"].items():
                t = r["predict"]
                traces = "-"
                if "cornu_traces" in t:
                    ours = [w for w in t["retrace_warnings"] if "make_step" in w]
                    traces = f"{t['cornu_traces']} ({len(ours)} retracing warnings)"
                    others.extend(w for w in t["retrace_warnings"] if w not in ours)
                rows.append([backend, model_name, f"{t['hand']:.3f}", f"{t['cornu']:.3f}",
                             f"{t['keras']:.3f}", _ratio(t["cornu"], t["hand"]),
                             _ratio(t["cornu"], t["keras"]),
                             f"{predict_samples / t['cornu']:.0f}", traces])
        _table(f"predict: {predict_samples} samples, batch {W.PREDICT_BATCH} (the last "
               f"{predict_samples % W.PREDICT_BATCH} partial), best of {args.repeats} "
               "(seconds; ratios are cornu / other)",
               [*head, "cornu samples/s", "cornu TF traces"], rows)
        if others:
            print(f"(TensorFlow's retracing warnings for other functions: "
                  f"{', '.join(sorted(set(others)))})")
    if "pipeline" in sections:
        rows = []
        for backend, res in results.items():
            r = res["pipeline"]
            for feed in FEEDS:
                c, k = r[f"cornu|{feed}"], r[f"keras|{feed}"]
                rows.append([backend, feed, f"{c:.3f}", _ratio(c, r["cornu|numpy"]),
                             f"{k:.3f}", _ratio(k, r["keras|numpy"]), _ratio(c, k)])
        _table(f"pipeline: one fit epoch of {models[0]}, {args.samples} samples, batch "
               f"{W.TRAIN_BATCH}, best of {args.repeats} (seconds; PyDataset: workers=2, "
               "threads)",
               ["backend", "feed", "cornu", "cornu/numpy", "keras 3", "keras/numpy",
                "cornu/keras"], rows)
    if "memory" in sections:
        rows, growth = [], []
        for backend, res in results.items():
            for i, (model_name, r) in enumerate(res["memory"].items()):
                h, c, k = r["hand"], r["cornu"], r["keras"]
                rows.append([backend, model_name, _mib(h["peak"]), _mib(c["peak"]),
                             _mib(k["peak"]), _ratio(c["peak"], h["peak"]),
                             _ratio(c["peak"], k["peak"]),
                             f"{_mib(h['setup'])}/{_mib(c['setup'])}/{_mib(k['setup'])}"])
                if i == 0:
                    for key, what in (("fit_growth", f"fit {growth_epochs} epochs"),
                                      ("predict_growth", f"{growth_predicts} predicts")):
                        growth.append([backend, what, _mib(h[key]), _mib(c[key]),
                                       _mib(k[key])])
        _table(f"memory: peak RSS of a process training one epoch, {args.samples} samples "
               "(MiB; one process per contender)",
               [*head, "RSS before the epoch (hand/cornu/keras)"], rows)
        _table("memory: RSS growth, mlp on 256 samples / predict on 64 (MiB, after a warm-up)",
               ["backend", "run", "hand loop", "cornu", "keras 3"], growth)
    if "startup" in sections:
        rows = []
        for backend, res in results.items():
            r = res["startup"]
            total = {c: sum(v.values()) for c, v in r.items()}
            for c, label in (("hand", f"plain {backend}"), ("cornu", "cornu"),
                             ("keras", "keras 3")):
                v = r[c]
                rows.append([backend, label, f"{v['import']:.2f}", f"{v['build']:.2f}",
                             f"{v['step']:.2f}", f"{total[c]:.2f}",
                             _ratio(total[c], total["hand"]),
                             _ratio(total[c], total["keras"])])
        _table("startup: fresh interpreter, import + build/compile the mlp + first finished "
               "train step (seconds; `import cornu` loads no framework: cornu's build "
               "column includes it)",
               ["backend", "contender", "import", "build", "first step", "total",
                "total/hand", "total/keras"], rows)


if __name__ == "__main__":
    main()
