"""Stop training as soon as the loss becomes NaN or infinite."""
import math

from cornu.callbacks._monitor import to_float
from cornu.engine.callbacks import Callback
from cornu.utils import io_utils


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or infinite.

    Reads the loss after every training batch (one host read per step).

    Args:
        raise_error: raise a ``RuntimeError`` instead of setting
            ``model.stop_training`` (training stops at once, without the end hooks).
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = to_float(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            io_utils.print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True

    def get_config(self):
        return {"raise_error": self.raise_error}
