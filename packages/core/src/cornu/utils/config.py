"""``cornu.utils.Config``: a dict of named values that is also read and written as
attributes, can be frozen, and serializes to JSON (``keras.utils.Config``)."""
import copy
import difflib
import json

__all__ = ["Config"]


class Config:
    """A dict-like container for named values.

    ``config = Config(learning_rate=0.1)``; then ``config.seed = 123`` or
    ``config["seed"] = 123`` adds a value, ``config.seed`` / ``config["seed"]`` /
    ``config.get("seed")`` read it, ``keys()``, ``values()``, ``items()``, ``len()``,
    ``in`` and iteration (over the sorted keys) work as for a dict, ``as_dict()``
    gives a (shallow) copy and ``to_json()`` the JSON text.  After ``freeze()``
    (``frozen`` is then True) every change raises a ``ValueError`` until
    ``unfreeze()``.  The names of Config's own attributes and methods (``keys``,
    ``frozen``, ...) are not values: use ``config["keys"]`` for those.
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    # -- freezing --------------------------------------------------------------------------
    @property
    def frozen(self):
        """Whether the config is frozen (read-only)."""
        return self._frozen

    def freeze(self):
        """Make the config read-only: any later change raises a ``ValueError``."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        """Make a frozen config writable again."""
        object.__setattr__(self, "_frozen", False)

    def _check_writable(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    # -- dict-like -------------------------------------------------------------------------
    def as_dict(self):
        """A shallow copy of the values, as a dict."""
        return copy.copy(self._config)

    def to_json(self):
        """The values as a JSON string."""
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def pop(self, *args):
        self._check_writable()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._check_writable()
        return self._config.update(*args, **kwargs)

    def __getitem__(self, key):
        return self._config[key]

    def __setitem__(self, key, item):
        self._check_writable()
        self._config[key] = item

    def __delitem__(self, key):
        self._check_writable()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):
        return iter(sorted(self._config))

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"

    # -- attribute access ------------------------------------------------------------------
    @classmethod
    def _is_own(cls, name):
        return name.startswith("__") or hasattr(cls, name) or name in ("_config", "_frozen")

    def __getattr__(self, name):  # only called when normal lookup fails
        if type(self)._is_own(name):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        values = object.__getattribute__(self, "_config")
        if name in values:
            return values[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, [str(k) for k in values], n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setattr__(self, name, value):
        if type(self)._is_own(name) or name in vars(self):
            object.__setattr__(self, name, value)
            return
        self._check_writable()
        self._config[name] = value
