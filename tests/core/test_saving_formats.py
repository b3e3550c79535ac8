"""Saving beyond the basics, with cornu-core and the test plugin only: the keras.saving
namespace, layer assets and own-variable stores in .keras archives, zipped=False,
sharded weights, atomic writes (an injected error, a killed process, what a killed save
leaves, the umask's permissions, the folder's fsync), the file editor, clone_model, JSON
configs, compile configs, plot_model and export."""
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import zipfile

import h5py
import numpy as np
import pytest

import cornu
from cornu import ops
from cornu.saving import atomic
from cornu_testplugin import PlainGD, ScaledDense

#: ``dir(keras.saving)`` and the saving names of ``keras.models``/``keras.utils`` in
#: Keras 3.15.1 (shared/reference/keras-inventory.md).
KERAS_SAVING = [
    "CustomObjectScope", "KerasFileEditor", "custom_object_scope", "deserialize_keras_object",
    "get_custom_objects", "get_registered_name", "get_registered_object", "load_model",
    "load_weights", "register_keras_serializable", "save_model", "save_weights",
    "serialize_keras_object",
]
KERAS_MODELS = ["Model", "Sequential", "clone_model", "load_model", "model_from_json",
                "save_model"]
KERAS_UTILS = ["plot_model", "model_to_dot", "get_custom_objects", "custom_object_scope",
               "CustomObjectScope", "register_keras_serializable", "serialize_keras_object",
               "deserialize_keras_object", "get_registered_name", "get_registered_object"]


def mse(y_true, y_pred):
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def _data(n=16, d=4, k=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), rng.normal(size=(n, k)).astype("float32")


def _model(name="net"):
    return cornu.Sequential([cornu.Input((4,)), ScaledDense(3, name="a"),
                             ScaledDense(2, scale=0.5, name="b")], name=name)


def test_the_keras_saving_names_exist():
    for name in KERAS_SAVING:
        assert hasattr(cornu.saving, name), name
    for name in KERAS_MODELS:
        assert hasattr(cornu.models, name), name
    for name in KERAS_UTILS:
        assert hasattr(cornu.utils, name), name
    assert cornu.saving.serialize_keras_object is cornu.saving.serialize_cornu_object
    assert cornu.saving.register_keras_serializable is cornu.saving.register_cornu_serializable


def test_get_custom_objects_registers_by_name():
    class Tripled(ScaledDense):
        pass

    objects = cornu.saving.get_custom_objects()
    objects["TripledForTest"] = Tripled
    try:
        layer = cornu.saving.deserialize_keras_object(
            {"module": None, "class_name": "Tripled", "registered_name": "TripledForTest",
             "config": {"units": 2, "scale": 3.0, "name": "t"}})
        assert type(layer) is Tripled and layer.scale == 3.0
        assert cornu.saving.get_registered_object("TripledForTest") is Tripled
    finally:
        del objects["TripledForTest"]
    with cornu.saving.custom_object_scope({"TripledForTest": Tripled}):
        assert cornu.saving.get_registered_object("TripledForTest") is Tripled
    assert cornu.saving.get_registered_object("TripledForTest") is None


@cornu.saving.register_cornu_serializable(package="saving_tests")
class Vocabulary(cornu.Layer):
    """A layer with every kind of state: a weight, a store of its own (counts), and an
    asset file (its vocabulary), as Keras's lookup layers have."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.tokens = []
        self.counts = np.zeros((0,), "int64")

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, x):
        bonus = float(len(self.tokens)) + float(self.counts.sum())
        return ops.add(ops.matmul(x, self.kernel), bonus)

    def save_own_variables(self, store):
        store["0"] = self.kernel.numpy()
        store["1"] = self.counts

    def load_own_variables(self, store):
        self.kernel.assign(store["0"])
        self.counts = np.asarray(store["1"])

    def save_assets(self, dir_path):
        with open(os.path.join(dir_path, "vocabulary.txt"), "w") as f:
            f.write("\n".join(self.tokens))

    def load_assets(self, dir_path):
        with open(os.path.join(dir_path, "vocabulary.txt")) as f:
            self.tokens = f.read().split("\n")

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@cornu.saving.register_cornu_serializable(package="saving_tests")
class Holder(cornu.Model):
    """A subclassed model holding layers in attributes (the Keras path rule)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.vocab = Vocabulary(3)
        self.head = ScaledDense(2, scale=2.0)

    def call(self, x):
        return self.head(self.vocab(x))


def _with_state(layer):
    layer.tokens = ["[UNK]", "cat", "dog"]
    layer.counts = np.array([4, 5, 6], "int64")


@pytest.mark.parametrize("zipped", [True, False])
def test_assets_and_own_variables_round_trip(tmp_path, zipped):
    x, _ = _data()
    model = cornu.Sequential([cornu.Input((4,)), Vocabulary(3, name="voc"), ScaledDense(2)])
    _with_state(model.layers[0])
    expected = ops.convert_to_numpy(model(x))
    path = tmp_path / "vocab.keras"
    model.save(path, zipped=zipped)
    if zipped:
        with zipfile.ZipFile(path) as archive:
            assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5",
                                          "assets/layers/vocabulary/vocabulary.txt"]
            assert archive.read("assets/layers/vocabulary/vocabulary.txt") == b"[UNK]\ncat\ndog"
            with h5py.File(__import__("io").BytesIO(archive.read("model.weights.h5"))) as f:
                assert f["layers/vocabulary/vars"].attrs["name"] == "voc"
                np.testing.assert_array_equal(f["layers/vocabulary/vars/1"][()], [4, 5, 6])
    else:
        assert sorted(os.listdir(path)) == ["assets", "config.json", "metadata.json",
                                            "model.weights.h5"]
    loaded = cornu.saving.load_model(path)
    assert loaded.layers[0].tokens == ["[UNK]", "cat", "dog"]
    np.testing.assert_array_equal(loaded.layers[0].counts, [4, 5, 6])
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(x)), expected, rtol=1e-6)


def test_subclassed_model_paths_assets_and_compiled_state(tmp_path):
    x, y = _data()
    model = Holder(name="holder")
    model(x)
    _with_state(model.vocab)
    model.compile(optimizer=PlainGD(0.01), loss=mse)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "holder.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert "assets/vocab/vocabulary.txt" in archive.namelist()
        config = json.loads(archive.read("config.json"))
        assert config["registered_name"] == "saving_tests>Holder"
        assert config["compile_config"]["optimizer"]["class_name"] == "PlainGD"
    loaded = cornu.saving.load_model(path, custom_objects={"mse": mse})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    assert loaded.vocab.tokens == model.vocab.tokens
    assert int(loaded.optimizer.iterations.numpy()) == 2


def test_zipped_false_overwrites_a_directory_atomically(tmp_path):
    model = _model()
    path = tmp_path / "dir.keras"
    model.save(path, zipped=False)
    model.layers[0].set_weights([np.ones((4, 3), "float32")])
    model.save(path, zipped=False)
    assert sorted(os.listdir(tmp_path)) == ["dir.keras"]
    with pytest.raises(FileExistsError):
        model.save(path, zipped=False, overwrite=False)
    loaded = cornu.saving.load_model(path)
    np.testing.assert_array_equal(loaded.layers[0].get_weights()[0], np.ones((4, 3)))


def test_sharded_weights(tmp_path):
    model = cornu.Sequential([cornu.Input((64,)), ScaledDense(64), ScaledDense(64),
                              ScaledDense(8)])
    path = tmp_path / "big.weights.json"
    model.save_weights(path, max_shard_size=17000 / 1024 ** 3)  # 17 KB shards
    shards = sorted(p for p in os.listdir(tmp_path) if p.endswith(".weights.h5"))
    assert shards == ["big_00000.weights.h5", "big_00001.weights.h5", "big_00002.weights.h5"]
    index = json.loads(path.read_text())
    assert index["metadata"]["total_size"] == 4 * (64 * 64 * 2 + 64 * 8)
    assert index["weight_map"]["/layers/scaled_dense/vars"] == "big_00000.weights.h5"
    fresh = cornu.Sequential([cornu.Input((64,)), ScaledDense(64), ScaledDense(64),
                              ScaledDense(8)])
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="max_shard_size"):
        model.save_weights(tmp_path / "tiny.weights.json", max_shard_size=1e-9)
    index["weight_map"]["/layers/scaled_dense/vars"] = "../../etc/passwd"
    path.write_text(json.dumps(index))
    with pytest.raises(ValueError, match="plain file names"):
        fresh.load_weights(path)


def test_an_error_while_writing_the_archive_keeps_the_last_good_file(tmp_path, monkeypatch):
    model = _model()
    path = tmp_path / "net.keras"
    model.save(path)
    good = path.read_bytes()
    original = zipfile.ZipFile.writestr

    def failing(self, name, data, *args, **kwargs):
        if name == "model.weights.h5":
            raise OSError("disk full (simulated)")
        return original(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing)
    model.layers[0].set_weights([np.zeros((4, 3), "float32")])
    with pytest.raises(OSError, match="simulated"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["net.keras"]


_SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import cornu
    from cornu_testplugin import ScaledDense

    model = cornu.Sequential([cornu.Input((512,)), ScaledDense(1024), ScaledDense(512)])
    i = 0
    while True:
        model.layers[0].set_weights([np.full((512, 1024), i, "float32")])
        model.save(sys.argv[1])
        i += 1
        print(i, flush=True)
""")


def test_a_process_killed_mid_save_never_leaves_a_partial_file(tmp_path):
    """A process saving a 4 MB model in a loop is killed at arbitrary moments; the target
    is always a complete archive (from some iteration), never a torn one."""
    path = tmp_path / "m.keras"
    script = tmp_path / "saver.py"
    script.write_text(_SAVER)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    rng = np.random.default_rng(0)
    for _ in range(2):
        proc = subprocess.Popen([sys.executable, str(script), str(path)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            proc.stdout.readline()  # one complete save exists
            time.sleep(float(rng.uniform(0.05, 0.4)))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        loaded = cornu.saving.load_model(path)
        kernel = loaded.layers[0].get_weights()[0]
        assert kernel.shape == (512, 1024) and np.all(kernel == kernel[0, 0])
        leftovers = [p for p in os.listdir(tmp_path) if p not in ("m.keras", "saver.py")]
        # At most the one temporary of the save that was killed (the next save, here the
        # second process's first one, removed the first process's).
        assert len(leftovers) <= 1, leftovers
        assert all(p.startswith(f".m.keras.cornu-partial-{atomic._host_tag()}-{proc.pid}-")
                   for p in leftovers), leftovers
    _model().save(path)
    assert sorted(os.listdir(tmp_path)) == ["m.keras", "saver.py"]


# A save that stops (for ever) in the middle of writing the archive, after one good save.
_STUCK_SAVER = textwrap.dedent("""
    import sys
    import time
    import zipfile
    import cornu
    from cornu_testplugin import ScaledDense

    model = cornu.Sequential([cornu.Input((4,)), ScaledDense(3, name="a")])
    model.save(sys.argv[1])
    writestr = zipfile.ZipFile.writestr

    def stuck(self, name, data, *args, **kwargs):
        writestr(self, name, data, *args, **kwargs)
        if name == "config.json":
            print("mid-write", flush=True)
            time.sleep(600)

    zipfile.ZipFile.writestr = stuck
    model.save(sys.argv[1])
""")


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _partial(path, pid, host=None, suffix=""):
    """The name a save by ``pid`` on ``host`` (this one by default) gives its temporary."""
    host = atomic._host_tag() if host is None else host
    return path.parent / f".{path.name}.cornu-partial-{host}-{pid}-0123abcd{suffix}"


def test_the_next_save_removes_what_a_killed_save_left(tmp_path):
    """A real process killed mid-write leaves its named temporary and the previous file;
    the next save of that file removes the temporary."""
    path = tmp_path / "m.keras"
    script = tmp_path / "stuck.py"
    script.write_text(_STUCK_SAVER)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, str(script), str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line == "mid-write\n", proc.stderr.read()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = [p for p in os.listdir(tmp_path) if p not in ("m.keras", "stuck.py")]
    assert len(left) == 1, left
    assert left[0].startswith(f".m.keras.cornu-partial-{atomic._host_tag()}-{proc.pid}-")
    assert cornu.saving.load_model(path).layers[0].name == "a"  # the first save, intact
    _model().save(path)
    assert sorted(os.listdir(tmp_path)) == ["m.keras", "stuck.py"]


def test_stale_temporaries_are_removed_and_live_ones_kept(tmp_path):
    path = tmp_path / "m.keras"
    _model().save(path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = _dead_pid()
        day_ago = time.time() - atomic.STALE_AFTER - 60
        elsewhere = [f"{int(atomic._host_tag(), 16) ^ bit:08x}" for bit in (1, 2)]
        stale = {
            "dead pid": _partial(path, dead),
            "dead pid, folder": _partial(path, dead, suffix=".old"),
            "another host, old": _partial(path, 1, host=elsewhere[0]),
        }
        kept = {
            "live pid": _partial(path, sleeper.pid),
            "this process": _partial(path, os.getpid()),
            "live pid, old": _partial(path, sleeper.pid),
            "another host, recent": _partial(path, 1, host=elsewhere[1]),
            "another target": _partial(tmp_path / "other.keras", dead),
            "not cornu's": tmp_path / f".m.keras.tmp-{dead}",
        }
        kept["live pid, old"] = kept["live pid, old"].with_name(
            kept["live pid, old"].name.replace("0123abcd", "99"))
        for name, p in {**stale, **kept}.items():
            if "folder" in name:
                p.mkdir()
                (p / "config.json").write_text("{}")
            else:
                p.write_bytes(b"partial")
        for p in (stale["another host, old"], kept["live pid, old"]):
            os.utime(p, (day_ago, day_ago))
        _model().save(path)
        assert all(p.exists() for p in kept.values()), [n for n, p in kept.items()
                                                        if not p.exists()]
        assert not any(p.exists() for p in stale.values()), [n for n, p in stale.items()
                                                             if p.exists()]
        assert cornu.saving.load_model(path).name == "net"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_old_copy_of_a_folder_stays_while_the_target_is_missing(tmp_path):
    """Killed between the two renames of a zipped=False swap, the target is missing and
    ``<temporary>.old`` is the last good copy: no save removes it until the target exists."""
    path = tmp_path / "d.keras"
    _model().save(path, zipped=False)
    old = _partial(path, _dead_pid(), suffix=".old")
    os.replace(path, old)
    assert atomic.remove_stale_partials(path) == []
    assert old.exists()
    _model().save(path, zipped=False)
    assert atomic.remove_stale_partials(path) == [str(old)]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=oct)
def test_saved_files_get_the_umask_permissions(tmp_path, umask):
    from cornu.saving import legacy_h5
    from cornu.utils.file_utils import extract_archive, get_file

    model = _model()
    file_mode, dir_mode = 0o666 & ~umask, 0o777 & ~umask
    source = tmp_path / "source.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("inside/data.txt", "cornu")
    previous = os.umask(umask)
    try:
        out = tmp_path / "out"
        model.save(out / "m.keras")
        model.save(out / "d.keras", zipped=False)
        model.save_weights(out / "m.weights.h5")
        model.save_weights(out / "s.weights.json", max_shard_size=100 / 1024 ** 3)
        legacy_h5.save_weights(model, out / "legacy.h5")
        cornu.utils.plot_model(model, to_file=str(out / "m.dot"))
        get_file("copy.zip", origin=source.as_uri(), cache_dir=out)
        extract_archive(source, out / "extracted")
    finally:
        os.umask(previous)
    files = [out / "m.keras", out / "m.weights.h5", out / "s.weights.json",
             out / "s_00000.weights.h5", out / "legacy.h5", out / "m.dot",
             out / "datasets" / "copy.zip", out / "extracted" / "inside" / "data.txt",
             *(out / "d.keras").iterdir()]
    modes = {str(p.relative_to(out)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert modes == {name: oct(file_mode) for name in modes}
    for folder in (out / "d.keras", out / "extracted"):
        assert oct(stat.S_IMODE(folder.stat().st_mode)) == oct(dir_mode), folder
    assert not [p for p in out.rglob("*") if ".cornu-partial-" in p.name]


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    model = _model()
    path = tmp_path / "m.keras"
    model.save(path)
    os.chmod(path, 0o640)
    model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    folder = tmp_path / "d.keras"
    model.save(folder, zipped=False)
    os.chmod(folder, 0o750)
    model.save(folder, zipped=False)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750


@pytest.mark.parametrize("kind", ["keras", "folder", "weights"])
def test_the_folder_is_synced_after_the_rename(tmp_path, monkeypatch, kind):
    """os.fsync is called on the target's folder once the target has its new content,
    after the file itself was synced under its temporary name."""
    model = _model()
    name = {"keras": "m.keras", "folder": "d.keras", "weights": "m.weights.h5"}[kind]
    path = tmp_path / name
    real_fsync = os.fsync
    calls = []

    def recording_fsync(fd):
        st = os.fstat(fd)
        is_folder = stat.S_ISDIR(st.st_mode)
        same_as_target = path.exists() and os.path.samestat(st, os.stat(path))
        calls.append("folder" if is_folder and os.path.samestat(st, os.stat(tmp_path))
                     else "target" if same_as_target
                     else "folder-other" if is_folder else "file")
        calls[-1] += "+target-present" if path.exists() else ""
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    if kind == "weights":
        model.save_weights(path)
    else:
        model.save(path, zipped=kind == "keras")
    monkeypatch.undo()
    assert calls[-1] == "folder+target-present", calls
    assert "file" in calls[:-1], calls  # the temporary (or the staged files) first


def test_file_editor_inspects_compares_and_edits(tmp_path, capsys):
    model = _model()
    path = tmp_path / "net.keras"
    model.save(path)
    editor = cornu.saving.KerasFileEditor(str(path))
    assert set(editor.weights_dict["layers"]) == {"scaled_dense", "scaled_dense_1"}
    np.testing.assert_array_equal(editor.weights_dict["layers"]["scaled_dense"]["0"],
                                  model.layers[0].get_weights()[0])
    assert editor.compare(model) == {"status": "success", "error_count": 0, "match_count": 2}
    editor.summary()
    assert "scaled_dense_1/" in capsys.readouterr().out
    bigger = cornu.Sequential([cornu.Input((4,)), ScaledDense(3), ScaledDense(2),
                               ScaledDense(5)])
    assert editor.compare(bigger)["status"] == "error"
    new_kernel = np.full((2, 5), 0.25, "float32")
    editor.add_object("layers/scaled_dense_2", {"0": new_kernel})
    assert editor.compare(bigger)["status"] == "success"
    editor.save(tmp_path / "edited.weights.h5")
    bigger.load_weights(tmp_path / "edited.weights.h5")
    np.testing.assert_array_equal(bigger.layers[2].get_weights()[0], new_kernel)
    np.testing.assert_array_equal(bigger.layers[1].get_weights()[0],
                                  model.layers[1].get_weights()[0])
    editor.delete_object("layers/scaled_dense_2")
    editor.rename_object("scaled_dense_1", "renamed")
    assert "renamed" in editor.weights_dict["layers"]
    with pytest.raises(ValueError, match="does not appear"):
        editor.delete_object("nowhere")
    editor.delete_weight("renamed", "0")
    assert editor.weights_dict["layers"]["renamed"] == {}


def test_clone_model_sequential():
    with cornu.saving.custom_object_scope({"mse": mse}):  # the compile config names it
        _check_sequential_clones()


def _check_sequential_clones():
    x, y = _data()
    model = _model()
    model.compile(optimizer=PlainGD(0.01), loss=mse)
    clone = cornu.models.clone_model(model)
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    assert [l.name for l in clone.layers] == ["a", "b"] and clone.layers[1].scale == 0.5
    assert not np.array_equal(clone.layers[0].get_weights()[0], model.layers[0].get_weights()[0])
    assert clone.compiled and isinstance(clone.optimizer, PlainGD)
    assert clone.optimizer is not model.optimizer
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    shared = cornu.models.clone_model(model, clone_function=lambda layer: layer)
    assert all(a is b for a, b in zip(shared.layers, model.layers))
    new_input = cornu.Input((4,), name="fresh")
    on_input = cornu.models.clone_model(model, input_tensors=new_input)
    assert on_input.inputs[0] is new_input
    with pytest.raises(ValueError, match="call_function"):
        cornu.models.clone_model(model, call_function=lambda layer, *a, **k: layer(*a, **k))


class AddPair(cornu.Layer):
    def call(self, inputs):
        return ops.add(inputs[0], inputs[1])


def _functional():
    a = cornu.Input((4,), name="a")
    b = cornu.Input((4,), name="b")
    shared = ScaledDense(3, name="shared")
    merged = AddPair(name="add")([shared(a), shared(b)])
    out1 = ScaledDense(2, name="out1")(merged)
    out2 = ScaledDense(1, scale=3.0, name="out2")(merged)
    return cornu.Model({"a": a, "b": b}, [out1, out2], name="two")


def test_clone_model_functional_multi_io_shared_layers_and_call_function():
    x = {"a": _data()[0], "b": _data(seed=1)[0]}
    model = _functional()
    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    clone = cornu.models.clone_model(model, clone_function=clone_function)
    assert sorted(seen) == ["add", "out1", "out2", "shared"]  # the shared layer once
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    clone.set_weights(model.get_weights())
    for got, want in zip(clone.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-6)

    def doubling(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        return ops.multiply(out, 2.0) if layer.name == "out2" else out

    doubled = cornu.models.clone_model(model, clone_function=lambda layer: layer,
                                       call_function=doubling)
    got = doubled.predict(x, verbose=0)
    want = model.predict(x, verbose=0)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], 2 * want[1], rtol=1e-6)
    ins = {"a": cornu.Input((4,)), "b": cornu.Input((4,))}
    rebased = cornu.models.clone_model(model, input_tensors=ins)
    assert rebased.inputs[0] is ins["a"]
    with pytest.raises(ValueError, match="same structure"):
        cornu.models.clone_model(model, input_tensors=[cornu.Input((4,))])


def test_clone_model_subclassed():
    x, _ = _data()
    model = Holder()
    model(x)
    clone = cornu.models.clone_model(model)
    assert type(clone) is Holder and clone is not model
    clone(x)
    assert clone.head.scale == 2.0
    with pytest.raises(ValueError, match="only supported for Sequential"):
        cornu.models.clone_model(model, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="Unexpected keyword"):
        cornu.models.clone_model(model, bogus=1)


def test_to_json_model_from_json_and_compile_config():
    x = {"a": _data()[0], "b": _data(seed=1)[0]}
    model = _functional()
    model.compile(optimizer=PlainGD(0.2), loss=[mse, mse], loss_weights=[1.0, 0.5])
    text = model.to_json()
    config = json.loads(text)
    assert config["class_name"] == "Functional"
    assert config["config"]["input_layers"] == {"a": ["a", 0, 0], "b": ["b", 0, 0]}
    rebuilt = cornu.models.model_from_json(text, custom_objects={"AddPair": AddPair})
    rebuilt.set_weights(model.get_weights())
    for got, want in zip(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    compile_config = model.get_compile_config()
    assert compile_config["loss_weights"] == [1.0, 0.5]
    assert compile_config["optimizer"]["config"]["learning_rate"] == 0.2
    with cornu.saving.custom_object_scope({"mse": mse}):
        rebuilt.compile_from_config(json.loads(json.dumps(compile_config)))
    assert isinstance(rebuilt.optimizer, PlainGD) and rebuilt.optimizer.learning_rate == 0.2
    with pytest.raises(ValueError, match="not valid JSON"):
        cornu.models.model_from_json("{not json")


def test_training_resumes_identically_after_reload(tmp_path):
    x, y = _data(32)
    model = _model()
    model.compile(optimizer=PlainGD(0.05), loss=mse)
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    path = tmp_path / "ckpt.keras"
    model.save(path)
    loaded = cornu.saving.load_model(path, custom_objects={"mse": mse})
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 12


def test_plot_model_dot_source_and_missing_pydot(tmp_path):
    model = _functional()
    target = tmp_path / "model.dot"
    cornu.utils.plot_model(model, to_file=target, show_shapes=True, show_layer_names=True)
    text = target.read_text()
    assert text.startswith('digraph "two" {')
    for label in ("a (InputLayer)", "shared (ScaledDense)", "add (AddPair)", "out2 (ScaledDense)",
                  "output: (None, 3)"):
        assert label in text, label
    assert text.count("->") == 5  # a->shared, b->shared, shared->add, add->out1, add->out2
    try:
        import pydot
    except ImportError:
        pydot = None
    if pydot is None:
        with pytest.raises(ImportError, match="pip install pydot"):
            cornu.utils.model_to_dot(model)
        with pytest.raises(ImportError, match="graphviz"):
            cornu.utils.plot_model(model, to_file=tmp_path / "model.png")
    else:
        graph = cornu.utils.model_to_dot(model, show_layer_names=True)
        assert len(graph.get_nodes()) >= 5


def test_export_serves_the_models_predictions(tmp_path, backend_name):
    x = {"a": _data()[0], "b": _data(seed=1)[0]}
    model = _functional()
    expected = model.predict(x, verbose=0)
    if backend_name == "torch":
        import torch

        path = str(tmp_path / "model.pt2")
        model.export(path, format="torch")
        program = torch.export.load(path).module()
        got = program(torch.from_numpy(x["a"][:5]), torch.from_numpy(x["b"][:5]))
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g.detach().numpy(), e[:5], rtol=1e-5, atol=1e-6)
        with pytest.raises(ValueError, match="format='torch'"):
            model.export(str(tmp_path / "saved"))
    else:
        import tensorflow as tf

        path = str(tmp_path / "saved")
        model.export(path)
        served = tf.saved_model.load(path)
        got = served.serve(tf.constant(x["a"]), tf.constant(x["b"]))
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g.numpy(), e, rtol=1e-5, atol=1e-6)
        signature = served.signatures["serving_default"]
        outputs = signature(**{k: tf.constant(v) for k, v in
                               zip(signature.structured_input_signature[1], [x["a"], x["b"]])})
        assert len(outputs) == 2
        with pytest.raises(ValueError, match="format='tf_saved_model'"):
            model.export(str(tmp_path / "m.pt2"), format="torch")
    with pytest.raises(ValueError, match="not available in cornu"):
        model.export(str(tmp_path / "m.onnx"), format="onnx")


def test_export_archive_custom_endpoints(tmp_path, backend_name):
    model = _model()
    x, _ = _data()
    if backend_name != "tensorflow":
        with pytest.raises(ValueError, match="tensorflow backend"):
            cornu.export.ExportArchive()
        return
    import tensorflow as tf

    archive = cornu.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("call", lambda t: model(t, training=False),
                         input_signature=[tf.TensorSpec((None, 4), tf.float32)])
    archive.add_endpoint("first", lambda t: model.layers[0](t),
                         input_signature=[tf.TensorSpec((None, 4), tf.float32)])
    archive.add_variable_collection("kernels", model.weights)
    archive.write_out(str(tmp_path / "archive"))
    served = tf.saved_model.load(str(tmp_path / "archive"))
    np.testing.assert_allclose(served.call(x).numpy(), model.predict(x, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(served.first(x).numpy(),
                               ops.convert_to_numpy(model.layers[0](x)), rtol=1e-5)
    assert len(served.kernels) == 2


def test_export_after_calls_with_a_concrete_batch(tmp_path, backend_name):
    """A model called on data first (its layers remember the input shapes they checked)
    exports with a batch dimension that stays dynamic."""
    layers = pytest.importorskip("cornu.layers")
    inputs = cornu.Input((6,))
    model = cornu.Model(inputs, layers.Dense(2)(layers.Dense(4)(inputs)))
    x = np.random.default_rng(0).standard_normal((8, 6)).astype("float32")
    expected = model.predict(x, verbose=0)
    if backend_name == "torch":
        import torch

        path = str(tmp_path / "model.pt2")
        model.export(path, format="torch")
        program = torch.export.load(path).module()
        for n in (8, 3):
            np.testing.assert_allclose(program(torch.from_numpy(x[:n])).detach().numpy(),
                                       expected[:n], rtol=1e-5, atol=1e-6)
    else:
        import tensorflow as tf

        path = str(tmp_path / "saved")
        model.export(path)
        served = tf.saved_model.load(path)
        for n in (8, 3):
            np.testing.assert_allclose(served.serve(tf.constant(x[:n])).numpy(), expected[:n],
                                       rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x[:5], verbose=0), expected[:5], rtol=1e-5,
                               atol=1e-6)
