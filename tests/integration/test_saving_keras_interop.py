"""Keras 3 files both ways, for every layer cornu has.

For each layer class: Keras 3 builds ``Input -> layer``, saves a ``.keras`` file,
cornu loads it and must predict the same; then cornu builds the same model, saves
it, Keras 3 loads it and must predict the same.  The table is keyed by the layer
class name; a new layer is covered by adding one line to ``CASES`` (or, with a
reason, to ``NOT_A_FILE_CASE``) — ``test_every_layer_is_in_the_table`` fails
until it is.  Whole models (Sequential, Functional multi-IO, subclassed, compiled
with optimizer state, legacy .h5, sharded weights) follow.
"""
import numpy as np
import pytest

import cornu
from cornu import ops

keras = pytest.importorskip("keras")


class Case:
    """How to build, feed and compare one layer.

    Args:
        kwargs: constructor arguments, or ``fn(lib) -> kwargs`` for arguments that
            are layers themselves (``lib`` is ``keras`` or ``cornu``).
        shapes: one input shape (without batch), or a list for several inputs.
        dtype: the input dtype; ints are drawn in ``[0, high)``.
        call: "single", "list" (``layer([a, b])``) or "args" (``layer(a, b)``).
        atol: the tolerance of the prediction comparison.
        keras_name: the Keras attribute when it differs from the class name.
        data: ``fn(rng, batch) -> inputs`` for inputs random normals cannot be.
        known_bug: why the case fails today (a strict xfail: fixing the layer makes
            the test fail until this is removed).
    """

    def __init__(self, kwargs=None, shapes=(4,), dtype="float32", call="single", atol=1e-5,
                 keras_name=None, high=8, data=None, known_bug=None):
        self.kwargs = kwargs or {}
        self.shapes = shapes
        self.dtype = dtype
        self.call = call
        self.atol = atol
        self.keras_name = keras_name
        self.high = high
        self.data = data
        self.known_bug = known_bug


def _img(h=8, w=8, c=3):
    return (h, w, c)


def _images(rng, batch, shape=(8, 8, 3)):
    return (rng.uniform(0, 255, (batch,) + shape)).astype("float32")


CASES = {
    # core
    "Dense": Case({"units": 3, "activation": "relu"}),
    "EinsumDense": Case({"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c"}),
    "Embedding": Case({"input_dim": 8, "output_dim": 3}, shapes=(5,), dtype="int32"),
    "ReversibleEmbedding": Case({"input_dim": 8, "output_dim": 3}, shapes=(5,), dtype="int32"),
    "Identity": Case(),
    "Masking": Case({"mask_value": 0.0}, shapes=(5, 3)),
    "TimeDistributed": Case(lambda lib: {"layer": lib.layers.Dense(2)}, shapes=(5, 3)),
    # activations
    "Activation": Case({"activation": "tanh"}),
    "ELU": Case({"alpha": 0.5}),
    "LeakyReLU": Case({"negative_slope": 0.2}),
    "PReLU": Case(),
    "ReLU": Case({"max_value": 1.0, "threshold": 0.1}),
    "Softmax": Case({"axis": -1}),
    # convolutions
    "Conv1D": Case({"filters": 2, "kernel_size": 3}, shapes=(6, 3)),
    "Conv2D": Case({"filters": 2, "kernel_size": 3, "padding": "same"}, shapes=_img(6, 6)),
    "Conv3D": Case({"filters": 2, "kernel_size": 2}, shapes=(4, 4, 4, 2)),
    "Conv1DTranspose": Case({"filters": 2, "kernel_size": 3, "strides": 2}, shapes=(5, 3)),
    "Conv2DTranspose": Case({"filters": 2, "kernel_size": 3, "strides": 2}, shapes=_img(4, 4)),
    "Conv3DTranspose": Case({"filters": 2, "kernel_size": 2}, shapes=(3, 3, 3, 2)),
    "DepthwiseConv1D": Case({"kernel_size": 3, "depth_multiplier": 2}, shapes=(6, 3)),
    "DepthwiseConv2D": Case({"kernel_size": 3}, shapes=_img(6, 6)),
    "SeparableConv1D": Case({"filters": 2, "kernel_size": 3}, shapes=(6, 3)),
    "SeparableConv2D": Case({"filters": 2, "kernel_size": 3}, shapes=_img(6, 6)),
    # pooling
    "AveragePooling1D": Case({"pool_size": 2}, shapes=(6, 3)),
    "AveragePooling2D": Case({"pool_size": 2}, shapes=_img(6, 6)),
    "AveragePooling3D": Case({"pool_size": 2}, shapes=(4, 4, 4, 2)),
    "MaxPooling1D": Case({"pool_size": 2}, shapes=(6, 3)),
    "MaxPooling2D": Case({"pool_size": 2}, shapes=_img(6, 6)),
    "MaxPooling3D": Case({"pool_size": 2}, shapes=(4, 4, 4, 2)),
    "GlobalAveragePooling1D": Case(shapes=(6, 3)),
    "GlobalAveragePooling2D": Case(shapes=_img(4, 4)),
    "GlobalAveragePooling3D": Case(shapes=(3, 3, 3, 2)),
    "GlobalMaxPooling1D": Case(shapes=(6, 3)),
    "GlobalMaxPooling2D": Case(shapes=_img(4, 4)),
    "GlobalMaxPooling3D": Case(shapes=(3, 3, 3, 2)),
    "AdaptiveAveragePooling1D": Case({"output_size": 2}, shapes=(6, 3)),
    "AdaptiveAveragePooling2D": Case({"output_size": 2}, shapes=_img(6, 6)),
    "AdaptiveAveragePooling3D": Case({"output_size": 2}, shapes=(4, 4, 4, 2)),
    "AdaptiveMaxPooling1D": Case({"output_size": 2}, shapes=(6, 3)),
    "AdaptiveMaxPooling2D": Case({"output_size": 2}, shapes=_img(6, 6)),
    "AdaptiveMaxPooling3D": Case({"output_size": 2}, shapes=(4, 4, 4, 2)),
    # normalization
    "BatchNormalization": Case(),
    "LayerNormalization": Case(),
    "GroupNormalization": Case({"groups": 2}, shapes=(4, 4)),
    "RMSNormalization": Case(),
    "UnitNormalization": Case(),
    "SpectralNormalization": Case(lambda lib: {"layer": lib.layers.Dense(3)}),
    # regularization (identity at inference)
    "ActivityRegularization": Case({"l1": 0.1}),
    "Dropout": Case({"rate": 0.5}),
    "AlphaDropout": Case({"rate": 0.5}),
    "GaussianDropout": Case({"rate": 0.5}),
    "GaussianNoise": Case({"stddev": 0.5}),
    **{name: Case({"rate": 0.5}, shapes=shape)
       for name, shape in (("SpatialDropout1D", (5, 3)), ("SpatialDropout2D", _img(4, 4)),
                           ("SpatialDropout3D", (3, 3, 3, 2)))},
    # reshaping
    "Cropping1D": Case({"cropping": 1}, shapes=(6, 3)),
    "Cropping2D": Case({"cropping": 1}, shapes=_img(6, 6)),
    "Cropping3D": Case({"cropping": 1}, shapes=(4, 4, 4, 2)),
    "Flatten": Case(shapes=(3, 2)),
    "Permute": Case({"dims": (2, 1)}, shapes=(3, 2)),
    "RepeatVector": Case({"n": 3}),
    "Reshape": Case({"target_shape": (2, 2)}),
    "UpSampling1D": Case({"size": 2}, shapes=(4, 3)),
    "UpSampling2D": Case({"size": 2}, shapes=_img(3, 3)),
    "UpSampling3D": Case({"size": 2}, shapes=(2, 2, 2, 2)),
    "ZeroPadding1D": Case({"padding": 1}, shapes=(4, 3)),
    "ZeroPadding2D": Case({"padding": 1}, shapes=_img(3, 3)),
    "ZeroPadding3D": Case({"padding": 1}, shapes=(2, 2, 2, 2)),
    # merging
    "Add": Case(shapes=[(4,), (4,)], call="list"),
    "Subtract": Case(shapes=[(4,), (4,)], call="list"),
    "Multiply": Case(shapes=[(4,), (4,)], call="list"),
    "Average": Case(shapes=[(4,), (4,)], call="list"),
    "Maximum": Case(shapes=[(4,), (4,)], call="list"),
    "Minimum": Case(shapes=[(4,), (4,)], call="list"),
    "Concatenate": Case({"axis": -1}, shapes=[(4,), (2,)], call="list"),
    "Dot": Case({"axes": 1}, shapes=[(4,), (4,)], call="list"),
    # recurrent
    "SimpleRNN": Case({"units": 3}, shapes=(5, 2), atol=1e-5),
    "LSTM": Case({"units": 3, "return_sequences": True}, shapes=(5, 2)),
    "GRU": Case({"units": 3}, shapes=(5, 2)),
    "RNN": Case(lambda lib: {"cell": lib.layers.StackedRNNCells(
        [lib.layers.SimpleRNNCell(3), lib.layers.LSTMCell(2), lib.layers.GRUCell(2)])},
        shapes=(5, 2)),
    "Bidirectional": Case(lambda lib: {"layer": lib.layers.LSTM(3)}, shapes=(5, 2)),
    "ConvLSTM1D": Case({"filters": 2, "kernel_size": 2}, shapes=(3, 5, 2)),
    "ConvLSTM2D": Case({"filters": 2, "kernel_size": 2}, shapes=(3, 4, 4, 2)),
    "ConvLSTM3D": Case({"filters": 2, "kernel_size": 2}, shapes=(2, 3, 3, 3, 1)),
    # attention
    "Attention": Case(shapes=[(3, 4), (5, 4)], call="list"),
    "AdditiveAttention": Case(shapes=[(3, 4), (5, 4)], call="list"),
    "MultiHeadAttention": Case({"num_heads": 2, "key_dim": 3}, shapes=[(3, 4), (5, 4)],
                               call="args", atol=1e-4),
    # (Keras's class GroupedQueryAttention is exported as keras.layers.GroupQueryAttention)
    "GroupQueryAttention": Case({"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2},
                                shapes=[(3, 4), (5, 4)], call="args", atol=1e-4),
    # preprocessing with state in the config
    "Rescaling": Case({"scale": 0.5, "offset": 1.0}),
    "Normalization": Case({"mean": [0.5, 1.0, 0.0, 2.0], "variance": [1.0, 4.0, 2.0, 0.5]}),
    "Discretization": Case({"bin_boundaries": [-1.0, 0.0, 1.0]}),
    "CategoryEncoding": Case({"num_tokens": 6, "output_mode": "multi_hot"}, dtype="int32",
                             high=6),
    "IntegerLookup": Case({"vocabulary": [3, 5, 7], "output_mode": "int"}, dtype="int32"),
    "Hashing": Case({"num_bins": 5}, dtype="int32"),
    "Resizing": Case({"height": 4, "width": 6}, shapes=_img(), data=_images, atol=1e-3),
    "CenterCrop": Case({"height": 4, "width": 6}, shapes=_img(), data=_images),
    "RandomCrop": Case({"height": 4, "width": 6}, shapes=_img(), data=_images, known_bug=(
        "at inference cornu center-crops to (height, width) as Keras documents; Keras "
        "3.15.1 returns the input uncropped, contradicting its own output shape")),
    "ContrastLimitedAdaptiveHistogramEqualization": Case(
        # clip 16 * (16 pixels per tile) / 256 = 1: integral, which Keras's torch backend
        # needs (it truncates fractional clip counts)
        {"value_range": (0, 255), "tile_grid_size": (2, 2), "clip_limit": 16.0},
        shapes=_img(), data=_images,
        atol=1e-3),
    "MelSpectrogram": Case({"fft_length": 16, "sequence_stride": 8, "num_mel_bins": 4,
                            "sampling_rate": 800}, shapes=(64,), atol=1e-3),
    "STFTSpectrogram": Case({"frame_length": 16, "frame_step": 8, "fft_length": 16},
                            shapes=(64, 1), atol=1e-3),
    # image augmentation (identity at inference: what crosses the file is the config)
    **{name: Case(kwargs, shapes=_img(), data=_images) for name, kwargs in {
        "RandomFlip": {"mode": "horizontal"}, "RandomRotation": {"factor": 0.1},
        "RandomTranslation": {"height_factor": 0.1, "width_factor": 0.1},
        "RandomZoom": {"height_factor": 0.1}, "RandomContrast": {"factor": 0.2},
        "RandomBrightness": {"factor": 0.2}, "RandomHue": {"factor": 0.2},
        "RandomSaturation": {"factor": 0.2}, "RandomGrayscale": {"factor": 0.5},
        "RandomInvert": {"factor": 0.5}, "RandomSharpness": {"factor": 0.2},
        "RandomShear": {"x_factor": 0.1}, "RandomColorDegeneration": {"factor": 0.2},
        "RandomPosterization": {"factor": (1, 4)}, "RandomGaussianBlur": {"factor": 0.5},
        "RandomPerspective": {"factor": 0.5}, "RandomErasing": {"factor": 0.5},
        "RandomElasticTransform": {"factor": 0.5}, "RandomColorJitter": {
            "brightness_factor": 0.2}, "Solarization": {"addition_factor": 0.1},
        "RandAugment": {}, "AugMix": {}, "CutMix": {}, "MixUp": {},
        "AutoContrast": {},
    }.items()},
}

#: Layers without a one-layer file case, and where they are covered.
NOT_A_FILE_CASE = {
    "Lambda": "bytecode in Keras files: test_saving_untrusted_layers.py",
    "TorchModuleWrapper": "pickled module: test_saving_untrusted_layers.py",
    "TFSMLayer": "wraps a SavedModel by path: tests/layers/test_interop.py",
    "JaxLayer": "a registered JAX function (jax installed): tests/layers/test_jax_layer.py",
    "FlaxLayer": "a registered Flax module (flax installed): tests/layers/test_jax_layer.py",
    "Wrapper": "abstract base class",
    "SimpleRNNCell": "saved inside RNN: the RNN case",
    "LSTMCell": "saved inside RNN: the RNN case",
    "GRUCell": "saved inside RNN: the RNN case",
    "StackedRNNCells": "saved inside RNN: the RNN case",
    "StringLookup": "string inputs: test_string_lookup_assets_both_ways",
    "TextVectorization": "string inputs: test_text_vectorization_both_ways",
    "HashedCrossing": "a pair of categorical inputs: tests/layers (preprocessing)",
    "FeatureSpace": "a dict-of-features utility: tests/layers (preprocessing)",
    "Pipeline": "a list of preprocessing layers: tests/layers (preprocessing)",
    "MaxNumBoundingBoxes": "bounding-box dicts: tests/layers (preprocessing)",
    "Equalization": "Keras 3.15.1 cannot build it in a Functional model ('part of a cycle')",
}


def test_every_layer_is_in_the_table():
    from cornu.layers import _LAYER_CLASSES

    table = set(CASES) | set(NOT_A_FILE_CASE)
    missing = sorted(cls.__name__ for cls, aliases in _LAYER_CLASSES.items()
                     if not table & {cls.__name__, *aliases})
    assert not missing, f"add a Case (or a reason) for {missing}"
    assert not set(CASES) & set(NOT_A_FILE_CASE)


def _available(name):
    import cornu.layers

    return hasattr(cornu.layers, name)


def _inputs(case, rng, batch=3):
    shapes = case.shapes if isinstance(case.shapes, list) else [case.shapes]
    out = []
    for shape in shapes:
        if case.data is not None:
            out.append(case.data(rng, batch))
        elif case.dtype.startswith("int"):
            out.append(rng.integers(0, case.high, (batch,) + tuple(shape)).astype(case.dtype))
        else:
            out.append(rng.standard_normal((batch,) + tuple(shape)).astype(case.dtype))
    return out


def _build(lib, name, case):
    layer_cls = getattr(lib.layers, case.keras_name if lib is keras and case.keras_name
                        else name)
    kwargs = case.kwargs(lib) if callable(case.kwargs) else dict(case.kwargs)
    shapes = case.shapes if isinstance(case.shapes, list) else [case.shapes]
    inputs = [lib.Input(tuple(s), dtype=case.dtype, name=f"in{i}") for i, s in enumerate(shapes)]
    layer = layer_cls(**kwargs, name="subject")
    if case.call == "list":
        out = layer(inputs)
    elif case.call == "args":
        out = layer(*inputs)
    else:
        out = layer(inputs[0])
    return lib.Model(inputs if len(inputs) > 1 else inputs[0], out, name="one_layer")


def _randomize(model, rng, numpy_weights):
    """Non-default weights (variances positive) so that the loaded values matter."""
    values = []
    for w, v in zip(model.weights, numpy_weights):
        if not np.issubdtype(v.dtype, np.floating):
            values.append(v)
            continue
        new = rng.standard_normal(v.shape).astype(v.dtype) * 0.5
        if "variance" in w.name:
            new = np.abs(new) + 0.5
        values.append(new)
    model.set_weights(values)


def _predict_keras(model, x):
    out = model(x if len(x) > 1 else x[0], training=False)
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in
            (out if isinstance(out, (list, tuple)) else [out])]


def _predict_cornu(model, x):
    out = model(x if len(x) > 1 else x[0], training=False)
    return [np.asarray(ops.convert_to_numpy(o)) for o in
            (out if isinstance(out, (list, tuple)) else [out])]


def _close(got, want, atol, what):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape, f"{what}: shape {g.shape} != {w.shape}"
        np.testing.assert_allclose(g.astype("float64"), w.astype("float64"), atol=atol,
                                   rtol=atol, err_msg=what)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=CASES[n].known_bug))
    if CASES[n].known_bug else n for n in sorted(CASES)])
def test_layer_files_both_ways(name, tmp_path, rng):
    if not _available(name):
        pytest.skip(f"cornu.layers.{name} is not in this checkout")
    case = CASES[name]
    x = _inputs(case, rng)
    # Keras 3 writes, cornu reads.
    kmodel = _build(keras, name, case)
    _randomize(kmodel, rng, kmodel.get_weights())
    expected = _predict_keras(kmodel, x)
    kpath = tmp_path / "keras.keras"
    kmodel.save(kpath)
    loaded = cornu.saving.load_model(kpath)
    assert [type(l).__name__ for l in loaded.layers][-1] == name
    _close(_predict_cornu(loaded, x), expected, case.atol, f"{name}: Keras file in cornu")
    # cornu writes, Keras 3 reads.
    model = _build(cornu, name, case)
    _randomize(model, rng, model.get_weights())
    expected = _predict_cornu(model, x)
    cpath = tmp_path / "cornu.keras"
    model.save(cpath)
    kloaded = keras.saving.load_model(cpath)
    _close(_predict_keras(kloaded, x), expected, case.atol, f"{name}: cornu file in Keras")


# -- whole models ---------------------------------------------------------------------------
def _multi_io(lib):
    L = lib.layers
    image = lib.Input((6, 6, 2), name="image")
    meta = lib.Input((3,), name="meta")
    x = L.Conv2D(3, 3, activation="relu", name="conv")(image)
    x = L.BatchNormalization(name="bn")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    shared = L.Dense(4, name="shared")
    joined = L.Concatenate(name="cat")([shared(x), shared(L.Dense(3, name="lift")(meta))])
    h = L.Activation("tanh", name="act")(L.LayerNormalization(name="ln")(joined))
    cls = L.Dense(3, activation="softmax", name="cls")(h)
    reg = L.Dense(1, name="reg")(h)
    model = lib.Model({"image": image, "meta": meta}, {"cls": cls, "reg": reg}, name="multi")
    model.compile(optimizer=lib.optimizers.Adam(1e-2),
                  loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  metrics={"cls": ["accuracy"], "reg": ["mae"]})
    return model


def _multi_io_data(rng, n=24):
    x = {"image": rng.standard_normal((n, 6, 6, 2)).astype("float32"),
         "meta": rng.standard_normal((n, 3)).astype("float32")}
    y = {"cls": rng.integers(0, 3, (n,)).astype("int32"),
         "reg": rng.standard_normal((n, 1)).astype("float32")}
    return x, y


def _sequential(lib):
    L = lib.layers
    model = lib.Sequential([lib.Input((5,)), L.Dense(8, activation="relu"),
                            L.BatchNormalization(), L.Dense(2)], name="seq")
    model.compile(optimizer=lib.optimizers.SGD(0.05, momentum=0.9), loss="mse",
                  metrics=["mae"])
    return model


def _flat(out):
    if isinstance(out, dict):
        return [np.asarray(out[k]) for k in sorted(out)]
    if isinstance(out, (list, tuple)):
        return [np.asarray(o) for o in out]
    return [np.asarray(out)]


def test_compiled_multi_io_model_both_ways_with_optimizer_state(tmp_path, rng):
    x, y = _multi_io_data(rng)
    kmodel = _multi_io(keras)
    kmodel.fit(x, y, epochs=1, batch_size=8, verbose=0)
    kmodel.save(tmp_path / "k.keras")
    model = cornu.saving.load_model(tmp_path / "k.keras")
    _close(_flat(model.predict(x, verbose=0)), _flat(kmodel.predict(x, verbose=0)), 1e-4,
           "Keras multi-IO model in cornu")
    assert int(model.optimizer.iterations.numpy()) == 3
    editor = cornu.saving.KerasFileEditor(str(tmp_path / "k.keras"))
    assert editor.compare(model)["status"] == "success"
    kslots = [np.asarray(keras.ops.convert_to_numpy(v)) for v in kmodel.optimizer.variables]
    slots = [np.asarray(v.numpy()) for v in model.optimizer.variables]
    assert len(slots) == len(kslots)
    for a, b in zip(slots, kslots):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # training resumes: one more identical step on both sides gives the same weights
    batch = ({k: v[:8] for k, v in x.items()}, {k: v[:8] for k, v in y.items()})
    kmodel.train_on_batch(*batch)
    model.train_on_batch(*batch)
    for a, b in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # and cornu's file back in Keras
    model.save(tmp_path / "c.keras")
    back = keras.saving.load_model(tmp_path / "c.keras")
    _close(_flat(back.predict(x, verbose=0)), _flat(model.predict(x, verbose=0)), 1e-4,
           "cornu multi-IO model in Keras")
    assert int(keras.ops.convert_to_numpy(back.optimizer.iterations)) == 4


def test_sequential_from_cornu_resumes_in_keras(tmp_path, rng):
    x = rng.standard_normal((16, 5)).astype("float32")
    y = rng.standard_normal((16, 2)).astype("float32")
    model = _sequential(cornu)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "c.keras")
    kmodel = keras.saving.load_model(tmp_path / "c.keras")
    reloaded = cornu.saving.load_model(tmp_path / "c.keras")
    for lib_model in (kmodel, reloaded):
        lib_model.train_on_batch(x[:8], y[:8])
    model.train_on_batch(x[:8], y[:8])
    for a, b, c in zip(model.get_weights(), reloaded.get_weights(), kmodel.get_weights()):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-6)


def _subclassed_classes(lib, register):
    L = lib.layers

    @register(package="interop")
    class Block(L.Layer):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.proj = L.Dense(units)
            self.norm = L.LayerNormalization()

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale")

        def call(self, x):
            return self.norm(self.proj(x)) * self.scale

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    @register(package="interop")
    class Net(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.block = Block(4)
            self.head = lib.Sequential([L.Dense(3), L.Dense(2)])

        def call(self, x):
            return self.head(self.block(x))

    return Net


def test_subclassed_registered_model_both_ways(tmp_path, rng):
    x = rng.standard_normal((4, 5)).astype("float32")
    KNet = _subclassed_classes(keras, keras.saving.register_keras_serializable)
    CNet = _subclassed_classes(cornu, cornu.saving.register_keras_serializable)
    kmodel = KNet(name="net")
    kmodel(x)
    kmodel.block.scale.assign(rng.standard_normal(4).astype("float32"))
    kmodel.save(tmp_path / "k.keras")
    model = cornu.saving.load_model(tmp_path / "k.keras")
    assert type(model) is CNet
    _close(_predict_cornu(model, [x]), _predict_keras(kmodel, [x]), 1e-5, "subclassed Keras")
    model.save(tmp_path / "c.keras")
    back = keras.saving.load_model(tmp_path / "c.keras")
    assert type(back) is KNet
    _close(_predict_keras(back, [x]), _predict_cornu(model, [x]), 1e-5, "subclassed cornu")


def test_sharded_weights_both_ways(tmp_path, rng):
    x = rng.standard_normal((3, 5)).astype("float32")
    kmodel, model = _sequential(keras), _sequential(cornu)
    kmodel.save_weights(tmp_path / "k.weights.json", max_shard_size=200 / 1024 ** 3)
    # Keras's optimizer is unbuilt (2 variables), cornu's compiled one is built: the
    # optimizer state is skipped with a warning, both ways, as Keras does.
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        model.load_weights(tmp_path / "k.weights.json")
    _close(_predict_cornu(model, [x]), _predict_keras(kmodel, [x]), 1e-5, "Keras shards")
    _randomize(model, rng, model.get_weights())
    model.save_weights(tmp_path / "c.weights.json", max_shard_size=200 / 1024 ** 3)
    assert len(list(tmp_path.glob("c_*.weights.h5"))) > 1
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        kmodel.load_weights(tmp_path / "c.weights.json")
    _close(_predict_keras(kmodel, [x]), _predict_cornu(model, [x]), 1e-5, "cornu shards")


def test_legacy_h5_whole_model_from_keras(tmp_path, rng):
    x = rng.standard_normal((4, 5)).astype("float32")
    kmodel = _sequential(keras)
    kmodel.fit(x, rng.standard_normal((4, 2)).astype("float32"), verbose=0)
    kmodel.save(tmp_path / "legacy.h5")
    model = cornu.saving.load_model(tmp_path / "legacy.h5")
    _close(_predict_cornu(model, [x]), _predict_keras(kmodel, [x]), 1e-5, "legacy .h5")
    assert model.compiled
    fresh = _sequential(cornu)
    fresh.load_weights(tmp_path / "legacy.h5")
    _close(_predict_cornu(fresh, [x]), _predict_keras(kmodel, [x]), 1e-5, "legacy weights")
    # by name, into a different model: only the layers whose names match receive weights
    names = [layer.name for layer in kmodel.layers]
    other = cornu.Sequential([cornu.Input((5,)), cornu.layers.Dense(8, name=names[0]),
                              cornu.layers.Dense(3, name="new_head")])
    before = other.layers[1].get_weights()
    other.load_weights(tmp_path / "legacy.h5", by_name=True)
    np.testing.assert_array_equal(other.layers[0].get_weights()[0],
                                  keras.ops.convert_to_numpy(kmodel.layers[0].kernel))
    np.testing.assert_array_equal(other.layers[1].get_weights()[0], before[0])


def _layer_output(lib, model, data):
    """The last layer called directly (Keras runs string layers outside Functional
    graphs on non-TensorFlow backends)."""
    out = model.layers[-1](data)
    return np.asarray((keras.ops if lib is keras else ops).convert_to_numpy(out))


def test_string_lookup_assets_both_ways(tmp_path):
    if not _available("StringLookup"):
        pytest.skip("cornu.layers.StringLookup is not in this checkout")
    import zipfile

    data = np.array([["cat"], ["dog"], ["bird"], ["cat"], ["fish"]])
    for lib, other in ((keras, cornu), (cornu, keras)):
        layer = lib.layers.StringLookup(name="lookup")
        layer.adapt(np.array(["cat", "dog", "cat", "bird", "cat", "dog"]))
        inputs = lib.Input((1,), dtype="string")
        model = lib.Model(inputs, layer(inputs))
        path = tmp_path / f"{lib.__name__}.keras"
        model.save(path)
        with zipfile.ZipFile(path) as archive:
            vocabulary = archive.read("assets/layers/string_lookup/vocabulary.txt")
        assert vocabulary.decode().split("\n") == ["[UNK]", "cat", "dog", "bird"]
        loaded = other.saving.load_model(path)
        np.testing.assert_array_equal(_layer_output(other, loaded, data),
                                      _layer_output(lib, model, data))


def test_text_vectorization_both_ways(tmp_path):
    if not _available("TextVectorization"):
        pytest.skip("cornu.layers.TextVectorization is not in this checkout")
    corpus = np.array(["the cat sat", "the dog ran", "a cat ran"])
    query = np.array([["the cat ran"], ["a bird sat"]])
    for lib, other in ((keras, cornu), (cornu, keras)):
        layer = lib.layers.TextVectorization(output_sequence_length=4, name="tv")
        layer.adapt(corpus)
        inputs = lib.Input((1,), dtype="string")
        model = lib.Model(inputs, layer(inputs))
        path = tmp_path / f"{lib.__name__}.keras"
        model.save(path)
        loaded = other.saving.load_model(path)
        np.testing.assert_array_equal(_layer_output(other, loaded, query),
                                      _layer_output(lib, model, query))


def _bf16_model(lib):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, dtype="bfloat16", name="d")])


def test_bfloat16_weights_files_both_ways(tmp_path):
    """HDF5 has no bfloat16: Keras stores the two bytes opaque with a ``dtype`` mark.
    cornu reads such files (in the child reader too) and writes them the same way."""
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    k = _bf16_model(keras)
    k.save_weights(str(tmp_path / "k.weights.h5"))
    c = _bf16_model(cornu)
    c.load_weights(tmp_path / "k.weights.h5")  # untrusted: the child reader
    for ours, theirs in zip(c.get_weights(), k.get_weights()):
        assert str(ours.dtype) == "bfloat16"
        np.testing.assert_array_equal(ours.astype("float32"),
                                      np.asarray(theirs).astype("float32"))
    np.testing.assert_allclose(
        np.asarray(c.predict(x, verbose=0), "float32"),
        np.asarray(k.predict(x, verbose=0), "float32"), rtol=1e-2, atol=1e-2)
    c2 = _bf16_model(cornu)
    c2.save_weights(tmp_path / "c.weights.h5")
    k2 = _bf16_model(keras)
    k2.load_weights(str(tmp_path / "c.weights.h5"))
    for ours, theirs in zip(c2.get_weights(), k2.get_weights()):
        np.testing.assert_array_equal(ours.astype("float32"),
                                      np.asarray(theirs).astype("float32"))
