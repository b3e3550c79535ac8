"""cornu.saving.h5_reader: untrusted HDF5 read in a child process under limits.

The tree it returns must match what h5py reads (attributes of every type the Keras
formats use, datasets, links recorded and not followed); passing the time or memory
limit, a reader that crashes and a reader that writes garbage are clear errors naming
the file; files this process saved are read in process until they change; a missing
file is a FileNotFoundError naming it, from every loader.
"""
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

import cornu
from cornu.saving import h5_reader
from cornu.saving.h5_reader import H5ReadError, read_h5
from cornu_testplugin import ScaledDense


def _model():
    return cornu.Sequential([cornu.Input((4,)), ScaledDense(3, name="a"),
                             ScaledDense(2, name="b")], name="net")


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "sample.h5"
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.zeros(3)
    with h5py.File(path, "w") as f:
        f.attrs["vlen"] = "a config"
        f.attrs["fixed"] = np.bytes_(b"fixed bytes")
        f.attrs["number"] = 3.5
        f.attrs["names"] = np.array([b"dense", b"dense_1"])
        f.attrs["texts"] = np.array(["one", "two"], dtype=h5py.string_dtype())
        f.attrs["ints"] = np.arange(4, dtype="int64")
        g = f.create_group("layers/dense/vars")
        g.attrs["name"] = "dense"
        g["0"] = np.arange(12, dtype="float32").reshape(3, 4)
        g["1"] = np.array([True, False])
        f["words"] = np.array([b"not", b"numbers"])
        f["soft"] = h5py.SoftLink("/layers/dense")
        f["far"] = h5py.ExternalLink(str(other), "x")
        f["hard_again"] = f["layers"]  # a second hard link (and a cycle below)
        f["layers/dense/up"] = f["layers"]
    return path


def _check_tree(tree, path):
    with h5py.File(path, "r") as f:
        for key in f.attrs:
            want, got = f.attrs[key], tree.attrs[key]
            assert type(got) is type(want), key
            if isinstance(want, np.ndarray):
                assert got.dtype == want.dtype and np.array_equal(got, want), key
            else:
                assert got == want, key
        for key in ("layers/dense/vars/0", "layers/dense/vars/1"):
            got = tree[key][()]
            assert got.dtype == f[key].dtype and np.array_equal(got, f[key][()])
            assert got.flags.writeable
        assert tree["layers/dense/vars"].attrs["name"] == "dense"
    assert sorted(tree.keys()) == ["far", "hard_again", "layers", "soft", "words"]
    assert isinstance(tree.get("soft", getlink=True), h5py.SoftLink)
    assert isinstance(tree.get("far", getlink=True), h5py.ExternalLink)
    assert isinstance(tree.get("layers", getlink=True), h5py.HardLink)
    assert tree["hard_again"] is tree["layers"] is tree["layers/dense/up"]
    words = tree["words"]
    assert words.dtype.kind == "S" and words.shape == (2,)
    assert h5_reader.is_group(tree["layers"]) and h5_reader.is_dataset(words)
    assert "missing" not in tree and tree.get("missing") is None


def test_the_tree_matches_h5py_in_the_child_and_in_process(sample):
    _check_tree(read_h5(sample), sample)
    _check_tree(read_h5(sample, trusted=True), sample)
    _check_tree(read_h5(sample.read_bytes(), "bytes"), sample)


def test_the_child_imports_only_h5py_and_numpy():
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1]);"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'cornu', 'torch', 'tensorflow', 'keras', 'jax'}))"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code, h5_reader.__file__],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_passing_the_time_limit_is_a_clear_error(sample, monkeypatch):
    monkeypatch.setenv(h5_reader.TIMEOUT_ENV, "0.001")
    with pytest.raises(H5ReadError, match=f"{sample} could not be read within 0.001 s: the "
                       "file is corrupt or not an HDF5 file"):
        read_h5(sample)
    read_h5(sample, trusted=True)  # in process: no limit


def test_passing_the_memory_limit_is_a_clear_error(tmp_path):
    path = tmp_path / "big.weights.h5"
    with h5py.File(path, "w") as f:
        f["vars/0"] = np.zeros((48 << 20) // 8)
    with pytest.raises(H5ReadError, match=f"{path} could not be read within the memory "
                       "limit of 16 MiB"):
        read_h5(path, memory_mb=16)
    assert read_h5(path)["vars/0"].shape == ((48 << 20) // 8,)


@pytest.mark.parametrize("script, message", [
    ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", r"stopped \(signal 11\)"),
    ("import sys; sys.exit(3)", r"stopped \(exit status 3\)"),
    ("import sys; sys.stdout.buffer.write(b'CORNUH5\\x01' + bytes(8) + b'junk')",
     "malformed reader output"),
    ("import sys; sys.stdout.buffer.write(b'CORNUH5\\x01' + (9).to_bytes(8, 'little') "
     "+ b'{\"nodes\":1}')", "malformed reader output"),
])
def test_a_reader_that_crashes_or_writes_garbage_is_a_clear_error(sample, monkeypatch,
                                                                  script, message):
    monkeypatch.setattr(h5_reader, "_child_command",
                        lambda: [sys.executable, "-c", script])
    with pytest.raises(H5ReadError, match=f"{sample} could not be read.*{message}"):
        read_h5(sample)


def test_files_this_process_saved_are_trusted_until_they_change(tmp_path):
    model = _model()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    assert h5_reader.is_trusted(str(path))
    model.save(tmp_path / "m.keras")
    assert h5_reader.is_trusted(str(tmp_path / "m.keras"))
    # Same size, same mtime, same inode, other contents: no longer trusted.
    st = os.stat(path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    with open(path, "r+b") as f:
        f.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_size == st.st_size and os.stat(path).st_ino == st.st_ino
    assert not h5_reader.is_trusted(str(path))
    model.save_weights(path)
    assert h5_reader.is_trusted(str(path))
    (tmp_path / "copy.weights.h5").write_bytes(path.read_bytes())
    assert not h5_reader.is_trusted(str(tmp_path / "copy.weights.h5"))
    h5_reader.forget(str(path))
    assert not h5_reader.is_trusted(str(path))
    model.load_weights(path)  # through the child, with the same result
    model.load_weights(tmp_path / "copy.weights.h5")


def test_untrusted_loads_go_through_the_child(tmp_path, monkeypatch):
    model = _model()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    model.save(tmp_path / "m.keras")
    calls = []
    real = h5_reader._in_child
    monkeypatch.setattr(h5_reader, "_in_child", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    model.load_weights(path)
    cornu.saving.load_model(tmp_path / "m.keras")
    assert calls == []  # files this process wrote
    h5_reader.forget()
    model.load_weights(path)
    cornu.saving.load_model(tmp_path / "m.keras")
    cornu.saving.load_model(tmp_path / "m.keras", safe_mode=False)
    assert calls == [str(path), f"{tmp_path / 'm.keras'}: model.weights.h5"]


@pytest.mark.parametrize("name", ["nope.keras", "nope.weights.h5", "nope.h5",
                                  "nope.weights.json"])
def test_a_missing_file_is_a_file_not_found_error_naming_it(tmp_path, name):
    path = str(tmp_path / name)
    with pytest.raises(FileNotFoundError, match=f"not found.*{path}"):
        _model().load_weights(path)
    if not name.endswith(".json"):
        with pytest.raises(FileNotFoundError, match=f"not found.*{path}"):
            cornu.saving.load_model(path)
    with pytest.raises(FileNotFoundError, match=f"not found.*{path}"):
        read_h5(path)


def test_a_corrupt_file_still_says_so(tmp_path):
    path = tmp_path / "junk.weights.h5"
    path.write_bytes(b"not an hdf5 file at all" * 10)
    with pytest.raises(ValueError, match=f"{path} is not a readable HDF5 file "
                       r"\(corrupt or truncated\)"):
        _model().load_weights(path)
