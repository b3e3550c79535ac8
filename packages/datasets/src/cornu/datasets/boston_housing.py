"""Boston Housing: 506 Boston suburbs in the 1970s, 13 features, median home value."""
from cornu.datasets import _housing

__all__ = ["load_data"]

NPZ_SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"
#: ``_npz.arrays_sha256`` of the canonical arrays (x (506, 13), y (506,) float64).
ARRAYS_SHA256 = "27c39327f170fcdaf4f469c50f53a79007135ff508a3caa27e43e6b6f7e4d609"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston Housing regression dataset.

    The dataset contains a variable, "B", built on the assumption that racial
    self-segregation influences house prices; use it only where that ethical
    problem is the point.

    Args:
        path: where to cache the data (relative to ``~/.cornu/datasets``).
        test_split: fraction of the (shuffled) rows kept for the test set.
        seed: seed of the shuffle before the split.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` float64 ``(N, 13)``
        (CRIM ... LSTAT), ``y`` float64 ``(N,)`` median values in k$ (404 training
        rows with the default split).
    """
    _housing.check_test_split("boston_housing", test_split)
    x, y = _housing.load_xy(path, "boston_housing.npz", NPZ_SHA256, ARRAYS_SHA256,
                            "boston_housing")
    return _housing.split(x, y, test_split, seed)
