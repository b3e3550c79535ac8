"""cornu-datasets' plugin: registers the dataset modules with cornu's registry."""
from cornu.plugins import hookimpl


@hookimpl
def cornu_register_datasets(register):
    from cornu.datasets import DATASETS

    for name, module in DATASETS.items():
        register(module, name=name)
