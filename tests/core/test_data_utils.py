"""cornu.utils input-pipeline helpers against numpy references and Keras 3 (when installed)."""
import os
import wave

import numpy as np
import pytest

from cornu import utils


# --------------------------------------------------------------------------- #
# numerics and padding
# --------------------------------------------------------------------------- #
def test_to_categorical_matches_numpy_and_keeps_the_shape(rng):
    labels = rng.integers(0, 5, (4, 3))
    out = utils.to_categorical(labels)
    assert out.shape == (4, 3, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.eye(5, dtype="float32")[labels])
    column = utils.to_categorical(labels[:, :1], num_classes=7)  # a trailing 1 is dropped
    assert column.shape == (4, 7)
    with pytest.raises(ValueError, match=r"\[0, 3\).*num_classes=3"):
        utils.to_categorical([0, 1, 3], num_classes=3)


def test_to_categorical_and_normalize_on_backend_tensors(rng):
    from cornu import ops

    labels = ops.convert_to_tensor(np.array([0, 2, 1], "int32"))
    np.testing.assert_array_equal(ops.convert_to_numpy(utils.to_categorical(labels, 3)),
                                  np.eye(3)[[0, 2, 1]])
    x = rng.normal(size=(3, 4)).astype("float32")
    got = ops.convert_to_numpy(utils.normalize(ops.convert_to_tensor(x)))
    np.testing.assert_allclose(got, x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5)


@pytest.mark.parametrize("order,axis", [(2, -1), (1, 0), (np.inf, 1)])
def test_normalize_matches_numpy(rng, order, axis):
    x = rng.normal(size=(3, 4))
    x[0] = 0  # a zero vector stays zero
    norm = np.linalg.norm(x, order, axis, keepdims=True)
    expected = x / np.where(norm == 0, 1, norm)
    np.testing.assert_allclose(utils.normalize(x, axis=axis, order=order), expected)


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_pad_sequences_against_keras(padding, truncating):
    keras = pytest.importorskip("keras")
    seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
    for maxlen in (None, 3):
        ours = utils.pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating,
                                   value=-1)
        ref = keras.utils.pad_sequences(seqs, maxlen=maxlen, padding=padding,
                                        truncating=truncating, value=-1)
        np.testing.assert_array_equal(ours, ref)
        assert ours.dtype == ref.dtype


def test_pad_sequences_by_hand_and_errors():
    out = utils.pad_sequences([[1, 2, 3], [4]], maxlen=2, truncating="post", padding="post")
    np.testing.assert_array_equal(out, [[1, 2], [4, 0]])
    vectors = utils.pad_sequences([np.ones((2, 3)), np.ones((1, 3))], dtype="float32")
    assert vectors.shape == (2, 2, 3) and vectors[1, 0].sum() == 0
    strings = utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert strings.tolist() == [["a", "b"], ["<pad>", "c"]]
    with pytest.raises(ValueError, match='padding.*"middle"|padding.*middle'):
        utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="element 1"):
        utils.pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="dtype=object"):
        utils.pad_sequences([[1]], value="x")


# --------------------------------------------------------------------------- #
# timeseries and split
# --------------------------------------------------------------------------- #
def _windows(data, targets, length, stride, rate, start=0, end=None):
    end = len(data) if end is None else end
    xs, ys = [], []
    s = start
    while s + (length - 1) * rate < end and (targets is None or s - start < len(targets)):
        xs.append(data[s: s + length * rate: rate])
        ys.append(None if targets is None else targets[s])
        s += stride
    return np.array(xs), ys


@pytest.mark.parametrize("stride,rate,start,end", [(1, 1, None, None), (2, 3, 4, 40)])
def test_timeseries_pydataset_matches_the_definition(stride, rate, start, end):
    data = np.arange(50 * 2).reshape(50, 2)
    targets = np.arange(50) * 10
    ds = utils.timeseries_dataset_from_array(data, targets, sequence_length=5,
                                             sequence_stride=stride, sampling_rate=rate,
                                             batch_size=4, start_index=start, end_index=end,
                                             format="pydataset")
    xs = np.concatenate([ds[i][0] for i in range(len(ds))])
    ys = np.concatenate([ds[i][1] for i in range(len(ds))])
    ref_x, ref_y = _windows(data, targets, 5, stride, rate, start or 0, end)
    np.testing.assert_array_equal(xs, ref_x)
    np.testing.assert_array_equal(ys, ref_y)
    shuffled = utils.timeseries_dataset_from_array(data, None, 5, batch_size=None, shuffle=True,
                                                   seed=3, format="pydataset")
    windows = np.stack([shuffled[i] for i in range(len(shuffled))])
    assert sorted(map(tuple, windows[:, 0])) == sorted(map(tuple, ref_x[:, 0])) or stride != 1
    with pytest.raises(ValueError, match="sampling_rate"):
        utils.timeseries_dataset_from_array(data, None, 5, sampling_rate=0)


def test_timeseries_tf_format_matches_keras():
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    data = np.arange(60, dtype="float32").reshape(30, 2)
    targets = np.arange(30)
    kw = dict(sequence_length=4, sequence_stride=2, sampling_rate=2, batch_size=3)
    ours = list(utils.timeseries_dataset_from_array(data, targets, format="tf", **kw))
    ref = list(keras.utils.timeseries_dataset_from_array(data, targets, **kw))
    assert len(ours) == len(ref)
    for (ox, oy), (rx, ry) in zip(ours, ref):
        np.testing.assert_array_equal(ox.numpy(), rx.numpy())
        np.testing.assert_array_equal(oy.numpy(), ry.numpy())


def test_split_dataset_arrays_and_sizes(rng):
    x, y = rng.normal(size=(10, 3)), np.arange(10)
    (lx, ly), (rx, ry) = utils.split_dataset((x, y), left_size=0.8)
    assert len(lx) == 8 and len(rx) == 2
    np.testing.assert_array_equal(np.concatenate([ly, ry]), y)
    left, right = utils.split_dataset(x, right_size=3, shuffle=True, seed=1)
    assert len(left) == 7 and len(right) == 3
    order = np.arange(10)
    np.random.RandomState(1).shuffle(order)
    np.testing.assert_array_equal(left, x[order[:7]])
    with pytest.raises(ValueError, match="exceeds"):
        utils.split_dataset(x, left_size=8, right_size=5)
    with pytest.raises(ValueError, match="left_size"):
        utils.split_dataset(x, left_size=1.5)


def test_split_dataset_of_a_torch_dataset():
    torch = pytest.importorskip("torch")
    ds = torch.utils.data.TensorDataset(torch.arange(10))
    left, right = utils.split_dataset(ds, left_size=4)
    assert [int(left[i][0]) for i in range(len(left))] == [0, 1, 2, 3]
    assert len(right) == 6


# --------------------------------------------------------------------------- #
# *_dataset_from_directory
# --------------------------------------------------------------------------- #
@pytest.fixture
def image_dir(tmp_path, rng):
    Image = pytest.importorskip("PIL.Image")
    images = {}
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            arr = rng.integers(0, 256, (8 + i, 6, 3), dtype=np.uint8)
            path = tmp_path / cls / f"{i}.png"
            Image.fromarray(arr).save(path)
            images[str(path)] = arr
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    return tmp_path, images


def test_image_dataset_pydataset_labels_order_and_pixels(image_dir):
    root, images = image_dir
    ds = utils.image_dataset_from_directory(root, image_size=(8, 6), batch_size=4, seed=5,
                                            label_mode="categorical", format="pydataset",
                                            verbose=False)
    assert ds.class_names == ["cat", "dog"] and len(ds.file_paths) == 6 and len(ds) == 2
    x0, y0 = ds[0]
    assert x0.shape == (4, 8, 6, 3) and x0.dtype == np.float32 and y0.shape == (4, 2)
    for path, label, img in zip(ds.file_paths, np.concatenate([ds[0][1], ds[1][1]]),
                                np.concatenate([ds[0][0], ds[1][0]])):
        assert label.argmax() == ["cat", "dog"].index(os.path.basename(os.path.dirname(path)))
        if images[path].shape[:2] == (8, 6):  # unresized: the exact pixels
            np.testing.assert_array_equal(img, images[path])
    # The documented shuffle: RandomState(seed) over the sorted paths.
    expected = sorted(images)
    np.random.RandomState(5).shuffle(expected)
    assert ds.file_paths == expected


def test_image_dataset_validation_split_and_errors(image_dir):
    root, _ = image_dir
    train, val = utils.image_dataset_from_directory(
        root, image_size=(4, 4), validation_split=0.34, subset="both", seed=1,
        format="pydataset", verbose=False, color_mode="grayscale", label_mode="binary")
    assert len(train.file_paths) == 4 and len(val.file_paths) == 2
    assert not set(train.file_paths) & set(val.file_paths)
    x, y = train[0]
    assert x.shape == (4, 4, 4, 1) and y.shape == (4, 1) and y.dtype == np.float32
    with pytest.raises(ValueError, match="seed"):
        utils.image_dataset_from_directory(root, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="color_mode"):
        utils.image_dataset_from_directory(root, color_mode="cmyk")
    with pytest.raises(ValueError, match="class_names"):
        utils.image_dataset_from_directory(root, class_names=["cat", "bird"])


def test_image_dataset_tf_format_matches_keras(image_dir):
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    root, _ = image_dir
    kw = dict(image_size=(5, 5), batch_size=6, shuffle=False, verbose=False)
    (ox, oy), = list(utils.image_dataset_from_directory(root, format="tf", **kw))
    (rx, ry), = list(keras.utils.image_dataset_from_directory(root, **kw))
    np.testing.assert_allclose(ox.numpy(), rx.numpy(), atol=1e-4)
    np.testing.assert_array_equal(oy.numpy(), ry.numpy())


def test_text_dataset_from_directory(tmp_path):
    for cls, texts in {"neg": ["bad", "awful film"], "pos": ["great", "fine", "superb!"]}.items():
        (tmp_path / cls).mkdir()
        for i, t in enumerate(texts):
            (tmp_path / cls / f"{i}.txt").write_text(t)
    ds = utils.text_dataset_from_directory(tmp_path, batch_size=10, shuffle=False,
                                           max_length=4, format="pydataset", verbose=False)
    x, y = ds[0]
    assert x.tolist() == ["bad", "awfu", "grea", "fine", "supe"]
    assert y.tolist() == [0, 0, 1, 1, 1] and ds.class_names == ["neg", "pos"]
    unlabeled = utils.text_dataset_from_directory(tmp_path, labels=None, shuffle=False,
                                                  format="pydataset", verbose=False)
    assert unlabeled[0].tolist()[-1] == "superb!"


def _write_wav(path, samples, rate=8000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((samples * 32767).astype("<i2").tobytes())


def test_audio_dataset_from_directory(tmp_path, rng):
    clips = {}
    for cls, n in (("no", 5), ("yes", 9)):
        (tmp_path / cls).mkdir()
        clip = rng.uniform(-0.5, 0.5, n)
        _write_wav(tmp_path / cls / "a.wav", clip)
        clips[cls] = (clip * 32767).astype("<i2") / 32768  # what the file holds
    ds = utils.audio_dataset_from_directory(tmp_path, shuffle=False, format="pydataset",
                                            verbose=False)
    x, y = ds[0]
    assert x.shape == (2, 9, 1) and y.tolist() == [0, 1]
    np.testing.assert_allclose(x[0, :5, 0], clips["no"], atol=1e-6)
    assert not x[0, 5:].any()  # zero padding
    fixed = utils.audio_dataset_from_directory(tmp_path, shuffle=False, format="pydataset",
                                               output_sequence_length=6, verbose=False)
    assert fixed[0][0].shape == (2, 6, 1)
    with pytest.raises(ValueError, match="16000"):
        utils.audio_dataset_from_directory(tmp_path, sampling_rate=16000, shuffle=False,
                                           format="pydataset", verbose=False)[0]


# --------------------------------------------------------------------------- #
# PyDataset itself
# --------------------------------------------------------------------------- #
class Squares(utils.PyDataset):
    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n, self.epochs_ended = n, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        x = np.full((2, 1), i, "float32")
        return x, x ** 2

    def on_epoch_end(self):
        self.epochs_ended += 1


@pytest.mark.parametrize("kwargs", [{}, {"workers": 3, "max_queue_size": 2},
                                    {"workers": 2, "use_multiprocessing": True}])
def test_pydataset_batches_in_order_with_workers(kwargs):
    from cornu.utils.py_dataset import PyDatasetBatches

    ds = Squares(7, **kwargs)
    batches = PyDatasetBatches(ds)
    for _ in range(2):
        got = [int(x[0, 0]) for x, _ in batches]
        assert got == list(range(7))
    assert ds.epochs_ended == 2
    batches.close()
    shuffled = PyDatasetBatches(Squares(20), shuffle=True)
    order = [int(x[0, 0]) for x, _ in shuffled]
    assert sorted(order) == list(range(20)) and order != list(range(20))


def test_pydataset_argument_errors():
    with pytest.raises(ValueError, match="workers.*0"):
        Squares(3, workers=0)
