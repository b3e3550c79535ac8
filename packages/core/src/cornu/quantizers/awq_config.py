"""``AWQConfig``: the settings of AWQ post-training quantization (the config only)."""
from cornu.quantizers.gptq_config import _check_group_size, _check_positive
from cornu.quantizers.quantization_config import QuantizationConfig


class AWQConfig(QuantizationConfig):
    """The settings of AWQ (activation-aware weight quantization: per-channel scales found
    by a grid search on calibration activations protect the salient weights).

    Args:
        dataset: the calibration data (strings or token arrays); not saved in the config.
        tokenizer: turns string samples into tokens; not saved in the config.
        weight_bits: the bit width of the weights; AWQ supports 4 only.
        num_samples: how many calibration samples to use.
        sequence_length: the length of each calibration sample.
        group_size: columns sharing a scale; -1 for per-channel quantization.
        num_grid_points: the points of the grid search for the scales.
        quantization_layer_structure: ``{"pre_block_layers": [...],
            "sequential_blocks": [...]}``; None asks the model
            (``get_quantization_layer_structure``).
    """

    def __init__(self, dataset, tokenizer, *, weight_bits: int = 4, num_samples: int = 128,
                 sequence_length: int = 512, group_size: int = 128, num_grid_points: int = 20,
                 quantization_layer_structure: dict = None):
        super().__init__()
        if weight_bits != 4:
            raise ValueError("AWQConfig: AWQ only supports 4-bit quantization. "
                             f"Received weight_bits={weight_bits}.")
        _check_positive("AWQConfig", "num_samples", num_samples)
        _check_positive("AWQConfig", "sequence_length", sequence_length)
        _check_group_size("AWQConfig", group_size, "per-channel")
        _check_positive("AWQConfig", "num_grid_points", num_grid_points)
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.sequence_length = sequence_length
        self.group_size = group_size
        self.num_grid_points = num_grid_points
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "awq"

    def dtype_policy_string(self):
        """The dtype policy name of this config: ``"awq/<weight_bits>/<group_size>"``."""
        return f"awq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        # The dataset and tokenizer serve one calibration: they are not saved.
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "sequence_length": self.sequence_length,
                "group_size": self.group_size, "num_grid_points": self.num_grid_points,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
