"""The compiled state and registered functions in ``.keras`` files, both ways with Keras 3.

``load_model`` restores what ``compile`` was given: loss objects with their
configs, metric objects, metric and loss functions, ``loss_weights`` and
``weighted_metrics``; ``get_compile_config`` writes Keras 3's form for the same
compile call.  Functions registered with
``register_keras_serializable(package=...)`` (as activations or losses) are
written as Keras's function record, ``{"module": "builtins", "class_name":
"function", "config": "package>name", "registered_name": "function"}``, and read
back from it (and from the bare name older files hold).
"""
import contextlib
import json
import re
import zipfile

import numpy as np
import pytest

import cornu


@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras")
    from cornu.backend import get_backend

    assert keras.backend.backend() == get_backend().NAME
    return keras


# -- registered functions (both libraries register the same names) --------------------------
@cornu.saving.register_keras_serializable(package="my_package")
def custom_fn(x):
    return cornu.ops.relu(x) * 2.0 - 0.5


@cornu.saving.register_keras_serializable(package="my_package")
def custom_loss(y_true, y_pred):
    return cornu.ops.mean(cornu.ops.abs(y_true - y_pred) * 3.0, axis=-1)


def _register_in_keras(keras):
    if "my_package>custom_fn" in keras.saving.get_custom_objects():
        return
    register = keras.saving.register_keras_serializable(package="my_package")

    def custom_fn(x):
        return keras.ops.relu(x) * 2.0 - 0.5

    def custom_loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred) * 3.0, axis=-1)

    register(custom_fn)
    register(custom_loss)


FUNCTION_RECORD = {"module": "builtins", "class_name": "function",
                   "config": "my_package>custom_fn", "registered_name": "function"}


# -- the compile calls ----------------------------------------------------------------
def _rng():
    return np.random.default_rng(3)


class Case:
    """A model, its data and a compile call, the same for Keras and cornu.

    ``compile_args(lib)`` returns the compile arguments built from ``lib``'s objects;
    ``evaluable`` is False where Keras itself cannot evaluate the metrics on any
    labels (AUC on sparse multi-class logits).
    """

    def __init__(self, units, activation, compile_args, labels, evaluable=True):
        self.units = units
        self.activation = activation
        self.compile_args = compile_args
        self.labels = labels
        self.evaluable = evaluable

    def model(self, lib):
        return lib.Sequential([lib.Input((4,)),
                               lib.layers.Dense(self.units, activation=self.activation)])

    def data(self, n=32):
        rng = _rng()
        x = rng.normal(size=(n, 4)).astype("float32")
        if self.labels == "sparse":
            y = rng.integers(0, self.units, size=(n,)).astype("int32")
        elif self.labels == "binary_flat":
            y = (x.sum(-1) > 0).astype("float32")
        elif self.labels == "binary":
            y = (x[:, :1] > 0).astype("float32")
        else:
            y = rng.normal(size=(n, self.units)).astype("float32")
        sw = rng.uniform(0.5, 1.5, size=(n,)).astype("float32")
        return x, y, sw


CASES = {
    # the call of issue 18: a loss object with a config and a metric object
    "sparse_loss_object_auc": Case(3, None, lambda lib: dict(
        optimizer="adam", loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[lib.metrics.AUC(), "accuracy"]), "sparse", evaluable=False),
    "sparse_loss_object_topk": Case(3, None, lambda lib: dict(
        optimizer="adam", loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[lib.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2"), "accuracy"],
        weighted_metrics=["accuracy"]), "sparse"),
    "binary_logits_auc": Case(1, None, lambda lib: dict(
        optimizer=lib.optimizers.SGD(0.1, momentum=0.5),
        loss=lib.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics=[lib.metrics.AUC(from_logits=True, num_thresholds=50, name="auc"),
                 "accuracy"],
        weighted_metrics=[lib.metrics.MeanSquaredError(name="wmse")]), "binary"),
    "regression_functions": Case(2, None, lambda lib: dict(
        optimizer="rmsprop", loss="mse", loss_weights=[0.5],
        metrics=["mae", lib.metrics.mean_squared_error],
        weighted_metrics=[lib.metrics.MeanAbsoluteError(name="wmae")]), "regression"),
    "function_loss_flat_labels": Case(1, "sigmoid", lambda lib: dict(
        optimizer="adam", loss=lib.losses.binary_crossentropy,
        metrics=[lib.metrics.BinaryAccuracy(threshold=0.3, name="acc03")]), "binary_flat"),
}


def _strip_counters(config):
    """Compile configs with the per-process name counters removed (``adam_3``, ``auc_1``)
    and the optimizer's ``module``/``registered_name``, which Keras writes per backend
    (its torch optimizers: a private module and ``registered_name="Adam"``; its
    tensorflow ones: ``keras.optimizers`` and None); cornu writes one form, which
    both load."""
    def walk(value, key=None):
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if key == "name" and isinstance(value, str):
            return re.sub(r"_\d+$", "", value)
        return value

    config = walk(json.loads(json.dumps(config)))
    if isinstance(config["optimizer"], dict):
        config["optimizer"].pop("module", None)
        config["optimizer"].pop("registered_name", None)
    return config


def _compiled_state(model):
    """What compile restored, library-neutral: the loss and metrics (class and config)."""
    def describe(obj):
        if isinstance(obj, str) or obj is None:
            return obj
        if callable(obj) and not hasattr(obj, "get_config"):
            return ("function", obj.__name__)
        config = {k: v for k, v in obj.get_config().items() if k != "fn"}
        return (type(obj).__name__, json.loads(json.dumps(config)))

    cfg = model.get_compile_config()
    return {"loss": describe(model.loss), "loss_weights": cfg["loss_weights"]}


def _evaluate(model, x, y, sw):
    return model.evaluate(x, y, sample_weight=sw, batch_size=8, verbose=0, return_dict=True)


def _assert_logs_close(got, want, what):
    assert set(got) == set(want), f"{what}: {sorted(got)} != {sorted(want)}"
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-5,
                                   err_msg=f"{what}: {key}")


# -- get_compile_config is Keras's ------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_compile_config_is_keras_form(name, keras):
    case = CASES[name]
    kmodel, model = case.model(keras), case.model(cornu)
    kmodel.compile(**case.compile_args(keras))
    model.compile(**case.compile_args(cornu))
    ours = model.get_compile_config()
    json.dumps(ours)  # JSON as it is
    assert list(ours) == list(kmodel.get_compile_config())
    assert _strip_counters(ours) == _strip_counters(kmodel.get_compile_config())


def test_compile_config_of_functions_without_keras():
    model = CASES["function_loss_flat_labels"].model(cornu)
    model.compile(optimizer="adam", loss=cornu.losses.binary_crossentropy,
                  metrics=[cornu.metrics.mean_squared_error, "accuracy"])
    config = model.get_compile_config()
    record = {"module": "builtins", "class_name": "function", "registered_name": "function"}
    assert config["loss"] == {**record, "config": "binary_crossentropy"}
    assert config["metrics"] == [{**record, "config": "mean_squared_error"}, "accuracy"]
    assert config["jit_compile"] is False and config["run_eagerly"] is False
    model.compile(optimizer="adam", loss=custom_loss)
    assert model.get_compile_config()["loss"] == {**record, "config": "my_package>custom_loss"}


# -- cornu's files in cornu ----------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.evaluable])
def test_cornu_round_trip_restores_the_compiled_state(name, tmp_path):
    case = CASES[name]
    x, y, sw = case.data()
    model = case.model(cornu)
    model.compile(**case.compile_args(cornu))
    before = _evaluate(model, x, y, sw)
    model.save(tmp_path / "m.keras")
    loaded = cornu.saving.load_model(tmp_path / "m.keras")
    assert loaded.compiled
    assert _compiled_state(loaded) == _compiled_state(model)
    assert _strip_counters(loaded.get_compile_config()) == _strip_counters(
        model.get_compile_config())
    assert [type(m).__name__ for m in _compile_metric_objects(loaded)] == [
        type(m).__name__ for m in _compile_metric_objects(model)]
    _assert_logs_close(_evaluate(loaded, x, y, sw), before, f"{name} reloaded")


def _compile_metric_objects(model):
    model._build_compile_objects()
    return [m[1] if isinstance(m, tuple) else m for m in model._compile_metrics.metrics]


def test_loss_object_config_and_metric_objects_restored(tmp_path):
    case = CASES["sparse_loss_object_auc"]
    model = case.model(cornu)
    model.compile(**case.compile_args(cornu))
    model.save(tmp_path / "m.keras")
    loaded = cornu.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.loss, cornu.losses.SparseCategoricalCrossentropy)
    assert loaded.loss.get_config()["from_logits"] is True
    metrics = _compile_metric_objects(loaded)
    assert isinstance(metrics[0], cornu.metrics.AUC)
    assert metrics[0].get_config() == cornu.metrics.AUC().get_config() | {
        "name": metrics[0].name}
    assert type(metrics[1]).__name__ == "SparseCategoricalAccuracy"  # "accuracy", resolved
    assert isinstance(loaded.optimizer, cornu.optimizers.Adam)


def test_multi_output_dicts_restored(tmp_path):
    L = cornu.layers
    inp = cornu.Input((4,), name="x")
    h = L.Dense(5, activation="relu", name="h")(inp)
    model = cornu.Model(inp, {"cls": L.Dense(3, name="cls")(h), "reg": L.Dense(1, name="reg")(h)})
    model.compile(
        optimizer="adam",
        loss={"cls": cornu.losses.SparseCategoricalCrossentropy(from_logits=True),
              "reg": cornu.losses.MeanSquaredError(reduction="sum", name="reg_mse")},
        loss_weights={"cls": 1.0, "reg": 0.25},
        metrics={"cls": [cornu.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")],
                 "reg": ["mae"]},
        weighted_metrics={"reg": [cornu.metrics.MeanSquaredError(name="wmse")]})
    rng = _rng()
    x = rng.normal(size=(16, 4)).astype("float32")
    y = {"cls": rng.integers(0, 3, size=(16,)), "reg": rng.normal(size=(16,)).astype("float32")}
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    model.save(tmp_path / "m.keras")
    loaded = cornu.saving.load_model(tmp_path / "m.keras")
    config = loaded.get_compile_config()
    assert config["loss_weights"] == {"cls": 1.0, "reg": 0.25}
    assert config["loss"]["reg"]["config"] == {"name": "reg_mse", "reduction": "sum"}
    assert isinstance(loaded.loss["reg"], cornu.losses.MeanSquaredError)
    assert loaded.loss["reg"].reduction == "sum"
    _assert_logs_close(loaded.evaluate(x, y, verbose=0, return_dict=True), before, "multi")


# -- Keras 3's files in cornu -----------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_keras_file_loads_compiled(name, tmp_path, keras):
    case = CASES[name]
    x, y, sw = case.data()
    kmodel = case.model(keras)
    kmodel.compile(**case.compile_args(keras))
    if case.evaluable:
        kmodel.fit(x, y, sample_weight=sw, batch_size=8, epochs=1, verbose=0)
    kmodel.save(tmp_path / "k.keras")
    # A file saved before training holds the unbuilt optimizer: both libraries build the
    # loaded one and say that its state was not loaded.
    untrained = (pytest.warns(UserWarning, match="Skipping variable loading for optimizer")
                 if not case.evaluable else contextlib.nullcontext())
    with untrained:
        model = cornu.saving.load_model(tmp_path / "k.keras")
    assert model.compiled
    with untrained:
        kloaded = keras.saving.load_model(tmp_path / "k.keras")
    assert _compiled_state(model) == _compiled_state(kloaded)
    assert _strip_counters(model.get_compile_config()) == _strip_counters(
        kloaded.get_compile_config())
    if not case.evaluable:
        return
    assert int(model.optimizer.iterations.numpy()) == 4
    _assert_logs_close(_evaluate(model, x, y, sw), _evaluate(kloaded, x, y, sw),
                       f"{name}: cornu on Keras's file")


# -- cornu's files in Keras 3 ---------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_cornu_file_loads_compiled_in_keras(name, tmp_path, keras):
    case = CASES[name]
    x, y, sw = case.data()
    model = case.model(cornu)
    model.compile(**case.compile_args(cornu))
    model.save(tmp_path / "c.keras")
    kmodel = keras.saving.load_model(tmp_path / "c.keras")
    assert kmodel.compiled
    assert _compiled_state(kmodel) == _compiled_state(model)
    assert _strip_counters(kmodel.get_compile_config()) == _strip_counters(
        model.get_compile_config())
    if case.evaluable:
        _assert_logs_close(_evaluate(kmodel, x, y, sw), _evaluate(model, x, y, sw),
                           f"{name}: Keras on cornu's file")


# -- registered functions as activations and losses ----------------------------------------
def _activation_model(lib, fn, loss=None):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation=fn)])
    if loss is not None:
        model.compile(optimizer="sgd", loss=loss)
    return model


def _config_json(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def _x():
    return np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)


def test_registered_activation_written_as_keras_record(tmp_path):
    model = _activation_model(cornu, custom_fn, loss=custom_loss)
    assert model.layers[0].get_config()["activation"] == FUNCTION_RECORD
    assert cornu.activations.serialize(custom_fn) == FUNCTION_RECORD
    assert cornu.activations.serialize(cornu.activations.relu) == "relu"
    assert cornu.activations.deserialize(FUNCTION_RECORD) is custom_fn
    model.save(tmp_path / "c.keras")
    config = _config_json(tmp_path / "c.keras")
    assert config["config"]["layers"][1]["config"]["activation"] == FUNCTION_RECORD
    assert config["compile_config"]["loss"] == {**FUNCTION_RECORD,
                                                "config": "my_package>custom_loss"}
    loaded = cornu.saving.load_model(tmp_path / "c.keras")
    assert loaded.layers[0].activation is custom_fn
    assert loaded.loss is custom_loss
    np.testing.assert_allclose(loaded.predict(_x(), verbose=0), model.predict(_x(), verbose=0))


def test_bare_names_of_older_files_resolve():
    # Keras <= 3.6 (and cornu before) wrote a registered function by its bare name.
    assert cornu.activations.deserialize("custom_fn") is custom_fn
    assert cornu.activations.deserialize({**FUNCTION_RECORD, "config": "custom_fn"}) is custom_fn
    assert cornu.saving.deserialize_keras_object({**FUNCTION_RECORD, "config": "custom_loss"},
                                                 ) is custom_loss
    # a built-in name still means the built-in
    assert cornu.activations.deserialize("relu") is cornu.activations.relu


def test_unregistered_function_fails_clearly(tmp_path):
    model = _activation_model(cornu, custom_fn)
    model.save(tmp_path / "c.keras")
    config = _config_json(tmp_path / "c.keras")
    config["config"]["layers"][1]["config"]["activation"]["config"] = "other_package>nope"
    with pytest.raises(ValueError, match="nope"):
        cornu.models.model_from_json(json.dumps(config))


def test_registered_function_keras_writes_cornu_loads(tmp_path, keras):
    _register_in_keras(keras)
    kfn = keras.saving.get_custom_objects()["my_package>custom_fn"]
    kloss = keras.saving.get_custom_objects()["my_package>custom_loss"]
    kmodel = _activation_model(keras, kfn, loss=kloss)
    kmodel.save(tmp_path / "k.keras")
    config = _config_json(tmp_path / "k.keras")
    assert config["config"]["layers"][1]["config"]["activation"] == FUNCTION_RECORD
    model = cornu.saving.load_model(tmp_path / "k.keras")
    assert model.layers[0].activation is custom_fn
    assert model.loss is custom_loss
    np.testing.assert_allclose(model.predict(_x(), verbose=0), kmodel.predict(_x(), verbose=0),
                               rtol=1e-5, atol=1e-6)
    y = np.ones((4, 4), "float32")
    np.testing.assert_allclose(model.evaluate(_x(), y, verbose=0),
                               kmodel.evaluate(_x(), y, verbose=0), rtol=1e-5)


def test_registered_function_cornu_writes_keras_loads(tmp_path, keras):
    _register_in_keras(keras)
    model = _activation_model(cornu, custom_fn, loss=custom_loss)
    model.save(tmp_path / "c.keras")
    kmodel = keras.saving.load_model(tmp_path / "c.keras")
    assert kmodel.layers[0].activation is keras.saving.get_custom_objects()["my_package>custom_fn"]
    assert kmodel.get_compile_config()["loss"] == model.get_compile_config()["loss"]
    np.testing.assert_allclose(kmodel.predict(_x(), verbose=0), model.predict(_x(), verbose=0),
                               rtol=1e-5, atol=1e-6)
    y = np.ones((4, 4), "float32")
    np.testing.assert_allclose(kmodel.evaluate(_x(), y, verbose=0),
                               model.evaluate(_x(), y, verbose=0), rtol=1e-5)


def _frozen_base_program(lib, path):
    """A frozen functional base under a new head, trained, saved and reloaded: which
    weights train before and after (the optimizer's state must match its variables)."""
    base_in = lib.Input(shape=(4,))
    base = lib.Model(base_in, lib.layers.Dense(3)(base_in), name="base")
    base.trainable = False
    inputs = lib.Input(shape=(4,))
    model = lib.Model(inputs, lib.layers.Dense(2)(base(inputs)))
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"), verbose=0)
    model.save(path)
    reloaded = lib.saving.load_model(path)
    return ([w.name for w in model.trainable_weights],
            [w.name for w in reloaded.trainable_weights],
            [w.trainable for w in reloaded.layers[1].weights],
            len(reloaded.optimizer.variables))


def test_frozen_nested_model_reloads_frozen(tmp_path, keras):
    """The variables a frozen model builds on reload are frozen too (as Keras): the
    reloaded model trains the head only and its optimizer state loads whole."""
    ours = _frozen_base_program(cornu, tmp_path / "cornu.keras")
    theirs = _frozen_base_program(keras, tmp_path / "keras.keras")
    assert ours == theirs
    assert ours[1] == ours[0] and ours[2] == [False, False]
