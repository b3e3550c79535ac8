"""``cornu.quantizers`` (``keras.quantizers``): quantizers, quantization configs, and the
int8 / int4 / float8 quantization functions they are built on.

Quantizers and configs are registry components of kind ``quantizer`` (cornu-core
registers its own through ``cornu_register_quantizers``): their configs name the module
``keras.quantizers`` and resolve by class name or snake_case name.
"""
import inspect

from cornu.quantizers.awq_config import AWQConfig
from cornu.quantizers.gptq_config import GPTQConfig
from cornu.quantizers.quantization_config import (
    Float8QuantizationConfig,
    Int4QuantizationConfig,
    Int8QuantizationConfig,
    QuantizationConfig,
)
from cornu.quantizers.quantizers import (
    AbsMaxQuantizer,
    Quantizer,
    abs_max_quantize,
    abs_max_quantize_grouped_with_zero_point,
    compute_float8_amax_history,
    compute_float8_scale,
    compute_quantization_parameters,
    fake_quant_with_min_max_vars,
    pack_int4,
    quantize_and_dequantize,
    unpack_int4,
)
from cornu.serialization import make_kind_api

__all__ = [
    "AWQConfig", "AbsMaxQuantizer", "Float8QuantizationConfig", "GPTQConfig",
    "Int4QuantizationConfig", "Int8QuantizationConfig", "QuantizationConfig", "Quantizer",
    "abs_max_quantize", "abs_max_quantize_grouped_with_zero_point",
    "compute_float8_amax_history", "compute_float8_scale", "deserialize",
    "fake_quant_with_min_max_vars", "get", "pack_int4", "quantize_and_dequantize",
    "serialize", "unpack_int4",
]

#: The classes registered under kind ``quantizer`` (with their snake_case names).
ALL_QUANTIZERS = (Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig,
                  Int4QuantizationConfig, Float8QuantizationConfig, GPTQConfig, AWQConfig)

_serialize, deserialize, _ = make_kind_api("quantizer", Quantizer, instantiate=False)


def serialize(initializer):
    """The config of a quantizer or quantization config (Keras names the argument
    ``initializer``)."""
    return _serialize(initializer)


def get(identifier, **kwargs):
    """A quantizer (or quantization config) from a name, a config dict or an object.

    A name or a class is instantiated with ``kwargs``; None gives None.

    Args:
        identifier: a registered name (``"AbsMaxQuantizer"``, ``"abs_max_quantizer"``),
            a serialized dict, a class, a quantizer or a config object, or None.
        **kwargs: the constructor arguments when ``identifier`` names a class.

    Returns:
        The quantizer or config, or None.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        try:
            obj = deserialize(identifier)
        except ValueError as err:
            raise ValueError(
                f"Could not interpret quantizer identifier: {identifier}. {err}") from None
    else:
        obj = identifier
    if inspect.isclass(obj):
        return obj(**kwargs)
    if callable(obj) or isinstance(obj, QuantizationConfig):
        return obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier!r}")
