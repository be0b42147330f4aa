"""formation-tic: the application layer (CLI, settings) over scenarios, attest and lrs_export."""

__version__ = "0.1.0"
