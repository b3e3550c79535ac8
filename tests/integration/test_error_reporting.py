"""Errors arrive whole (issue 22): the first line the user reads is cornu's message.

Traceback filtering (Keras's ``keras.config.disable_traceback_filtering`` and
friends, under ``cornu.config``): an error raised inside ``fit``/``evaluate``/
``predict``/``*_on_batch`` or a top-level layer call is re-raised as the exception
first raised (on tensorflow, not AutoGraph's "in user code:" wrapper), with the
frames of cornu and of the framework dropped and the user's own kept.  Bad loop
arguments (``batch_size``, ``epochs``, ``steps``...) fail before any work with a
ValueError naming the argument and the value.
"""
import os
import re
import traceback

import numpy as np
import pytest

import cornu
from cornu import layers

_CORNU_DIRS = tuple(os.path.join(os.path.abspath(p), "") for p in cornu.__path__)


def _framework_dir(backend_name):
    module = __import__("tensorflow" if backend_name == "tensorflow" else "torch")
    return os.path.join(os.path.dirname(os.path.abspath(module.__file__)), "")


def _frames(err):
    return traceback.extract_tb(err.__traceback__)


def _cornu_frames(err):
    return [f for f in _frames(err)
            if f.filename.startswith(_CORNU_DIRS) or f.filename.startswith("<cornu.")]


def _assert_filtered(err, backend_name):
    """The user's frames are there; of cornu's, only the entry point's re-raise (the
    one frame a Python re-raise cannot avoid, as in Keras); none of the framework's."""
    frames = _frames(err)
    assert any(f.filename == __file__ for f in frames), frames
    internal = _cornu_frames(err)
    assert len(internal) <= 1, internal
    for frame in internal:
        assert frame.name in ("error_handler", "__call__") and "raise" in frame.line, frame
    framework = _framework_dir(backend_name)
    assert not [f for f in frames if f.filename.startswith(framework)], frames


@pytest.fixture
def filtering():
    """Restore the process-wide switch whatever a test set."""
    was = cornu.config.is_traceback_filtering_enabled()
    yield
    if was:
        cornu.config.enable_traceback_filtering()
    else:
        cornu.config.disable_traceback_filtering()


def _model(loss="mse"):
    model = cornu.Sequential([cornu.Input((4,)), layers.Dense(3)])
    model.compile(optimizer="sgd", loss=loss)
    return model


def _xy(n=8, features=4):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, features)).astype("float32"), rng.normal(size=(n, 3)).astype(
        "float32")


SHAPE_MESSAGE = "Input 0 of layer 'dense"


def test_switch_has_keras_names(filtering):
    assert cornu.config.is_traceback_filtering_enabled() is True
    cornu.config.disable_traceback_filtering()
    assert cornu.config.is_traceback_filtering_enabled() is False
    cornu.config.enable_traceback_filtering()
    assert cornu.config.is_traceback_filtering_enabled() is True


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict", "train_on_batch",
                                    "test_on_batch", "predict_on_batch"])
def test_shape_error_in_compiled_step_arrives_whole(method, backend_name, filtering):
    model = _model()
    x, y = _xy(features=5)  # the model expects 4 features
    call = {
        "fit": lambda: model.fit(x, y, verbose=0),
        "evaluate": lambda: model.evaluate(x, y, verbose=0),
        "predict": lambda: model.predict(x, verbose=0),
        "train_on_batch": lambda: model.train_on_batch(x, y),
        "test_on_batch": lambda: model.test_on_batch(x, y),
        "predict_on_batch": lambda: model.predict_on_batch(x),
    }[method]
    with pytest.raises(ValueError) as info:
        call()
    err = info.value
    assert type(err) is ValueError
    assert str(err).startswith(SHAPE_MESSAGE), str(err)
    assert "in user code" not in str(err)
    assert "(8, 5)" in str(err)
    _assert_filtered(err, backend_name)


def test_bad_label_shape_in_loss_arrives_whole(backend_name, filtering):
    model = _model(loss="sparse_categorical_crossentropy")
    x, _ = _xy()
    with pytest.raises(ValueError) as info:
        model.fit(x, np.zeros((8, 3)), verbose=0)
    assert str(info.value).startswith("sparse_categorical_crossentropy: `target` must have rank")
    _assert_filtered(info.value, backend_name)


def test_label_out_of_range_names_the_label(backend_name, filtering):
    """A data-dependent check runs inside the step (a graph assertion on tensorflow):
    the message is the check's, without the "Graph execution error" frame list."""
    model = _model(loss="sparse_categorical_crossentropy")
    x, _ = _xy()
    with pytest.raises(Exception) as info:
        model.fit(x, np.full((8,), 7), verbose=0)
    message = str(info.value)
    assert "received a label value of" in message and "7" in message
    assert "Graph execution error" not in message
    assert "File " not in message
    _assert_filtered(info.value, backend_name)


class _Fails(layers.Layer):
    """A user's layer whose ``call`` raises: its frame is the user's and stays."""

    def call(self, x, training=False):
        if training:  # not while Sequential builds it symbolically
            raise ValueError("the user's own check failed") from KeyError("the cause")
        return x


def test_user_frames_are_kept(backend_name, filtering):
    model = cornu.Sequential([cornu.Input((4,)), layers.Dense(3), _Fails()])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _xy()
    with pytest.raises(ValueError, match="^the user's own check failed$") as info:
        model.fit(x, y, verbose=0)
    names = [f.name for f in _frames(info.value) if f.filename == __file__]
    assert "test_user_frames_are_kept" in names and "call" in names
    if backend_name != "tensorflow":  # tf.function's own re-raise (``from None``) drops it
        assert isinstance(info.value.__cause__, KeyError)  # cornu keeps the user's chaining
    _assert_filtered(info.value, backend_name)


def test_top_level_layer_call_is_filtered(backend_name, filtering):
    dense = layers.Dense(3)
    dense(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="^Input 0 of layer") as info:
        dense(np.zeros((2, 5), "float32"))
    _assert_filtered(info.value, backend_name)
    with pytest.raises(ValueError, match="^Input 0 of layer") as info:
        dense(cornu.Input((5,)))  # a symbolic call (building a functional model)
    _assert_filtered(info.value, backend_name)


def test_disabled_filtering_keeps_every_frame(backend_name, filtering):
    cornu.config.disable_traceback_filtering()
    model = _model()
    x, y = _xy(features=5)
    with pytest.raises(ValueError) as info:
        model.fit(x, y, verbose=0)
    files = [f.filename for f in _frames(info.value)]
    assert any(f == __file__ for f in files)
    assert any(f.endswith(os.path.join("cornu", "engine", "trainer.py")) for f in files)
    assert any(f.endswith(os.path.join("cornu", "layer.py")) for f in files)
    if backend_name == "tensorflow":
        assert any(f.startswith(_framework_dir(backend_name)) for f in files), files
    dense = layers.Dense(3)
    dense(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError) as info:
        dense(np.zeros((2, 5), "float32"))
    assert len(_cornu_frames(info.value)) > 1


def test_autograph_wrapper_is_unwrapped(backend_name, filtering):
    """A user's own ``tf.function`` (AutoGraph on) inside a custom step re-wraps an
    error as "in user code:"; the user reads the original message and type."""
    if backend_name != "tensorflow":
        pytest.skip("AutoGraph is tensorflow's")
    import tensorflow as tf

    class Custom(cornu.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data

            @tf.function
            def forward(inputs):
                return self.dense(inputs[:, :2])  # built on 4 features: a shape error

            forward(x)
            return {}

    model = Custom()
    model.compile(optimizer="sgd", loss="mse")
    x, y = _xy()
    with pytest.raises(ValueError) as info:
        model.fit(x, y, verbose=0)
    assert str(info.value).startswith(SHAPE_MESSAGE), str(info.value)
    assert "in user code" not in str(info.value)
    names = [f.name for f in _frames(info.value) if f.filename == __file__]
    assert "test_autograph_wrapper_is_unwrapped" in names
    assert _cornu_frames(info.value)[0].name == "error_handler"
    cornu.config.disable_traceback_filtering()
    with pytest.raises(ValueError, match="in user code"):
        model.fit(x, y, verbose=0)


# -- loop arguments --------------------------------------------------------------------
BAD_ARGUMENTS = [
    ("fit", "batch_size", -4), ("fit", "batch_size", 0), ("fit", "batch_size", 2.5),
    ("fit", "batch_size", "32"), ("fit", "batch_size", True), ("fit", "epochs", -1),
    ("fit", "steps_per_epoch", 0), ("fit", "steps_per_epoch", -1),
    ("fit", "validation_steps", 0), ("fit", "validation_freq", 0),
    ("fit", "validation_freq", -2), ("fit", "validation_batch_size", -1),
    ("evaluate", "batch_size", -1), ("evaluate", "steps", 0), ("evaluate", "steps", -3),
    ("predict", "batch_size", 0), ("predict", "steps", 0), ("predict", "steps", -1),
]


@pytest.mark.parametrize("method,name,value", BAD_ARGUMENTS)
def test_bad_loop_argument_is_named_before_any_work(method, name, value):
    model = _model()
    x, y = _xy()
    before = [w.copy() for w in model.get_weights()]
    kwargs = {name: value, "verbose": 0}
    if name.startswith("validation"):
        kwargs["validation_data"] = (x, y)
    args = (x,) if method == "predict" else (x, y)
    with pytest.raises(ValueError) as info:
        getattr(model, method)(*args, **kwargs)
    message = str(info.value)
    assert name in message and repr(value) in message, message
    assert message.startswith(f"{method}(): {name} must be")
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.train_function is None and model.predict_function is None


@pytest.mark.parametrize("kwargs", [dict(epochs=0), dict(batch_size=np.int64(4)),
                                    dict(validation_freq=[1, 2], epochs=2),
                                    dict(steps_per_epoch=1, batch_size=3)])
def test_good_loop_arguments_still_run(kwargs):
    model = _model()
    x, y = _xy()
    model.fit(x, y, validation_data=(x, y), verbose=0, **kwargs)


@pytest.mark.parametrize("method,name,value", [("fit", "batch_size", -4),
                                               ("evaluate", "batch_size", -1)])
def test_keras_raises_the_same_type(method, name, value):
    """Where Keras 3 raises on both frameworks, cornu raises the same type (Keras's own
    message differs per framework; a float ``batch_size`` is a TypeError there on
    tensorflow, a ValueError on torch: cornu says ValueError on both)."""
    keras = pytest.importorskip("keras")
    x, y = _xy()
    for lib in (cornu, keras):
        model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3)])
        model.compile(optimizer="sgd", loss="mse")
        with pytest.raises(ValueError):
            getattr(model, method)(x, y, verbose=0, **{name: value})


# -- empty data ------------------------------------------------------------------------
def test_empty_arrays_say_no_data():
    model = _model()
    x, y = _xy()
    with pytest.raises(ValueError, match=r"^fit\(\) received no data"):
        model.fit(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match=r"^predict\(\) received no data"):
        model.predict(x[:0], verbose=0)
    with pytest.raises(ValueError, match=r"^evaluate\(\) received no data: the input yielded "
                                         r"no batches"):
        model.evaluate(x[:0], y[:0], verbose=0)  # (it returned 0.0)
    with pytest.raises(ValueError, match=r"^evaluate\(\) received no data"):
        model.evaluate(x[:0], y[:0], verbose=0, return_dict=True)


def test_empty_generator_says_no_data():
    model = _model()
    with pytest.raises(ValueError, match=r"^evaluate\(\) received no data"):
        model.evaluate(iter([]), verbose=0)
    with pytest.raises(ValueError, match=r"^fit\(\) received no data"):
        model.fit(iter([]), verbose=0)


def test_empty_dataset_says_no_data(backend_name):
    if backend_name != "tensorflow":
        pytest.skip("a tf.data.Dataset on the tensorflow backend")
    import tensorflow as tf

    model = _model()
    x, y = _xy()
    empty = tf.data.Dataset.from_tensor_slices((x, y)).batch(4).take(0)
    with pytest.raises(ValueError, match=r"^fit\(\) received no data"):
        model.fit(empty, verbose=0)
    with pytest.raises(ValueError, match=r"^predict\(\) received no data"):
        model.predict(empty.map(lambda a, b: a), verbose=0)
    with pytest.raises(ValueError, match=r"^evaluate\(\) received no data"):
        model.evaluate(empty, verbose=0)


# -- text fed to a numeric layer -------------------------------------------------------
TEXT_MESSAGE = (r"^Layer 'scores' \(Dense\) received an input of dtype {dtype}, but it "
                r"computes with numbers \(its input dtype is float32\)\. Turn text into "
                r"numbers before this layer, e\.g\. with a StringLookup")
TEXT_DTYPE = r"(str \(numpy U1\)|string)"  # numpy's, or a tf.string tensor's (tracing)


def _text_model():
    model = cornu.Sequential([cornu.Input((4,)), layers.Dense(3, name="scores")])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _text(n=8):
    return np.array([["a", "b", "c", "d"]] * n)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict", "train_on_batch",
                                    "test_on_batch", "predict_on_batch", "__call__"])
def test_text_into_a_numeric_layer_names_the_layer_and_dtype(method, backend_name, filtering):
    """Not the framework's cast error: the layer, the dtype received, what it needs.  (On
    tensorflow a compiled step meets the text as a ``tf.string`` tensor while tracing.)"""
    model = _text_model()
    x, y = _text(), np.zeros((8, 3), "float32")
    call = {
        "fit": lambda: model.fit(x, y, verbose=0),
        "evaluate": lambda: model.evaluate(x, y, verbose=0),
        "predict": lambda: model.predict(x, verbose=0),
        "train_on_batch": lambda: model.train_on_batch(x, y),
        "test_on_batch": lambda: model.test_on_batch(x, y),
        "predict_on_batch": lambda: model.predict_on_batch(x),
        "__call__": lambda: model(x),
    }[method]
    with pytest.raises(TypeError) as info:
        call()
    message = str(info.value)
    assert type(info.value) is TypeError
    assert re.match(TEXT_MESSAGE.format(dtype=TEXT_DTYPE), message), message
    if method == "__call__" or backend_name != "tensorflow":
        assert "str (numpy U1)" in message
    _assert_filtered(info.value, backend_name)


@pytest.mark.parametrize("data,dtype", [
    (np.array([["a", "bb", "c", "d"]]), "str (numpy U2)"),
    (np.array([[b"a", b"b", b"c", b"d"]]), "bytes (numpy S1)"),
    (np.array([["a", "b", "c", "d"]], dtype=object), "object (numpy, holding str)"),
])
def test_text_into_a_layer_call_names_the_dtype(data, dtype, filtering):
    for built in (False, True):
        dense = layers.Dense(3, name="scores")
        if built:
            dense(np.zeros((1, 4), "float32"))
        with pytest.raises(TypeError, match=TEXT_MESSAGE.format(dtype=re.escape(dtype))):
            dense(data)
        assert dense.built  # (the first call builds it from the shape, then refuses)


def test_text_in_a_functional_model_names_the_first_numeric_layer(filtering):
    inputs = cornu.Input((4,), name="features")
    model = cornu.Model(inputs, layers.Dense(3, name="scores")(layers.Activation("linear")(
        inputs)))
    with pytest.raises(TypeError, match=TEXT_MESSAGE.format(dtype=TEXT_DTYPE)):
        model.predict(_text(), verbose=0)


def test_text_pipelines_still_run(backend_name):
    """Layers that take text (lookups, weightless layers such as Lambda) are not checked,
    and numbers in object arrays are not text."""
    model = cornu.Sequential([
        cornu.Input((1,), dtype="string"),
        layers.StringLookup(vocabulary=["a", "b", "c"]),
        layers.Embedding(5, 2),
        layers.Flatten(),
        layers.Dense(1),
    ])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([["a"], ["b"], ["z"], ["c"]])
    model.fit(x, np.zeros((4, 1), "float32"), verbose=0)
    assert model.predict(x, verbose=0).shape == (4, 1)
    assert model.evaluate(x, np.zeros((4, 1), "float32"), verbose=0) >= 0
    upper = layers.Lambda(lambda t: t)
    assert upper(np.array(["a"])).tolist() == ["a"]
    dense = layers.Dense(2)
    assert tuple(dense(np.ones((1, 3), dtype=object).astype("float32")).shape) == (1, 2)


# -- dict inputs -----------------------------------------------------------------------
def _dict_model():
    a, b = cornu.Input((4,), name="a"), cornu.Input((2,), name="b")
    model = cornu.Model({"a": a, "b": b}, layers.Dense(3)(layers.Concatenate()([a, b])),
                        name="two_inputs")
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("method", ["__call__", "fit", "evaluate", "predict"])
def test_dict_with_a_wrong_key_names_passed_and_expected_keys(method, backend_name,
                                                              filtering):
    model = _dict_model()
    data = {"a": np.zeros((8, 4), "float32"), "wrong": np.zeros((8, 2), "float32")}
    y = np.zeros((8, 3), "float32")
    call = {
        "__call__": lambda: model(data),
        "fit": lambda: model.fit(data, y, verbose=0),
        "evaluate": lambda: model.evaluate(data, y, verbose=0),
        "predict": lambda: model.predict(data, verbose=0),
    }[method]
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == (
        "Missing data for input \"b\" of model 'two_inputs'. You passed a data dictionary "
        "with keys ['a', 'wrong']. Expected the following keys: ['a', 'b']")
    _assert_filtered(info.value, backend_name)


def test_dict_with_a_wrong_key_for_a_list_of_named_inputs(filtering):
    """Inputs given as a list are matched by name too (Keras): the same message."""
    inputs = cornu.Input((4,), name="pixels")
    model = cornu.Model([inputs], layers.Dense(3)(inputs), name="one_input")
    with pytest.raises(ValueError) as info:
        model.predict({"pixel": np.zeros((2, 4), "float32")}, verbose=0)
    assert str(info.value) == (
        "Missing data for input \"pixels\" of model 'one_input'. You passed a data "
        "dictionary with keys ['pixel']. Expected the following keys: ['pixels']")
