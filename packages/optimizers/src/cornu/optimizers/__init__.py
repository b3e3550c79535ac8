"""``cornu.optimizers``: the Keras 3 optimizers and learning-rate schedules.

Shipped by the ``cornu-optimizers`` distribution and registered through the
``cornu_register_optimizers`` / ``cornu_register_schedules`` hooks, so
``model.compile(optimizer="adam")`` and configs resolve these classes.
"""
from cornu.optimizers import legacy, schedules
from cornu.optimizers.adadelta import Adadelta
from cornu.optimizers.adafactor import Adafactor
from cornu.optimizers.adagrad import Adagrad
from cornu.optimizers.adam import Adam
from cornu.optimizers.adamax import Adamax
from cornu.optimizers.adamw import AdamW
from cornu.optimizers.ftrl import Ftrl
from cornu.optimizers.lamb import Lamb
from cornu.optimizers.lion import Lion
from cornu.optimizers.loss_scale_optimizer import LossScaleOptimizer
from cornu.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from cornu.optimizers.muon import Muon
from cornu.optimizers.nadam import Nadam
from cornu.optimizers.optimizer import Optimizer
from cornu.optimizers.rmsprop import RMSprop
from cornu.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from cornu.optimizers.sgd import SGD
from cornu.serialization import make_kind_api

ALL_OPTIMIZERS = (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, Ftrl, Lamb,
                  Adafactor, Muon, ScheduleFreeAdamW, LossScaleOptimizer)

serialize, deserialize, get = make_kind_api("optimizer", Optimizer, instantiate=True)
serialize.__doc__ = "The Keras-format config of an optimizer."
deserialize.__doc__ = "An optimizer from its config (or its registered name, e.g. 'adam')."
get.__doc__ = "An optimizer from a name ('adam'), a config dict, or an instance."

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "Nadam",
    "Lion",
    "Ftrl",
    "Lamb",
    "Adafactor",
    "Muon",
    "ScheduleFreeAdamW",
    "LossScaleOptimizer",
    "MultiOptimizer",
    "OptimizerMap",
    "schedules",
    "legacy",
    "get",
    "serialize",
    "deserialize",
]
