"""The local stack: moto on 127.0.0.1, the same resources as template.yaml, handlers in-process."""
