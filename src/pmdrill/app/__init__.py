"""The use cases, one module each; the CLI and the web app call only this layer.

Each function takes the process's ``Context`` and plain inputs, and returns plain data (dicts, or
dataclasses with ``to_dict()``) that a face renders as text, HTML or JSON.
"""
