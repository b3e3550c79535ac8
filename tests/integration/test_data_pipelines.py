"""fit on PyDatasets (with worker threads and processes) and on the pipeline builders' output."""
import numpy as np
import pytest

import cornu
from cornu import layers, utils


class LinearBatches(utils.PyDataset):
    """y = x @ w, 8 batches of 16; records the epoch hooks."""

    W = np.array([[1.5], [-2.0], [0.5]], "float32")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.begun = self.ended = 0

    def __len__(self):
        return 8

    def __getitem__(self, i):
        x = np.random.default_rng(i).normal(size=(16, 3)).astype("float32")
        return x, x @ self.W

    def on_epoch_begin(self):
        self.begun += 1

    def on_epoch_end(self):
        self.ended += 1


def _model():
    cornu.utils.set_random_seed(0)
    model = cornu.Sequential([layers.Input((3,)), layers.Dense(1, use_bias=False)])
    model.compile(optimizer=cornu.optimizers.SGD(0.1), loss="mse")
    return model


@pytest.mark.parametrize("kwargs", [{}, {"workers": 2, "max_queue_size": 3}])
def test_fit_on_a_pydataset_equals_fit_on_the_same_batches(kwargs):
    ds = LinearBatches(**kwargs)
    model = _model()
    history = model.fit(ds, epochs=3, shuffle=False, verbose=0)
    assert ds.begun == 3 and ds.ended == 3
    # The same batches, in the same order, from a plain generator.
    reference = _model()
    batches = [ds[i] for i in range(8)] * 3
    reference.fit(iter(batches), steps_per_epoch=8, epochs=3, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], reference.get_weights()[0], rtol=1e-5)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(model.evaluate(ds, verbose=0), reference.evaluate(ds, verbose=0),
                               rtol=1e-5)
    assert model.predict(ds, verbose=0).shape == (128, 1)


def test_fit_on_a_pydataset_in_worker_processes():
    model = _model()
    model.fit(LinearBatches(workers=2, use_multiprocessing=True), epochs=2, shuffle=False,
              verbose=0)
    reference = _model()
    reference.fit(LinearBatches(), epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], reference.get_weights()[0], rtol=1e-5)


def test_fit_on_a_timeseries_pydataset():
    series = np.sin(np.arange(400) * 0.1).astype("float32")[:, None]
    ds = utils.timeseries_dataset_from_array(series[:-5], series[5:, 0], sequence_length=5,
                                             batch_size=32, format="pydataset")
    cornu.utils.set_random_seed(1)
    model = cornu.Sequential([layers.Input((5, 1)), layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(ds, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
