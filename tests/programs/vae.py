"""A variational autoencoder that computes its own losses.

The encoder samples z with the reparameterisation trick (a SeedGenerator
inside a custom layer); a custom layer adds the KL divergence with
add_loss(); train_step adds the reconstruction loss and keeps three Mean
trackers, listed in the metrics property so that they reset every epoch.
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


class Sampling(layers.Layer):
    """Draws z = mean + exp(log_var / 2) * epsilon."""

    def __init__(self, seed=42, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class KLDivergence(layers.Layer):
    """Passes (z_mean, z_log_var) through and adds their KL divergence as a loss."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        self.add_loss(ops.mean(ops.sum(kl, axis=1)))
        return z_mean, z_log_var


latent_dim, pixels = 2, 36

encoder_inputs = keras.Input(shape=(pixels,))
h = layers.Dense(16, activation="relu")(encoder_inputs)
z_mean = layers.Dense(latent_dim, name="z_mean")(h)
z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
z_mean, z_log_var = KLDivergence(name="kl")([z_mean, z_log_var])
z = Sampling(name="z")([z_mean, z_log_var])
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")

latent_inputs = keras.Input(shape=(latent_dim,))
h = layers.Dense(16, activation="relu")(latent_inputs)
decoder_outputs = layers.Dense(pixels, activation="sigmoid")(h)
decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def call(self, inputs):
        return self.decoder(self.encoder(inputs)[2])

    def train_step(self, data):
        parts = {}

        def total_loss():
            _, _, z = self.encoder(data)
            reconstruction = self.decoder(z)
            parts["reconstruction"] = ops.mean(ops.sum(
                keras.losses.binary_crossentropy(
                    ops.expand_dims(data, -1), ops.expand_dims(reconstruction, -1)),
                axis=1))
            parts["kl"] = ops.sum(self.encoder.losses)
            return parts["reconstruction"] + parts["kl"]

        loss, grads = loss_and_gradients(total_loss, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        self.total_loss_tracker.update_state(loss)
        self.reconstruction_loss_tracker.update_state(parts["reconstruction"])
        self.kl_loss_tracker.update_state(parts["kl"])
        return {m.name: m.result() for m in self.metrics}


rng = np.random.default_rng(8)
# 6x6 "images": a bright bar at one of six positions, with some noise.
positions = rng.integers(0, 6, size=192)
images = np.full((192, 6, 6), 0.05)
images[np.arange(192), :, positions] = 0.95
images = np.clip(images + rng.normal(0, 0.03, images.shape), 0, 1).reshape(192, pixels).astype("float32")

for net in (encoder, decoder):
    net.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in net.get_weights()])
probe = images[:4]
z_mean_before, z_log_var_before, _ = encoder.predict(probe, verbose=0)
decoded_before = decoder.predict(z_mean_before, verbose=0)

vae = VAE(encoder, decoder)
vae.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-3))
history = vae.fit(images, epochs=8, batch_size=32, verbose=0)
total = np.array(history.history["total_loss"])
parts_sum = np.array(history.history["reconstruction_loss"]) + np.array(history.history["kl_loss"])

RESULT = {
    # deterministic: no random draw is involved yet
    "z_mean_before": z_mean_before,
    "z_log_var_before": z_log_var_before,
    "decoded_before": decoded_before,
    "history_keys": sorted(history.history),
    "encoder_losses_count": len(encoder.losses),
    # coarse: training samples z from the library's own random stream
    "loss_decreased": bool(total[-1] < 0.9 * total[0]),
    "trackers_add_up": bool(np.allclose(total, parts_sum, rtol=1e-4)),
    "kl_nonnegative": bool(np.all(np.array(history.history["kl_loss"]) >= 0)),
}
