"""cornu-datasets' plugin: registers the dataset modules with cornu's registry."""
from cornu.plugins import hookimpl


@hookimpl
def cornu_register_datasets(register):
    from cornu.datasets import fashion_mnist, mnist

    register(mnist, name="mnist")
    register(fashion_mnist, name="fashion_mnist")
