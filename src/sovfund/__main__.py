"""``python -m sovfund``: the same as the ``sovfund`` command."""

from sovfund.cli.main import main

main()
