"""``cornu.callbacks``: the Keras callbacks (the base classes come from cornu-core)."""
from cornu.callbacks.backup_and_restore import BackupAndRestore
from cornu.callbacks.csv_logger import CSVLogger
from cornu.callbacks.early_stopping import EarlyStopping
from cornu.callbacks.lambda_callback import LambdaCallback
from cornu.callbacks.learning_rate_scheduler import LearningRateScheduler
from cornu.callbacks.model_checkpoint import ModelCheckpoint
from cornu.callbacks.orbax_checkpoint import OrbaxCheckpoint
from cornu.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from cornu.callbacks.remote_monitor import RemoteMonitor
from cornu.callbacks.swap_ema_weights import SwapEMAWeights
from cornu.callbacks.tensorboard import TensorBoard
from cornu.callbacks.terminate_on_nan import TerminateOnNaN
from cornu.engine.callbacks import Callback, CallbackList, History, ProgbarLogger

__all__ = [
    "Callback", "CallbackList", "History", "ProgbarLogger", "BackupAndRestore", "CSVLogger",
    "EarlyStopping", "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint",
    "OrbaxCheckpoint", "ReduceLROnPlateau", "RemoteMonitor", "SwapEMAWeights", "TensorBoard",
    "TerminateOnNaN",
]
