"""Evidence verification throughput against `openssl dgst -sha256` on the same files.

Stores N evidence files through the real upload service, then times
`verify_all()` (which re-hashes every stored file and recomputes every record
hash, chain link, leaf and checkpoint) against `openssl dgst -sha256` over the
very same stored files, in the same run, best of several rounds with a warm
page cache. Prints a table and the ratio (goal: ours at 80 % of openssl's
throughput or better), and with --write updates docs/performance.md.

    .venv/bin/python bench/evidence_verify.py [--files 64] [--mib 4] [--rounds 5] [--write]

Uses a throwaway SQLite database and evidence directory; --database-url points it at a
scratch database instead (it is migrated and filled with append-only rows that cannot
be deleted, so never give it a real one). An exported DATABASE_URL is ignored.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(scratch: Path, database_url: str | None) -> None:
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["EVIDENCE_ROOT"] = str(scratch / "evidence")
    os.environ["EVIDENCE_SIGNING_KEY"] = str(scratch / "key.pem")
    os.environ["EVIDENCE_QUOTA_BYTES"] = str(10**12)
    os.environ["EVIDENCE_QUOTA_FILES"] = "100000"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["DEBUG"] = "1"
    os.environ["CELERY_BROKER_URL"] = "memory://"  # notifications are not measured here
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(files: int, mib: int) -> list[str]:
    """Upload `files` PDFs of `mib` MiB over 8 complaints; return their stored paths."""
    from complaints.actors import Actor
    from complaints.models import Platform, User
    from complaints.services import complaint_file
    from evidence.log import checkpoint_create
    from evidence.services import evidence_upload
    from evidence.storage import evidence_storage, name_for

    platform, _ = Platform.objects.get_or_create(code="bench", defaults={"name": "压测平台"})
    consumer, _ = User.objects.get_or_create(username="bench", defaults={"role": "consumer"})
    complaints = [
        complaint_file(
            consumer=consumer,
            platform=platform.code,
            merchant_name="压测店铺",
            order_number=f"B-{i}",
            order_date=__import__("datetime").date(2026, 11, 1),
            category="electronics",
            issue_type="quality",
            amount_paid="100.00",
            amount_claimed="100.00",
            demand="refund",
            description="性能测试",
            region="310115",
        )
        for i in range(8)
    ]
    paths = []
    for i in range(files):
        data = b"%PDF-1.7\n" + os.urandom(mib * 1024 * 1024)
        record = evidence_upload(
            complaint_id=complaints[i % len(complaints)].pk,
            actor=Actor.of_user(consumer),
            data=data,
            file_name=f"{i}.pdf",
            kind="receipt",
        )
        paths.append(evidence_storage().path(name_for(record.sha256)))
    checkpoint_create()
    return paths


def best_of(rounds: int, run) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=64)
    parser.add_argument("--mib", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument("--database-url", help="a scratch database (default: temporary SQLite)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="weiquan-bench-") as scratch:
        setup(Path(scratch), args.database_url)
        paths = fill(args.files, args.mib)
        from evidence.verification import verify_all

        def ours():
            report = verify_all()
            if not report.ok:
                raise SystemExit(f"verification failed: {report.first_problem}")

        def openssl():
            subprocess.run(
                ["openssl", "dgst", "-sha256", *paths], check=True, stdout=subprocess.DEVNULL
            )

        openssl()  # warm the page cache for both
        t_openssl = best_of(args.rounds, openssl)
        t_ours = best_of(args.rounds, ours)
        t_meta = best_of(args.rounds, lambda: verify_all(contents=False))

    total_mib = args.files * args.mib
    rows = [
        ("openssl dgst -sha256 (baseline)", t_openssl, total_mib / t_openssl),
        ("verify_evidence (contents + chains + log)", t_ours, total_mib / t_ours),
        ("verify_evidence --skip-contents", t_meta, None),
    ]
    ratio = t_openssl / t_ours
    lines = [
        f"{args.files} files x {args.mib} MiB = {total_mib} MiB, best of {args.rounds}",
        "",
        "| what | seconds | MiB/s |",
        "| --- | ---: | ---: |",
        *(
            f"| {name} | {seconds:.3f} | {'' if rate is None else f'{rate:.0f}'} |"
            for name, seconds, rate in rows
        ),
        "",
        f"Throughput ratio, ours / openssl: **{ratio:.0%}** (goal: 80 % or better).",
    ]
    print("\n".join(lines))
    if args.write:
        write_section("Evidence verification", "bench/evidence_verify.py", lines)
    return 0 if ratio >= 0.8 else 1


def write_section(title: str, command: str, lines: list[str]) -> None:
    """Replace (or add) this benchmark's section of docs/performance.md."""
    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text() if doc.exists() else "# Performance\n\nFigures are same-run ratios.\n"
    head = f"## {title}\n"
    body = head + f"\n`{command}`, {time.strftime('%Y-%m-%d')}:\n\n" + "\n".join(lines) + "\n"
    if head in text:
        start = text.index(head)
        end = text.find("\n## ", start + len(head))
        text = text[:start] + body + (text[end + 1 :] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    doc.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())
