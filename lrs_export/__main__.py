"""``python -m lrs_export …`` runs the ``lrs`` command group alone."""

from lrs_export.cli import main

main()
