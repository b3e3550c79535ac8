"""``cornu.distillation`` (``keras.distillation``): knowledge distillation.

``Distiller`` is a model that trains a student from a frozen teacher with the student's
own loss and one or more distillation losses: ``LogitsDistillation`` (temperature-scaled
outputs), ``FeatureDistillation`` (intermediate layers' outputs), or a subclass of
``DistillationLoss``.  Shipped by cornu-metrics (it is built on its losses and metrics).
"""
from cornu.distillation.distillation_loss import (
    DistillationLoss,
    FeatureDistillation,
    LogitsDistillation,
)
from cornu.distillation.distiller import Distiller

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]
