"""``python -m livelens`` runs the command line."""

from livelens.cli import main

main()
