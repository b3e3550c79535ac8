"""Random noise inside train_step from a SeedGenerator.

The model augments every training batch with Gaussian input noise drawn by
keras.random.normal(..., seed=self.seed_generator). The draws come from the
library's own random stream, so the program reports properties rather than
numbers: a seed reproduces a run exactly, another seed changes it, and the
model still learns.
"""
import keras
import numpy as np
from keras import layers, ops


def loss_and_gradients(compute_loss, variables):
    """Call compute_loss() and differentiate it on the active backend."""
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = compute_loss()
        return loss, tape.gradient(loss, variables)
    for v in variables:
        v.value.grad = None
    loss = compute_loss()
    loss.backward()
    return loss, [v.value.grad for v in variables]


class NoisyTrainer(keras.Model):
    def __init__(self, noise_stddev=0.3, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.noise_stddev = noise_stddev
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.hidden = layers.Dense(16, activation="relu")
        self.out = layers.Dense(1)

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        noise = keras.random.normal(ops.shape(x), stddev=self.noise_stddev,
                                    seed=self.seed_generator)
        noisy_x = x + noise
        out = {}

        def loss_fn():
            out["y_pred"] = self(noisy_x, training=True)
            return self.compute_loss(x=noisy_x, y=y, y_pred=out["y_pred"],
                                     sample_weight=sample_weight)

        loss, grads = loss_and_gradients(loss_fn, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        # compute_metrics updates the compiled metrics; the loss tracker is ours to feed.
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
        return self.compute_metrics(noisy_x, y, out["y_pred"], sample_weight)


rng = np.random.default_rng(13)
x = rng.normal(size=(128, 6)).astype("float32")
y = (x @ rng.normal(size=(6, 1))).astype("float32")
initial = None


def train(seed):
    global initial
    model = NoisyTrainer(seed=seed)
    model(x[:1])
    if initial is None:
        initial = [rng.normal(0, 0.3, w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    return np.array(history.history["loss"]), model


losses_a, model_a = train(seed=7)
losses_b, _ = train(seed=7)
losses_c, _ = train(seed=8)

# The generator itself: draws move its state on, and have the asked-for moments.
generator = keras.random.SeedGenerator(3)
draws = np.stack([ops.convert_to_numpy(keras.random.normal((2000,), stddev=0.5, seed=generator))
                  for _ in range(3)])

RESULT = {
    "same_seed_reproduces": bool(np.array_equal(losses_a, losses_b)),
    "other_seed_differs": bool(not np.allclose(losses_a, losses_c)),
    "loss_decreased": bool(losses_a[-1] < 0.5 * losses_a[0]),
    "epochs": len(losses_a),
    "successive_draws_differ": bool(not np.allclose(draws[0], draws[1])),
    "draw_mean_near_0": bool(abs(draws.mean()) < 0.05),
    "draw_std_near_half": bool(abs(draws.std() - 0.5) < 0.05),
    "trainable_count": len(model_a.trainable_weights),
}
