"""A model with three named inputs and two named outputs, fed by dicts.

Ticket triage: a title and a body (token ids, embedded and pooled) and a tag
vector predict a priority (binary) and a department (4 classes). fit,
evaluate and predict take dicts keyed by the Input names (in any order);
targets, losses, loss weights and metrics are dicts keyed by output names.
"""
import keras
import numpy as np
from keras import layers

vocabulary, num_tags, num_departments = 50, 6, 4

title_input = keras.Input(shape=(8,), dtype="int32", name="title")
body_input = keras.Input(shape=(20,), dtype="int32", name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")

title_features = layers.GlobalAveragePooling1D()(layers.Embedding(vocabulary, 8)(title_input))
body_features = layers.GlobalAveragePooling1D()(layers.Embedding(vocabulary, 6)(body_input))
x = layers.concatenate([title_features, body_features, tags_input])
x = layers.Dense(16, activation="relu")(x)
priority = layers.Dense(1, activation="sigmoid", name="priority")(x)
department = layers.Dense(num_departments, activation="softmax", name="department")(x)
model = keras.Model(inputs=[title_input, body_input, tags_input], outputs=[priority, department])

rng = np.random.default_rng(14)
model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])

n = 192
title_data = rng.integers(0, vocabulary, size=(n, 8)).astype("int32")
body_data = rng.integers(0, vocabulary, size=(n, 20)).astype("int32")
tags_data = rng.integers(0, 2, size=(n, num_tags)).astype("float32")
priority_targets = ((title_data < 10).sum(axis=1) + tags_data[:, 0] > 2).astype("float32")
department_targets = (body_data % num_departments == 0).sum(axis=1) % num_departments

model.compile(
    optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
    loss={"priority": keras.losses.BinaryCrossentropy(),
          "department": keras.losses.SparseCategoricalCrossentropy()},
    loss_weights={"priority": 1.0, "department": 0.3},
    metrics={"priority": ["accuracy"], "department": ["sparse_categorical_accuracy"]},
)
history = model.fit(
    {"tags": tags_data, "title": title_data, "body": body_data},  # not the Input order
    {"department": department_targets, "priority": priority_targets},
    epochs=3, batch_size=32, shuffle=False, verbose=0,
)
evaluation = model.evaluate(
    {"body": body_data, "title": title_data, "tags": tags_data},
    {"priority": priority_targets, "department": department_targets},
    batch_size=64, return_dict=True, verbose=0,
)
priority_pred, department_pred = model.predict(
    {"title": title_data[:5], "body": body_data[:5], "tags": tags_data[:5]}, verbose=0)

RESULT = {
    "input_names": [t.name for t in model.inputs],
    "output_names": list(model.output_names),
    "history_keys": sorted(history.history),
    "loss": history.history["loss"],
    "priority_loss": history.history["priority_loss"],
    "department_loss": history.history["department_loss"],
    "evaluate_keys": sorted(evaluation),
    "evaluate_loss": evaluation["loss"],
    "priority_pred": priority_pred,
    "department_pred": department_pred,
}
