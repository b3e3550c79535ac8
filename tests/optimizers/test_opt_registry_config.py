"""String lookup, get/serialize/deserialize and from_config round trips."""
import numpy as np
import pytest

import cornu
from cornu import optimizers
from cornu.plugins import registry

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion",
         "Ftrl", "Lamb", "Adafactor", "Muon", "ScheduleFreeAdamW"]


@pytest.mark.parametrize("alias, cls", [
    ("adam", optimizers.Adam), ("Adam", optimizers.Adam), ("sgd", optimizers.SGD),
    ("rmsprop", optimizers.RMSprop), ("adamw", optimizers.AdamW), ("adam_w", optimizers.AdamW),
    ("adagrad", optimizers.Adagrad), ("adadelta", optimizers.Adadelta),
    ("adamax", optimizers.Adamax), ("nadam", optimizers.Nadam), ("lion", optimizers.Lion),
    ("ftrl", optimizers.Ftrl), ("lamb", optimizers.Lamb), ("adafactor", optimizers.Adafactor),
    ("muon", optimizers.Muon), ("schedule_free_adamw", optimizers.ScheduleFreeAdamW),
    ("loss_scale_optimizer", optimizers.LossScaleOptimizer),
])
def test_registry_lookup(alias, cls):
    assert registry.get("optimizer", alias) is cls


def test_unknown_name_lists_close_matches():
    with pytest.raises(ValueError, match="Adam"):
        registry.get("optimizer", "adamm")
    with pytest.raises(ValueError):
        optimizers.get("not_an_optimizer")


def test_get():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    opt = optimizers.SGD(momentum=0.5)
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    from_dict = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.3}})
    assert isinstance(from_dict, optimizers.SGD)
    assert from_dict.get_config()["learning_rate"] == pytest.approx(0.3)


def test_family_is_reachable_from_cornu():
    assert cornu.optimizers.Adam is optimizers.Adam
    assert cornu.optimizers.schedules.CosineDecay is optimizers.schedules.CosineDecay


@pytest.mark.parametrize("name", NAMES)
def test_serialize_round_trip(name):
    opt = getattr(optimizers, name)(learning_rate=0.02, clipnorm=2.0, name="custom")
    config = optimizers.serialize(opt)
    assert config["class_name"] == name
    assert config["registered_name"] == name
    restored = optimizers.deserialize(config)
    assert type(restored) is type(opt)
    assert restored.get_config() == opt.get_config()
    assert type(opt).from_config(opt.get_config()).get_config() == opt.get_config()


@pytest.mark.parametrize("name", NAMES)
def test_keras_serialized_optimizer_loads(keras, name):
    theirs = getattr(keras.optimizers, name)(learning_rate=0.02, name="k")
    config = keras.optimizers.serialize(theirs)
    ours = optimizers.deserialize(config)
    assert type(ours).__name__ == name
    assert ours.get_config() == theirs.get_config()
    # ("module"/"registered_name" differ between Keras backends; class and config do not.)
    ours_serialized = optimizers.serialize(ours)
    assert ours_serialized["class_name"] == config["class_name"]
    assert ours_serialized["config"] == config["config"]


def test_schedule_in_config_round_trips(keras):
    schedule = optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1)
    opt = optimizers.Adam(learning_rate=schedule, name="a")
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    restored = optimizers.Adam.from_config(config)
    assert isinstance(restored._learning_rate, optimizers.schedules.CosineDecay)
    assert restored.get_config() == config
    theirs = keras.optimizers.Adam(
        learning_rate=keras.optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1), name="a")
    assert config == theirs.get_config()
    assert optimizers.deserialize(keras.optimizers.serialize(theirs)).get_config() == config


def test_build_rejects_non_variables(h):
    with pytest.raises(TypeError, match="cornu.Variable"):
        optimizers.Adam().build([h.native(np.zeros(2))])


def test_decay_argument_warns():
    with pytest.warns(UserWarning, match="decay"):
        optimizers.SGD(decay=0.1)
