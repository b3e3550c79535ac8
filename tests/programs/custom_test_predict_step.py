"""Custom evaluation and prediction steps.

test_step reports the compiled loss and metrics plus a metric of its own
(the mean confidence of the model); predict_step returns a dict with the
probabilities and the predicted label instead of raw logits.
"""
import keras
import numpy as np
from keras import layers, ops


class Classifier(keras.Model):
    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.body = layers.Dense(24, activation="relu")
        self.logits = layers.Dense(num_classes)
        self.confidence = keras.metrics.Mean(name="confidence")

    def call(self, inputs, training=False):
        return self.logits(self.body(inputs))

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        logits = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=logits, sample_weight=sample_weight)
        probabilities = ops.softmax(logits, axis=-1)
        self.confidence.update_state(ops.max(probabilities, axis=-1))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            elif metric.name != "confidence":
                metric.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def predict_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        probabilities = ops.softmax(self(x, training=False), axis=-1)
        return {"probabilities": probabilities,
                "label": ops.argmax(probabilities, axis=-1)}


rng = np.random.default_rng(3)
centers = rng.normal(0, 2, size=(4, 10))
labels = rng.integers(0, 4, size=320)
x = (centers[labels] + rng.normal(size=(320, 10))).astype("float32")

model = Classifier(num_classes=4)
model(x[:1])
model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)

before = model.evaluate(x[256:], labels[256:], batch_size=16, return_dict=True, verbose=0)
history = model.fit(x[:256], labels[:256], validation_data=(x[256:], labels[256:]),
                    batch_size=32, epochs=3, shuffle=False, verbose=0)
model.reset_metrics()
after = model.evaluate(x[256:], labels[256:], batch_size=16, return_dict=True, verbose=0)
predicted = model.predict(x[256:], batch_size=16, verbose=0)

RESULT = {
    "before": [before["loss"], before["acc"], before["confidence"]],
    "after": [after["loss"], after["acc"], after["confidence"]],
    "evaluate_keys": sorted(after),
    "history_keys": sorted(history.history),
    "loss": history.history["loss"],
    "val_loss": history.history["val_loss"],
    "val_confidence": history.history["val_confidence"],
    "probabilities": predicted["probabilities"][:8],
    "labels": predicted["label"],
}
