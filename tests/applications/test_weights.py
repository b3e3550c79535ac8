"""Weights: legacy Keras ``.h5`` files (by name and in order), ``.weights.h5`` files, and
``weights="imagenet"`` fetched from a mirror or the origin (a local HTTP server here).

The reference is the source model itself: a model whose weights were randomised
and saved must be reproduced exactly by the model that loads them.
"""
import os

import h5py
import numpy as np
import pytest

from cornu.applications import mobilenet_v2, resnet, xception
from cornu.saving import legacy_h5
from cornu.utils.file_utils import DownloadError

MNV2_NOTOP_96 = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"


def _randomize(model, seed=0):
    """Random values in every weight (BN variances positive), so loading is visible."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for w in layer.weights:
            v = rng.normal(0, 0.1, tuple(w.shape)).astype("float32")
            if "variance" in w.path:
                v = np.abs(v) + 0.5
            values.append(v)
        if values:
            layer.set_weights(values)
    return model


def _small_mnv2(**kwargs):
    return mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights=None,
                                    input_shape=(96, 96, 3), **kwargs)


@pytest.fixture
def images(rng):
    return rng.uniform(-1, 1, (2, 96, 96, 3)).astype("float32")


def _same_outputs(a, b, x):
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))


def test_legacy_h5_round_trip_by_name(tmp_path, images):
    source = _randomize(_small_mnv2())
    path = tmp_path / "mnv2.h5"
    legacy_h5.save_weights(source, path)
    with h5py.File(path, "r") as f:  # the Keras 2 layout
        names = legacy_h5.load_attributes_from_hdf5_group(f, "layer_names")
        assert "block_1_expand_BN" in names
        assert legacy_h5.load_attributes_from_hdf5_group(f["Conv1"], "weight_names") == [
            "Conv1/kernel"]
    target = _small_mnv2()
    loaded = legacy_h5.load_weights(target, path, by_name=True)
    assert set(loaded) == {layer.name for layer in target.layers if layer.weights}
    _same_outputs(source, target, images)
    # ... and through the builder's ``weights=`` argument.
    built = mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights=str(path),
                                     input_shape=(96, 96, 3))
    _same_outputs(source, built, images)


def test_keras3_weights_file_through_the_builder(tmp_path, images):
    source = _randomize(_small_mnv2(), seed=1)
    path = tmp_path / "mnv2.weights.h5"
    source.save_weights(str(path))
    target = mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights=str(path),
                                      input_shape=(96, 96, 3))
    _same_outputs(source, target, images)


def test_in_order_loading_pairs_auto_named_layers(tmp_path, rng):
    # Xception's residual projections are unnamed (conv2d, batch_normalization...):
    # a fresh model gets other suffixes, so by-name loading misses them, while the
    # in-order loading Keras uses for its published files pairs them all.
    source = _randomize(xception.Xception(include_top=False, weights=None,
                                          input_shape=(71, 71, 3)), seed=2)
    path = tmp_path / "xception.h5"
    legacy_h5.save_weights(source, path)
    by_name = xception.Xception(include_top=False, weights=None, input_shape=(71, 71, 3))
    loaded = legacy_h5.load_weights(by_name, path, by_name=True)
    weighted = [layer.name for layer in by_name.layers if layer.weights]
    assert 0 < len(loaded) < len(weighted)
    target = xception.Xception(include_top=False, weights=str(path), input_shape=(71, 71, 3))
    x = rng.uniform(-1, 1, (1, 71, 71, 3)).astype("float32")
    _same_outputs(source, target, x)


def test_a_file_for_another_model_is_refused(tmp_path):
    other = resnet.ResNet50(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "resnet.h5"
    legacy_h5.save_weights(other, path)
    with pytest.raises(ValueError, match="layers with weights, but the file holds"):
        mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights=str(path),
                                 input_shape=(96, 96, 3))
    bad = tmp_path / "plain.h5"
    with h5py.File(bad, "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    with pytest.raises(ValueError, match="not a Keras HDF5 weights file"):
        legacy_h5.load_weights(_small_mnv2(), bad)


def test_shape_mismatch_names_the_layer(tmp_path):
    source = mobilenet_v2.MobileNetV2(alpha=0.5, include_top=False, weights=None,
                                      input_shape=(96, 96, 3))
    path = tmp_path / "wide.h5"
    legacy_h5.save_weights(source, path)
    with pytest.raises(ValueError, match=r"Shape mismatch .*block_1_project.*\(1, 1, 48, 16\)"):
        legacy_h5.load_weights(_small_mnv2(), path, by_name=True)


# --------------------------------------------------------------------------- #
# weights="imagenet": cache, mirror, origin
# --------------------------------------------------------------------------- #
def test_imagenet_weights_from_a_mirror_url(cornu_home, http_server, monkeypatch, images):
    root, url = http_server
    source = _randomize(_small_mnv2(), seed=3)
    legacy_h5.save_weights(source, root / MNV2_NOTOP_96)
    monkeypatch.setenv("CORNU_DATASETS_MIRROR", url)
    model = mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights="imagenet",
                                     input_shape=(96, 96, 3))
    _same_outputs(source, model, images)
    cached = cornu_home / "models" / MNV2_NOTOP_96
    assert cached.is_file()
    # Cached now: works with the mirror gone.
    monkeypatch.setenv("CORNU_DATASETS_MIRROR", "")
    os.remove(root / MNV2_NOTOP_96)
    again = mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights="imagenet",
                                     input_shape=(96, 96, 3))
    _same_outputs(source, again, images)


def test_imagenet_weights_from_a_mirror_folder(cornu_home, tmp_path, monkeypatch, images):
    folder = tmp_path / "mirror" / "models"
    folder.mkdir(parents=True)
    source = _randomize(_small_mnv2(), seed=4)
    legacy_h5.save_weights(source, folder / MNV2_NOTOP_96)
    monkeypatch.setenv("CORNU_DATASETS_MIRROR", str(tmp_path / "mirror"))
    model = mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights="imagenet",
                                     input_shape=(96, 96, 3))
    _same_outputs(source, model, images)


def test_imagenet_weights_from_the_origin(cornu_home, http_server, monkeypatch, images):
    root, url = http_server
    source = _randomize(_small_mnv2(), seed=5)
    legacy_h5.save_weights(source, root / MNV2_NOTOP_96)
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", url)
    model = mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights="imagenet",
                                     input_shape=(96, 96, 3))
    _same_outputs(source, model, images)


def test_offline_without_mirror_is_a_clear_error(cornu_home, closed_url, monkeypatch):
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", closed_url)
    with pytest.raises(DownloadError) as info:
        mobilenet_v2.MobileNetV2(alpha=0.35, include_top=False, weights="imagenet",
                                 input_shape=(96, 96, 3))
    message = str(info.value)
    assert MNV2_NOTOP_96 in message and "CORNU_DATASETS_MIRROR" in message
    assert "No mirror is set" in message


def test_mirror_copy_with_a_wrong_hash_is_rejected(cornu_home, http_server, closed_url,
                                                   monkeypatch):
    # ResNet50's files have a published md5: a mirror copy that differs is refused,
    # then the (unreachable) origin is tried and the error tells both stories.
    root, url = http_server
    name = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    legacy_h5.save_weights(
        resnet.ResNet50(include_top=False, weights=None, input_shape=(32, 32, 3)), root / name)
    monkeypatch.setenv("CORNU_DATASETS_MIRROR", url)
    monkeypatch.setattr(resnet, "BASE_WEIGHTS_PATH", closed_url)
    with pytest.warns(UserWarning, match="Ignoring the mirror copy"):
        with pytest.raises(DownloadError, match="hash mismatch"):
            resnet.ResNet50(include_top=False, weights="imagenet")
    assert not (cornu_home / "models" / name).exists()
