"""cornu.datasets: the mirror, the IDX reader, mnist and fashion_mnist (pure numpy, no backend)."""
import gzip
import hashlib
import importlib.util
import inspect
import os
import shutil
import socket
import struct
import warnings

import numpy as np
import pluggy
import pytest

from cornu.datasets import _plugin, fashion_mnist, mnist
from cornu.datasets._idx import IDXError, read_idx
from cornu.datasets._npz import holds_arrays
from cornu.plugins import hookspecs
from cornu.utils import mirror as _mirror
from cornu.utils.file_utils import DownloadError

MIRROR = "CORNU_DATASETS_MIRROR"
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _closed_port_url(name):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/{name}"


def _parse_idx_independently(folder, prefix):
    """The Keras way: gzip + np.frombuffer with fixed header offsets."""
    with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "rb") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "rb") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(labels), 28, 28)
    return images, labels


def _check_arrays(data, folder):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8
    ref_x_train, ref_y_train = _parse_idx_independently(folder, "train")
    ref_x_test, ref_y_test = _parse_idx_independently(folder, "t10k")
    np.testing.assert_array_equal(x_train, ref_x_train)
    np.testing.assert_array_equal(y_train, ref_y_train)
    np.testing.assert_array_equal(x_test, ref_x_test)
    np.testing.assert_array_equal(y_test, ref_y_test)
    assert x_train.flags.writeable  # users normalise in place


# --------------------------------------------------------------------------- #
# The mirror
# --------------------------------------------------------------------------- #
@pytest.fixture
def small_file(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    data = b"cornu dataset bytes\n" * 100
    (mirror / "small.bin").write_bytes(data)
    return mirror, data


def test_fetch_from_a_mirror_folder_then_from_the_cache(small_file, cornu_home, monkeypatch):
    mirror, data = small_file
    origin = _closed_port_url("small.bin")  # would fail: the mirror must be used
    monkeypatch.setenv(MIRROR, str(mirror))
    path = _mirror.fetch("small.bin", origin=origin, file_hash=_sha256(data))
    assert path == str(cornu_home / "datasets" / "small.bin")
    assert open(path, "rb").read() == data
    monkeypatch.delenv(MIRROR)
    assert _mirror.fetch("small.bin", origin=origin, file_hash=_sha256(data)) == path


def test_fetch_from_a_mirror_root_with_dataset_subfolders(tmp_path, cornu_home, monkeypatch):
    root = tmp_path / "root"
    (root / "toy").mkdir(parents=True)
    (root / "toy" / "toy.bin").write_bytes(b"toy")
    monkeypatch.setenv(MIRROR, str(root))
    path = _mirror.fetch("toy.bin", origin=_closed_port_url("toy.bin"), file_hash=_sha256(b"toy"),
                         cache_subdir=os.path.join("datasets", "toy"), mirror_subdir="toy")
    assert path == str(cornu_home / "datasets" / "toy" / "toy.bin")


def test_fetch_from_a_file_url_mirror(small_file, cornu_home, monkeypatch):
    mirror, data = small_file
    monkeypatch.setenv(MIRROR, mirror.as_uri())
    path = _mirror.fetch("local-name.bin", origin=_closed_port_url("small.bin"),
                         file_hash=_sha256(data))
    assert path == str(cornu_home / "datasets" / "local-name.bin")
    assert open(path, "rb").read() == data


@pytest.mark.parametrize("suffix", ["", "/"])
def test_fetch_from_a_url_mirror(serve, small_file, cornu_home, monkeypatch, suffix):
    mirror, data = small_file
    (mirror / "sub").mkdir()
    shutil.copy(mirror / "small.bin", mirror / "sub" / "small.bin")
    server = serve(mirror)
    monkeypatch.setenv(MIRROR, server.url + "sub" + suffix)
    path = _mirror.fetch("small.bin", origin=_closed_port_url("small.bin"),
                         file_hash=_sha256(data))
    assert open(path, "rb").read() == data
    assert server.requests == ["/sub/small.bin"]
    # Cached now: the mirror is not asked again.
    assert _mirror.fetch("small.bin", origin=_closed_port_url("small.bin"),
                         file_hash=_sha256(data)) == path
    assert server.requests == ["/sub/small.bin"]


def test_a_bad_mirror_copy_is_rejected_and_the_origin_used(serve, tmp_path, small_file,
                                                           monkeypatch):
    mirror, data = small_file
    origin_site = tmp_path / "origin"
    origin_site.mkdir()
    (origin_site / "small.bin").write_bytes(data)
    (mirror / "small.bin").write_bytes(b"stale copy")
    origin = serve(origin_site)
    monkeypatch.setenv(MIRROR, str(mirror))
    with pytest.warns(UserWarning, match="Ignoring the mirror copy"):
        path = _mirror.fetch("small.bin", origin=origin.url + "small.bin",
                             file_hash=_sha256(data))
    assert open(path, "rb").read() == data
    assert origin.requests == ["/small.bin"]


def test_mirror_without_the_file_and_offline_origin(tmp_path, monkeypatch):
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    monkeypatch.setenv(MIRROR, str(empty))
    origin = _closed_port_url("small.bin")
    assert _mirror.fetch("small.bin", origin=None, file_hash="0" * 64) is None
    with pytest.raises(DownloadError) as info:
        _mirror.fetch("small.bin", origin=origin, file_hash="0" * 64)
    message = str(info.value)
    assert origin in message and MIRROR in message and str(empty) in message


def test_invalid_mirror_settings(tmp_path, monkeypatch):
    monkeypatch.setenv(MIRROR, "ftp://example.invalid/data")
    with pytest.raises(ValueError, match=MIRROR):
        _mirror.fetch("x.bin", origin=None)
    monkeypatch.setenv(MIRROR, str(tmp_path / "does-not-exist"))
    with pytest.raises(FileNotFoundError, match=MIRROR):
        _mirror.fetch("x.bin", origin=None)
    monkeypatch.setenv(MIRROR, "  ")
    assert _mirror.mirror_location() is None


# --------------------------------------------------------------------------- #
# The IDX reader
# --------------------------------------------------------------------------- #
def _write_gz(path, raw):
    with gzip.open(path, "wb") as f:
        f.write(raw)
    return path


def test_read_idx_round_trip(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = _write_gz(tmp_path / "img.gz", struct.pack(">IIII", 0x803, 2, 3, 4) + images.tobytes())
    np.testing.assert_array_equal(read_idx(path, 0x803), images)


@pytest.mark.parametrize("case", ["magic", "truncated", "extra", "header", "not_gzip"])
def test_read_idx_rejects_corrupt_files(tmp_path, case):
    path = tmp_path / f"{case}.gz"
    body = bytes(range(10))
    if case == "not_gzip":
        path.write_bytes(b"this is not gzip data at all")
    else:
        raw = {
            "magic": struct.pack(">II", 0x803, 10) + body,
            "truncated": struct.pack(">II", 0x801, 20) + body,
            "extra": struct.pack(">II", 0x801, 5) + body,
            "header": b"\x00\x00",
        }[case]
        _write_gz(path, raw)
    with pytest.raises(IDXError, match="not a valid IDX file") as info:
        read_idx(path, 0x801)
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------- #
# The loaders
# --------------------------------------------------------------------------- #
def test_loader_signatures_follow_keras():
    assert list(inspect.signature(fashion_mnist.load_data).parameters) == []
    params = inspect.signature(mnist.load_data).parameters
    assert list(params) == ["path"] and params["path"].default == "mnist.npz"


def test_fashion_mnist_from_a_mirror_folder(shared_data, cornu_home, monkeypatch):
    folder = shared_data / "fashion-mnist"
    monkeypatch.setenv(MIRROR, str(folder))
    data = fashion_mnist.load_data()
    _check_arrays(data, folder)
    (_, y_train), (_, y_test) = data
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    cached = sorted(os.listdir(cornu_home / "datasets" / "fashion-mnist"))
    assert cached == sorted(fashion_mnist.FILES)
    # A second call needs neither the mirror nor the network.
    monkeypatch.delenv(MIRROR)
    again = fashion_mnist.load_data()
    np.testing.assert_array_equal(again[0][0], data[0][0])


def test_fashion_mnist_from_a_url_mirror_root(serve, shared_data, monkeypatch):
    server = serve(shared_data)  # files under /fashion-mnist/...
    monkeypatch.setenv(MIRROR, server.url)
    data = fashion_mnist.load_data()
    _check_arrays(data, shared_data / "fashion-mnist")
    fetched = [p for p in server.requests if p.startswith("/fashion-mnist/")]
    assert sorted(fetched) == sorted(f"/fashion-mnist/{f}" for f in fashion_mnist.FILES)


def test_mnist_from_a_mirror_of_idx_files(shared_data, cornu_home, monkeypatch):
    folder = shared_data / "mnist"
    monkeypatch.setenv(MIRROR, str(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the gz files are canonical: nothing to warn about
        data = mnist.load_data()
    _check_arrays(data, folder)
    (x_train, y_train), (x_test, y_test) = data
    assert np.bincount(y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == MNIST_TEST_COUNTS
    assert int((y_train == 1).sum()) == 6742
    assert x_train.mean() == pytest.approx(33.318421449829934)
    # The same arrays as the (rebuilt) npz in the shared folder.
    with np.load(folder / "mnist.npz") as ref:
        np.testing.assert_array_equal(ref["x_test"], x_test)
        np.testing.assert_array_equal(ref["y_train"], y_train)
    # The IDX files are cached; the next call works without the mirror.
    assert sorted(os.listdir(cornu_home / "datasets" / "mnist")) == sorted(mnist.IDX_FILES)
    monkeypatch.delenv(MIRROR)
    np.testing.assert_array_equal(mnist.load_data()[1][1], y_test)


def test_mnist_npz_rebuilt_copy_is_accepted_by_its_arrays(shared_data, tmp_path, monkeypatch):
    """A mirror npz in other zip bytes is trusted only when it holds the canonical arrays."""
    mirror = tmp_path / "npz-only"
    mirror.mkdir()
    shutil.copy(shared_data / "mnist" / "mnist.npz", mirror / "mnist.npz")
    monkeypatch.setenv(MIRROR, str(mirror))
    # Without the arrays digest the file hash alone decides: rejected.
    with pytest.warns(UserWarning, match=mnist.NPZ_SHA256):
        assert _mirror.from_mirror("mnist.npz", mnist.NPZ_SHA256) is None
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert np.bincount(y_train).tolist() == MNIST_TRAIN_COUNTS
    assert x_test.shape == (10000, 28, 28)
    # Other arrays in the same container: rejected, and nothing is cached.
    with np.load(mirror / "mnist.npz") as f:
        arrays = {k: f[k].copy() for k in f.files}
    arrays["y_test"][0] = (arrays["y_test"][0] + 1) % 10
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    np.savez(tampered / "mnist.npz", **arrays)
    monkeypatch.setenv(MIRROR, str(tampered))
    monkeypatch.setenv("CORNU_HOME", str(tmp_path / "fresh-home"))
    with pytest.warns(UserWarning, match="nor its content"):
        assert _mirror.from_mirror("mnist.npz", mnist.NPZ_SHA256,
                                   accept=holds_arrays(mnist.ARRAYS_SHA256)) is None
    assert not list((tmp_path / "fresh-home" / "datasets").iterdir())


def test_mnist_npz_hash_is_keras_one():
    """The hash Keras checks, read from its source (without importing keras)."""
    spec = importlib.util.find_spec("keras")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("keras is not installed")
    source = os.path.join(spec.submodule_search_locations[0], "src", "datasets", "mnist.py")
    if not os.path.isfile(source):
        pytest.skip("this keras has no keras/src/datasets/mnist.py")
    with open(source) as f:
        assert mnist.NPZ_SHA256 in f.read()


# --------------------------------------------------------------------------- #
# The plugin
# --------------------------------------------------------------------------- #
def test_plugin_registers_the_dataset_modules():
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(_plugin, name="cornu-datasets")
    registered = {}

    def register(obj, name=None, aliases=()):
        registered[name or obj.__name__] = obj

    pm.hook.cornu_register_datasets(register=register)
    assert set(registered) == {"mnist", "fashion_mnist", "cifar10", "cifar100", "imdb",
                               "reuters", "boston_housing", "california_housing"}
    assert registered["mnist"] is mnist and registered["fashion_mnist"] is fashion_mnist
    assert all(callable(m.load_data) for m in registered.values())


def test_package_exposes_submodules():
    import cornu.datasets

    assert cornu.datasets.mnist is mnist
    assert cornu.datasets.fashion_mnist is fashion_mnist
