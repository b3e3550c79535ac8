"""``cornu.callbacks``: the Keras callbacks (the base classes come from cornu-core)."""
from cornu.callbacks.early_stopping import EarlyStopping
from cornu.callbacks.model_checkpoint import ModelCheckpoint
from cornu.engine.callbacks import Callback, CallbackList, History, ProgbarLogger

__all__ = [
    "Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
]
