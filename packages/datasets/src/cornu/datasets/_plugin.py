"""cornu-datasets' plugin: registers the dataset modules with cornu's registry."""
from cornu.plugins import hookimpl

CORNU_HOOKSPEC_VERSION = 1  # the hookspec version this plugin implements (docs/plugins.md)


@hookimpl
def cornu_register_datasets(register):
    from cornu.datasets import DATASETS

    for name, module in DATASETS.items():
        register(module, name=name)
