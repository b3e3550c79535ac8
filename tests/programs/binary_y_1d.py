"""Binary classification with targets of shape (N,) and outputs of shape (N, 1).

Keras lines the (N,) targets up with the (N, 1) sigmoid output instead of
broadcasting them to (N, N): the loss, accuracy, AUC, and a mean squared error
loss on a one-unit regression head all see matching shapes.
"""
import keras
import numpy as np
from keras import layers

rng = np.random.default_rng(16)
n = 256
x = rng.normal(size=(n, 10)).astype("float32")
y = (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] > 0).astype("float32")  # shape (N,)
assert y.shape == (n,)

classifier = keras.Sequential([
    keras.Input(shape=(10,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
classifier.set_weights([rng.normal(0, 0.3, w.shape).astype("float32")
                        for w in classifier.get_weights()])
classifier.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                   metrics=["accuracy", keras.metrics.AUC(name="auc")])
history = classifier.fit(x[:192], y[:192], validation_data=(x[192:], y[192:]),
                         batch_size=32, epochs=4, shuffle=False, verbose=0)
probabilities = classifier.predict(x[192:], verbose=0)
assert probabilities.shape == (64, 1)

# Hand check: the mean binary crossentropy of (N,) targets against (N, 1) outputs.
p = np.clip(probabilities[:, 0].astype("float64"), 1e-7, 1 - 1e-7)
hand_bce = float(np.mean(-(y[192:] * np.log(p) + (1 - y[192:]) * np.log(1 - p))))
evaluated = classifier.evaluate(x[192:], y[192:], batch_size=64, return_dict=True, verbose=0)

regressor = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(1)])
regressor.set_weights([rng.normal(0, 0.3, w.shape).astype("float32")
                       for w in regressor.get_weights()])
regressor.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
targets = (x @ np.linspace(-1, 1, 10)).astype("float32")  # shape (N,)
reg_history = regressor.fit(x, targets, batch_size=64, epochs=3, shuffle=False, verbose=0)
residual = regressor.predict(x, verbose=0)[:, 0] - targets
hand_mse = float(np.mean(residual ** 2))
reg_eval = regressor.evaluate(x, targets, batch_size=256, verbose=0)

RESULT = {
    "loss": history.history["loss"],
    "accuracy": history.history["accuracy"],
    "auc": history.history["auc"],
    "val_loss": history.history["val_loss"],
    "evaluate_loss": evaluated["loss"],
    "evaluate_matches_hand_bce": bool(abs(evaluated["loss"] - hand_bce) < 1e-4),
    "probabilities": probabilities[:8],
    "regression_loss": reg_history.history["loss"],
    "evaluate_matches_hand_mse": bool(abs(reg_eval - hand_mse) < 1e-4 * max(1.0, hand_mse)),
}
