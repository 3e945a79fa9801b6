"""Text we hand to people, made safe to open: one place for each rule, used by every writer.

- **CSV formula neutralising** (OWASP "CSV injection"): a text cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return is run as a formula by Excel, LibreOffice and Sheets when
  the CSV is opened, so every CSV we write for people (``referrals.csv``, the village feedback
  files) prefixes such a cell with ``'``. A text that already starts with ``'`` gets one too, so
  the rule can be undone exactly: strip one leading ``'`` and the value is the one in core (that is
  how ``referrals.parquet`` and ``.xlsx`` get the original values back from the neutralised COPY
  output). ``neutralise`` is the rule for Python writers; ``neutralise_sql`` renders the same rule
  in SQL for the COPY of the referrals; ``restore`` undoes it on an Arrow column.
- **Echoed values are shortened**: a value sent by a village is echoed back (feedback file,
  ``quality.row_issue.value_sent``) whole up to ``ECHO_MAX_CHARS`` characters (every value a
  length rule of the gate allows), else its first ``ECHO_KEEP_CHARS`` characters and a marker
  saying how long it was.
- **XLSX cells** hold at most ``XLSX_MAX_CHARS`` characters (Excel's limit; the writer refuses a
  longer string). The gate's length rules keep every value of core far below it; the XLSX writer
  still cuts a longer text (``fit_xlsx``) rather than fail the export.

Internal CSVs (rows COPied into PostgreSQL) are data, not documents: they are not neutralised.
"""

from __future__ import annotations

from verfak.columns import MAX_LENGTHS

#: First characters that make a spreadsheet read a cell as a formula (OWASP), and the prefix.
CSV_FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
CSV_PREFIX = "'"
#: Starts that get the prefix: the formula starts and the prefix itself (so it can be undone).
_PREFIXED_STARTS = (*CSV_FORMULA_STARTS, CSV_PREFIX)

ECHO_MAX_CHARS = max(MAX_LENGTHS.values())
ECHO_KEEP_CHARS = 100
ECHO_MARK = " … [dipotong: panjang asli {} karakter]"

XLSX_MAX_CHARS = 32_767
XLSX_MARK = " … [dipotong]"


def neutralise(value):
    """A CSV cell's text with a leading ``'`` where a spreadsheet would run it (other values as they are)."""
    if isinstance(value, str) and value.startswith(_PREFIXED_STARTS):
        return CSV_PREFIX + value
    return value


def neutralise_sql(column: str):
    """``neutralise`` as a SQL expression over a text column (psycopg2 ``sql.Composed``)."""
    from psycopg2 import sql

    # ascii() reads the first character's code without building a new text (left() did: twice the
    # COPY time of the referrals at 200,000 rows)
    return sql.SQL("CASE WHEN ascii({c}) IN ({starts}) THEN {prefix} || {c} ELSE {c} END").format(
        c=sql.Identifier(column),
        starts=sql.SQL(", ").join(sql.Literal(ord(start)) for start in _PREFIXED_STARTS),
        prefix=sql.Literal(CSV_PREFIX),
    )


def restore(array):
    """Undo ``neutralise`` on an Arrow string column (NULLs stay NULL)."""
    import pyarrow.compute as pc

    prefixed = pc.starts_with(array, CSV_PREFIX)
    if not pc.any(prefixed).as_py():
        return array
    return pc.if_else(prefixed, pc.utf8_slice_codeunits(array, 1), array)


def shorten(value):
    """A value as echoed back to a village: whole, or cut with a marker when over ``ECHO_MAX_CHARS``."""
    if isinstance(value, str) and len(value) > ECHO_MAX_CHARS:
        return value[:ECHO_KEEP_CHARS] + ECHO_MARK.format(len(value))
    return value


def shorten_sql_params() -> dict:
    """The parameters of ``shorten`` for the SQL that renders it (``quality/record_gate_issues.sql``)."""
    return {
        "echo_max": ECHO_MAX_CHARS,
        "echo_keep": ECHO_KEEP_CHARS,
        "echo_mark": ECHO_MARK.replace("{}", "%s"),
    }


def fit_xlsx(array):
    """An Arrow string column with every text cut to Excel's cell limit (marker included); returns
    (column, number of cells cut)."""
    import pyarrow.compute as pc

    over = pc.greater(pc.utf8_length(array), XLSX_MAX_CHARS)
    count = pc.sum(over).as_py() or 0
    if not count:
        return array, 0
    cut = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(array, 0, XLSX_MAX_CHARS - len(XLSX_MARK)), XLSX_MARK, ""
    )
    return pc.if_else(over, cut, array), count
