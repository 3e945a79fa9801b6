"""Command line: ``python -m verfak <command>`` (see ``--help``)."""

from verfak.cli import main

raise SystemExit(main())
