"""The rest of ``keras.config`` / ``keras.utils`` / ``keras.preprocessing`` (issue 19):
interactive logging, the flash-attention switches, the max_epochs / max_steps_per_epoch
caps, ``utils.Config``, the image utilities, ``utils.legacy`` and the ``preprocessing``
modules, each compared with Keras 3 run in a fresh interpreter on cornu's backend
(``pytest.importorskip("keras")``: tests/core also runs without Keras).  Training with
the caps, logging through fit and the attention layers are in
tests/integration/test_debug_caps_and_logging.py.
"""
import io
import json
import logging
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cornu
from cornu import backend as B
from cornu.utils import io_utils


def run_python(code, **env_changes):
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
    env.update(env_changes)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def keras_json(code):
    """Run ``code`` under a real Keras on cornu's backend; it prints one JSON value."""
    pytest.importorskip("keras")
    out = run_python(code, KERAS_BACKEND=B.backend())
    return json.loads(out.strip().splitlines()[-1])

PIL = pytest.importorskip("PIL.Image")


# -- every public name of the Keras modules ---------------------------------------------

#: Names of those Keras modules that other parts of the work own (open issues), with why.
NOT_HERE = {
    "config": {
        "set_dtype_policy_quantization_config":
            "quantization: the quantization issue owns keras.quantizers and its configs",
        "is_nnx_enabled": "JAX (Flax NNX)",
    },
    "utils": {
        "bounding_boxes": "keras.utils.bounding_boxes (keras-hub's box utilities) is "
                          "another slice of issue 19",
    },
    "preprocessing": {},
}


def _public(names):
    return sorted(n for n in names if not n.startswith("_"))


@pytest.mark.parametrize("module", ["config", "utils", "preprocessing",
                                    "preprocessing.image", "preprocessing.sequence",
                                    "utils.legacy"])
def test_every_keras_name_exists_in_cornu(module):
    import importlib

    keras_names = keras_json(f"""
        import json, importlib
        m = importlib.import_module("keras.{module}")
        print(json.dumps(sorted(n for n in dir(m) if not n.startswith("_"))))
    """)
    ours = importlib.import_module(f"cornu.{module}")
    skipped = NOT_HERE.get(module, {})
    missing = [n for n in keras_names if n not in skipped and not hasattr(ours, n)]
    assert not missing, f"cornu.{module} lacks {missing}"
    assert set(dir(ours)) >= set(keras_names) - set(skipped)


def test_preprocessing_reexports_cornu_implementations():
    from cornu import preprocessing, utils
    from cornu.preprocessing import image, sequence

    assert cornu.preprocessing is preprocessing
    assert image.load_img is utils.load_img and image.array_to_img is utils.array_to_img
    assert sequence.pad_sequences is utils.pad_sequences
    assert preprocessing.image_dataset_from_directory is utils.image_dataset_from_directory
    assert cornu.utils.legacy.serialize_keras_object is not utils.serialize_keras_object


def test_alias_imports_the_preprocessing_and_legacy_modules():
    out = run_python("""
        import cornu
        cornu.alias_keras()
        import keras
        import keras.preprocessing.image
        from keras.preprocessing.sequence import pad_sequences
        from keras.utils.legacy import serialize_keras_object
        from keras.utils import Config, load_img
        import cornu.preprocessing.image as img
        assert keras.preprocessing.image is img
        assert keras.preprocessing.sequence.pad_sequences is pad_sequences
        print(keras.utils.legacy.serialize_keras_object is serialize_keras_object,
              keras.config.max_epochs(), keras.config.is_flash_attention_enabled())
    """)
    assert out.split() == ["True", "None", "None"]


# -- interactive logging -----------------------------------------------------------------


@pytest.fixture
def logging_restored():
    yield
    io_utils.enable_interactive_logging()


def test_interactive_logging_switches(capsys, caplog, logging_restored):
    assert cornu.config.is_interactive_logging_enabled() is True
    assert cornu.utils.is_interactive_logging_enabled is io_utils.is_interactive_logging_enabled
    io_utils.print_msg("hello")
    io_utils.print_msg("no break", line_break=False)
    assert capsys.readouterr().out == "hello\nno break"
    cornu.config.disable_interactive_logging()
    assert cornu.utils.is_interactive_logging_enabled() is False
    with caplog.at_level(logging.INFO, logger="cornu"):
        io_utils.print_msg("\nEpoch 3: to the log\n")
    assert capsys.readouterr().out == ""
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("cornu", logging.INFO, "Epoch 3: to the log")]
    cornu.utils.enable_interactive_logging()
    assert cornu.config.is_interactive_logging_enabled() is True


def test_progbar_follows_interactive_logging(capsys, caplog, logging_restored):
    bar = cornu.utils.Progbar(3, verbose=1)
    for step in (1, 2, 3):
        bar.update(step, [("loss", 0.5)])
    assert "3/3" in capsys.readouterr().out
    cornu.config.disable_interactive_logging()
    with caplog.at_level(logging.INFO, logger="cornu"):
        bar = cornu.utils.Progbar(3, verbose=1)
        for step in (1, 2, 3):
            bar.update(step, [("loss", 0.5)])
        cornu.utils.Progbar(2, verbose=2).update(2, [("loss", 0.25)])
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and messages[0].startswith("3/3") and "loss: 0.5000" in messages[0]
    assert messages[1].startswith("2/2") and "loss: 0.2500" in messages[1]
    # an explicit stream is written to whatever the switch says
    stream = io.StringIO()
    cornu.utils.Progbar(1, verbose=2, file=stream).update(1)
    assert stream.getvalue().startswith("1/1")


def test_interactive_logging_default_matches_keras():
    keras = keras_json("""
        import json, keras
        before = keras.config.is_interactive_logging_enabled()
        keras.utils.disable_interactive_logging()
        print(json.dumps([before, keras.config.is_interactive_logging_enabled()]))
    """)
    io_utils.disable_interactive_logging()
    try:
        ours = [True, cornu.config.is_interactive_logging_enabled()]
    finally:
        io_utils.enable_interactive_logging()
    assert ours == keras == [True, False]


# -- config switches ---------------------------------------------------------------------


def test_flash_attention_and_caps_config_match_keras():
    code = """
        import json, keras
        c = keras.config
        out = [c.is_flash_attention_enabled()]
        c.disable_flash_attention(); out.append(c.is_flash_attention_enabled())
        c.enable_flash_attention(); out.append(c.is_flash_attention_enabled())
        out += [c.max_epochs(), c.max_steps_per_epoch()]
        c.set_max_epochs(3); c.set_max_steps_per_epoch(5)
        out += [c.max_epochs(), c.max_steps_per_epoch()]
        c.set_max_epochs(None); c.set_max_steps_per_epoch(None)
        out += [c.max_epochs(), c.max_steps_per_epoch()]
        print(json.dumps(out))
    """
    keras = keras_json(code)
    c = cornu.config
    ours = [c.is_flash_attention_enabled()]
    c.disable_flash_attention()
    ours.append(c.is_flash_attention_enabled())
    c.enable_flash_attention()
    ours.append(c.is_flash_attention_enabled())
    ours += [c.max_epochs(), c.max_steps_per_epoch()]
    c.set_max_epochs(3)
    c.set_max_steps_per_epoch(5)
    ours += [c.max_epochs(), c.max_steps_per_epoch()]
    c.set_max_epochs(None)
    c.set_max_steps_per_epoch(None)
    ours += [c.max_epochs(), c.max_steps_per_epoch()]
    assert ours == keras == [None, False, None, None, None, 3, 5, None, None]


def test_caps_read_the_keras_environment_variables():
    out = run_python("""
        import cornu
        print(cornu.config.max_epochs(), cornu.config.max_steps_per_epoch())
    """, KERAS_MAX_EPOCHS="2", KERAS_MAX_STEPS_PER_EPOCH="7")
    assert out.split() == ["2", "7"]


# -- Config ------------------------------------------------------------------------------

CONFIG_SCRIPT = textwrap.dedent("""
    import json
    out = []
    c = Config(learning_rate=0.1, momentum=0.9)
    c.use_ema = True
    c["seed"] = 123
    out.append([c.seed, c["learning_rate"], c.get("missing", "dflt"), c.use_ema])
    out.append([list(c), list(c.keys()), list(c.values()), len(c), "seed" in c])
    out.append([json.loads(c.to_json()), c.as_dict() == dict(c.items()), repr(c)])
    try:
        c.learnin_rate
    except AttributeError as e:
        out.append(["AttributeError", str(e)])
    c.freeze()
    for change in (lambda: setattr(c, "x", 1), lambda: c.__setitem__("x", 1),
                   lambda: c.pop("seed"), lambda: c.update(x=1), lambda: c.__delitem__("seed")):
        try:
            change()
            out.append("changed")
        except ValueError as e:
            out.append(str(e))
    out.append([c.frozen, "x" in c])
    c.unfreeze()
    c.pop("seed"); c.update(z=2); del c["momentum"]
    out.append([c.frozen, sorted(c.as_dict().items())])
    d = c.as_dict(); d["new"] = 1
    out.append("new" in c)
    print(json.dumps(out))
""")


def test_config_object_matches_keras():
    keras = keras_json("from keras.utils import Config\n" + CONFIG_SCRIPT)
    import contextlib

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(CONFIG_SCRIPT, {"Config": cornu.utils.Config})
    assert json.loads(buffer.getvalue()) == keras


def test_config_pickles_and_keeps_methods_out_of_the_values():
    c = cornu.utils.Config(a=1)
    c["keys"] = "a value named like a method"
    assert callable(c.keys) and c["keys"] == "a value named like a method"
    again = pickle.loads(pickle.dumps(c))
    assert again.as_dict() == c.as_dict() and not again.frozen


# -- image utilities ---------------------------------------------------------------------


def _write_images(folder):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (7, 5, 3), dtype=np.uint8)
    PIL.fromarray(rgb, "RGB").save(folder / "rgb.png")
    PIL.fromarray(rgb[:, :, 0], "L").save(folder / "gray.png")
    rgba = np.concatenate([rgb, rng.integers(0, 256, (7, 5, 1), dtype=np.uint8)], -1)
    PIL.fromarray(rgba, "RGBA").save(folder / "rgba.png")
    PIL.fromarray(rgb, "RGB").save(folder / "rgb.jpg", quality=95)
    return str(folder)


IMAGE_SCRIPT = textwrap.dedent("""
    import io, json, os, pathlib, warnings
    import numpy as np
    folder = pathlib.Path(FOLDER)
    out = {}
    def arr(img, **kw):
        a = img_to_array(img, **kw)
        return [list(a.shape), str(a.dtype), a.astype("float64").round(3).tolist()]
    for name in ("rgb.png", "gray.png", "rgba.png", "rgb.jpg"):
        for mode in ("rgb", "grayscale", "rgba"):
            img = load_img(folder / name, color_mode=mode)
            out[f"{name}-{mode}"] = [img.mode, list(img.size), arr(img)]
    for interp in ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"):
        img = load_img(str(folder / "rgb.png"), target_size=(4, 6), interpolation=interp)
        out[f"resize-{interp}"] = arr(img)
    img = load_img(str(folder / "rgb.png"), target_size=(3, 3), keep_aspect_ratio=True,
                   interpolation="bilinear")
    out["aspect"] = arr(img)
    with open(folder / "rgb.png", "rb") as f:
        out["bytesio"] = arr(load_img(io.BytesIO(f.read())))
    img = load_img(folder / "rgb.png")
    out["cf"] = arr(img, data_format="channels_first", dtype="uint8")
    out["gray-cf"] = arr(load_img(folder / "gray.png", color_mode="grayscale"),
                         data_format="channels_first")
    x = np.linspace(-1.0, 3.0, 2 * 3 * 3).reshape(2, 3, 3)
    for scale in (True, False):
        img = array_to_img(x if scale else (x + 1) * 60, scale=scale)
        out[f"a2i-{scale}"] = [img.mode, arr(img)]
    out["a2i-cf"] = arr(array_to_img(x.transpose(2, 0, 1), data_format="channels_first"))
    out["a2i-L"] = [array_to_img(x[:, :, :1]).mode, array_to_img(x[:, :, :1] * 1000,
                                                               scale=False).mode]
    out["a2i-rgba"] = array_to_img(np.ones((2, 2, 4)) * np.arange(4)).mode
    for bad in (np.zeros((2, 2)), np.zeros((2, 2, 2))):
        try:
            array_to_img(bad)
        except ValueError:
            out.setdefault("errors", []).append("ValueError")
    try:
        load_img(folder / "rgb.png", color_mode="cmyk")
    except ValueError:
        out.setdefault("errors", []).append("ValueError")
    try:
        load_img(folder / "rgb.png", target_size=(2, 2), interpolation="fancy")
    except ValueError:
        out.setdefault("errors", []).append("ValueError")
    data = np.random.default_rng(1).uniform(0, 255, (6, 4, 3))
    for target in ("saved.png", "saved.jpg", "saved.bmp"):
        save_img(folder / ("out-" + target), data)
        back = load_img(folder / ("out-" + target))
        out["save-" + target] = [back.format, arr(back)[2] if target != "saved.jpg" else None]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_img(str(folder / "rgba-out.jpg"), np.ones((3, 3, 4)))
    out["rgba-jpg"] = [load_img(folder / "rgba-out.jpg").format,
                       [str(w.message) for w in caught if "RGBA" in str(w.message)]]
    save_img(str(folder / "fmt"), data, file_format="png")
    out["file_format"] = load_img(folder / "fmt").format
    img = np.random.default_rng(2).uniform(0, 1, (2, 9, 6, 3)).astype("float32")
    for size, interp in (((4, 4), "bilinear"), ((3, 5), "nearest")):
        r = smart_resize(img, size, interpolation=interp)
        out[f"smart-{size}-{interp}"] = [type(r).__name__, np.asarray(r).round(4).tolist()]
    r = smart_resize(img[0].transpose(2, 0, 1), (4, 3), data_format="channels_first")
    out["smart-cf"] = np.asarray(r).round(4).tolist()
    print(json.dumps(out))
""")


def test_image_utils_match_keras(tmp_path):
    folder = _write_images(tmp_path)
    script = f"FOLDER = {folder!r}\n" + IMAGE_SCRIPT
    keras = keras_json(
        "from keras.utils import load_img, img_to_array, array_to_img, save_img\n"
        "from keras.preprocessing.image import smart_resize\n" + script.replace(
            'folder = pathlib.Path(FOLDER)', 'folder = pathlib.Path(FOLDER) / "keras"\n'
            'os.makedirs(folder, exist_ok=True)\n'
            'import shutil\n'
            '[shutil.copy(p, folder) for p in pathlib.Path(FOLDER).glob("*.*")]'))
    out = run_python(
        "from cornu.preprocessing.image import load_img, img_to_array, array_to_img, "
        "save_img, smart_resize\n" + script)
    ours = json.loads(out.strip().splitlines()[-1])
    assert ours.keys() == keras.keys()
    for key in keras:
        if key.startswith("smart"):  # resized on the backend: float rounding may differ
            assert ours[key][0] == keras[key][0] if key != "smart-cf" else True
            np.testing.assert_allclose(np.asarray(ours[key][-1] if key != "smart-cf"
                                                  else ours[key]),
                                       np.asarray(keras[key][-1] if key != "smart-cf"
                                                  else keras[key]), atol=2e-4, err_msg=key)
        else:
            assert ours[key] == keras[key], key


def test_image_utils_on_the_backend_in_process(tmp_path):
    """In this process (not a subprocess): numpy in, numpy out; a tensor in, a tensor out."""
    from cornu import ops
    from cornu.preprocessing.image import smart_resize

    x = np.arange(2 * 6 * 4 * 1, dtype="float32").reshape(2, 6, 4, 1)
    assert isinstance(smart_resize(x, (3, 3)), np.ndarray)
    y = smart_resize(ops.convert_to_tensor(x), (3, 3))
    assert not isinstance(y, np.ndarray) and tuple(y.shape) == (2, 3, 3, 1)
    with pytest.raises(ValueError, match="rank"):
        smart_resize(np.zeros((3, 3)), (2, 2))
    with pytest.raises(TypeError, match="unexpected keyword"):
        smart_resize(x, (2, 2), antialias=True)
    path = tmp_path / "img.png"
    cornu.utils.save_img(path, np.zeros((3, 3, 3)) + 7)
    assert cornu.utils.img_to_array(cornu.utils.load_img(path)).dtype == np.float32
    with pytest.raises(TypeError, match="path-like"):
        cornu.utils.load_img(42)


# -- utils.legacy ------------------------------------------------------------------------

LEGACY_SCRIPT = textwrap.dedent("""
    import json
    def scaled(x):
        return x
    class Inner:
        def __init__(self, rate=0.5):
            self.rate = rate
        def get_config(self):
            return {"rate": self.rate}
        @classmethod
        def from_config(cls, config):
            return cls(**config)
    class Outer:
        def __init__(self, name="outer", inner=None, fn=None, sizes=(1, 2), table=None):
            self.name, self.inner, self.fn, self.sizes, self.table = name, inner, fn, sizes, table
        def get_config(self):
            return {"name": self.name, "inner": self.inner, "fn": self.fn,
                    "sizes": list(self.sizes), "table": self.table}
        @classmethod
        def from_config(cls, config):
            return cls(**config)
    objects = {"Inner": Inner, "Outer": Outer, "scaled": scaled}
    obj = Outer(name="scaled", inner=Inner(0.25), fn=scaled, table={"a": 1})
    config = serialize_keras_object(obj)
    back = deserialize_keras_object(json.loads(json.dumps(config)), module_objects=objects)
    out = [config, type(back).__name__, back.name, type(back.inner).__name__,
           back.inner.rate, back.fn is scaled, back.sizes, back.table,
           serialize_keras_object(scaled), serialize_keras_object(None),
           deserialize_keras_object(None),
           deserialize_keras_object("scaled", custom_objects=objects) is scaled,
           type(deserialize_keras_object("Inner", custom_objects=objects)).__name__,
           deserialize_keras_object(scaled) is scaled]
    # (a name that custom_objects lacks is not tried: Keras 3.15.1 fails on it with an
    # AttributeError of its own, _THREAD_LOCAL_CUSTOM_OBJECTS)
    for bad in ({"config": {}}, {"class_name": "Nope", "config": {}}, 3):
        try:
            deserialize_keras_object(bad, module_objects=objects)
        except ValueError:
            out.append("ValueError")
    try:
        serialize_keras_object(3)
    except ValueError:
        out.append("ValueError")
    print(json.dumps(out))
""")


def test_legacy_serialization_matches_keras():
    keras = keras_json(
        "from keras.utils.legacy import serialize_keras_object, deserialize_keras_object\n"
        + LEGACY_SCRIPT)
    out = run_python(
        "from cornu.utils.legacy import serialize_keras_object, deserialize_keras_object\n"
        + LEGACY_SCRIPT)
    assert json.loads(out.strip().splitlines()[-1]) == keras
