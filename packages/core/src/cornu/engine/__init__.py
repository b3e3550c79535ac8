"""The training engine: trainer, data adapters, compile containers and callback infrastructure."""
