"""formation-tic: application layer (CLI, settings) tying the scenarios, attest and lrs_export packages together."""

__version__ = "0.1.0"
