"""Command line: ``python -m verfak <command>`` (see ``--help``)."""

if __name__ == "__main__":
    from verfak.cli import main

    raise SystemExit(main())
