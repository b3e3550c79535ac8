"""California Housing: 20,640 census block groups of the 1990 census, median home value."""
from cornu.datasets import _housing

__all__ = ["load_data"]

NPZ_SHA256 = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
#: ``_npz.arrays_sha256`` of the canonical arrays (x (20640, 8), y (20640,) float32).
ARRAYS_SHA256 = "dfa2b5774c0b57b8e9a9ed3244595e53eb50d2818671f6ffcad958349e3f864f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California Housing regression dataset.

    Eight features per block group (longitude, latitude, housing median age,
    total rooms, total bedrooms, population, households, median income) and the
    median house value in dollars as the target.

    Args:
        version: ``"large"`` (all 20,640 rows) or ``"small"`` (the first 600).
        path: where to cache the data (relative to ``~/.cornu/datasets``).
        test_split: fraction of the (shuffled) rows kept for the test set.
        seed: seed of the shuffle before the split.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` float32 ``(N, 8)``,
        ``y`` float32 ``(N,)``.
    """
    _housing.check_test_split("california_housing", test_split)
    if version not in ("large", "small"):
        raise ValueError(
            "california_housing.load_data: `version` must be 'large' or 'small'; "
            f"received version={version!r}."
        )
    x, y = _housing.load_xy(path, "california_housing.npz", NPZ_SHA256, ARRAYS_SHA256,
                            "california_housing")
    if version == "small":
        x, y = x[:600], y[:600]
    return _housing.split(x, y, test_split, seed)
