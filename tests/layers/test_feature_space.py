"""FeatureSpace: declared features, adapt, concat and dict outputs, the functional graph,
saving (against hand computations and Keras 3's FeatureSpace)."""
import os

import numpy as np
import pytest

import cornu
from cornu.layers.preprocessing import FeatureSpace  # keras.utils.FeatureSpace in Keras

from .conftest import to_numpy

DATA = {
    "f": np.arange(10.0, dtype="float32"),
    "s": np.array(list("abcabcabca")),
    "i": np.arange(10) % 3,
    "h": np.array(list("xyzxyzxyzx")),
    "d": np.arange(10.0, dtype="float32"),
}
SPEC = {"f": "float_normalized", "s": "string_categorical", "i": "integer_categorical",
        "h": "string_hashed", "d": "float_discretized"}


def _space(output_mode="concat"):
    return FeatureSpace(dict(SPEC), crosses=[("s", "i")], num_discretization_bins=4,
                        hashing_dim=8, crossing_dim=8, output_mode=output_mode)


def test_dict_output_by_hand():
    space = _space("dict")
    space.adapt(DATA)
    out = {k: to_numpy(v) for k, v in space(DATA).items()}
    assert sorted(out) == ["d", "f", "h", "i", "s", "s_X_i"]
    f = DATA["f"]
    np.testing.assert_allclose(out["f"][:, 0], (f - f.mean()) / f.std(), rtol=1e-5)
    # string_categorical: vocabulary by count ('a' 4, then 'c' > 'b' at 3), OOV at 0.
    assert space.preprocessors["s"].get_vocabulary() == ["[UNK]", "a", "c", "b"]
    index = {"a": 1, "c": 2, "b": 3}
    np.testing.assert_array_equal(out["s"], np.eye(4)[[index[c] for c in DATA["s"]]])
    assert out["i"].shape == (10, 4) and (out["i"].sum(1) == 1).all()
    hashed = to_numpy(cornu.layers.Hashing(8)(DATA["h"]))
    np.testing.assert_array_equal(out["h"], np.eye(8)[hashed])
    # Crosses hash the preprocessed (looked-up) values, as in Keras.
    s_ids = to_numpy(space.preprocessors["s"](DATA["s"]))
    i_ids = to_numpy(space.preprocessors["i"](DATA["i"]))
    crossed = to_numpy(cornu.layers.HashedCrossing(8)((s_ids, i_ids)))
    np.testing.assert_array_equal(out["s_X_i"], np.eye(8)[crossed])
    edges = space.preprocessors["d"].bin_boundaries
    np.testing.assert_array_equal(out["d"], np.eye(4)[np.digitize(DATA["d"], edges)])


def test_concat_matches_keras(keras):
    pytest.importorskip("tensorflow")
    ours = _space()
    ours.adapt(DATA)
    theirs = keras.utils.FeatureSpace(dict(SPEC), crosses=[("s", "i")], num_discretization_bins=4,
                                      hashing_dim=8, crossing_dim=8)
    theirs.adapt(DATA)
    assert ours.preprocessors["d"].bin_boundaries == pytest.approx(
        theirs.preprocessors["d"].bin_boundaries)
    np.testing.assert_allclose(to_numpy(ours(DATA)), np.asarray(theirs(DATA)), rtol=1e-5,
                               atol=1e-6)
    single = {k: v[3] for k, v in DATA.items()}
    np.testing.assert_allclose(to_numpy(ours(single)), np.asarray(theirs(single)), rtol=1e-5,
                               atol=1e-6)


def test_custom_features_and_errors():
    space = FeatureSpace({
        "x": FeatureSpace.float_rescaled(scale=2.0, offset=1.0),
        "k": FeatureSpace.integer_categorical(output_mode="int"),
        "t": FeatureSpace.feature(dtype="string", output_mode="float",
                                  preprocessor=cornu.layers.TextVectorization(
                                      output_mode="multi_hot")),
        "b": FeatureSpace.float_discretized(num_bins=None, bin_boundaries=[0.5],
                                            output_mode="int"),
    }, output_mode="dict")
    data = {"x": [1.0, 2.0], "k": [7, 9], "t": ["a b", "b c"], "b": [0.0, 1.0]}
    space.adapt(data)
    out = space(data)
    np.testing.assert_allclose(to_numpy(out["x"])[:, 0], [3.0, 5.0])
    assert to_numpy(out["k"]).ravel().tolist() == [2, 1]  # vocabulary [UNK], 9, 7
    assert to_numpy(out["t"]).tolist() == [[0, 1, 0, 1], [0, 1, 1, 0]]  # [UNK], b, c, a
    assert to_numpy(out["b"]).ravel().tolist() == [0, 1]
    with pytest.raises(ValueError, match="adapt"):
        _space()(DATA)
    with pytest.raises(ValueError, match="invalid feature type"):
        FeatureSpace({"a": "float_magic"})
    with pytest.raises(ValueError, match="unknown features"):
        FeatureSpace({"a": "float"}, crosses=[("a", "b")])
    with pytest.raises(ValueError, match="only be called with a dict"):
        space([1.0, 2.0])
    concat_int = FeatureSpace({"k": FeatureSpace.integer_categorical(output_mode="int")})
    with pytest.raises(ValueError, match="Cannot concatenate|cannot concatenate"):
        concat_int.adapt({"k": [1, 2]})


def test_functional_model_and_save(tmp_path):
    space = _space()
    space.adapt(DATA)
    inputs = space.get_inputs()
    encoded = space.get_encoded_features()
    assert encoded.shape == (None, 29)
    model = cornu.Model(inputs, cornu.layers.Dense(1)(encoded))
    batch = {k: v[:, None] for k, v in DATA.items()}
    expected = to_numpy(space(DATA))
    pred = to_numpy(model.predict(batch, verbose=0))
    assert pred.shape == (10, 1)
    path = os.path.join(tmp_path, "space.keras")
    space.save(path)
    restored = cornu.saving.load_model(path)
    assert isinstance(restored, FeatureSpace)
    assert restored.preprocessors["s"].get_vocabulary() == ["[UNK]", "a", "c", "b"]
    np.testing.assert_allclose(to_numpy(restored(DATA)), expected, rtol=1e-5, atol=1e-6)
