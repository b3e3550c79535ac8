"""The quantization configs of ``keras.quantizers``: which quantizers a mode uses."""
from cornu.serialization import deserialize_cornu_object, serialize_cornu_object

#: The modes ``Model.quantize`` knows, as in Keras.
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


def _quantizer(config):
    return deserialize_cornu_object(config, kind="quantizer")


class QuantizationConfig:
    """The base class of quantization configs: a mode and its quantizers.

    Subclasses give the ``mode`` property (and their own ``get_config`` /
    ``from_config`` when they hold more).

    Args:
        weight_quantizer: the quantizer of the weights.
        activation_quantizer: the quantizer of the activations.
    """

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        """The quantization mode (``"int8"``, ``"int4"``, ...)."""
        raise NotImplementedError(
            "Subclasses must implement this property. Do not instantiate "
            "QuantizationConfig directly.")

    def get_config(self):
        return {"weight_quantizer": serialize_cornu_object(self.weight_quantizer),
                "activation_quantizer": serialize_cornu_object(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=_quantizer(config.get("weight_quantizer")),
                   activation_quantizer=_quantizer(config.get("activation_quantizer")))

    @staticmethod
    def weight_quantizer_or_default(config, default):
        """``config.weight_quantizer`` when there is one, else ``default``."""
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        """``config.activation_quantizer`` (None too) when there is a config, else
        ``default``."""
        if config is not None:
            return config.activation_quantizer
        return default


def _check_output_dtype(owner, quantizer):
    if quantizer is not None and quantizer.output_dtype != "int8":
        raise ValueError(
            f"{owner} requires a weight_quantizer with output_dtype='int8'. Received: "
            f"output_dtype={quantizer.output_dtype}")


class Int8QuantizationConfig(QuantizationConfig):
    """The int8 mode.

    Args:
        weight_quantizer: the quantizer of the weights (its output_dtype must be int8).
        activation_quantizer: the quantizer of the activations; ``"default"`` is
            ``AbsMaxQuantizer()`` (axis -1).
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        from cornu.quantizers.quantizers import AbsMaxQuantizer

        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        _check_output_dtype("Int8QuantizationConfig", self.weight_quantizer)

    @property
    def mode(self):
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """The int4 mode (weights only by default).

    Args:
        weight_quantizer: the quantizer of the weights (value_range ``(-8, 7)``,
            output_dtype int8).
        activation_quantizer: the quantizer of the activations; ``"default"`` is None.
        block_size: rows per group for sub-channel quantization
            (``ceil(input_dim / block_size)`` groups); None or -1 for one scale per
            output channel.  Sub-channel quantization takes no custom quantizers.
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(
                "Int4QuantizationConfig: block_size must be None, -1, or a positive integer. "
                f"Received: block_size={block_size}")
        self.block_size = block_size
        custom = self.weight_quantizer is not None or self.activation_quantizer is not None
        if block_size is not None and block_size > 0 and custom:
            raise ValueError(
                "Int4 sub-channel quantization (block_size > 0) does not support custom "
                "quantizers. Either set block_size to None or -1 for per-channel "
                "quantization, or remove the custom quantizer arguments. Received: "
                f"block_size={block_size}")
        if self.weight_quantizer is not None:
            value_range = self.weight_quantizer.value_range
            if tuple(value_range) != (-8, 7):
                raise ValueError(
                    "Int4QuantizationConfig requires a weight_quantizer with "
                    f"value_range=(-8, 7). Received: value_range={value_range}")
            _check_output_dtype("Int4QuantizationConfig", self.weight_quantizer)

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        config = super().get_config()
        config["block_size"] = self.block_size
        return config

    @classmethod
    def from_config(cls, config):
        # A config saved before block_size existed was per-channel: None.
        return cls(weight_quantizer=_quantizer(config.get("weight_quantizer")),
                   activation_quantizer=_quantizer(config.get("activation_quantizer")),
                   block_size=config.get("block_size", None))


class Float8QuantizationConfig(QuantizationConfig):
    """The float8 (FP8 mixed-precision training) mode; it takes no quantizers."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


def _check_mode(mode):
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(
            f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
            f"Received: mode={mode}")


def validate_and_resolve_config(mode, config):
    """The config ``quantize(mode, config=...)`` runs with: ``config`` checked against
    ``mode``, or the default config of ``mode`` (a string ``config`` is a mode).

    Args:
        mode: the quantization mode, or None to take the config's.
        config: a ``QuantizationConfig``, a mode string, or None.

    Returns:
        The ``QuantizationConfig``.
    """
    if isinstance(config, str):
        mode, config = config, None
    _check_mode(mode)
    if config is None:
        defaults = {"int8": Int8QuantizationConfig, "int4": Int4QuantizationConfig,
                    "float8": Float8QuantizationConfig}
        if mode in defaults:
            config = defaults[mode]()
        elif mode == "gptq":
            raise ValueError(
                "For GPTQ, you must pass a `GPTQConfig` object in the `config` argument.")
        elif mode == "awq":
            raise ValueError(
                "For AWQ, you must pass an `AWQConfig` object in the `config` argument.")
        else:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
    elif not isinstance(config, QuantizationConfig):
        raise ValueError(
            "Argument `config` must be an instance of `QuantizationConfig`. "
            f"Received: config={config} (of type {type(config)})")
    if mode is not None and config.mode != mode:
        raise ValueError(
            f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    _check_mode(config.mode)
    from cornu.quantizers.awq_config import AWQConfig
    from cornu.quantizers.gptq_config import GPTQConfig

    for name, cls in (("gptq", GPTQConfig), ("awq", AWQConfig)):
        if config.mode == name and not isinstance(config, cls):
            raise ValueError(
                f"Mode '{name}' requires a valid `config` argument of type "
                f"`{cls.__name__}`. Received: {type(config)}")
    return config
