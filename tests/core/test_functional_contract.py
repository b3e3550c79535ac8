"""Functional models as Keras 3 defines them: subclasses, layer inputs/outputs, rank
adjustment of the inputs, and dict inputs/outputs matched by name.

Each test runs the same program on cornu and on Keras 3 (pointed at the same framework
by ``tests/conftest.py``), with the weights copied by ``get_weights``/``set_weights``,
and compares what both give.
"""
import numpy as np
import pytest

import cornu

keras = pytest.importorskip("keras")

LIBS = {"cornu": cornu, "keras": keras}


def _np(x):
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_np(v) for v in x]
    return x if isinstance(x, np.ndarray) else np.asarray(cornu.ops.convert_to_numpy(x))


def _close(a, b, atol=1e-5):
    a, b = _np(a), _np(b)
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b)
        for k in a:
            _close(a[k], b[k], atol)
        return
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y, atol)
        return
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, atol=atol, rtol=1e-5)


def _copy_weights(src, dst):
    dst.set_weights(src.get_weights())


# -- 4. Functional subclasses -------------------------------------------------------------

def _subclasses(lib, calls):
    class CustomModel(lib.Model):
        def train_step(self, data):
            calls.append("train")
            return super().train_step(data)

        def test_step(self, data):
            calls.append("test")
            return super().test_step(data)

    class Scaled(lib.Model):
        """A functional subclass with its own constructor."""

        def __init__(self, inputs, outputs, scale=2.0, **kwargs):
            super().__init__(inputs, outputs, **kwargs)
            self.scale = scale

    return CustomModel, Scaled


def _graph(lib, name="x"):
    L = lib.layers
    inp = lib.Input((4,), name=name)
    h = L.Dense(3, activation="relu", name="hidden")(inp)
    return inp, L.Dense(1, name="head")(h)


@pytest.mark.parametrize("form", ["positional", "keywords", "own_init"])
def test_functional_subclass_is_functional(form, rng):
    x = rng.standard_normal((6, 4)).astype("float32")
    outs = {}
    for name, lib in LIBS.items():
        CustomModel, Scaled = _subclasses(lib, [])
        inp, out = _graph(lib)
        if form == "positional":
            model = CustomModel(inp, out, name="custom")
            cls = CustomModel
        elif form == "keywords":
            model = CustomModel(inputs=inp, outputs=out, name="custom")
            cls = CustomModel
        else:
            model = Scaled(inp, out, scale=3.0, name="custom")
            cls = Scaled
            assert model.scale == 3.0
        functional = cornu.Functional if lib is cornu else keras.src.models.Functional
        assert type(model) is cls
        assert isinstance(model, cls) and isinstance(model, functional)
        assert isinstance(model, lib.Model)
        assert model.name == "custom"
        assert [l.name for l in model.layers] == ["x", "hidden", "head"]
        if form != "own_init":
            assert type(model).train_step is cls.train_step
            assert type(model).train_step is not lib.Model.train_step
        outs[name] = model
    _copy_weights(outs["keras"], outs["cornu"])
    _close(outs["cornu"](x), outs["keras"](x))
    _close(outs["cornu"].predict(x, verbose=0), outs["keras"].predict(x, verbose=0))


def test_functional_subclass_second_instance_and_subclass_of_subclass():
    CustomModel, _ = _subclasses(cornu, [])

    class Deeper(CustomModel):
        pass

    first = CustomModel(*_graph(cornu))
    second = CustomModel(*_graph(cornu))
    deeper = Deeper(*_graph(cornu))
    for model in (first, second, deeper):
        assert isinstance(model, cornu.Functional) and isinstance(model, CustomModel)
        assert len(model.layers) == 3
    assert isinstance(deeper, Deeper)


def test_functional_subclass_train_step_is_used(rng):
    """``fit``/``evaluate`` of ``CustomModel(inputs, outputs)`` run its overridden steps,
    once per batch as Keras 3 does (eagerly, so that Python counts every call)."""
    x = rng.standard_normal((8, 4)).astype("float32")
    y = rng.standard_normal((8, 1)).astype("float32")
    results = {}
    for name, lib in LIBS.items():
        calls = []
        CustomModel, _ = _subclasses(lib, calls)
        model = CustomModel(*_graph(lib))
        results[name] = (model, calls)
    _copy_weights(results["keras"][0], results["cornu"][0])
    histories = {}
    for name, (model, _) in results.items():
        lib = LIBS[name]
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", run_eagerly=True)
        histories[name] = model.fit(x, y, batch_size=4, epochs=2, shuffle=False,
                                    verbose=0).history
        model.evaluate(x, y, batch_size=4, verbose=0)
    assert results["cornu"][1] == results["keras"][1] == ["train"] * 4 + ["test"] * 2
    np.testing.assert_allclose(histories["cornu"]["loss"], histories["keras"]["loss"],
                               rtol=1e-4)


_registered = {}


def _registered_subclass(lib):
    if lib.__name__ not in _registered:
        register = lib.saving.register_keras_serializable

        @register(package="functional_contract")
        class Registered(lib.Model):
            def predict_step(self, data):
                return super().predict_step(data)

        _registered[lib.__name__] = Registered
    return _registered[lib.__name__]


def test_functional_subclass_config_round_trip(rng):
    x = rng.standard_normal((5, 4)).astype("float32")
    configs = {}
    models = {}
    for name, lib in LIBS.items():
        Registered = _registered_subclass(lib)
        models[name] = Registered(*_graph(lib), name="registered")
        configs[name] = models[name].get_config()
    assert sorted(configs["cornu"]) == sorted(configs["keras"]) == [
        "input_layers", "layers", "name", "output_layers", "trainable"]
    assert configs["cornu"]["input_layers"] == configs["keras"]["input_layers"]
    assert configs["cornu"]["output_layers"] == configs["keras"]["output_layers"]
    Registered = _registered["cornu"]
    revived = Registered.from_config(configs["cornu"])
    assert type(revived) is Registered and isinstance(revived, cornu.Functional)
    assert [l.name for l in revived.layers] == [l.name for l in models["cornu"].layers]
    revived.set_weights(models["cornu"].get_weights())
    _close(revived.predict(x, verbose=0), models["cornu"].predict(x, verbose=0))


def test_functional_subclass_from_config_before_any_instance():
    """A class revived from a config before it was ever built (a fresh process loading
    a file) becomes a Functional subclass too."""
    config = cornu.Model(*_graph(cornu), name="plain").get_config()

    class Fresh(cornu.Model):
        pass

    model = Fresh.from_config(config)
    assert type(model) is Fresh and isinstance(model, cornu.Functional)
    assert model.name == "plain" and len(model.layers) == 3


def test_functional_subclass_save_and_load(tmp_path, rng):
    x = rng.standard_normal((5, 4)).astype("float32")
    y = rng.standard_normal((5, 1)).astype("float32")
    Registered = _registered_subclass(cornu)
    model = Registered(*_graph(cornu), name="registered")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "registered.keras"
    model.save(path)
    loaded = cornu.saving.load_model(path)
    assert type(loaded) is Registered and isinstance(loaded, cornu.Functional)
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # Keras 3 reads the file with its own class registered under the same name.
    _registered_subclass(keras)
    kloaded = keras.saving.load_model(path)
    assert type(kloaded).__name__ == "Registered"
    _close(kloaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_functional_subclass_with_own_constructor_config_as_keras():
    configs = {}
    for name, lib in LIBS.items():
        _, Scaled = _subclasses(lib, [])
        model = Scaled(*_graph(lib), scale=3.0, name="scaled")
        configs[name] = model.get_config()
        with pytest.raises(TypeError):  # its config cannot rebuild the graph
            type(model).from_config(configs[name])
    assert sorted(configs["cornu"]) == sorted(configs["keras"]) == ["dtype", "name", "trainable"]
    assert configs["cornu"]["name"] == "scaled"


# -- 8. layer.input / layer.output -------------------------------------------------------------

def test_layer_input_and_output_are_the_first_call(rng):
    L = cornu.layers
    inp = cornu.Input((4,), name="x")
    dense = L.Dense(3, name="d")
    h = dense(inp)
    out = L.Dense(2, name="head")(h)
    model = cornu.Model(inp, out)
    assert model.get_layer("d").input is inp
    assert model.get_layer("d").output is h
    assert model.get_layer("x").output is inp
    assert model.layers[2].input is h and model.layers[2].output is out
    features = cornu.Model(model.input, model.get_layer("d").output)
    x = rng.standard_normal((3, 4)).astype("float32")
    _close(features.predict(x, verbose=0), dense(x))
    # several calls: ``input``/``output`` are the first call's (Keras 3); the others by index
    other = cornu.Input((4,))
    h2 = dense(other)
    assert dense.input is inp and dense.output is h
    assert dense.get_input_at(1) is other and dense.get_output_at(1) is h2
    with pytest.raises(ValueError, match="Asked to get output at node 2 of layer d"):
        dense.get_output_at(2)


def test_layer_input_and_output_lists_as_keras():
    shapes = {}
    for name, lib in LIBS.items():
        L = lib.layers
        a, b = lib.Input((3,)), lib.Input((3,))
        add = L.Add(name="add")
        out = add([a, b])
        lstm = L.LSTM(2, return_state=True, name="lstm")
        seq = lib.Input((5, 3))
        lstm(seq)
        assert len(add.input) == 2 and add.input[0] is a and add.input[1] is b
        assert add.output is out
        assert isinstance(lstm.output, list) and len(lstm.output) == 3
        shapes[name] = ([tuple(t.shape) for t in add.input],
                        [tuple(t.shape) for t in lstm.output])
    assert shapes["cornu"] == shapes["keras"]


def test_model_input_and_output_shapes_as_keras():
    shapes = {}
    for name, lib in LIBS.items():
        L = lib.layers
        a, b = lib.Input((3,), name="a"), lib.Input((2, 2), name="b")
        merged = L.Concatenate()([L.Dense(4)(a), L.Flatten()(b)])
        models = [lib.Model(a, L.Dense(1)(a)), lib.Model([a], [L.Dense(1)(a)]),
                  lib.Model([a, b], [merged, L.Dense(2)(merged)]),
                  lib.Model({"b": b, "a": a}, {"out": merged})]
        shapes[name] = [(m.input_shape, m.output_shape) for m in models]
    assert shapes["cornu"] == shapes["keras"]


def test_layer_never_called_has_no_input_or_output():
    dense = cornu.layers.Dense(2, name="lonely")
    with pytest.raises(AttributeError, match="lonely has never been called.*output"):
        _ = dense.output
    with pytest.raises(AttributeError, match="lonely has never been called.*input"):
        _ = dense.input
    assert not hasattr(dense, "output")
    dense(np.ones((2, 3), "float32"))  # an eager call records no node
    with pytest.raises(AttributeError, match="never been called"):
        _ = dense.output


def test_feature_extractor_from_sequential_layers(rng):
    """The Keras guide's recipe: ``Model(model.inputs, [l.output for l in model.layers])``
    on a Sequential model grown with ``add``."""
    x = rng.standard_normal((4, 5)).astype("float32")
    results = {}
    for name, lib in LIBS.items():
        L = lib.layers
        seq = lib.Sequential()
        seq.add(lib.Input((5,)))
        seq.add(L.Dense(4, activation="relu"))
        seq.add(L.Dense(3))
        seq.add(L.Dense(2))
        results[name] = seq
    _copy_weights(results["keras"], results["cornu"])
    outs = {}
    for name, seq in results.items():
        lib = LIBS[name]
        extractor = lib.Model(seq.inputs, [layer.output for layer in seq.layers])
        outs[name] = extractor.predict(x, verbose=0)
        _close(outs[name][-1], seq.predict(x, verbose=0))
    _close(outs["cornu"], outs["keras"])


def _seq2seq(lib, tokens=5, latent=6):
    L = lib.layers
    encoder_inputs = lib.Input((None, tokens), name="encoder_inputs")
    _, state_h, state_c = L.LSTM(latent, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = lib.Input((None, tokens), name="decoder_inputs")
    decoder_lstm = L.LSTM(latent, return_sequences=True, return_state=True, name="decoder")
    decoder_seq, _, _ = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
    outputs = L.Dense(tokens, activation="softmax", name="dense")(decoder_seq)
    return lib.Model([encoder_inputs, decoder_inputs], outputs)


def _inference_models(lib, model, latent=6):
    """keras.io's lstm_seq2seq inference recipe, from the trained model's layers."""
    encoder_inputs = model.input[0]
    _, state_h_enc, state_c_enc = model.layers[2].output  # the encoder LSTM
    encoder_model = lib.Model(encoder_inputs, [state_h_enc, state_c_enc])
    decoder_inputs = model.input[1]
    state_input_h = lib.Input((latent,))
    state_input_c = lib.Input((latent,))
    decoder_lstm = model.layers[3]
    decoder_seq, state_h, state_c = decoder_lstm(
        decoder_inputs, initial_state=[state_input_h, state_input_c])
    decoder_outputs = model.layers[4](decoder_seq)
    decoder_model = lib.Model([decoder_inputs, state_input_h, state_input_c],
                              [decoder_outputs, state_h, state_c])
    return encoder_model, decoder_model


def test_seq2seq_inference_models_from_layer_outputs(rng):
    enc = rng.random((6, 4, 5)).astype("float32")
    dec = rng.random((6, 4, 5)).astype("float32")
    target = rng.integers(0, 5, (6, 4))
    models = {name: _seq2seq(lib) for name, lib in LIBS.items()}
    assert ([l.name for l in models["cornu"].layers] == [l.name for l in models["keras"].layers]
            == ["encoder_inputs", "decoder_inputs", "encoder", "decoder", "dense"])
    _copy_weights(models["keras"], models["cornu"])
    for name, model in models.items():
        model.compile(optimizer=LIBS[name].optimizers.SGD(0.5),
                      loss="sparse_categorical_crossentropy")
        model.fit([enc, dec], target, batch_size=6, epochs=2, shuffle=False, verbose=0)
    _close(models["cornu"].get_weights(), models["keras"].get_weights(), atol=1e-5)
    predictions = {}
    for name, model in models.items():
        encoder_model, decoder_model = _inference_models(LIBS[name], model)
        states = encoder_model.predict(enc, verbose=0)
        step = decoder_model.predict([dec] + list(states), verbose=0)
        _close(step[0], model.predict([enc, dec], verbose=0))  # the same computation
        # one decoding step at a time gives the same as the whole sequence
        h, c = states
        for t in range(dec.shape[1]):
            out, h, c = decoder_model.predict([dec[:, t:t + 1], h, c], verbose=0)
            _close(out[:, 0], step[0][:, t])
        predictions[name] = (states, step)
    _close(predictions["cornu"], predictions["keras"])


# -- 9. input rank adjustment -------------------------------------------------------------

def _conv_model(lib, sequential=None):
    L = lib.layers
    if sequential == "input":
        return lib.Sequential([lib.Input((6, 6, 1)), L.Conv2D(2, 3), L.BatchNormalization(),
                               L.Flatten(), L.Dense(1)])
    if sequential == "input_shape":
        return lib.Sequential([L.Conv2D(2, 3, input_shape=(6, 6, 1)), L.BatchNormalization(),
                               L.Flatten(), L.Dense(1)])
    inp = lib.Input((6, 6, 1))
    x = L.Conv2D(2, 3)(inp)
    x = L.BatchNormalization()(x)
    return lib.Model(inp, L.Dense(1)(L.Flatten()(x)))


def _vector_model(lib, sequential=None):
    L = lib.layers
    if sequential:
        return lib.Sequential([lib.Input((10,)), L.Dense(3, activation="tanh"), L.Dense(1)])
    inp = lib.Input((10,))
    return lib.Model(inp, L.Dense(1)(L.Dense(3, activation="tanh")(inp)))


@pytest.mark.parametrize("kind,direction", [
    ("functional", "expand"), ("input", "expand"), ("input_shape", "expand"),
    ("functional", "squeeze"), ("input", "squeeze")])
def test_input_rank_adjustment(kind, direction, rng):
    sequential = None if kind == "functional" else kind
    if direction == "expand":  # (N, 6, 6) into Input((6, 6, 1))
        build, x = _conv_model, rng.standard_normal((8, 6, 6)).astype("float32")
    else:  # (N, 10, 1) into Input((10,))
        build, x = _vector_model, rng.standard_normal((8, 10, 1)).astype("float32")
    y = rng.standard_normal((8, 1)).astype("float32")
    models = {name: build(lib, sequential) for name, lib in LIBS.items()}
    _copy_weights(models["keras"], models["cornu"])
    _close(models["cornu"](x), models["keras"](x))
    _close(models["cornu"].predict(x, verbose=0), models["keras"].predict(x, verbose=0))
    losses = {}
    for name, model in models.items():
        model.compile(optimizer=LIBS[name].optimizers.SGD(0.05), loss="mse")
        losses[name] = model.fit(x, y, batch_size=4, epochs=2, shuffle=False,
                                 verbose=0).history["loss"]
        losses[name].append(model.evaluate(x, y, verbose=0))
    np.testing.assert_allclose(losses["cornu"], losses["keras"], rtol=1e-4)
    _close(models["cornu"].predict(x, verbose=0), models["keras"].predict(x, verbose=0),
           atol=1e-4)


def test_input_rank_adjustment_keeps_the_right_rank_untouched_and_rejects_others(rng):
    model = _vector_model(cornu)
    x = rng.standard_normal((3, 10)).astype("float32")
    _close(model(x), model(x[..., None]))
    with pytest.raises(ValueError, match="Invalid input shape for input 'input_layer.*"
                                         r"Expected shape \(None, 10\).*\(3, 10, 2\)"):
        model(np.zeros((3, 10, 2), "float32"))
    conv = _conv_model(cornu, "input")
    with pytest.raises(ValueError, match=r"Expected shape \(None, 6, 6, 1\).*\(3, 6\)"):
        conv(np.zeros((3, 6), "float32"))
    with pytest.raises(ValueError):
        _conv_model(keras, "input")(np.zeros((3, 6), "float32"))


def test_input_rank_adjustment_per_input_of_several(rng):
    xs = [rng.standard_normal((4, 5)).astype("float32"),
          rng.standard_normal((4, 3, 1)).astype("float32")]
    outs = {}
    models = {}
    for name, lib in LIBS.items():
        L = lib.layers
        a, b = lib.Input((5, 1), name="a"), lib.Input((3,), name="b")
        out = L.Concatenate()([L.Flatten()(L.Dense(2)(a)), L.Dense(2)(b)])
        models[name] = lib.Model([a, b], out)
    _copy_weights(models["keras"], models["cornu"])
    for name, model in models.items():
        outs[name] = model.predict(xs, verbose=0)
    _close(outs["cornu"], outs["keras"])


# -- 11. dict inputs and outputs by name ------------------------------------------------------

def _two_inputs(lib, as_dict=False, order=("b", "a")):
    L = lib.layers
    tensors = {n: lib.Input((3,), name=n) for n in order}
    da = L.Dense(2, name="da")(tensors["a"])
    db = L.Dense(2, use_bias=False, name="db")(tensors["b"])
    out = L.Concatenate(name="cat")([da, db])
    inputs = dict(tensors) if as_dict else [tensors[n] for n in order]
    return lib.Model(inputs, out)


@pytest.mark.parametrize("as_dict", [False, True], ids=["list_inputs", "dict_inputs"])
def test_dict_data_goes_to_the_input_of_that_name(as_dict, rng):
    xa = rng.standard_normal((8, 3)).astype("float32")
    xb = rng.standard_normal((8, 3)).astype("float32")
    y = rng.standard_normal((8, 4)).astype("float32")
    data = {"a": xa, "b": xb}
    models = {name: _two_inputs(lib, as_dict) for name, lib in LIBS.items()}
    _copy_weights(models["keras"], models["cornu"])
    model = models["cornu"]
    # "a" reaches the layer on Input "a": the first half is da(xa), the second db(xb)
    wa, ba = model.get_layer("da").get_weights()
    (wb,) = model.get_layer("db").get_weights()
    expected = np.concatenate([xa @ wa + ba, xb @ wb], axis=-1)
    _close(model(data), expected)
    _close(model.predict(data, verbose=0), expected)
    _close(model.predict(data, verbose=0), models["keras"].predict(data, verbose=0))
    logs = {}
    for name, m in models.items():
        m.compile(optimizer=LIBS[name].optimizers.SGD(0.1), loss="mse")
        logs[name] = m.fit(data, y, batch_size=4, epochs=2, shuffle=False,
                           verbose=0).history["loss"]
        logs[name].append(m.evaluate(data, y, verbose=0))
    np.testing.assert_allclose(logs["cornu"], logs["keras"], rtol=1e-4)
    _close(models["cornu"].get_weights(), models["keras"].get_weights(), atol=1e-5)


def test_dict_data_extra_keys_and_missing_keys(rng):
    model = _two_inputs(cornu)
    xa = rng.standard_normal((2, 3)).astype("float32")
    xb = rng.standard_normal((2, 3)).astype("float32")
    _close(model({"a": xa, "b": xb, "unused": xa}), model({"a": xa, "b": xb}))
    with pytest.raises(ValueError, match='Missing data for input "b".*keys \\[\'a\'\\]'):
        model({"a": xa})
    with pytest.raises(ValueError, match='Missing data for input "a"'):
        model.predict({"b": xb, "c": xa}, verbose=0)


def test_single_input_model_fed_a_dict(rng):
    x = rng.standard_normal((4, 4)).astype("float32")
    model = cornu.Model(*_graph(cornu, name="features"))
    _close(model.predict({"features": x}, verbose=0), model.predict(x, verbose=0))


def test_dict_of_inputs_with_a_list(rng):
    xa = rng.standard_normal((2, 3)).astype("float32")
    xb = rng.standard_normal((2, 3)).astype("float32")
    # keys in sorted order: a list is taken in that order (as Keras 3)
    for lib in LIBS.values():
        model = _two_inputs(lib, as_dict=True, order=("a", "b"))
        _close(model([xa, xb]), model({"a": xa, "b": xb}))
        # keys out of sorted order: a list is ambiguous, and refused
        unsorted = _two_inputs(lib, as_dict=True, order=("b", "a"))
        with pytest.raises(ValueError, match="structure"):
            unsorted([xb, xa])


@pytest.mark.parametrize("loss", ["mse", {"out": "mse"}, ["mse"]],
                         ids=["string", "dict", "list"])
@pytest.mark.parametrize("targets", ["array", "dict"])
def test_single_key_dict_output(loss, targets, rng):
    x = rng.standard_normal((8, 4)).astype("float32")
    y = rng.standard_normal((8, 1)).astype("float32")
    y_fit = {"out": y} if targets == "dict" else y
    models = {}
    for name, lib in LIBS.items():
        inp = lib.Input((4,))
        models[name] = lib.Model(inp, {"out": lib.layers.Dense(1, name="d")(inp)})
    _copy_weights(models["keras"], models["cornu"])
    results = {}
    for name, model in models.items():
        model.compile(optimizer=LIBS[name].optimizers.SGD(0.1), loss=loss, metrics=["mae"])
        history = model.fit(x, y_fit, batch_size=4, epochs=2, shuffle=False, verbose=0)
        evaluated = model.evaluate(x, y_fit, verbose=0, return_dict=True)
        predicted = model.predict(x, verbose=0)
        assert isinstance(predicted, dict) and list(predicted) == ["out"]
        assert predicted["out"].shape == (8, 1)
        results[name] = (history.history, evaluated, predicted)
    hc, ek, pk = results["keras"]
    h, e, p = results["cornu"]
    assert sorted(h) == sorted(hc) == ["loss", "mae"]
    for key in hc:
        np.testing.assert_allclose(h[key], hc[key], rtol=1e-4)
    assert sorted(e) == sorted(ek)
    for key in ek:
        np.testing.assert_allclose(e[key], ek[key], rtol=1e-4)
    _close(p, pk, atol=1e-5)


def test_clone_of_a_functional_subclass_keeps_its_class(rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    for lib in LIBS.values():
        CustomModel, _ = _subclasses(lib, [])
        model = CustomModel(*_graph(lib), name="custom")
        clone = lib.models.clone_model(model)
        assert type(clone) is CustomModel and clone.name == "custom"
        clone.set_weights(model.get_weights())
        _close(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_functional_subclass_with_functional_constructor_round_trips():
    class Named(cornu.Model):
        def __init__(self, inputs, outputs, name=None):
            super().__init__(inputs, outputs, name=name)

    model = Named(*_graph(cornu), name="named")
    config = model.get_config()
    assert "layers" in config  # its constructor takes Functional's arguments
    revived = Named.from_config(config)
    assert type(revived) is Named and revived.name == "named"
