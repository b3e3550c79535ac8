"""``cornu.distillation`` (``keras.distillation``): Distiller and the distillation losses.

Teacher and student start from the same weights in cornu and in Keras 3 (copied with
``set_weights``); after a few steps of SGD without shuffling, the logged losses
(``student_loss``, ``distillation_loss``, ``total_loss``, ``loss``) and the student's
weights agree, for logits and feature distillation (named intermediate layers of
Functional and Sequential models), several weighted losses and the extreme student
weights.  Errors, configs and the ``.keras`` round trip are checked too.
"""
import importlib.util
import json
import warnings
import zipfile

import numpy as np
import pytest

import cornu
from cornu import distillation


def _installed(family):
    try:
        return importlib.util.find_spec(f"cornu.{family}") is not None
    except ModuleNotFoundError:  # cornu's finder: the family is not installed
        return False


# The per-package session has cornu-metrics without cornu-layers and cornu-optimizers:
# the tests that build models need them.
needs_models = pytest.mark.skipif(not (_installed("layers") and _installed("optimizers")),
                                  reason="needs cornu-layers and cornu-optimizers")


def _functional(lib, hidden, name, inputs=4, classes=3):
    inp = lib.Input((inputs,))
    h = lib.layers.Dense(hidden, activation="relu", name="h")(inp)
    h2 = lib.layers.Dense(6, activation="tanh", name="h2")(h)
    out = lib.layers.Dense(classes, name="out")(h2)
    return lib.Model(inp, out, name=name)


def _sequential(lib, hidden, name):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(hidden, activation="relu", name="h"),
                           lib.layers.Dense(6, name="h2"), lib.layers.Dense(3, name="out")],
                          name=name)


def _weights(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()]


@pytest.fixture
def xy(rng):
    x = rng.normal(size=(24, 4)).astype("float32")
    y = rng.integers(0, 3, size=(24,))
    return x, y


# Each case: (distillation losses (a function of the library), weights, student_loss_weight).
CASES = {
    "logits_kl_object": (lambda lib: lib.distillation.LogitsDistillation(
        temperature=2.0, loss=lib.losses.KLDivergence()), None, 0.5),
    "logits_default": (lambda lib: lib.distillation.LogitsDistillation(), None, 0.3),
    "logits_crossentropy": (lambda lib: lib.distillation.LogitsDistillation(
        temperature=4.0, loss=lib.losses.CategoricalCrossentropy(from_logits=True)), None, 0.7),
    "logits_mse": (lambda lib: lib.distillation.LogitsDistillation(
        temperature=2.0, loss="mse"), None, 0.5),
    "feature_intermediate": (lambda lib: lib.distillation.FeatureDistillation(
        loss="mse", teacher_layer_name="h2", student_layer_name="h2"), None, 0.5),
    "feature_final": (lambda lib: lib.distillation.FeatureDistillation(loss="mae"), None, 0.5),
    "several_weighted": (lambda lib: [
        lib.distillation.LogitsDistillation(temperature=3.0, loss=lib.losses.KLDivergence()),
        lib.distillation.FeatureDistillation(loss="mse", teacher_layer_name="h2",
                                             student_layer_name="h2"),
        lib.distillation.FeatureDistillation(loss="cosine_similarity",
                                             teacher_layer_name="h", student_layer_name="h"),
    ], [1.0, 0.5, 0.25], 0.4),
    "only_distillation": (lambda lib: lib.distillation.LogitsDistillation(
        loss=lib.losses.KLDivergence()), None, 0.0),
    "only_student": (lambda lib: lib.distillation.LogitsDistillation(), None, 1.0),
}


def _train(lib, make, case, x, y, teacher_w, student_w, metrics=("accuracy",)):
    losses, weights, student_loss_weight = CASES[case]
    teacher, student = make(lib, 8, "teacher"), make(lib, 8, "student")
    teacher.set_weights(teacher_w)
    student.set_weights(student_w)
    distiller = lib.distillation.Distiller(
        teacher=teacher, student=student, distillation_losses=losses(lib),
        distillation_loss_weights=weights, student_loss_weight=student_loss_weight)
    distiller.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1),
                      loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=list(metrics))
    history = distiller.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    evaluation = distiller.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    return distiller, history.history, evaluation


@needs_models
@pytest.mark.parametrize("case", sorted(CASES))
def test_training_matches_keras(keras, backend, xy, case):
    if case == "logits_crossentropy" and backend.NAME == "tensorflow":
        pytest.skip("Keras's categorical crossentropy on TensorFlow (the fused "
                    "softmax_cross_entropy_with_logits) has the gradient of labels that sum "
                    "to 1, which teacher logits do not; the loss values agree "
                    "(test_compute_loss_matches_keras)")
    x, y = xy
    reference = _functional(cornu, 8, "teacher")
    teacher_w, student_w = _weights(reference, 1), _weights(reference, 2)
    ours, our_history, our_eval = _train(cornu, _functional, case, x, y, teacher_w, student_w)
    theirs, their_history, their_eval = _train(keras, _functional, case, x, y, teacher_w,
                                               student_w)
    assert sorted(our_history) == sorted(their_history) == [
        "accuracy", "distillation_loss", "loss", "student_loss", "total_loss"]
    for key in their_history:
        np.testing.assert_allclose(our_history[key], their_history[key], rtol=2e-5, atol=1e-6,
                                   err_msg=key)
    assert sorted(our_eval) == sorted(their_eval)
    for key in their_eval:
        np.testing.assert_allclose(our_eval[key], their_eval[key], rtol=2e-5, atol=1e-6,
                                   err_msg=key)
    for a, b in zip(ours.student.get_weights(), theirs.student.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(ours.teacher.get_weights(), teacher_w):
        np.testing.assert_array_equal(a, b)  # the teacher is frozen
    assert ours.metrics_names == theirs.metrics_names
    assert len(ours.trainable_variables) == len(theirs.trainable_variables) == 6
    assert len(ours.weights) == len(theirs.weights) == 12
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


@needs_models
def test_sequential_feature_distillation_matches_keras(keras, xy):
    x, y = xy
    reference = _sequential(cornu, 8, "teacher")
    teacher_w, student_w = _weights(reference, 3), _weights(reference, 4)
    ours, our_history, _ = _train(cornu, _sequential, "several_weighted", x, y, teacher_w,
                                  student_w)
    theirs, their_history, _ = _train(keras, _sequential, "several_weighted", x, y, teacher_w,
                                      student_w)
    for key in their_history:
        np.testing.assert_allclose(our_history[key], their_history[key], rtol=2e-5, atol=1e-6)
    for a, b in zip(ours.student.get_weights(), theirs.student.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    extractor = ours._student_feature_extractor
    assert sorted(extractor.output) == ["final_output", "h", "h2"]


@pytest.mark.parametrize("make_loss", [
    lambda lib: lib.distillation.LogitsDistillation(temperature=2.5, loss=lib.losses.KLDivergence()),
    lambda lib: lib.distillation.LogitsDistillation(),
    lambda lib: lib.distillation.LogitsDistillation(
        temperature=4.0, loss=lib.losses.CategoricalCrossentropy(from_logits=True)),
    lambda lib: lib.distillation.FeatureDistillation(loss=["mse", None, "mae"]),
], ids=["logits_kl", "logits_default", "logits_crossentropy", "feature_list"])
def test_compute_loss_matches_keras(keras, to_np, rng, make_loss):
    if isinstance(make_loss(cornu), distillation.FeatureDistillation):
        teacher = [rng.normal(size=(5, 3)).astype("float32") for _ in range(3)]
        student = [rng.normal(size=(5, 3)).astype("float32") for _ in range(3)]
    else:
        teacher = rng.normal(size=(5, 3)).astype("float32")
        student = rng.normal(size=(5, 3)).astype("float32")
    ours = to_np(make_loss(cornu).compute_loss(teacher, student))
    theirs = to_np(make_loss(keras).compute_loss(teacher, student))
    assert ours.shape == theirs.shape == ()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_logits_distillation_formula(to_np, rng):
    """KLDivergence: T^2 * mean(KL(softmax(t/T) || softmax(s/T)))."""
    teacher = rng.normal(size=(4, 5)).astype("float32")
    student = rng.normal(size=(4, 5)).astype("float32")

    def softmax(v):
        e = np.exp(v - v.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    p, q = softmax(teacher / 3.0), softmax(student / 3.0)
    expected = 9.0 * np.mean(np.sum(p * np.log(p / q), axis=-1))
    loss = distillation.LogitsDistillation(temperature=3.0, loss=cornu.losses.KLDivergence())
    np.testing.assert_allclose(to_np(loss.compute_loss(teacher, student)), expected, rtol=1e-5)


# -- configs and saving -----------------------------------------------------------------


@pytest.mark.parametrize("make_loss", [
    lambda lib: lib.distillation.LogitsDistillation(temperature=2.0),
    lambda lib: lib.distillation.LogitsDistillation(loss=lib.losses.KLDivergence()),
    lambda lib: lib.distillation.FeatureDistillation(loss="mse", teacher_layer_name="h",
                                                     student_layer_name="h2"),
    lambda lib: lib.distillation.FeatureDistillation(loss=["mse", None]),
], ids=["logits", "logits_object", "feature", "feature_list"])
def test_loss_configs_match_keras(keras, make_loss):
    ours, theirs = make_loss(cornu), make_loss(keras)
    assert json.dumps(ours.get_config(), sort_keys=True) == json.dumps(
        theirs.get_config(), sort_keys=True)
    again = type(ours).from_config(ours.get_config())
    assert again.get_config() == ours.get_config()


def _distiller(student_loss_weight=0.3):
    teacher, student = _functional(cornu, 8, "teacher"), _functional(cornu, 5, "student")
    return distillation.Distiller(
        teacher, student,
        [distillation.LogitsDistillation(2.0),
         distillation.FeatureDistillation("mse", "h2", "h2")],
        distillation_loss_weights=[1.0, 0.5], student_loss_weight=student_loss_weight)


@needs_models
def test_save_and_load_round_trip(tmp_path, xy):
    x, y = xy
    cornu.utils.set_random_seed(7)
    distiller = _distiller()
    distiller.compile(optimizer=cornu.optimizers.Adam(0.01),
                      loss=cornu.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    distiller.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    path = tmp_path / "distiller.keras"
    distiller.save(path)

    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    assert config["class_name"] == "Distiller"
    inner = config["config"]
    assert inner["distillation_loss_weights"] == [1.0, 0.5]
    assert inner["student_loss_weight"] == 0.3
    assert [d["class_name"] for d in inner["distillation_losses"]] == [
        "LogitsDistillation", "FeatureDistillation"]
    assert {d["module"] for d in inner["distillation_losses"]} == {"keras.distillation"}
    assert config["compile_config"]["metrics"] == ["accuracy"]
    assert config["compile_config"]["loss"]["class_name"] == "SparseCategoricalCrossentropy"
    assert config["compile_config"]["loss"]["config"]["from_logits"] is True

    loaded = cornu.saving.load_model(path)  # no custom_objects: the class is registered
    assert type(loaded) is distillation.Distiller and loaded.compiled
    assert loaded.student_loss_weight == 0.3
    assert loaded.distillation_loss_weights == [1.0, 0.5]
    assert loaded.distillation_losses[1].teacher_layer_name == "h2"
    assert not loaded.teacher.trainable
    np.testing.assert_allclose(loaded.predict(x, verbose=0), distiller.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    for a, b in zip(loaded.teacher.get_weights(), distiller.teacher.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(
        distiller.evaluate(x, y, verbose=0, return_dict=True))
    # The optimizer state came back too: one more epoch gives the same student.
    distiller.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(loaded.student.get_weights(), distiller.student.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@needs_models
def test_the_compile_config_keeps_the_student_loss_and_metrics_as_given():
    distiller = _distiller()
    distiller.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    config = distiller.get_compile_config()
    assert config["loss"] == "sparse_categorical_crossentropy"
    assert config["metrics"] == ["accuracy"]
    assert distiller.loss is None  # the distiller compiles no loss of its own (Keras)
    # "accuracy" follows the student loss (sparse labels), as for a compiled model.
    accuracy = distiller.compiled_metrics.metrics[0]
    assert type(accuracy).__name__ == "SparseCategoricalAccuracy" and accuracy.name == "accuracy"


@needs_models
def test_a_compile_config_without_student_loss_leaves_it_uncompiled():
    """Keras 3 writes ``"loss": null`` for a distiller; loading one cannot compile it."""
    distiller = _distiller()
    with pytest.warns(cornu.CornuWarning, match="no student loss"):
        distiller.compile_from_config({"optimizer": "adam", "loss": None, "metrics": None})
    assert not distiller.compiled


@needs_models
def test_get_config_and_from_config():
    distiller = _distiller(student_loss_weight=0.6)
    config = distiller.get_config()
    assert {"teacher", "student", "distillation_losses", "distillation_loss_weights",
            "student_loss_weight", "name", "trainable"} <= set(config)
    assert config["name"] == "distiller"
    again = distillation.Distiller.from_config(config)
    assert again.student_loss_weight == 0.6 and again.teacher.name == "teacher"
    assert [type(d).__name__ for d in again.distillation_losses] == [
        "LogitsDistillation", "FeatureDistillation"]


@needs_models
def test_a_registered_custom_distillation_loss_round_trips():
    @cornu.saving.register_keras_serializable(package="test_distillation")
    class MeanGap(distillation.DistillationLoss):
        def __init__(self, scale=1.0):
            self.scale = scale

        def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
            return self.scale * cornu.ops.mean(cornu.ops.abs(teacher_outputs - student_outputs))

        def get_config(self):
            return {"scale": self.scale}

    distiller = distillation.Distiller(_functional(cornu, 8, "t"), _functional(cornu, 4, "s"),
                                       MeanGap(2.0))
    again = distillation.Distiller.from_config(distiller.get_config())
    assert type(again.distillation_losses[0]) is MeanGap
    assert again.distillation_losses[0].scale == 2.0


# -- errors -------------------------------------------------------------------------------


def _error(factory):
    with pytest.raises(Exception) as info:
        factory()
    return info.value


def _same_error(keras, factory):
    ours, theirs = _error(lambda: factory(cornu)), _error(lambda: factory(keras))
    assert type(ours) is type(theirs)
    assert str(ours) == str(theirs)
    return ours


@needs_models
def test_a_bad_layer_name_is_an_error_naming_the_model(keras):
    def bad_teacher_layer(lib):
        return lib.distillation.Distiller(
            _functional(lib, 8, "teacher"), _functional(lib, 4, "student"),
            lib.distillation.FeatureDistillation(teacher_layer_name="nope",
                                                 student_layer_name="h"))

    def bad_student_layer(lib):
        return lib.distillation.Distiller(
            _functional(lib, 8, "teacher"), _functional(lib, 4, "student"),
            lib.distillation.FeatureDistillation(teacher_layer_name="h",
                                                 student_layer_name="nope"))

    teacher_error = _error(lambda: bad_teacher_layer(cornu))
    assert isinstance(teacher_error, ValueError)
    assert str(teacher_error).startswith("In teacher model: No such layer: nope.")
    assert "'h2'" in str(teacher_error)  # the layers that exist
    student_error = _error(lambda: bad_student_layer(cornu))
    assert str(student_error).startswith("In student model: No such layer: nope.")
    assert type(_error(lambda: bad_teacher_layer(keras))) is ValueError


class _Subclassed(cornu.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.h = cornu.layers.Dense(3)

    def call(self, x):
        return self.h(x)


@needs_models
def test_layer_names_need_symbolic_models():
    with pytest.raises(ValueError, match="requires Functional or Sequential models. The "
                                         "student model"):
        distillation.Distiller(_functional(cornu, 8, "t"), _Subclassed(),
                               distillation.FeatureDistillation(teacher_layer_name="h",
                                                                student_layer_name="h"))
    # Without layer names a subclassed student is fine (final outputs only).
    distillation.Distiller(_functional(cornu, 8, "t"), _Subclassed(),
                           distillation.FeatureDistillation())


@needs_models
@pytest.mark.parametrize("name, factory", [
    ("weight_range", lambda lib: lib.distillation.Distiller(
        _functional(lib, 8, "t"), _functional(lib, 4, "s"),
        lib.distillation.LogitsDistillation(), student_loss_weight=1.5)),
    ("weight_type", lambda lib: lib.distillation.Distiller(
        _functional(lib, 8, "t"), _functional(lib, 4, "s"),
        lib.distillation.LogitsDistillation(), student_loss_weight="half")),
    ("no_losses", lambda lib: lib.distillation.Distiller(
        _functional(lib, 8, "t"), _functional(lib, 4, "s"), None)),
    ("weights_length", lambda lib: lib.distillation.Distiller(
        _functional(lib, 8, "t"), _functional(lib, 4, "s"),
        [lib.distillation.LogitsDistillation()], distillation_loss_weights=[1.0, 2.0])),
    ("output_shapes", lambda lib: lib.distillation.Distiller(
        _functional(lib, 8, "t"), _functional(lib, 4, "s", classes=5),
        lib.distillation.LogitsDistillation())),
    ("input_shapes", lambda lib: lib.distillation.Distiller(
        _functional(lib, 8, "t"), _functional(lib, 4, "s", inputs=7),
        lib.distillation.LogitsDistillation())),
    ("temperature_sign", lambda lib: lib.distillation.LogitsDistillation(temperature=0.0)),
    ("temperature_type", lambda lib: lib.distillation.LogitsDistillation(temperature="3")),
    ("all_none", lambda lib: lib.distillation.LogitsDistillation(loss=[None, None])),
    ("feature_all_none", lambda lib: lib.distillation.FeatureDistillation(loss=None)),
    ("compile_without_loss", lambda lib: lib.distillation.Distiller(
        _functional(lib, 8, "t"), _functional(lib, 4, "s"),
        lib.distillation.LogitsDistillation()).compile(optimizer="sgd")),
])
def test_argument_errors_match_keras(keras, name, factory):
    assert isinstance(_same_error(keras, factory), ValueError)


@needs_models
def test_teacher_must_be_a_model():
    error = _error(lambda: distillation.Distiller(
        "teacher", _functional(cornu, 4, "s"), distillation.LogitsDistillation()))
    assert isinstance(error, ValueError) and str(error).startswith("Teacher must be a keras.Model")
    with pytest.raises(ValueError, match="metrics must be a list or tuple"):
        _distiller().compile(loss="mse", metrics="accuracy")


@needs_models
def test_a_non_scalar_distillation_loss_is_refused(xy):
    class PerSample(distillation.DistillationLoss):
        def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
            return cornu.ops.mean(teacher_outputs - student_outputs, axis=-1)

    x, y = xy
    distiller = distillation.Distiller(_functional(cornu, 8, "t"), _functional(cornu, 4, "s"),
                                       PerSample())
    distiller.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="PerSample returned a non-scalar loss"):
        distiller.fit(x, y, epochs=1, verbose=0)


@needs_models
def test_the_family_resolves_from_cornu():
    assert cornu._FAMILIES["distillation"] == "cornu-metrics"
    assert cornu.distillation is distillation
    assert sorted(distillation.__all__) == ["DistillationLoss", "Distiller",
                                            "FeatureDistillation", "LogitsDistillation"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(_distiller(), cornu.Model)
