"""A GAN that overrides compile() to take two optimizers.

The discriminator and the generator each have their own optimizer; the
model tracks both losses with Mean metrics listed in its metrics property
(so Keras resets them each epoch); the latent noise comes from a
SeedGenerator. Only the gradient call depends on the backend.
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


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim, seed=1337):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def call(self, samples):
        # Calling the GAN scores samples (how "fake" the discriminator finds them).
        return self.discriminator(samples)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real):
        batch_size = ops.shape(real)[0]

        # 1. The discriminator learns to tell real samples from generated ones.
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        fake = self.generator(noise)
        combined = ops.concatenate([fake, real], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)

        def discriminator_loss():
            return self.loss_fn(labels, self.discriminator(combined))

        d_weights = self.discriminator.trainable_weights
        d_loss, grads = loss_and_gradients(discriminator_loss, d_weights)
        self.d_optimizer.apply(grads, d_weights)

        # 2. The generator learns to fool it (its fakes labelled "real").
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        misleading = ops.zeros((batch_size, 1))

        def generator_loss():
            return self.loss_fn(misleading, self.discriminator(self.generator(noise)))

        g_weights = self.generator.trainable_weights
        g_loss, grads = loss_and_gradients(generator_loss, g_weights)
        self.g_optimizer.apply(grads, g_weights)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


latent_dim, data_dim = 4, 8
rng = np.random.default_rng(7)
real_data = (rng.normal(size=(256, data_dim)) * 0.5 + np.linspace(-1, 1, data_dim)).astype("float32")

discriminator = keras.Sequential(
    [keras.Input(shape=(data_dim,)), layers.Dense(16), layers.LeakyReLU(negative_slope=0.2),
     layers.Dense(1)], name="discriminator")
generator = keras.Sequential(
    [keras.Input(shape=(latent_dim,)), layers.Dense(16), layers.LeakyReLU(negative_slope=0.2),
     layers.Dense(data_dim)], name="generator")
for net in (discriminator, generator):
    net.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in net.get_weights()])
d_before = [w.copy() for w in discriminator.get_weights()]
g_before = [w.copy() for w in generator.get_weights()]
fixed_noise = rng.normal(size=(4, latent_dim)).astype("float32")
fakes_before = generator.predict(fixed_noise, verbose=0)

gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
gan.compile(
    d_optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    g_optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
)
history = gan.fit(real_data, batch_size=32, epochs=3, verbose=0)

d_loss, g_loss = np.array(history.history["d_loss"]), np.array(history.history["g_loss"])
changed = lambda before, net: float(max(np.abs(a - b).max() for a, b in zip(before, net.get_weights())))
RESULT = {
    # deterministic: everything before the random noise enters
    "fakes_before_training": fakes_before,
    "history_keys": sorted(history.history),
    "epochs": len(d_loss),
    "d_iterations": int(gan.d_optimizer.iterations.numpy()),
    "g_iterations": int(gan.g_optimizer.iterations.numpy()),
    "metric_names": [m.name for m in gan.metrics],
    # coarse: the noise comes from the library's own random stream
    "losses_finite": bool(np.all(np.isfinite(d_loss)) and np.all(np.isfinite(g_loss))),
    "d_loss_plausible": bool(np.all((d_loss > 0.2) & (d_loss < 2.0))),
    "g_loss_plausible": bool(np.all((g_loss > 0.2) & (g_loss < 3.0))),
    "both_nets_trained": bool(changed(d_before, discriminator) > 1e-4 and changed(g_before, generator) > 1e-4),
    "generated_shape": list(generator.predict(fixed_noise, verbose=0).shape),
}
