"""``model.compile(metrics=model.metrics[...])``: a compiled model's metric container
passed back to ``compile`` (KerasTuner's tuners recompile a hypermodel's model that
way when they override its optimizer or loss).  The logs stay flat, as Keras's do.
"""
import numpy as np

import cornu
from cornu import layers


class BatchLogTypes(cornu.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append({k: isinstance(v, dict) for k, v in logs.items()})


def _model():
    model = cornu.Sequential([cornu.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_the_compiled_container_passed_back_to_compile_gives_flat_logs():
    model = _model()
    kept = [m for m in model.metrics if m.name != "loss"]  # the compile_metrics container
    model.compile(optimizer=cornu.optimizers.Adam(0.01), loss=model.loss, metrics=kept)
    x = np.ones((8, 3), "float32")
    y = np.zeros((8,), "int32")
    probe = BatchLogTypes()
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=1, callbacks=[probe])
    assert sorted(history.history) == ["accuracy", "loss"]
    assert probe.seen and all(seen == {"accuracy": False, "loss": False} for seen in probe.seen)
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(result) == ["accuracy", "loss"]
    assert all(isinstance(v, float) for v in result.values())
    assert sorted(model.get_metrics_result()) == ["accuracy", "loss"]


def test_a_metric_returning_nested_results_is_flattened_in_the_logs():
    class Nested(cornu.metrics.Metric):
        def __init__(self, name="nested"):
            super().__init__(name=name)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(cornu.ops.sum(y_pred))

        def result(self):
            return {"outer": {"inner_sum": self.total}, "plain": self.total * 2}

    model = cornu.Sequential([cornu.Input((3,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse", metrics=[Nested()])
    result = model.evaluate(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"),
                            verbose=0, return_dict=True)
    assert sorted(result) == ["inner_sum", "loss", "plain"]
    assert result["plain"] == 2 * result["inner_sum"]
