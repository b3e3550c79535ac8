"""The distillation losses of ``cornu.distillation`` (``keras.distillation``, Keras 3.12+).

A distillation loss says how a student's outputs (or intermediate features) are pulled
towards a frozen teacher's: ``compute_loss(teacher_outputs, student_outputs)`` returns a
scalar.  ``LogitsDistillation`` compares temperature-scaled final outputs,
``FeatureDistillation`` the outputs of named intermediate layers (or the final ones);
subclass ``DistillationLoss`` for others.
"""
from cornu import ops, tree


def _convert_loss_to_function(loss_item):
    """A loss name becomes the loss (``cornu.losses.get``); objects and None stay."""
    if loss_item is None:
        return None
    if isinstance(loss_item, str):
        from cornu import losses

        loss_fn = losses.get(loss_item)
        if loss_fn is None:
            raise ValueError(f"Unknown loss function: '{loss_item}'.")
        return loss_fn
    return loss_item


def _serialize_losses(loss):
    """A (nested) structure of losses as Keras writes it: records for functions and
    objects, None left as is."""
    from cornu import losses

    if loss is None:
        return None
    if isinstance(loss, (list, tuple)):
        return [_serialize_losses(item) for item in loss]
    if isinstance(loss, dict):
        return {key: _serialize_losses(item) for key, item in loss.items()}
    return losses.serialize(loss)


def _deserialize_losses(config):
    """``_serialize_losses``'s output (or names) back to losses, structure kept."""
    from cornu import losses

    if config is None:
        return None
    if isinstance(config, (list, tuple)):
        return [_deserialize_losses(item) for item in config]
    if isinstance(config, dict) and "class_name" not in config:
        return {key: _deserialize_losses(item) for key, item in config.items()}
    if isinstance(config, str):
        return config  # a name: the constructor resolves it
    return losses.deserialize(config)


def _is_kl_divergence(loss_fn):
    from cornu.losses import KLDivergence

    return isinstance(loss_fn, KLDivergence)


class DistillationLoss:
    """Base class for distillation losses.

    A distillation loss computes the loss between teacher and student outputs. To
    write one, subclass this class and override ``compute_loss`` (and, to check the
    models or outputs it is given, ``validate_model_compatibility`` /
    ``validate_outputs``). A subclass with ``teacher_layer_name`` /
    ``student_layer_name`` attributes receives those layers' outputs.
    """

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The distillation loss between teacher and student outputs.

        Args:
            teacher_outputs: the teacher's outputs: a tensor, or a list/tuple/dict of
                tensors for multi-output models.
            student_outputs: the student's outputs, in the same structure.
            **kwargs: additional arguments for custom distillation losses.

        Returns:
            The distillation loss, a scalar tensor.
        """
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Raise ValueError unless teacher and student outputs have the same structure."""
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        """Raise ValueError if the models cannot be used with this loss (the base
        class accepts any)."""
        pass


class FeatureDistillation(DistillationLoss):
    """Feature distillation: the student's intermediate features are pulled towards
    the teacher's.

    Args:
        loss: the loss between teacher and student features: a name (``"mse"``,
            ``"cosine_similarity"``, ``"mae"``, ...), a loss object or function, or a
            nested structure of those matching the layers' output structure, where
            None skips an output. At least one must be non-None. Defaults to
            ``"mse"``.
        teacher_layer_name: the teacher layer whose output is compared; None (the
            default) for the teacher's final output.
        student_layer_name: the student layer whose output is compared; None (the
            default) for the student's final output.

    Layer names need Functional or Sequential models (their layers' symbolic
    outputs); a name that is not a layer of its model is a ValueError when the
    ``Distiller`` is created.

    ```python
    FeatureDistillation(loss="mse", teacher_layer_name="dense_1",
                        student_layer_name="dense_1")
    FeatureDistillation(loss=["mse", None, "cosine_similarity"])  # skip an output
    ```
    """

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = tree.map_structure(_convert_loss_to_function, loss)

        flat_losses = tree.flatten(self.loss)
        if all(item is None for item in flat_losses):
            raise ValueError(
                "The `loss` argument in `FeatureDistillation` must "
                "contain at least one non-`None` value."
            )

    def validate_model_compatibility(self, teacher, student):
        """Layer names need symbolic (Functional/Sequential) models that have them."""
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            teacher_is_subclassed = getattr(teacher, "inputs", None) is None
            student_is_subclassed = getattr(student, "inputs", None) is None
            if teacher_is_subclassed or student_is_subclassed:
                subclassed_models = []
                if teacher_is_subclassed:
                    subclassed_models.append("teacher")
                if student_is_subclassed:
                    subclassed_models.append("student")
                models_str = " and ".join(subclassed_models)
                raise ValueError(
                    f"FeatureDistillation with specific layer names requires "
                    f"Functional or Sequential models. The {models_str} "
                    f"model(s) appear to be subclassed (no symbolic "
                    f"inputs/outputs). Either use Functional/Sequential "
                    f"models, or use FeatureDistillation without layer names "
                    f"(to distill final outputs only), or use "
                    f"LogitsDistillation instead."
                )

        if self.teacher_layer_name is not None:
            try:
                teacher.get_layer(name=self.teacher_layer_name)
            except ValueError as e:
                raise ValueError(f"In teacher model: {e}") from None

        if self.student_layer_name is not None:
            try:
                student.get_layer(name=self.student_layer_name)
            except ValueError as e:
                raise ValueError(f"In student model: {e}") from None

    def validate_outputs(self, teacher_outputs, student_outputs):
        """The outputs match each other and the structure of ``loss``."""
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as e:
            raise ValueError(
                f"Loss structure mismatch. "
                f"Loss structure: {_structure(self.loss)}, "
                f"Output structure: {_structure(teacher_outputs)}. "
                f"Error: {e}"
            ) from None

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The sum over outputs of ``mean(loss(teacher_features, student_features))``.

        Args:
            teacher_outputs: the teacher layer's features.
            student_outputs: the student layer's features.
            **kwargs: ignored.

        Returns:
            A scalar tensor.
        """

        def apply_loss(loss_fn, teacher_features, student_features):
            if loss_fn is None:
                return 0.0
            return ops.mean(loss_fn(teacher_features, student_features))

        loss_values = tree.map_structure(apply_loss, self.loss, teacher_outputs,
                                         student_outputs)
        return ops.sum(ops.stack(tree.flatten(loss_values)))

    def get_config(self):
        """The constructor's arguments, the losses serialized."""
        return {
            "loss": _serialize_losses(self.loss),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }

    @classmethod
    def from_config(cls, config):
        """The loss back from ``get_config()``."""
        config = dict(config)
        config["loss"] = _deserialize_losses(config["loss"])
        return cls(**config)


class LogitsDistillation(DistillationLoss):
    """Logits distillation: the loss between the temperature-scaled final outputs of
    teacher and student (the classic knowledge distillation).

    Args:
        temperature: the outputs are divided by it; higher values give softer
            distributions that are easier to learn (typically 3 to 5). A positive
            number; defaults to 3.0.
        loss: the loss between the scaled outputs: a name
            (``"kl_divergence"``, ``"categorical_crossentropy"``, ...), a loss object
            or function, or a nested structure of those matching the models' output
            structure, where None skips an output. At least one must be non-None.
            Defaults to ``"kl_divergence"``. A ``KLDivergence`` object is applied to
            the softmax of the scaled outputs and the result multiplied by
            ``temperature ** 2``; other losses get the scaled outputs themselves.

    ```python
    LogitsDistillation(temperature=3.0)
    LogitsDistillation(temperature=4.0,
                       loss=cornu.losses.CategoricalCrossentropy(from_logits=True))
    LogitsDistillation(temperature=3.0, loss=["kl_divergence", None])
    ```
    """

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss = tree.map_structure(_convert_loss_to_function, loss)

        flat_losses = tree.flatten(self.loss)
        if all(item is None for item in flat_losses):
            raise ValueError("At least one loss must be non-`None`.")

        if not isinstance(self.temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(self.temperature)}")
        if self.temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The sum over outputs of the loss between the scaled outputs.

        Args:
            teacher_outputs: the teacher's logits (a tensor, or a list/tuple/dict).
            student_outputs: the student's logits, in the same structure.
            **kwargs: ignored.

        Returns:
            A scalar tensor.
        """
        teacher_scaled = tree.map_structure(lambda x: ops.divide(x, self.temperature),
                                            teacher_outputs)
        student_scaled = tree.map_structure(lambda x: ops.divide(x, self.temperature),
                                            student_outputs)

        def apply_loss(loss_fn, teacher_logits, student_logits):
            if loss_fn is None:
                return 0.0
            if _is_kl_divergence(loss_fn):  # on probabilities, scaled by T^2
                teacher_probs = ops.softmax(teacher_logits, axis=-1)
                student_probs = ops.softmax(student_logits, axis=-1)
                loss = ops.mean(loss_fn(teacher_probs, student_probs))
                return loss * (self.temperature ** 2)
            return ops.mean(loss_fn(teacher_logits, student_logits))

        loss_values = tree.map_structure(apply_loss, self.loss, teacher_scaled,
                                         student_scaled)
        return ops.sum(ops.stack(tree.flatten(loss_values)))

    def get_config(self):
        """The constructor's arguments, the losses serialized."""
        return {"temperature": self.temperature, "loss": _serialize_losses(self.loss)}

    @classmethod
    def from_config(cls, config):
        """The loss back from ``get_config()``."""
        config = dict(config)
        config["loss"] = _deserialize_losses(config["loss"])
        return cls(**config)


def _structure(value):
    """A printable outline of a nested structure (its leaves as ``*``)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_structure(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_structure(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_structure(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return "*"
