"""``python -m formation_tic`` runs the ``formation-tic`` command."""

from .cli import main

main()
