"""The ``python -m verfak`` commands used by the Makefile, the setup and the operators."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def _migrate(args: argparse.Namespace) -> int:
    from verfak.migrate import REPEATABLE_PREFIX, migrate

    applied = migrate()
    views = sum(name.startswith(REPEATABLE_PREFIX) for name in applied)
    print(
        f"[migrate] warehouse up to date ({len(applied) - views} migration(s) applied now, "
        f"{views} view(s) or function(s) re-created)"
    )
    return 0


def _devdata(module: str):
    """A generator of ``devdata/`` (development tooling, not in the product package), imported lazily.

    It needs a checkout's root on the path (scripts/with-env.sh puts it there) and
    requirements-dev.txt installed (Faker); the production image has neither.
    """
    import importlib

    try:
        return importlib.import_module(f"devdata.{module}")
    except ImportError as missing:
        raise SystemExit(
            f"the sample generators are development tools ({missing}): run this from a checkout "
            "(scripts/with-env.sh, or the repository's root on PYTHONPATH) with requirements-dev.txt installed"
        ) from missing


def _sample_data(args: argparse.Namespace) -> int:
    from verfak import config

    generate_sample_landing = _devdata("sample_data").generate_sample_landing

    landing = Path(args.landing) if args.landing else config.landing_dir()
    if landing.exists() and any(landing.iterdir()) and not args.force:
        print(f"[sample-data] {landing} is not empty: left as it is (use --force to add the samples anyway)")
        return 0
    summary = generate_sample_landing(landing, seed=args.seed)
    print(
        f"[sample-data] wrote {len(summary.files)} files for periods {', '.join(summary.periods)} "
        f"into {landing}"
    )
    return 0


def _sample_returns(args: argparse.Namespace) -> int:
    from verfak import config
    from verfak.files import private_files

    write_sample_returns = _devdata("sample_returns").write_sample_returns

    with private_files():
        written = write_sample_returns(config.landing_dir(), config.export_dir())
    if not written:
        print("[sample-returns] nothing written (return files already there, or no 2024-06 export yet)")
    for program, path in sorted(written.items()):
        print(f"[sample-returns] {program}: {path}")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from verfak.summary import print_summary

    print_summary(before=Path(args.before) if args.before else None)
    return 0


def _table_counts(args: argparse.Namespace) -> int:
    import json

    from verfak.summary import table_counts

    Path(args.out).write_text(json.dumps(table_counts(), indent=1, sort_keys=True))
    return 0


def _verify_export(args: argparse.Namespace) -> int:
    from verfak.exports import verify_export

    problems = verify_export(Path(args.folder))
    for problem in problems:
        print(f"[verify-export] {problem}")
    if problems:
        return 1
    print(f"[verify-export] {args.folder}: every file matches its manifest")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """The new password from --password-file or stdin (asked twice, unechoed, on a terminal);
    one trailing line break is dropped. Never from the command line, where `ps` would show it."""
    if args.password_file:
        text = Path(args.password_file).read_text(encoding="utf-8")
    elif sys.stdin.isatty():
        import getpass

        text = getpass.getpass(f"New password for the agency of {args.program}: ")
        if getpass.getpass("Again: ") != text:
            raise ValueError("the two passwords differ")
    else:
        text = sys.stdin.read()
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith("\r"):
        text = text[:-1]
    return text


def _agency_password(args: argparse.Namespace) -> int:
    from verfak import db
    from verfak.agency import set_password
    from verfak.programs import load_programs

    if args.program not in load_programs():
        print(
            f"[agency-password] unknown program {args.program!r} (see include/programs.yaml)", file=sys.stderr
        )
        return 2
    try:
        password = None if args.no_login else _read_password(args)
        conn = db.connect()
        try:
            role = set_password(args.program, password, conn)
        finally:
            conn.close()
    except (ValueError, OSError) as exc:  # messages never hold the password
        print(f"[agency-password] {exc}", file=sys.stderr)
        return 1
    if password is None:
        print(f"[agency-password] {role}: login withdrawn (the role can't log in until given a new password)")
    else:
        print(f"[agency-password] {role}: password set (SCRAM-SHA-256); the role can log in")
    return 0


def _rules_doc(args: argparse.Namespace) -> int:
    from verfak.rules import REJECTION_DOC, rejection_table, with_rejection_table

    if not args.write:
        print(rejection_table(), end="")
        return 0
    text = REJECTION_DOC.read_text(encoding="utf-8")
    updated = with_rejection_table(text)
    if updated != text:
        REJECTION_DOC.write_text(updated, encoding="utf-8")
    print(f"[rules-doc] {REJECTION_DOC}: {'updated' if updated != text else 'already up to date'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m verfak", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser(
        "migrate", help="create or update the warehouse schemas and reference data"
    ).set_defaults(func=_migrate)

    p = commands.add_parser("sample-data", help="write the built-in sample submissions into the landing zone")
    p.add_argument("--landing", help="landing folder (default: $VERFAK_LANDING_DIR)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--force", action="store_true", help="write even if the landing zone is not empty")
    p.set_defaults(func=_sample_data)

    commands.add_parser(
        "sample-returns",
        help="write the sample agencies' return files for the 2024-06 exports (after a publish)",
    ).set_defaults(func=_sample_returns)

    p = commands.add_parser("summary", help="print what the warehouse holds after a run")
    p.add_argument(
        "--before", help="table counts saved before the run (from table-counts), to say what changed"
    )
    p.set_defaults(func=_summary)

    p = commands.add_parser("table-counts", help="save the row count of every warehouse table as JSON")
    p.add_argument("out")
    p.set_defaults(func=_table_counts)

    p = commands.add_parser("verify-export", help="check an export folder against its manifest.json")
    p.add_argument("folder")
    p.set_defaults(func=_verify_export)

    p = commands.add_parser(
        "agency-password",
        help="set or rotate the password of a program's agency role (read from stdin or a file, never argv)",
    )
    p.add_argument("program", help="the program, as named in include/programs.yaml")
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--password-file", help="read the password from this file (its content, less one final line break)"
    )
    source.add_argument("--no-login", action="store_true", help="take the role's login away instead")
    p.set_defaults(func=_agency_password)

    p = commands.add_parser(
        "rules-doc",
        help="print the table of file rejection codes from the rule registry (docs/submissions.md)",
    )
    p.add_argument("--write", action="store_true", help="rewrite the table in docs/submissions.md")
    p.set_defaults(func=_rules_doc)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
