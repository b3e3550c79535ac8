"""Fashion-MNIST: 70,000 28x28 grayscale images of 10 kinds of clothing."""
import os

from cornu.datasets._idx import load_idx_pair
from cornu.utils.mirror import fetch

__all__ = ["load_data"]

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: The four canonical files (the order Keras fetches them in) and their sha256.
FILES = {
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}
CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")


def load_data():
    """Loads the Fashion-MNIST dataset.

    60,000 training and 10,000 test 28x28 grayscale images of 10 fashion
    categories, a drop-in replacement for MNIST.

    | Label | Description |
    |:-----:|-------------|
    |   0   | T-shirt/top |
    |   1   | Trouser     |
    |   2   | Pullover    |
    |   3   | Dress       |
    |   4   | Coat        |
    |   5   | Sandal      |
    |   6   | Shirt       |
    |   7   | Sneaker     |
    |   8   | Bag         |
    |   9   | Ankle boot  |

    The four files are cached in ``~/.cornu/datasets/fashion-mnist/`` and
    checked against their sha256.  ``CORNU_DATASETS_MIRROR`` (a folder or a
    URL) is tried before the canonical origin.

    Returns:
        Tuple of NumPy arrays ``(x_train, y_train), (x_test, y_test)``:
        ``x_train`` ``uint8`` ``(60000, 28, 28)``, ``y_train`` ``uint8``
        ``(60000,)`` with labels 0-9, ``x_test`` ``uint8`` ``(10000, 28, 28)``,
        ``y_test`` ``uint8`` ``(10000,)``.

    License:
        The copyright for Fashion-MNIST is held by Zalando SE.  Fashion-MNIST
        is licensed under the MIT license.
    """
    paths = [
        fetch(fname, origin=ORIGIN_FOLDER + fname, file_hash=sha256,
              cache_subdir=CACHE_SUBDIR, mirror_subdir="fashion-mnist")
        for fname, sha256 in FILES.items()
    ]
    x_train, y_train = load_idx_pair(paths[0], paths[1])
    x_test, y_test = load_idx_pair(paths[2], paths[3])
    return (x_train, y_train), (x_test, y_test)
