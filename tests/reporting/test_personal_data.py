"""No consumer's personal data reaches a regulator or the public through reporting.

Every regulator-facing and public reporting response (statistics, time series, the
report files, disclosure, warnings) is scanned for the consumers' names, user names,
phone numbers and e-mail addresses, with the same data also typed into free text.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.api.clients import client_for
from tests.helpers import at
from tests.reporting.dataset import _file

pytestmark = pytest.mark.django_db


@pytest.fixture
def personal(consumer, other_consumer, dataset, settings):
    settings.WEIQUAN = {**settings.WEIQUAN, "DISCLOSURE_MIN_COMPLAINTS": 1,
                        "DISCLOSURE_THRESHOLD": 101}  # list everyone  # fmt: skip
    consumer.phone, other_consumer.phone = "13912345678", "13787654321"
    other_consumer.email = "lisi@example.org"
    consumer.save()
    other_consumer.save()
    # a consumer who typed contact details into the merchant's name and the description
    _file(
        other_consumer, "shop", at(2026, 11, 12),
        merchant_name="李四联系13787654321店 lisi@example.org",
        description="我是李四，电话13787654321，邮箱lisi@example.org，身份证110101199003071234",
    )  # fmt: skip
    needles = []
    for user in (consumer, other_consumer):
        needles += [user.display_name, user.username, user.phone, user.email]
    return [n for n in needles if n] + ["110101199003071234"]


def _text(response) -> str:
    content_type = response["Content-Type"]
    if content_type.startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(response.content))
        return "\n".join(page.extract_text() for page in reader.pages)
    if "spreadsheetml" in content_type:
        book = load_workbook(io.BytesIO(response.content))
        return "\n".join(
            str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
        )
    return response.content.decode("utf-8-sig")


def test_no_personal_data_in_regulator_or_public_responses(
    personal, regulator, staff, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to("2026-12-01T04:00:00Z")
    reg, public = client_for(regulator), client_for()
    with django_capture_on_commit_callbacks(execute=True):
        report = reg.post("/api/v1/reports/", {"period": "month", "start": "2026-11-01"},
                          format="json").json()  # fmt: skip
    client_for(staff).post(
        "/api/v1/disclosure/warnings/",
        {"title": "警示", "body": "商家冒用13787654321联系消费者"},
        format="json",
    )
    responses = {
        "summary": reg.get("/api/v1/stats/summary/"),
        "summary-merchants": reg.get("/api/v1/stats/summary/", {"top": 100}),
        "timeseries": reg.get("/api/v1/stats/timeseries/", {"interval": "month"}),
        "reports": reg.get("/api/v1/reports/"),
        "report": reg.get(f"/api/v1/reports/{report['id']}/"),
        **{
            f"report-{fmt}": reg.get(f"/api/v1/reports/{report['id']}/download/", {"format": fmt})
            for fmt in ("pdf", "xlsx", "csv")
        },
        "disclosure": public.get("/api/v1/disclosure/"),
        "warnings": public.get("/api/v1/disclosure/warnings/"),
    }
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.content[:200])
        text = _text(response)
        assert text, name
        found = [needle for needle in personal if needle in text]
        assert found == [], f"{name} shows {found}"
    # and the scan would have caught them: the merchant's name is there, masked
    merchants = [m["merchant"] for m in responses["summary-merchants"].json()["by_merchant"]]
    assert "[姓名]联系[手机号]店 [邮箱]" in merchants, merchants
