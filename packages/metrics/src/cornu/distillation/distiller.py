"""``Distiller``: a model that trains a student from a frozen teacher (``keras.distillation``)."""
import warnings

from cornu import ops, tree
from cornu._warning import CornuWarning
from cornu.distillation.distillation_loss import (
    DistillationLoss,
    FeatureDistillation,
    LogitsDistillation,
    _convert_loss_to_function,
)
from cornu.models.model import Model

#: The built-in distillation losses, found by class name in a saved config (Keras
#: writes them under the module ``keras.distillation``).
_BUILTIN_LOSSES = {cls.__name__: cls for cls in (DistillationLoss, FeatureDistillation,
                                                 LogitsDistillation)}


class Distiller(Model):
    """Knowledge distillation: trains a student model from a teacher model.

    The student learns from the labels (the compiled ``loss``) and from the teacher's
    outputs or features (the distillation losses); the teacher is frozen. The total
    loss is ``student_loss_weight * student_loss + (1 - student_loss_weight) *
    sum(weight_i * distillation_loss_i)``; ``fit`` logs ``student_loss``,
    ``distillation_loss`` and ``total_loss`` beside ``loss`` and the compiled metrics.

    Args:
        teacher: a trained ``Model``, the knowledge source; it is frozen
            (``trainable = False``).
        student: the ``Model`` to train.
        distillation_losses: a distillation loss (``LogitsDistillation``,
            ``FeatureDistillation`` or a ``DistillationLoss`` subclass), or a list of
            them.
        distillation_loss_weights: one weight per distillation loss (a list as long as
            ``distillation_losses``); None for 1.0 each. Ignored for a single loss.
        student_loss_weight: the weight of the student's supervised loss, between 0
            and 1. Defaults to 0.5.
        name: the model's name. Defaults to ``"distiller"``.
        **kwargs: passed to ``Model``.

    Attributes:
        student: the student model (use it on its own after training).
        teacher: the teacher model.

    ```python
    distiller = Distiller(
        teacher=teacher,
        student=student,
        distillation_losses=[
            LogitsDistillation(temperature=3.0),
            FeatureDistillation(teacher_layer_name="dense_1",
                                student_layer_name="dense_1"),
        ],
        distillation_loss_weights=[1.0, 0.5],
    )
    distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    distiller.fit(x_train, y_train, epochs=10)
    trained_student = distiller.student
    ```
    """

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)

        self._validate_models(teacher, student)

        self.teacher = teacher
        self.student = student

        if not isinstance(student_loss_weight, (int, float)):
            raise ValueError(
                f"student_loss_weight must be a number, got {type(student_loss_weight)}"
            )
        if student_loss_weight < 0.0 or student_loss_weight > 1.0:
            raise ValueError(
                f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}"
            )
        self.student_loss_weight = student_loss_weight

        if distillation_losses is None:
            raise ValueError(
                "'distillation_losses' cannot be `None`. Provide a "
                "distillation loss (e.g., LogitsDistillation or "
                "FeatureDistillation) or a list of distillation losses."
            )

        if not isinstance(distillation_losses, (list, tuple)):
            self.distillation_losses = [distillation_losses]
            self.distillation_loss_weights = [1.0]
        else:
            self.distillation_losses = list(distillation_losses)
            if distillation_loss_weights is None:
                self.distillation_loss_weights = [1.0] * len(distillation_losses)
            else:
                if len(distillation_loss_weights) != len(distillation_losses):
                    raise ValueError(
                        f"Number of distillation_loss_weights "
                        f"({len(distillation_loss_weights)}) must match "
                        f"number of distillation_losses "
                        f"({len(distillation_losses)})"
                    )
                self.distillation_loss_weights = list(distillation_loss_weights)

        for distillation_loss in self.distillation_losses:
            self._validate_distillation_loss_compatibility(teacher, student,
                                                           distillation_loss)

        self._create_multi_feature_extractors()

        self.teacher.trainable = False

        from cornu.metrics import Mean

        self.student_loss_tracker = Mean(name="student_loss")
        self.distillation_loss_tracker = Mean(name="distillation_loss")
        self.total_loss_tracker = Mean(name="total_loss")
        self._student_loss = None
        self._student_loss_for_serialization = None

    # -- validation ------------------------------------------------------------------
    def _validate_models(self, teacher, student):
        """Teacher and student are models with compatible inputs, outputs and dtypes."""
        if not isinstance(teacher, Model):
            raise ValueError(f"Teacher must be a keras.Model, got {type(teacher)}")
        if not isinstance(student, Model):
            raise ValueError(f"Student must be a keras.Model, got {type(student)}")

        self._validate_input_compatibility(teacher, student)
        self._validate_output_compatibility(teacher, student)
        self._validate_dtype_compatibility(teacher, student)

    def _assert_shapes_are_compatible(self, shape1, shape2, context):
        if len(shape1) != len(shape2):
            raise ValueError(
                f"Teacher and student {context} shapes have different "
                f"dimensions. Teacher: {shape1}, Student: {shape2}."
            )
        for dim1, dim2 in zip(shape1, shape2):
            if dim1 is not None and dim2 is not None and dim1 != dim2:
                raise ValueError(
                    f"Teacher and student {context} shapes are incompatible. "
                    f"Teacher: {shape1}, Student: {shape2}. "
                    f"All dimensions must match."
                )

    def _assert_same_dtype(self, teacher_dtype, student_dtype, context):
        if teacher_dtype != student_dtype:
            raise ValueError(
                f"Teacher and student {context} dtypes must match. "
                f"Teacher: {teacher_dtype}, Student: {student_dtype}."
            )

    def _validate_input_compatibility(self, teacher, student):
        teacher_inputs = _symbolic(teacher, "inputs")
        student_inputs = _symbolic(student, "inputs")
        if teacher_inputs is None or student_inputs is None:
            return
        tree.map_structure(
            lambda ti, si: self._assert_shapes_are_compatible(ti.shape, si.shape, "input"),
            teacher_inputs, student_inputs,
        )

    def _validate_output_compatibility(self, teacher, student):
        teacher_outputs = _symbolic(teacher, "outputs")
        student_outputs = _symbolic(student, "outputs")
        if teacher_outputs is None or student_outputs is None:
            return
        tree.map_structure(
            lambda to, so: self._assert_shapes_are_compatible(to.shape, so.shape, "output"),
            teacher_outputs, student_outputs,
        )

    def _validate_dtype_compatibility(self, teacher, student):
        teacher_inputs = _symbolic(teacher, "inputs")
        student_inputs = _symbolic(student, "inputs")
        if teacher_inputs is None or student_inputs is None:
            return
        tree.map_structure(
            lambda ti, si: self._assert_same_dtype(ti.dtype, si.dtype, "input"),
            teacher_inputs, student_inputs,
        )
        teacher_outputs = _symbolic(teacher, "outputs")
        student_outputs = _symbolic(student, "outputs")
        if teacher_outputs is None or student_outputs is None:
            return
        tree.map_structure(
            lambda to, so: self._assert_same_dtype(to.dtype, so.dtype, "output"),
            teacher_outputs, student_outputs,
        )

    def _validate_distillation_loss_compatibility(self, teacher, student, distillation_loss):
        distillation_loss.validate_model_compatibility(teacher, student)

    # -- feature extraction ------------------------------------------------------------
    def _create_multi_feature_extractors(self):
        """One Functional model per side returning the final output and every layer's
        output that a distillation loss names (one forward pass for all of them)."""
        teacher_layer_names = []
        student_layer_names = []
        for distillation_loss in self.distillation_losses:
            teacher_name = getattr(distillation_loss, "teacher_layer_name", None)
            if teacher_name and teacher_name not in teacher_layer_names:
                teacher_layer_names.append(teacher_name)
            student_name = getattr(distillation_loss, "student_layer_name", None)
            if student_name and student_name not in student_layer_names:
                student_layer_names.append(student_name)

        self._teacher_feature_extractor = self._create_feature_extractor(
            self.teacher, teacher_layer_names)
        self._student_feature_extractor = self._create_feature_extractor(
            self.student, student_layer_names)

    def _create_feature_extractor(self, model, layer_names):
        """A Functional model from ``model``'s inputs to ``{"final_output": ...,
        name: layer output}``; None without layer names."""
        if not layer_names:
            return None
        if _symbolic(model, "inputs") is None:
            raise ValueError(
                f"Cannot create feature extractor for {model.name}. "
                f"The model has no symbolic inputs attribute."
            )
        from cornu.models.sequential import Sequential

        if isinstance(model, Sequential):
            final_output = model.layers[-1].output
        else:
            final_output = model.output

        outputs = {"final_output": final_output}
        for layer_name in layer_names:
            outputs[layer_name] = model.get_layer(name=layer_name).output

        return Model(inputs=model.inputs, outputs=outputs,
                     name=f"{model.name}_multi_feature_extractor")

    def _extract_all_teacher_features(self, x):
        if self._teacher_feature_extractor is not None:
            return self._teacher_feature_extractor(x, training=False)
        return {"final_output": self.teacher(x, training=False)}

    def _extract_all_student_features(self, x, y_pred):
        if self._student_feature_extractor is not None:
            return self._student_feature_extractor(x, training=True)
        return {"final_output": y_pred}

    def _get_distillation_loss_features(self, distillation_loss, all_features, is_teacher):
        if is_teacher:
            layer_name = distillation_loss.teacher_layer_name or "final_output"
        else:
            layer_name = distillation_loss.student_layer_name or "final_output"
        if layer_name not in all_features:
            raise ValueError(
                f"Layer '{layer_name}' not found in extracted features. "
                f"Available: {list(all_features.keys())}"
            )
        return all_features[layer_name]

    # -- training ----------------------------------------------------------------------
    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """Configure training.

        Args:
            optimizer: the optimizer that trains the student.
            loss: the student's supervised loss (a name, a loss object or function,
                or a structure of them matching the student's outputs); required.
            metrics: a list (or tuple) of metrics on the student's outputs.
            **kwargs: passed to ``Model.compile``.
        """
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")

        self._student_loss = tree.map_structure(_convert_loss_to_function, loss)
        self._student_loss_for_serialization = loss

        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")

        self._given_compile_args = {"optimizer": optimizer, "loss": loss, "metrics": metrics}
        if metrics is not None:
            metrics = [self._resolve_metric(metric) for metric in metrics]
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def _resolve_metric(self, metric):
        """``"accuracy"`` / ``"crossentropy"`` chosen by the student loss (sparse,
        categorical or binary), as for a model compiled with that loss: the distiller
        compiles no loss of its own, which would leave the choice to the output shape
        alone (Keras 3 looks at the labels' shape, which the student loss implies)."""
        if not isinstance(metric, str) or metric.lower() not in ("accuracy", "acc",
                                                                "crossentropy", "ce"):
            return metric
        if tree.is_nested(self._student_loss):
            return metric
        from cornu.engine.compile_utils import resolve_metric

        outputs = _symbolic(self.student, "outputs")
        shape = outputs[0].shape if isinstance(outputs, (list, tuple)) and len(outputs) == 1 \
            else None
        return resolve_metric(metric, self._student_loss, shape)

    def call(self, inputs, training=None, **kwargs):
        """The student's predictions."""
        return self.student(inputs, training=training, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The combined loss: the weighted student loss plus the weighted
        distillation losses (``sample_weight`` is not used, as in Keras).

        Args:
            x: the input data.
            y: the targets (None: no student loss).
            y_pred: the student's predictions (computed from ``x`` when None).
            sample_weight: not used.
            training: whether the model is training.

        Returns:
            The total loss, a scalar tensor.
        """
        if y_pred is None:
            y_pred = self(x, training=training)

        student_loss = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            if self._student_loss is None:
                raise RuntimeError(
                    f"Distiller '{self.name}' has no student loss: call compile(loss=...) "
                    "before training or evaluating it."
                )
            loss_values = tree.map_structure(lambda l, o, o_pred: l(o, o_pred),
                                             self._student_loss, y, y_pred)
            flat_losses = tree.flatten(loss_values)
            student_loss = (ops.sum(ops.stack(flat_losses)) if len(flat_losses) > 1
                            else flat_losses[0])
            if hasattr(student_loss, "shape") and len(student_loss.shape) > 0:
                student_loss = ops.mean(student_loss)

        distillation_loss = 0.0
        if self.student_loss_weight < 1.0:
            teacher_features = self._extract_all_teacher_features(x)
            student_features = self._extract_all_student_features(x, y_pred)

            for distillation_loss_fn, weight in zip(self.distillation_losses,
                                                    self.distillation_loss_weights):
                if getattr(distillation_loss_fn, "teacher_layer_name", None) is not None:
                    try:
                        teacher_output = self._get_distillation_loss_features(
                            distillation_loss_fn, teacher_features, is_teacher=True)
                        student_output = self._get_distillation_loss_features(
                            distillation_loss_fn, student_features, is_teacher=False)
                    except ValueError as e:
                        raise RuntimeError(
                            f"Failed to extract features for "
                            f"{type(distillation_loss_fn).__name__} "
                            f"targeting teacher layer "
                            f"'{distillation_loss_fn.teacher_layer_name}' "
                            f"and student layer "
                            f"'{distillation_loss_fn.student_layer_name}'. "
                            f"Original error: {e}"
                        ) from e
                else:
                    teacher_output = teacher_features["final_output"]
                    student_output = y_pred

                distillation_loss_fn.validate_outputs(teacher_output, student_output)
                current = distillation_loss_fn.compute_loss(teacher_output, student_output)
                if hasattr(current, "shape") and len(current.shape) > 0:
                    raise ValueError(
                        f"Distillation loss "
                        f"{distillation_loss_fn.__class__.__name__} "
                        f"returned a non-scalar loss with shape "
                        f"{current.shape}. "
                        f"The compute_loss method must return a scalar "
                        f"tensor."
                    )
                distillation_loss = ops.add(distillation_loss, ops.multiply(weight, current))

        total_loss = ops.add(
            ops.multiply(self.student_loss_weight, student_loss),
            ops.multiply(ops.subtract(1.0, self.student_loss_weight), distillation_loss),
        )

        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total_loss)
        return total_loss

    def reset_metrics(self):
        """Reset every metric, the three loss trackers included."""
        super().reset_metrics()
        self.student_loss_tracker.reset_state()
        self.distillation_loss_tracker.reset_state()
        self.total_loss_tracker.reset_state()

    # -- saving ------------------------------------------------------------------------
    def get_config(self):
        """The base model config plus the teacher, the student, the distillation
        losses (serialized) and their weights."""
        from cornu.serialization import serialize_cornu_object

        config = super().get_config()
        config.update({
            "teacher": serialize_cornu_object(self.teacher),
            "student": serialize_cornu_object(self.student),
            "distillation_losses": [_serialize_distillation_loss(loss)
                                    for loss in self.distillation_losses],
            "distillation_loss_weights": list(self.distillation_loss_weights),
            "student_loss_weight": self.student_loss_weight,
        })
        return config

    @classmethod
    def from_config(cls, config):
        """A distiller from ``get_config()`` (the teacher and student rebuilt, their
        weights loaded separately, as for any model)."""
        from cornu.serialization import deserialize_cornu_object

        config = dict(config)
        config["teacher"] = deserialize_cornu_object(config["teacher"], kind="layer")
        config["student"] = deserialize_cornu_object(config["student"], kind="layer")
        config["distillation_losses"] = [_deserialize_distillation_loss(item)
                                         for item in config["distillation_losses"]]
        return cls(**config)

    def get_compile_config(self):
        """``Model.get_compile_config`` with the student loss as ``loss`` (Keras 3 writes
        None there, and its loaded distiller is left uncompiled), so that a loaded
        distiller is compiled again and goes on training."""
        config = super().get_compile_config()
        given = getattr(self, "_given_compile_args", None)
        if config is not None and given is not None:
            from cornu.engine.compile_utils import serialize_compile_config

            # The loss and the metrics as compile() received them (names stay names).
            written = serialize_compile_config(given, self.optimizer, self.jit_compile)
            config = dict(config, loss=written["loss"], metrics=written["metrics"])
        return config

    def compile_from_config(self, config):
        """Compile from a saved compile config. A config without a student loss (as
        Keras 3 writes it) cannot compile a distiller: a warning says so and the
        model stays uncompiled, as Keras 3 does; call ``compile()`` after loading."""
        if config.get("loss") is None:
            warnings.warn(
                "`compile()` was not called as part of model loading because the "
                "distiller's compile config has no student loss (Keras 3 does not save "
                "it). Call `compile()` with the student loss after loading.",
                CornuWarning, stacklevel=2,
            )
            return
        super().compile_from_config(config)


def _symbolic(model, attribute):
    """A Functional/Sequential model's ``inputs`` / ``outputs``; None for a subclassed
    model (or an unbuilt Sequential), which has no symbolic ones."""
    try:
        return getattr(model, attribute, None)
    except (AttributeError, ValueError):
        return None


def _serialize_distillation_loss(loss):
    """A distillation loss as Keras writes it (the built-ins under
    ``keras.distillation``)."""
    from cornu.serialization import serialize_cornu_object

    record = serialize_cornu_object(loss)
    if isinstance(record, dict) and _BUILTIN_LOSSES.get(type(loss).__name__) is type(loss):
        record["module"] = "keras.distillation"
        record["registered_name"] = None
    return record


def _deserialize_distillation_loss(config):
    """A distillation loss from its record: a built-in class by name, else a class
    registered with ``register_keras_serializable`` or passed in ``custom_objects``
    (never imported by module path)."""
    from cornu.serialization import get_registered_object

    if isinstance(config, DistillationLoss):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot deserialize the distillation loss {config!r}: expected "
                         "a {'class_name', 'config'} record")
    cls = None
    for name in (config.get("registered_name"), config["class_name"]):
        if name:
            cls = get_registered_object(name)
            if cls is not None:
                break
    if cls is None:
        cls = _BUILTIN_LOSSES.get(config["class_name"])
    if cls is None or not isinstance(cls, type):
        raise ValueError(
            f"Could not locate the distillation loss class {config['class_name']!r}. Make "
            "sure custom distillation losses are decorated with "
            "register_keras_serializable() or passed via custom_objects."
        )
    inner = config.get("config", {})
    if hasattr(cls, "from_config"):
        return cls.from_config(inner)
    return cls(**inner)
