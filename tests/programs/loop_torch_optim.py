"""A training loop from scratch in PyTorch, with a Keras model as an nn.Module.

The Keras model's parameters go straight into torch.optim.Adam; the loss is
torch's own; Keras metrics keep the score.
"""
# backend: torch
import keras
import numpy as np
import torch
from keras import layers

rng = np.random.default_rng(4)
num_classes = 5
x_all = rng.normal(size=(400, 12)).astype("float32")
y_all = (np.abs(x_all[:, :5]).argmax(axis=1)).astype("int64")
x_train, y_train = x_all[:320], y_all[:320]
x_val, y_val = x_all[320:], y_all[320:]

model = keras.Sequential([
    keras.Input(shape=(12,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(num_classes),
])
model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])

assert isinstance(model, torch.nn.Module)
parameters = list(model.parameters())
assert len(parameters) == 6, len(parameters)

optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
loss_fn = torch.nn.CrossEntropyLoss()
train_acc = keras.metrics.SparseCategoricalAccuracy()
val_acc = keras.metrics.SparseCategoricalAccuracy()

dataset = torch.utils.data.TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=False)

epoch_losses, train_accs, val_accs = [], [], []
for _epoch in range(4):
    running = 0.0
    for inputs, targets in loader:
        logits = model(inputs)
        loss = loss_fn(logits, targets)
        model.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
        train_acc.update_state(targets, logits.detach())
    epoch_losses.append(running / len(loader))
    train_accs.append(float(train_acc.result()))
    train_acc.reset_state()

    with torch.no_grad():
        val_logits = model(torch.from_numpy(x_val))
    val_acc.update_state(torch.from_numpy(y_val), val_logits)
    val_accs.append(float(val_acc.result()))
    val_acc.reset_state()

RESULT = {
    "epoch_loss": epoch_losses,
    "train_accuracy": train_accs,
    "val_accuracy": val_accs,
    "weights": [w for w in model.get_weights()],
    "parameter_count": sum(p.numel() for p in model.parameters()),
}
