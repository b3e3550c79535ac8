"""Save a compiled model, reload it with its compile state and keep training.

The model is compiled with loss and metric objects (not strings) and an
optimizer with non-default settings. The .keras file restores the weights,
the optimizer (its iteration count and slot variables) and the compiled loss
and metrics, so training resumes exactly where it stopped: the reloaded model
and the original one, trained further on the same batches, agree.
"""
import keras
import numpy as np
from keras import layers

rng = np.random.default_rng(17)
x = rng.normal(size=(200, 12)).astype("float32")
y = np.argmax(x[:, :3] * np.array([1.0, 0.8, 1.2]), axis=1)

model = keras.Sequential([
    keras.Input(shape=(12,)),
    layers.Dense(24, activation="relu", name="hidden"),
    layers.Dense(3, name="logits"),
], name="classifier")
model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=3e-3, beta_1=0.85, amsgrad=True),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, name="xent"),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc"),
             keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")],
)
first = model.fit(x, y, batch_size=20, epochs=2, shuffle=False, verbose=0)
model.save("classifier.keras")

reloaded = keras.models.load_model("classifier.keras")
iterations_at_load = int(reloaded.optimizer.iterations.numpy())
optimizer_config = reloaded.optimizer.get_config()
reloaded_eval = reloaded.evaluate(x, y, batch_size=50, return_dict=True, verbose=0)
original_eval = model.evaluate(x, y, batch_size=50, return_dict=True, verbose=0)

continued = reloaded.fit(x, y, batch_size=20, epochs=2, shuffle=False, verbose=0)
original_continued = model.fit(x, y, batch_size=20, epochs=2, shuffle=False, verbose=0)

RESULT = {
    "first_loss": first.history["loss"],
    "history_keys": sorted(first.history),
    "reloaded_iterations_at_load": iterations_at_load,
    "reloaded_iterations_after": int(reloaded.optimizer.iterations.numpy()),
    "optimizer": [type(reloaded.optimizer).__name__, optimizer_config["learning_rate"],
                  optimizer_config["beta_1"], float(optimizer_config["amsgrad"])],
    "loss_class": type(reloaded.loss).__name__,
    "reloaded_eval": [reloaded_eval["loss"], reloaded_eval["acc"], reloaded_eval["top2"]],
    "eval_keys": sorted(reloaded_eval),
    "reload_matches_original": bool(np.allclose(
        [reloaded_eval[k] for k in ("loss", "acc", "top2")],
        [original_eval[k] for k in ("loss", "acc", "top2")], rtol=1e-6)),
    "continued_loss": continued.history["loss"],
    "continued_matches_original": bool(np.allclose(
        continued.history["loss"], original_continued.history["loss"], rtol=1e-5)),
    "final_weights": reloaded.get_layer("logits").get_weights()[0],
}
