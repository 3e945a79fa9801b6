"""The run summary printed at the end of ``make run``, read from the warehouse (no personal data)."""

from __future__ import annotations

import json
from pathlib import Path

from verfak import config, db

SCHEMAS = ("ref", "raw", "staging", "quality", "core", "mart", "publish", "ops")


def table_counts(conn_id: str = db.WAREHOUSE_CONN_ID) -> dict[str, int]:
    """Row count of every table and materialized view of the warehouse schemas."""
    with db.transaction(conn_id) as cur:
        cur.execute(
            """SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'm') ORDER BY 1""",
            (list(SCHEMAS),),
        )
        names = [row[0] for row in cur.fetchall()]
        counts = {}
        for name in names:
            cur.execute(
                "SELECT CASE WHEN relispopulated THEN 1 ELSE 0 END FROM pg_class WHERE oid = %s::regclass",
                (name,),
            )
            if db.one(cur)[0]:
                cur.execute(f"SELECT count(*) FROM {name}")  # names come from the catalog above
                counts[name] = db.one(cur)[0]
            else:
                counts[name] = 0
    return counts


def collect(conn_id: str = db.WAREHOUSE_CONN_ID) -> dict:
    with db.transaction(conn_id) as cur:
        cur.execute(db.sql_file("ops/summary_files.sql"))
        accepted, rejected, superseded, rows_read, rows_rejected_intake = db.one(cur)
        cur.execute(
            # the period's rows as staging holds them (a run validates a batch of villages, not the period)
            db.sql_file("ops/summary_gate.sql")
        )
        gate = {
            p: {"validated": v, "loaded": ok, "quarantined": bad, "data_docs": docs}
            for p, v, ok, bad, docs in cur.fetchall()
        }
        cur.execute(
            "SELECT periode, sum(layak)::int, sum(verified)::int FROM mart.verified_count GROUP BY periode ORDER BY 1"
            if _populated(cur)
            else "SELECT NULL, NULL, NULL WHERE false"
        )
        verified = {p: {"layak": layak, "verified": total} for p, layak, total in cur.fetchall()}
        cur.execute(
            """SELECT DISTINCT ON (program) program, export_date, period, row_count, export_path
                 FROM publish.export_run ORDER BY program, export_date DESC"""
        )
        exports = [
            {"program": p, "date": d.isoformat(), "period": per.strftime("%Y-%m"), "rows": n, "path": path}
            for p, d, per, n, path in cur.fetchall()
        ]
        cur.execute(
            """SELECT reject_code, count(*) FROM raw.submission_file WHERE status = 'rejected'
                GROUP BY 1 ORDER BY 2 DESC"""
        )
        reject_reasons = dict(cur.fetchall())
        cur.execute(
            "SELECT periode, rule_id, count(*) FROM quality.village_flag GROUP BY 1, 2 ORDER BY 1, 3 DESC"
        )
        village_flags: dict[str, dict[str, int]] = {}
        for period, rule_id, count in cur.fetchall():
            village_flags.setdefault(period, {})[rule_id] = count
        from verfak import outcome_report

        funnel = outcome_report.funnel(cur)
        statuses: dict[str, dict[str, int]] = {}
        for row in outcome_report.status_counts(cur):
            statuses.setdefault(row["program"], {})[row["status"]] = row["referrals"]
        cur.execute(db.sql_file("ops/summary_return_files.sql"))
        return_files = dict(zip(("accepted", "rejected", "rows", "rows_sent_back"), db.one(cur)))
    return {
        "files": {
            "accepted": accepted,
            "rejected": rejected,
            "superseded": superseded,
            "reject_reasons": reject_reasons,
        },
        "rows": {"read": rows_read, "rejected_at_intake": rows_rejected_intake},
        "gate": gate,
        "verified": verified,
        "exports": exports,
        "village_flags": village_flags,
        "funnel": funnel,
        "outcome_statuses": statuses,
        "return_files": return_files,
        "feedback_dir": str(config.export_dir() / "feedback"),
    }


def _populated(cur) -> bool:
    cur.execute("SELECT relispopulated FROM pg_class WHERE oid = 'mart.verified_count'::regclass")
    return bool(db.one(cur)[0])


def outcome_lines(info: dict) -> list[str]:
    """The referral outcomes: return files, the funnel per program (latest period) and every status."""
    if not info["funnel"] and not info["return_files"]["accepted"] and not info["return_files"]["rejected"]:
        return []
    files = info["return_files"]
    lines = [
        f"Agency return files: {files['accepted']} read, {files['rejected']} rejected; {files['rows']} rows, "
        f"{files['rows_sent_back']} sent back to the agency (feedback: "
        f"{config.export_dir() / 'tindak_lanjut_umpan_balik'}/<program>/<YYYY-MM>.csv)",
        "Referral outcomes (tindak lanjut), per program and status:",
    ]
    for f in info["funnel"]:
        lines.append(
            f"  {f['program']} ({f['periode']}): {f['dirujuk']} referred, {f['dijawab']} answered, "
            f"{f['diterima']} accepted, {f['selesai']} completed, {f['dana']} disbursed/paid, {f['ditolak']} declined, "
            f"{f['tidak_dapat_dihubungi']} unreachable, {f['belum_dijawab']} no answer yet"
        )
        counts = info["outcome_statuses"].get(f["program"], {})
        lines.append(
            "    " + ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) + " (every period)"
        )
    return lines


def print_summary(before: Path | None = None, conn_id: str = db.WAREHOUSE_CONN_ID) -> dict:
    info = collect(conn_id)
    files, rows = info["files"], info["rows"]
    lines = ["", "=== Verifikasi faktual Kabupaten Bekasi: run summary ==="]
    lines.append(
        f"Files: {files['accepted']} ingested, {files['rejected']} rejected, {files['superseded']} superseded by a later file"
    )
    for code, count in files["reject_reasons"].items():
        lines.append(f"  rejected ({code}): {count}")
    lines.append(f"Rows read: {rows['read']} ({rows['rejected_at_intake']} rejected at intake)")
    for period, gate in sorted(info["gate"].items()):
        counts = info["verified"].get(period, {})
        lines.append(
            f"Period {period}: {gate['validated']} rows validated, {gate['loaded']} loaded, "
            f"{gate['quarantined']} quarantined; verified (layak): {counts.get('layak', 'n/a')}"
        )
        flags = info["village_flags"].get(period)
        if flags:
            lines.append(
                "  villages flagged for a look: " + ", ".join(f"{rule} {n}" for rule, n in flags.items())
            )
    for export in info["exports"]:
        lines.append(
            f"Export {export['program']} ({export['period']}): {export['rows']} rows in {export['path']}"
        )
    lines.extend(outcome_lines(info))
    docs = next((g["data_docs"] for g in info["gate"].values() if g["data_docs"]), None)
    lines.append(f"Village feedback: {info['feedback_dir']}/<YYYY-MM>/<kode_desa>.csv")
    lines.append(f"Data quality report (Great Expectations Data Docs): {docs or 'not built yet'}")
    nightly = config.report_dir() / "latest" / "index.html"
    lines.append(f"Nightly run report: {nightly if nightly.exists() else 'not built yet'}")
    if before is not None and before.exists():
        old = json.loads(before.read_text())
        new = table_counts(conn_id)
        changed = {t: (old.get(t, 0), n) for t, n in new.items() if old.get(t, 0) != n}
        if changed:
            lines.append(f"This run changed {len(changed)} table(s):")
            lines.extend(f"  {t}: {a} -> {b} rows" for t, (a, b) in sorted(changed.items()))
        else:
            lines.append("Nothing changed: every warehouse table has the same row count as before this run.")
    print("\n".join(lines))
    return info
