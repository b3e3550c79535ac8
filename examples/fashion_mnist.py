"""Fashion-MNIST with cornu: the classic Keras walkthrough, with ``import cornu``.

Loads Fashion-MNIST, holds out 5000 validation images, trains the
Flatten-300-100-10 MLP with SGD, evaluates, predicts, and saves the learning
curves and a 5x5 grid of test predictions (blue right, red wrong) as PNG files.

    python examples/fashion_mnist.py --epochs 30
    CORNU_BACKEND=tensorflow python examples/fashion_mnist.py

Offline: point ``CORNU_DATASETS_MIRROR`` at a folder holding the four
Fashion-MNIST ``.gz`` files (the canonical origin is used otherwise).

Data-parallel (``--distributed``; ``--batch-size`` is then the global batch)::

    torchrun --nproc-per-node 2 examples/fashion_mnist.py --distributed
    # tensorflow: one process per worker, each with its TF_CONFIG task index
    TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:12345", "127.0.0.1:12346"]},
                "task": {"type": "worker", "index": 0}}' \
        CORNU_BACKEND=tensorflow python examples/fashion_mnist.py --distributed &
    # ... and the same with "index": 1
"""
import argparse
import contextlib
import os

import numpy as np

import cornu

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "output"))
    parser.add_argument("--verbose", default="auto")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel over the processes of torchrun / TF_CONFIG")
    args = parser.parse_args(argv)
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)
    strategy = None
    if args.distributed:
        cornu.distribution.initialize()  # before anything else touches the framework
        strategy = cornu.distribution.DataParallel()
        cornu.distribution.set_distribution(strategy)
        print(f"Process {strategy.process_id} of {strategy.num_processes}, "
              f"{strategy.num_replicas} replicas")

    (x_train_full, y_train_full), (x_test, y_test) = cornu.datasets.fashion_mnist.load_data()
    x_train, y_train = x_train_full[:-5000], y_train_full[:-5000]
    x_valid, y_valid = x_train_full[-5000:], y_train_full[-5000:]
    x_train, x_valid, x_test = x_train / 255.0, x_valid / 255.0, x_test / 255.0

    cornu.utils.set_random_seed(42)
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = cornu.Sequential([
            cornu.layers.Flatten(input_shape=[28, 28]),
            cornu.layers.Dense(300, activation="relu"),
            cornu.layers.Dense(100, activation="relu"),
            cornu.layers.Dense(10, activation="softmax"),
        ])
        model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd",
                      metrics=["accuracy"])
    if cornu.distribution.is_chief():
        model.summary()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=(x_valid, y_valid), verbose=verbose)

    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=verbose)
    print(f"Backend: {cornu.config.backend()}")
    print(f"Test accuracy: {test_acc:.4f}")
    print(f"Test loss: {test_loss:.4f}")

    y_pred = model.predict(x_test, verbose=verbose)
    if cornu.distribution.is_chief():  # one process writes the plots
        os.makedirs(args.output, exist_ok=True)
        save_plots(history, x_test, y_test, y_pred, args.output)
    return test_acc


def save_plots(history, x_test, y_test, y_pred, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for key, values in history.history.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=key)
    ax.set_ylim(0, 1)
    ax.set_xlabel("epoch")
    ax.grid(True)
    ax.legend()
    curves = os.path.join(output, "learning_curves.png")
    fig.savefig(curves, dpi=100)
    plt.close(fig)

    fig = plt.figure(figsize=(10, 10))
    for i in range(25):
        ax = fig.add_subplot(5, 5, i + 1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.imshow(x_test[i], cmap=plt.cm.binary)
        predicted, true = CLASS_NAMES[int(y_pred[i].argmax())], CLASS_NAMES[int(y_test[i])]
        ax.set_xlabel(f"{predicted} ({true})", color="blue" if predicted == true else "red")
    grid = os.path.join(output, "predictions.png")
    fig.savefig(grid, dpi=80)
    plt.close(fig)
    print(f"Saved {curves} and {grid}")


if __name__ == "__main__":
    main()
