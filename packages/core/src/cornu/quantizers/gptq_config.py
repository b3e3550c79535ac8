"""``GPTQConfig``: the settings of GPTQ post-training quantization (the config only)."""
from cornu.quantizers.quantization_config import QuantizationConfig


def _check_positive(owner, name, value):
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer. Received: {name}={value}")


def _check_group_size(owner, group_size, what):
    if group_size < -1 or group_size == 0:
        raise ValueError(
            f"{owner}: invalid group_size. Supported values are -1 ({what}) or a positive "
            f"integer, but got {group_size}.")


class GPTQConfig(QuantizationConfig):
    """The settings of GPTQ (post-training quantization that corrects each layer's error
    with its Hessian, from calibration data).

    Args:
        dataset: the calibration data (strings or token arrays); not saved in the config.
        tokenizer: turns string samples into tokens; not saved in the config.
        weight_bits: the bit width of the weights: 2, 3, 4 or 8.
        num_samples: how many calibration samples to use.
        per_channel: one scale per output channel.
        sequence_length: the length of each calibration sample.
        hessian_damping: the fraction of the Hessian's mean diagonal added to it, in [0, 1].
        group_size: columns sharing a scale; -1 for per-channel quantization.
        symmetric: symmetric (rather than asymmetric) quantization.
        activation_order: quantize the columns by decreasing activation magnitude.
        quantization_layer_structure: ``{"pre_block_layers": [...],
            "sequential_blocks": [...]}``; None asks the model
            (``get_quantization_layer_structure``).
    """

    def __init__(self, dataset, tokenizer, *, weight_bits: int = 4, num_samples: int = 128,
                 per_channel: bool = True, sequence_length: int = 512,
                 hessian_damping: float = 0.01, group_size: int = 128,
                 symmetric: bool = False, activation_order: bool = False,
                 quantization_layer_structure: dict = None):
        super().__init__()
        if weight_bits not in (2, 3, 4, 8):
            raise ValueError(f"GPTQConfig: unsupported weight_bits {weight_bits}. Supported "
                             "values are 2, 3, 4, and 8.")
        _check_positive("GPTQConfig", "num_samples", num_samples)
        _check_positive("GPTQConfig", "sequence_length", sequence_length)
        if hessian_damping < 0 or hessian_damping > 1:
            raise ValueError("GPTQConfig: hessian_damping must be between 0 and 1. "
                             f"Received: hessian_damping={hessian_damping}")
        _check_group_size("GPTQConfig", group_size, "whole-tensor")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.num_samples = num_samples
        self.per_channel = per_channel
        self.sequence_length = sequence_length
        self.hessian_damping = hessian_damping
        self.weight_bits = weight_bits
        self.group_size = group_size
        self.symmetric = symmetric
        self.activation_order = activation_order
        self.quantization_layer_structure = quantization_layer_structure

    def get_config(self):
        # The dataset and tokenizer serve one calibration: they are not saved.
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "per_channel": self.per_channel,
                "sequence_length": self.sequence_length,
                "hessian_damping": self.hessian_damping, "group_size": self.group_size,
                "symmetric": self.symmetric, "activation_order": self.activation_order,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def mode(self):
        return "gptq"

    def dtype_policy_string(self):
        """The dtype policy name of this config: ``"gptq/<weight_bits>/<group_size>"``."""
        return f"gptq/{self.weight_bits}/{self.group_size}"
