"""cifar10/100, imdb, reuters, boston and california housing: Keras's on-disk formats, generated
here and served over HTTP on 127.0.0.1, round-trip through the loaders; bad downloads fail cleanly."""
import hashlib
import inspect
import io
import json
import os
import pickle
import tarfile
import zipfile

import numpy as np
import pytest

from cornu import config
from cornu.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    imdb,
    reuters,
)
from cornu.datasets._npz import load_npz
from cornu.utils.file_utils import DownloadError

MIRROR = "CORNU_DATASETS_MIRROR"


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- #
# CIFAR: python pickles in a tar.gz, as published
# --------------------------------------------------------------------------- #
def _cifar_batch(rng, n, label_keys):
    batch = {b"batch_label": b"generated", b"data": rng.integers(0, 256, (n, 3072), np.uint8),
             b"filenames": [f"img{i}.png".encode() for i in range(n)]}
    for key, classes in label_keys.items():
        batch[key.encode()] = rng.integers(0, classes, n).tolist()
    return batch


def _tar_of(path, inner, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, obj in members.items():
            data = pickle.dumps(obj, protocol=4)  # (the published files: Python 2, protocol 2)
            info = tarfile.TarInfo(f"{inner}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.fixture
def cifar10_server(tmp_path, serve, monkeypatch, rng):
    folder = tmp_path / "srv"
    folder.mkdir()
    batches = {f"data_batch_{i}": _cifar_batch(rng, 4, {"labels": 10}) for i in range(1, 6)}
    batches["test_batch"] = _cifar_batch(rng, 3, {"labels": 10})
    _tar_of(folder / cifar10.ARCHIVE, "cifar-10-batches-py", batches)
    monkeypatch.setattr(cifar10, "SHA256", _sha256(folder / cifar10.ARCHIVE))
    server = serve(folder)
    monkeypatch.setenv(MIRROR, server.url)
    return server, batches


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cifar10_round_trip(cifar10_server, data_format, monkeypatch):
    server, batches = cifar10_server
    monkeypatch.setattr(config, "_IMAGE_DATA_FORMAT", data_format)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train.shape == (20, 1) and y_test.shape == (3, 1)
    raw = np.concatenate([batches[f"data_batch_{i}"][b"data"] for i in range(1, 6)])
    chw = raw.reshape(20, 3, 32, 32)
    expected = chw.transpose(0, 2, 3, 1) if data_format == "channels_last" else chw
    np.testing.assert_array_equal(x_train, expected)
    labels = sum((batches[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])
    np.testing.assert_array_equal(y_train[:, 0], labels)
    np.testing.assert_array_equal(y_test[:, 0], batches["test_batch"][b"labels"])
    # Extracted once: a second load neither downloads nor extracts again.
    requests = len(server.requests)
    cifar10.load_data()
    assert len(server.requests) == requests


def test_cifar100_label_modes(tmp_path, serve, monkeypatch, rng):
    folder = tmp_path / "srv"
    folder.mkdir()
    keys = {"fine_labels": 100, "coarse_labels": 20}
    members = {"train": _cifar_batch(rng, 6, keys), "test": _cifar_batch(rng, 2, keys)}
    _tar_of(folder / cifar100.ARCHIVE, "cifar-100-python", members)
    monkeypatch.setattr(cifar100, "SHA256", _sha256(folder / cifar100.ARCHIVE))
    monkeypatch.setenv(MIRROR, serve(folder).url)
    for mode in ("fine", "coarse"):
        (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=mode)
        assert x_train.shape == (6, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
        np.testing.assert_array_equal(y_train[:, 0], members["train"][f"{mode}_labels".encode()])
        np.testing.assert_array_equal(y_test[:, 0], members["test"][f"{mode}_labels".encode()])
    with pytest.raises(ValueError, match="label_mode.*'medium'"):
        cifar100.load_data(label_mode="medium")


def test_cifar_pickle_with_code_is_refused(tmp_path, serve, monkeypatch, cornu_home):
    """A tampered batch whose pickle would run a command is refused; the command never runs."""
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    folder = tmp_path / "srv"
    folder.mkdir()
    members = {f"data_batch_{i}": {b"data": Payload()} for i in range(1, 6)}
    members["test_batch"] = {b"data": Payload()}
    _tar_of(folder / cifar10.ARCHIVE, "cifar-10-batches-py", members)
    monkeypatch.setattr(cifar10, "SHA256", _sha256(folder / cifar10.ARCHIVE))
    monkeypatch.setenv(MIRROR, serve(folder).url)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load (posix|os).system"):
        cifar10.load_data()
    assert not marker.exists()


def test_cifar_archive_with_a_traversal_member_is_refused(tmp_path, serve, monkeypatch,
                                                        cornu_home):
    folder = tmp_path / "srv"
    folder.mkdir()
    with tarfile.open(folder / cifar10.ARCHIVE, "w:gz") as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    monkeypatch.setattr(cifar10, "SHA256", _sha256(folder / cifar10.ARCHIVE))
    monkeypatch.setenv(MIRROR, serve(folder).url)
    with pytest.raises(ValueError, match=r"\.\."):
        cifar10.load_data()
    assert not any(p.name == "escaped.txt" for p in tmp_path.rglob("escaped.txt"))
    leftovers = [p.name for p in (cornu_home / "datasets").iterdir()]
    assert leftovers == [cifar10.ARCHIVE]  # the verified archive only; no partial folder


# --------------------------------------------------------------------------- #
# IMDB and Reuters: ragged object arrays in an npz, and a word-index JSON
# --------------------------------------------------------------------------- #
def _ragged(rng, n, vocab, max_len=12):
    out = np.empty(n, dtype="object")
    out[:] = [rng.integers(1, vocab, rng.integers(1, max_len)).tolist() for _ in range(n)]
    return out


def _reference_sequences(xs, labels, seed_rng, *, num_words, skip_top, maxlen, start_char,
                         oov_char, index_from):
    """Keras's documented recipe, written out independently for one split."""
    order = np.arange(len(xs))
    seed_rng.shuffle(order)
    xs, labels = [list(xs[i]) for i in order], [labels[i] for i in order]
    xs = [([start_char] if start_char is not None else []) + [w + index_from for w in x]
          for x in xs]
    if maxlen:
        keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
        xs, labels = [xs[i] for i in keep], [labels[i] for i in keep]
    return xs, labels


@pytest.fixture
def imdb_server(tmp_path, serve, monkeypatch, rng):
    folder = tmp_path / "srv"
    folder.mkdir()
    arrays = {"x_train": _ragged(rng, 30, 50), "y_train": rng.integers(0, 2, 30),
              "x_test": _ragged(rng, 20, 50), "y_test": rng.integers(0, 2, 20)}
    np.savez(folder / "imdb.npz", **arrays)
    (folder / "imdb_word_index.json").write_text(json.dumps({"the": 1, "movie": 2}))
    monkeypatch.setattr(imdb, "NPZ_SHA256", _sha256(folder / "imdb.npz"))
    monkeypatch.setattr(imdb, "WORD_INDEX_MD5", _md5(folder / "imdb_word_index.json"))
    monkeypatch.setenv(MIRROR, serve(folder).url)
    return arrays


@pytest.mark.parametrize("options", [
    {},
    {"num_words": 20, "skip_top": 3, "maxlen": 10},
    {"num_words": 20, "oov_char": None, "start_char": None, "index_from": 0},
])
def test_imdb_round_trip_with_keras_options(imdb_server, options):
    arrays = imdb_server
    kw = dict(num_words=None, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3)
    kw.update(options)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(seed=7, **options)
    rs = np.random.RandomState(7)  # one stream shuffles train, then test
    ref_train, lab_train = _reference_sequences(arrays["x_train"], arrays["y_train"], rs, **kw)
    ref_test, lab_test = _reference_sequences(arrays["x_test"], arrays["y_test"], rs, **kw)
    num_words = kw["num_words"] or max(max(x) for x in ref_train + ref_test)

    def cut(x):
        if kw["oov_char"] is None:
            return [w for w in x if kw["skip_top"] <= w < num_words]
        return [w if kw["skip_top"] <= w < num_words else kw["oov_char"] for w in x]

    assert x_train.dtype == object and x_train.ndim == 1
    assert [list(x) for x in x_train] == [cut(x) for x in ref_train]
    assert [list(x) for x in x_test] == [cut(x) for x in ref_test]
    np.testing.assert_array_equal(y_train, lab_train)
    np.testing.assert_array_equal(y_test, lab_test)
    if kw["maxlen"]:
        assert max(len(x) for x in x_train) < kw["maxlen"]


def test_imdb_maxlen_that_keeps_nothing_and_unknown_kwargs(imdb_server):
    with pytest.raises(ValueError, match="maxlen=1"):
        imdb.load_data(maxlen=1)
    with pytest.raises(TypeError, match="nb_words"):
        imdb.load_data(nb_words=10)


def test_imdb_word_index(imdb_server):
    assert imdb.get_word_index() == {"the": 1, "movie": 2}


def test_reuters_round_trip_and_label_names(tmp_path, serve, monkeypatch, rng):
    folder = tmp_path / "srv"
    folder.mkdir()
    arrays = {"x": _ragged(rng, 40, 60), "y": rng.integers(0, 46, 40)}
    np.savez(folder / "reuters.npz", **arrays)
    (folder / "reuters_word_index.json").write_text(json.dumps({"said": 1}))
    monkeypatch.setattr(reuters, "NPZ_SHA256", _sha256(folder / "reuters.npz"))
    monkeypatch.setattr(reuters, "WORD_INDEX_MD5", _md5(folder / "reuters_word_index.json"))
    monkeypatch.setenv(MIRROR, serve(folder).url)
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=30, test_split=0.25)
    kw = dict(num_words=30, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3)
    ref, labels = _reference_sequences(arrays["x"], arrays["y"], np.random.RandomState(113), **kw)
    ref = [[w if w < 30 else 2 for w in x] for x in ref]
    assert len(x_train) == 30 and len(x_test) == 10
    assert [list(x) for x in x_train] + [list(x) for x in x_test] == ref
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), labels)
    assert reuters.get_word_index() == {"said": 1}
    names = reuters.get_label_names()
    assert len(names) == 46 and names[3] == "earn" and names[-1] == "lead"


def test_npz_with_pickled_code_is_refused(tmp_path, serve, monkeypatch, cornu_home):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    folder = tmp_path / "srv"
    folder.mkdir()
    evil = np.empty(1, dtype="object")
    evil[0] = Payload()
    np.savez(folder / "reuters.npz", x=evil, y=np.zeros(1, int))
    monkeypatch.setattr(reuters, "NPZ_SHA256", _sha256(folder / "reuters.npz"))
    monkeypatch.setenv(MIRROR, serve(folder).url)
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        reuters.load_data()
    assert not marker.exists()


# --------------------------------------------------------------------------- #
# The housing sets
# --------------------------------------------------------------------------- #
def test_boston_from_the_shared_rebuilt_npz(shared_data, monkeypatch):
    """The offline copy holds Keras's arrays in other zip bytes: accepted by its arrays."""
    monkeypatch.setenv(MIRROR, str(shared_data))
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert x_train.shape == (404, 13) and x_test.shape == (102, 13)
    assert x_train.dtype == np.float64 and y_train.dtype == np.float64
    # Published values of Keras's boston_housing.load_data() (see shared/data/README.md).
    np.testing.assert_allclose(x_train[0], [1.23247, 0, 8.14, 0, 0.538, 6.142, 91.7, 3.9769,
                                            4, 307, 21, 396.9, 18.72])
    assert x_train[1][0] == pytest.approx(0.02177)
    np.testing.assert_allclose(y_train[:5], [15.2, 42.3, 50.0, 21.1, 17.7])
    # The split is the documented one: shuffle with RandomState(113), first 80 % train.
    with np.load(shared_data / "boston_housing" / "boston_housing.npz") as f:
        x, y = f["x"], f["y"]
    order = np.arange(506)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(x_test, x[order][404:])
    np.testing.assert_array_equal(y_test, y[order][404:])


def test_california_small_and_large(shared_data, monkeypatch):
    monkeypatch.setenv(MIRROR, str(shared_data))
    (x_train, y_train), (x_test, _) = california_housing.load_data(version="small")
    assert x_train.shape == (480, 8) and x_test.shape == (120, 8)
    assert x_train.dtype == np.float32
    np.testing.assert_allclose(y_train[:5], [228400, 132900, 60000, 95200, 107000])
    (x_train, _), (x_test, _) = california_housing.load_data(test_split=0.1, seed=1)
    assert len(x_train) == int(20640 * 0.9) and len(x_train) + len(x_test) == 20640
    with pytest.raises(ValueError, match="version.*'medium'"):
        california_housing.load_data(version="medium")


@pytest.mark.parametrize("module", [boston_housing, california_housing])
def test_housing_rejects_a_bad_test_split(module):
    with pytest.raises(ValueError, match="test_split.*1.5"):
        module.load_data(test_split=1.5)


def test_housing_round_trip_over_http(tmp_path, serve, monkeypatch, rng):
    folder = tmp_path / "srv"
    folder.mkdir()
    x, y = rng.normal(size=(50, 13)), rng.normal(size=50)
    np.savez(folder / "boston_housing.npz", x=x, y=y)
    monkeypatch.setattr(boston_housing, "NPZ_SHA256", _sha256(folder / "boston_housing.npz"))
    monkeypatch.setenv(MIRROR, serve(folder).url)
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(test_split=0.3, seed=5)
    order = np.arange(50)
    np.random.RandomState(5).shuffle(order)
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]), x[order])
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), y[order])
    assert len(x_train) == 35


# --------------------------------------------------------------------------- #
# Bad downloads: a clear error, and the cache left clean
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("failure", ["checksum", "truncated", "server_error"])
def test_bad_download_gives_a_clear_error_and_a_clean_cache(failure, tmp_path, monkeypatch,
                                                            cornu_home, rng):
    import http.server
    import threading

    x, y = rng.normal(size=(10, 13)), rng.normal(size=10)
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=y)
    payload = buffer.getvalue()
    monkeypatch.setattr(boston_housing, "NPZ_SHA256", hashlib.sha256(payload).hexdigest())
    monkeypatch.setattr(boston_housing, "ARRAYS_SHA256", None)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if failure == "server_error":
                self.send_error(500, "boom")
                return
            middle = len(payload) // 2  # a flipped byte (the zip's last bytes are zeros)
            body = payload if failure == "truncated" else (
                payload[:middle] + bytes([payload[middle] ^ 0xFF]) + payload[middle + 1:])
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(body[: len(payload) // 2] if failure == "truncated" else body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        monkeypatch.setattr("cornu.datasets._housing.ORIGIN_FOLDER", url)
        expected = {"checksum": (ValueError, "hash"), "truncated": (DownloadError, url),
                    "server_error": (DownloadError, "500")}[failure]
        with pytest.raises(expected[0], match=expected[1]):
            boston_housing.load_data()
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
    assert os.listdir(cornu_home / "datasets") == []


def test_signatures_follow_keras():
    def params(fn):
        return {n: p.default for n, p in inspect.signature(fn).parameters.items()
                if p.kind is not p.VAR_KEYWORD}

    assert params(cifar10.load_data) == {}
    assert params(cifar100.load_data) == {"label_mode": "fine"}
    assert params(imdb.load_data) == dict(path="imdb.npz", num_words=None, skip_top=0,
                                          maxlen=None, seed=113, start_char=1, oov_char=2,
                                          index_from=3)
    assert params(reuters.load_data) == dict(path="reuters.npz", num_words=None, skip_top=0,
                                             maxlen=None, test_split=0.2, seed=113,
                                             start_char=1, oov_char=2, index_from=3)
    assert params(boston_housing.load_data) == dict(path="boston_housing.npz", test_split=0.2,
                                                    seed=113)
    assert params(california_housing.load_data) == dict(version="large",
                                                        path="california_housing.npz",
                                                        test_split=0.2, seed=113)


def test_load_npz_reads_numeric_and_ragged_members(tmp_path):
    ragged = np.empty(2, dtype="object")
    ragged[:] = [[1, 2, 3], [4]]
    np.savez_compressed(tmp_path / "a.npz", ragged=ragged, dense=np.arange(4))
    arrays = load_npz(tmp_path / "a.npz")
    assert [list(r) for r in arrays["ragged"]] == [[1, 2, 3], [4]]
    np.testing.assert_array_equal(arrays["dense"], np.arange(4))
    with zipfile.ZipFile(tmp_path / "a.npz") as zf:
        assert sorted(zf.namelist()) == ["dense.npy", "ragged.npy"]
