"""PDF rendering: the agreement (调解协议书) and the statistics report against a one-page
plain WeasyPrint document, in the same process and run, and the memory of a PDF worker.

    .venv/bin/python bench/pdf_render.py [--rounds 15] [--write]

Each document is rendered `rounds` times after one warm-up (fonts loaded, as in a
Celery worker that has rendered before); p50 and p95 in ms, and each p50 as a ratio of
the baseline's. The agreement is timed twice: rendered, and rendered then signed
(PAdES, pyHanko) as `mediation.agreements.agreement_render` does. The report is the
monthly report of a throwaway SQLite database's figures (its charts are SVG drawn by
the app). Memory: the process's peak resident size after the runs, which is what one
Celery PDF worker process holds. Target (issue 9): the agreement's p50 under 400 ms.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.evidence_verify import write_section  # noqa: E402

BASELINE_HTML = "<html><body><h1>一页纸</h1><p>这是一页普通的文档。</p></body></html>"


def setup(scratch: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["AGREEMENT_SIGNING_KEY"] = str(scratch / "agreement.key")
    os.environ["AGREEMENT_SIGNING_CERT"] = str(scratch / "agreement.crt")
    os.environ["EVIDENCE_SIGNING_KEY"] = str(scratch / "evidence.pem")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["DEBUG"] = "1"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("signing_certificate", verbosity=0)


def agreement_document():
    from mediation.documents import AgreementDocument, PartyConfirmation

    return AgreementDocument(
        number="TJ-20261202-0001",
        reference="TS202611200001",
        consumer_name="张三",
        consumer_contact="138****5678",
        platform_name="好物商城",
        merchant_name="优选数码专营店",
        merchant_credit_code="91330106MA2H0XXXXK",
        merchant_address="浙江省杭州市西湖区文三路 1 号",
        mediator_name="李调解",
        centre_name="维权消费纠纷在线调解中心",
        facts="消费者于 2026 年 11 月 1 日购买无线耳机一副。\n收货后发现左耳无声，商家拒绝退货。",
        terms="一、商家退还货款。\n二、消费者退回商品，运费由商家承担。",
        amount=Decimal("1299.00"),
        fulfilment_deadline=date(2026, 12, 10),
        confirmations=tuple(
            PartyConfirmation(
                party_label=label,
                name=name,
                confirmed_at=datetime(2026, 12, 2, 1, 2, 3, tzinfo=UTC),
                ip="203.0.113.7",
                user_agent="Mozilla/5.0",
            )
            for label, name in (("消费者", "张三"), ("平台经营者", "好物商城"))
        ),
        issued_at=datetime(2026, 12, 2, 3, 0, tzinfo=UTC),
    )


def timed(render, rounds: int) -> dict:
    render()  # warm-up: fonts and templates loaded, as in a worker that has rendered
    times = []
    size = 0
    for _ in range(rounds):
        start = time.perf_counter()
        size = len(render())
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[min(len(times) - 1, int(len(times) * 0.95))],
        "bytes": size,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="weiquan-pdf-bench-") as scratch:
        setup(Path(scratch))
        from weasyprint import HTML

        from mediation.documents import agreement_pdf
        from mediation.signing import sign_pdf
        from reporting.documents import report_pdf
        from reporting.selectors import StatsFilter, statistics_summary

        doc = agreement_document()
        start, end = date(2026, 11, 1), date(2026, 11, 30)
        summary = statistics_summary(StatsFilter(start=start, end=end))
        results = {
            "one-page plain WeasyPrint document (baseline)": timed(
                lambda: HTML(string=BASELINE_HTML).write_pdf(), args.rounds
            ),
            "agreement, rendered": timed(lambda: agreement_pdf(doc), args.rounds),
            "agreement, rendered and signed (PAdES)": timed(
                lambda: sign_pdf(agreement_pdf(doc), reason="调解协议书出具"), args.rounds
            ),
            "monthly report with charts": timed(
                lambda: report_pdf(
                    summary=summary, start=start, end=end, region="", generated_at=datetime.now(UTC)
                ),
                args.rounds,
            ),
        }
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    base = results["one-page plain WeasyPrint document (baseline)"]["p50"]
    agreement = results["agreement, rendered and signed (PAdES)"]["p50"]
    lines = [
        f"{args.rounds} renders each after a warm-up, one process, in-memory fonts cache.",
        "",
        "| document | p50 ms | p95 ms | p50 ratio to the baseline | bytes |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        ratio = r["p50"] / base
        lines.append(
            f"| {name} | {r['p50']:.0f} | {r['p95']:.0f} | {ratio:.1f}x | {r['bytes']:,} |"
        )
    lines += [
        "",
        f"Peak resident memory of the rendering process (one PDF worker): {peak_mib:.0f} MiB.",
        "",
        f"Target: a one-page Chinese agreement p50 under 400 ms: "
        f"**{'met' if agreement < 400 else 'not met'}** ({agreement:.0f} ms, signed). "
        "PDFs are rendered in Celery tasks, never in a web request: the API answers 409 "
        "`document_pending` with Retry-After until the stored file exists.",
    ]
    print("\n".join(lines))
    if args.write:
        write_section(
            "PDF rendering", f"bench/pdf_render.py --rounds {args.rounds} (make bench)", lines
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
