"""A model with its preprocessing inside (Normalization, StringLookup, IntegerLookup,
Discretization, Hashing) trained end to end on a small tabular CSV, then saved and
reloaded with its statistics and vocabularies intact."""
import csv

import numpy as np

import cornu
from cornu import ops

L = cornu.layers


def _write_csv(path, n=320, seed=0):
    rng = np.random.default_rng(seed)
    cities = np.array(["paris", "lyon", "nice", "lille"])
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["age", "income", "city", "plan", "label"])
        for _ in range(n):
            age = rng.uniform(18, 80)
            income = rng.normal(3000, 800)
            city = rng.choice(cities)
            plan = int(rng.integers(1, 5))
            label = int((age > 45) != (city in ("nice", "lille")) or plan == 4)
            writer.writerow([f"{age:.2f}", f"{income:.1f}", city, plan, label])


def _read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    numeric = np.array([[float(r["age"]), float(r["income"])] for r in rows], "float32")
    city = np.array([[r["city"]] for r in rows])
    plan = np.array([[int(r["plan"])] for r in rows], "int64")
    label = np.array([[float(r["label"])] for r in rows], "float32")
    return {"numeric": numeric, "age": numeric[:, :1].copy(), "city": city, "plan": plan}, label


def _build_model(x):
    norm = L.Normalization()
    norm.adapt(x["numeric"])
    city = L.StringLookup(output_mode="one_hot")
    city.adapt(x["city"])
    plan = L.IntegerLookup(output_mode="one_hot")
    plan.adapt(x["plan"])
    age_bins = L.Discretization(num_bins=4, output_mode="one_hot")
    age_bins.adapt(x["age"])
    inputs = {"numeric": cornu.Input(shape=(2,), name="numeric"),
              "age": cornu.Input(shape=(1,), name="age"),
              "city": cornu.Input(shape=(1,), dtype="string", name="city"),
              "plan": cornu.Input(shape=(1,), dtype="int64", name="plan")}
    city_hash = L.Hashing(num_bins=3, output_mode="one_hot")(inputs["city"])
    features = L.Concatenate()([
        norm(inputs["numeric"]),
        L.Activation("linear")(city(inputs["city"])),
        L.Activation("linear")(plan(inputs["plan"])),
        age_bins(inputs["age"]),
        city_hash,
    ])
    hidden = L.Dense(16, activation="relu")(features)
    outputs = L.Dense(1, activation="sigmoid")(hidden)
    return cornu.Model(inputs, outputs)


def test_tabular_model_trains_saves_and_reloads(tmp_path):
    cornu.utils.set_random_seed(0)
    path = tmp_path / "customers.csv"
    _write_csv(path)
    x, y = _read_csv(path)
    model = _build_model(x)
    model.compile(optimizer=cornu.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=25, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    probe = {k: v[:40] for k, v in x.items()}
    expected = np.asarray(ops.convert_to_numpy(model.predict(probe, verbose=0)))
    saved = str(tmp_path / "customers.keras")
    model.save(saved)
    restored = cornu.saving.load_model(saved)
    lookup = [layer for layer in restored.layers if isinstance(layer, L.StringLookup)][0]
    cities, counts = np.unique(x["city"], return_counts=True)
    by_count = sorted(zip(counts.tolist(), cities.tolist()), reverse=True)
    assert lookup.get_vocabulary() == ["[UNK]"] + [c for _, c in by_count]
    norm = [layer for layer in restored.layers if isinstance(layer, L.Normalization)][0]
    np.testing.assert_allclose(ops.convert_to_numpy(norm.adapt_mean),
                               x["numeric"].astype("float64").mean(0), rtol=1e-5)
    got = np.asarray(ops.convert_to_numpy(restored.predict(probe, verbose=0)))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    accuracy = float(np.mean((got > 0.5) == (y[:40] > 0.5)))
    assert accuracy > 0.85


def test_image_augmentation_is_identity_in_predict_and_trains_in_fit(rng):
    images = rng.uniform(0, 1, (4, 8, 8, 3)).astype("float32")

    model = cornu.Sequential([
        cornu.layers.Input((8, 8, 3)),
        cornu.layers.RandomFlip(seed=1),
        cornu.layers.RandomRotation(0.3, seed=2),
        cornu.layers.Flatten(),
        cornu.layers.Dense(2),
    ])
    aug = cornu.Sequential([cornu.layers.Input((8, 8, 3)), model.layers[0], model.layers[1]])
    np.testing.assert_allclose(aug.predict(images, verbose=0), images, atol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(images, np.zeros((4, 2), "float32"), epochs=1, batch_size=2,
                        verbose=0)
    assert np.isfinite(history.history["loss"][0])
