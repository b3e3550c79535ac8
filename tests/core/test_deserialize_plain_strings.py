"""``deserialize_keras_object`` of a plain string that names no registered object gives
the string back, as Keras's does: KerasRS's ``TableConfig.from_config`` runs it over
its saved ``optimizer`` ("adam") and its ``initializer``."""
import pytest

import cornu
from cornu import saving


class TableLike:
    """A config object in the style of KerasRS's TableConfig."""

    def __init__(self, optimizer, initializer):
        self.optimizer, self.initializer = optimizer, initializer

    def get_config(self):
        return {"optimizer": saving.serialize_keras_object(self.optimizer),
                "initializer": saving.serialize_keras_object(self.initializer)}

    @classmethod
    def from_config(cls, config):
        return cls(optimizer=saving.deserialize_keras_object(config["optimizer"]),
                   initializer=saving.deserialize_keras_object(config["initializer"]))


def test_plain_strings_come_back():
    table = TableLike.from_config(TableLike("adam", "uniform").get_config())
    assert (table.optimizer, table.initializer) == ("adam", "uniform")
    assert saving.deserialize_keras_object("not_a_registered_name") == "not_a_registered_name"


def test_registered_names_still_resolve():
    @saving.register_keras_serializable(package="plain_strings")
    def twice(x):
        return x * 2

    assert saving.deserialize_keras_object("plain_strings>twice") is twice
    assert saving.deserialize_keras_object("plain_strings>twice",
                                           custom_objects={"x": 1}) is twice


def test_an_object_config_is_still_checked():
    with pytest.raises((ValueError, TypeError)):
        saving.deserialize_keras_object({"class_name": "NoSuchClass", "config": {},
                                         "module": "nowhere"})
    assert cornu.saving.deserialize_keras_object(None) is None
