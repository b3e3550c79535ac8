"""Registers cornu-callbacks' components with cornu (the same hooks a third party uses)."""
from cornu.plugins import hookimpl


@hookimpl
def cornu_register_callbacks(register):
    from cornu.callbacks.early_stopping import EarlyStopping
    from cornu.callbacks.model_checkpoint import ModelCheckpoint

    register(EarlyStopping)
    register(ModelCheckpoint)
