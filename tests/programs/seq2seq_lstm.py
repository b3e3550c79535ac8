"""Sequence to sequence with LSTMs: learn to reverse a sequence of digits.

The training model is an encoder LSTM whose final states start a decoder LSTM
(teacher forcing). After training it is saved and reloaded, and the inference
encoder and decoder are rebuilt from the reloaded model's layers, their
outputs and inputs, then decode greedily one token at a time.
"""
import keras
import numpy as np
from keras import layers

# LSTM gates are computed by each framework's own kernels, and RMSprop divides by
# the root of tiny squared gradients, which magnifies rounding: Keras 3 on torch and
# on tensorflow end up about 7e-4 apart (relative) on the predicted probabilities.
TOLERANCE = {"rtol": 2e-3, "atol": 2e-4}

num_digits, length, latent_dim = 6, 5, 24
START, END = num_digits, num_digits + 1
num_tokens = num_digits + 2

rng = np.random.default_rng(9)
sequences = rng.integers(0, num_digits, size=(240, length))
targets = sequences[:, ::-1]
one_hot = np.eye(num_tokens, dtype="float32")
encoder_input_data = one_hot[sequences]
decoder_input_data = one_hot[np.concatenate([np.full((240, 1), START), targets], axis=1)]
decoder_target_data = one_hot[np.concatenate([targets, np.full((240, 1), END)], axis=1)]

# The training model.
encoder_inputs = keras.Input(shape=(None, num_tokens), name="encoder_inputs")
encoder = layers.LSTM(latent_dim, return_state=True, name="encoder_lstm")
encoder_outputs, state_h, state_c = encoder(encoder_inputs)
encoder_states = [state_h, state_c]

decoder_inputs = keras.Input(shape=(None, num_tokens), name="decoder_inputs")
decoder_lstm = layers.LSTM(latent_dim, return_sequences=True, return_state=True,
                           name="decoder_lstm")
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_dense = layers.Dense(num_tokens, activation="softmax", name="decoder_dense")
decoder_outputs = decoder_dense(decoder_outputs)

model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
              loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit([encoder_input_data, decoder_input_data], decoder_target_data,
                    batch_size=24, epochs=5, validation_split=0.2, shuffle=False, verbose=0)
model.save("s2s_model.keras")

# Inference: rebuild the encoder and the decoder from the reloaded model.
model = keras.models.load_model("s2s_model.keras")
layer_names = [layer.name for layer in model.layers]

encoder_inputs = model.get_layer("encoder_lstm").input  # the same tensor as model.input[0]
encoder_outputs, state_h_enc, state_c_enc = model.layers[2].output
encoder_model = keras.Model(encoder_inputs, [state_h_enc, state_c_enc])

decoder_inputs = model.input[1]
state_input_h = keras.Input(shape=(latent_dim,))
state_input_c = keras.Input(shape=(latent_dim,))
decoder_lstm = model.get_layer("decoder_lstm")
decoder_outputs, state_h_dec, state_c_dec = decoder_lstm(
    decoder_inputs, initial_state=[state_input_h, state_input_c])
decoder_outputs = model.get_layer("decoder_dense")(decoder_outputs)
decoder_model = keras.Model([decoder_inputs, state_input_h, state_input_c],
                            [decoder_outputs, state_h_dec, state_c_dec])


def decode_sequence(input_seq):
    h, c = encoder_model.predict(input_seq, verbose=0)
    target_seq = np.zeros((1, 1, num_tokens), dtype="float32")
    target_seq[0, 0, START] = 1.0
    decoded, first_probabilities = [], None
    for _ in range(length + 1):
        output_tokens, h, c = decoder_model.predict([target_seq, h, c], verbose=0)
        if first_probabilities is None:
            first_probabilities = output_tokens[0, -1]
        token = int(np.argmax(output_tokens[0, -1]))
        if token == END:
            break
        decoded.append(token)
        target_seq = np.zeros((1, 1, num_tokens), dtype="float32")
        target_seq[0, 0, token] = 1.0
    return decoded, first_probabilities


decoded, first = zip(*(decode_sequence(encoder_input_data[i:i + 1]) for i in range(200, 203)))
probe = [encoder_input_data[200:204], decoder_input_data[200:204]]
teacher_forced = model.predict(probe, verbose=0)
# The decoder LSTM's output sequence: the input of the softmax layer.
hidden_model = keras.Model(model.inputs, model.get_layer("decoder_dense").input)

RESULT = {
    "loss": history.history["loss"],
    "val_loss": history.history["val_loss"],
    "val_accuracy": history.history["val_accuracy"],
    "layer_names": layer_names,
    "decoded": [d + [-1] * (length + 1 - len(d)) for d in decoded],
    "first_step_probabilities": np.stack(first),
    "teacher_forced": teacher_forced,
    "decoder_hidden": hidden_model.predict(probe, verbose=0),
}
