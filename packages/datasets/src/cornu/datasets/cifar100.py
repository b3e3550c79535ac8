"""CIFAR-100: 60,000 32x32 colour images in 100 fine / 20 coarse classes."""
import os

from cornu.datasets._cifar import extracted_folder, finish, load_batch

__all__ = ["load_data"]

ARCHIVE = "cifar-100-python.tar.gz"
SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """Loads the CIFAR-100 dataset.

    50,000 training and 10,000 test 32x32 colour images, labelled with one of
    100 fine classes grouped into 20 coarse superclasses.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        Tuple of NumPy arrays ``(x_train, y_train), (x_test, y_test)``:
        ``x_train`` ``uint8`` ``(50000, 32, 32, 3)`` (channels first when
        ``image_data_format`` says so), ``y_train`` ``uint8`` ``(50000, 1)``,
        ``x_test`` ``uint8`` ``(10000, 32, 32, 3)``, ``y_test`` ``uint8``
        ``(10000, 1)``.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'cifar100.load_data: `label_mode` must be "fine" or "coarse"; '
            f"received label_mode={label_mode!r}."
        )
    folder = extracted_folder(ARCHIVE, SHA256, "cifar-100-python-target", "cifar-100-python")
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(os.path.join(folder, "train"), label_key=key)
    x_test, y_test = load_batch(os.path.join(folder, "test"), label_key=key)
    return finish(x_train, y_train, x_test, y_test)
