"""cornu-callbacks with cornu-core only: a model from the test plugin's layer and optimizer."""
import csv
import http.server
import json
import socket
import threading
import urllib.parse

import numpy as np
import pytest

import cornu
from cornu import callbacks, ops
from cornu_testplugin import PlainGD, ScaledDense


def mse(y_true, y_pred):
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, x @ np.array([[1.0], [2.0], [-1.0]], "float32")


def _model(lr=0.05):
    model = cornu.Sequential([cornu.Input((3,)), ScaledDense(1, name="d")])
    model.compile(optimizer=PlainGD(learning_rate=lr), loss=mse)
    return model


def test_every_callback_is_registered_and_exported():
    from cornu.plugins import registry

    for name in ("BackupAndRestore", "CSVLogger", "EarlyStopping", "LambdaCallback",
                 "LearningRateScheduler", "ModelCheckpoint", "ReduceLROnPlateau",
                 "RemoteMonitor", "SwapEMAWeights", "TensorBoard", "TerminateOnNaN"):
        assert registry.get("callback", name) is getattr(callbacks, name)


def test_terminate_on_nan_stops_at_the_bad_batch():
    x, y = _data(64)
    y[40] = np.nan  # batch 5 of 8
    seen = []
    model = _model()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False, callbacks=[
        callbacks.TerminateOnNaN(),
        callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch)),
    ])
    assert seen == [0, 1, 2, 3, 4, 5]
    assert len(history.history["loss"]) == 1 and np.isnan(history.history["loss"][0])
    model = _model()
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 5"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False,
                  callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


def test_lambda_callback_hooks_and_unknown_names():
    events = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, sorted(logs))),
        on_test_end=lambda logs: events.append("test_end"),
        on_predict_batch_end=lambda batch, logs: events.append(("predict_batch", batch)),
    )
    x, y = _data(16)
    model = _model()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(x, y), callbacks=[cb])
    model.predict(x, batch_size=8, verbose=0, callbacks=[cb])
    assert events == [
        "train_begin", "test_end", ("epoch_end", 0, ["loss", "val_loss"]), "test_end",
        ("epoch_end", 1, ["loss", "val_loss"]), ("predict_batch", 0), ("predict_batch", 1),
    ]
    with pytest.raises(TypeError, match="unknown hook"):
        callbacks.LambdaCallback(on_epoch_ending=print)


def test_learning_rate_scheduler_sets_and_logs_the_rate(capsys):
    x, y = _data(16)
    model = _model(lr=0.1)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[
        callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=1)])
    np.testing.assert_allclose(history.history["learning_rate"], [0.05, 0.025, 0.0125])
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.0125." in capsys.readouterr().out
    model = _model(lr=0.1)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[
        callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))])
    np.testing.assert_allclose(history.history["learning_rate"], [0.01, 0.02])
    with pytest.raises(ValueError, match="should be a float"):
        _model().fit(x, y, epochs=1, verbose=0,
                     callbacks=[callbacks.LearningRateScheduler(lambda epoch: "fast")])


def test_reduce_lr_on_plateau_factor_patience_and_min_lr(capsys):
    x, y = _data(16)
    model = _model(lr=0.1)
    # min_delta larger than any change: no epoch after the first is an improvement.
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1, min_delta=1e9,
                                     min_lr=0.005, verbose=1)
    history = model.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[cb])
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.1, 0.01, 0.005])
    assert model.optimizer.learning_rate == pytest.approx(0.005)
    assert "ReduceLROnPlateau reducing learning rate to 0.005." in capsys.readouterr().out
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.5)
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss`"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ReduceLROnPlateau()])


def test_csv_logger_format_and_append(tmp_path):
    path = tmp_path / "log.csv"
    x, y = _data(32)
    model = _model()
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(x, y),
                        callbacks=[callbacks.CSVLogger(path)])
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], history.history["loss"])
    assert rows[1][1] == repr(history.history["loss"][0])  # Keras writes str(float)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0,
              callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and lines[3].startswith("0;") and lines[3].count(";") == 2
    assert lines[3].endswith(";NA")  # no validation this time: Keras writes NA
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    assert path.read_text().splitlines()[0] == "epoch,loss,val_loss"  # Keras adds val_ columns
    assert path.read_text().splitlines()[1].endswith(",NA")


class _Recorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).received.append((self.path, self.headers.get("Content-Type"),
                                    self.headers.get("X-Token"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_remote_monitor_posts_json_and_form_and_survives_a_closed_port():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    root = f"http://127.0.0.1:{server.server_address[1]}"
    _Recorder.received = []
    try:
        x, y = _data(16)
        model = _model()
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[
            callbacks.RemoteMonitor(root=root, path="/json", send_as_json=True,
                                    headers={"X-Token": "abc"})])
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[
            callbacks.RemoteMonitor(root=root, field="payload")])
    finally:
        server.shutdown()
        server.server_close()
    (p0, t0, h0, b0), (_, _, _, b1), (p2, t2, h2, b2) = _Recorder.received
    assert (p0, t0, h0) == ("/json", "application/json", "abc")
    assert json.loads(b0) == {"epoch": 0, "loss": history.history["loss"][0]}
    assert json.loads(b1)["epoch"] == 1
    assert (p2, t2, h2) == ("/publish/epoch/end/", "application/x-www-form-urlencoded", None)
    form = urllib.parse.parse_qs(b2)
    assert set(json.loads(form["payload"][0])) == {"epoch", "loss"}

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    model = _model()
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[
            callbacks.RemoteMonitor(root=f"http://127.0.0.1:{closed}", timeout=2)])
    assert len(history.history["loss"]) == 2  # training went on


def test_tensorboard_scalars_and_histograms_read_back(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    x, y = _data(32)
    model = _model()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, validation_data=(x, y),
                        callbacks=[callbacks.TensorBoard(tmp_path, histogram_freq=1,
                                                         update_freq=2)])
    from tensorboard.util import tensor_util

    def values(acc, tag):
        return [float(tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]

    train = EventAccumulator(str(tmp_path / "train"), size_guidance={"tensors": 0})
    train.Reload()
    tags = train.Tags()["tensors"]  # TF2 summaries, as Keras writes them
    assert {"epoch_loss", "batch_loss"} <= set(tags)
    assert train.SummaryMetadata("epoch_loss").plugin_data.plugin_name == "scalars"
    np.testing.assert_allclose(values(train, "epoch_loss"), history.history["loss"], rtol=1e-6)
    assert [e.step for e in train.Tensors("epoch_loss")] == [0, 1, 2]
    assert [e.step for e in train.Tensors("batch_loss")] == [2, 4, 6, 8, 10, 12]
    (hist_tag,) = [t for t in tags if t.endswith("/histogram")]
    assert hist_tag.endswith("kernel/histogram")
    buckets = tensor_util.make_ndarray(train.Tensors(hist_tag)[-1].tensor_proto)
    assert buckets.shape == (30, 3) and buckets[:, 2].sum() == 3  # the kernel's 3 values
    val = EventAccumulator(str(tmp_path / "validation"), size_guidance={"tensors": 0})
    val.Reload()
    np.testing.assert_allclose(values(val, "epoch_loss"), history.history["val_loss"],
                               rtol=1e-6)
    with pytest.raises(ValueError, match="profile_batch must be"):
        callbacks.TensorBoard(tmp_path, profile_batch=(5, 2))


def test_tensorboard_graph_and_profiler_where_the_backend_has_them(tmp_path, backend_name):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    x, y = _data(32)
    if backend_name != "tensorflow":
        with pytest.raises(ValueError, match="profiling is not available on the torch"):
            callbacks.TensorBoard(tmp_path, profile_batch=2)
        _model().fit(x, y, batch_size=8, verbose=0, callbacks=[callbacks.TensorBoard(tmp_path)])
        train = EventAccumulator(str(tmp_path / "train"))
        train.Reload()
        assert not train.Tags()["graph"]  # an eager backend has no graph, as in Keras
        return
    board = callbacks.TensorBoard(tmp_path, profile_batch=(2, 3))
    _model().fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[board])
    train = EventAccumulator(str(tmp_path / "train"))
    train.Reload()
    assert train.Tags()["graph"]
    assert any(node.op == "ResourceApplyGradientDescent" or "Assign" in node.op
               for node in train.Graph().node)
    traces = list((tmp_path / "train" / "plugins" / "profile").rglob("*.xplane.pb"))
    assert traces and traces[0].stat().st_size > 0


def test_tensorboard_missing_package_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("tensorboard"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"cornu-callbacks\[tensorboard\]"):
        callbacks.TensorBoard("logs")
