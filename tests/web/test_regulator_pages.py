"""The regulator dashboard (/regulator/) and the public disclosure page (/disclosure/):
statistics with server-drawn charts, region drilling inside the regulator's region only,
reports, the disclosure list, and never a consumer's personal data."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from complaints.actors import Actor
from reporting.counters import statistics_fold_all
from reporting.models import Report
from reporting.reports import report_request
from reporting.services import warning_publish
from tests.helpers import at
from tests.reporting.dataset import _file, build

pytestmark = pytest.mark.django_db

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
HOME = "/regulator/"


@pytest.fixture
def today(time_machine):
    """The day after the data set's month: 1 December 2026, 12:00 in Shanghai."""
    time_machine.move_to("2026-12-01T04:00:00Z", tick=False)


@pytest.fixture
def dataset(today, consumer, platform, other_platform, mediator):
    """Six complaints of November and December (tests/reporting/dataset.py): four of them
    in Shanghai (31) in November on `shop`, one in Shenzhen (440305) on `other`."""
    return build(consumer)


@pytest.fixture
def quick_report(monkeypatch):
    """A report's PDF without WeasyPrint (seconds); tests/reporting renders it for real."""
    monkeypatch.setattr("reporting.documents.report_pdf", lambda **kwargs: b"%PDF-1.7 report")


def _pages() -> list[str]:
    return [HOME, reverse("regulator:reports"), reverse("regulator:disclosure")]


def _error_beside(response, field: str) -> bool:
    return f'<ul class="errorlist" id="id_{field}_error">' in response.content.decode()


def _figure(html: str, key: str) -> str:
    return re.search(rf'<dd id="figure-{key}">([^<]*)</dd>', html).group(1)


# --- who may see what -------------------------------------------------------------------


def test_each_regulator_page_renders_in_both_languages(client_for, today, language):
    client = client_for("regulator", language=language)
    for url in [*_pages(), reverse("disclosure:list")]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{"zh-CN" if language == "zh-hans" else "en"}">' in html
        marker = "公示名单" if language == "zh-hans" else "Disclosure list"
        assert marker in html, url  # the regulator's navigation


def test_the_public_disclosure_page_needs_no_login_in_either_language(client, today, language):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("disclosure:list"))
    assert response.status_code == 200
    title = "投诉处理信用公示名单" if language == "zh-hans" else "Disclosure list of poor"
    assert title in response.content.decode()


def test_the_home_page_sends_regulators_to_the_dashboard(client_for, today):
    response = client_for("regulator").get("/")
    assert (response.status_code, response["Location"]) == (302, HOME)


def test_anonymous_visitors_are_sent_to_login(client, today):
    for url in _pages():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_other_roles_get_403_and_staff_see_the_whole_country(client_for, dataset):
    for role in ("consumer", "mediator", "platform"):
        client = client_for(role)
        for url in _pages():
            assert client.get(url).status_code == 403, (role, url)
        response = client.post(
            reverse("regulator:reports"), {"period": "month", "start": "2026-11-01"}
        )
        assert response.status_code == 403
    assert not Report.objects.exists()
    # staff may open the dashboard too, over the whole country
    html = client_for("staff").get(HOME, NOVEMBER).content.decode()
    assert _figure(html, "total") == "5"


def test_a_filter_outside_the_region_is_403_never_widened(client_for, role_user, dataset):
    client = client_for("regulator")
    for region in ("44", "440305", "3201"):
        assert client.get(HOME, {**NOVEMBER, "region": region}).status_code == 403, region
    # a malformed region is an error next to the field
    response = client.get(HOME, {**NOVEMBER, "region": "3"})
    assert response.status_code == 200 and _error_beside(response, "region")
    assert 'id="headline-figures"' not in response.content.decode()
    # and Guangdong's regulator sees Shenzhen, not Shanghai
    guangdong = role_user("regulator", username="reg-gd", region_prefix="44")
    html = client_for(user=guangdong).get(HOME, NOVEMBER).content.decode()
    assert _figure(html, "total") == "1"
    assert client_for(user=guangdong).get(HOME, {"region": "31"}).status_code == 403


# --- the statistics ---------------------------------------------------------------------


def test_the_dashboard_shows_the_regions_figures_and_charts(client_for, dataset):
    client = client_for("regulator")
    html = client.get(HOME, NOVEMBER).content.decode()
    # Shanghai's four November complaints, not Shenzhen's nor December's
    assert _figure(html, "total") == "4"
    assert _figure(html, "amount_claimed") == "1,649.00"
    assert _figure(html, "amount_compensated") == "150.00"
    assert _figure(html, "response_within_deadline_rate") == "100.0%"
    # charts drawn on the server, labels in Chinese, escaped
    for chart in ("trend", "status", "category", "platform", "region"):
        assert f'id="chart-{chart}"' in html, chart
    status_chart = re.search(r'id="chart-status".*?</svg>', html, re.S).group(0)
    assert "<svg" in status_chart and "已结案" in status_chart and "按处理状态" in status_chart
    assert 'viewBox="0 0 360' in status_chart  # scales down to a phone's width
    assert "2026-11" in re.search(r'id="chart-trend".*?</svg>', html, re.S).group(0)


def test_charts_and_figures_speak_english_too(client_for, dataset):
    html = client_for("regulator", language="en").get(HOME, NOVEMBER).content.decode()
    status_chart = re.search(r'id="chart-status".*?</svg>', html, re.S).group(0)
    assert "By status" in status_chart
    assert "Median days to answer" in html


def test_regions_drill_from_the_province_to_its_cities_and_counties(client_for, dataset):
    client = client_for("regulator")
    html = client.get(HOME, NOVEMBER).content.decode()
    drill = re.search(r'<a href="([^"]+)" id="drill-3101">', html).group(1).replace("&amp;", "&")
    assert "region=3101" in drill and "from=2026-11-01" in drill  # the other filters stay
    html = client.get(HOME + drill).content.decode()
    assert 'id="drill-310115"' in html and 'id="drill-310104"' in html
    html = client.get(HOME, {**NOVEMBER, "region": "310104"}).content.decode()
    assert _figure(html, "total") == "1"
    breadcrumbs = re.search(r'id="region-breadcrumbs">.*?</nav>', html, re.S).group(0)
    assert breadcrumbs.count("<a href=") == 2  # Shanghai, then the city; the county is current


def test_filters_narrow_the_figures(client_for, dataset):
    client = client_for("regulator")
    html = client.get(HOME, {**NOVEMBER, "category": "food"}).content.decode()
    assert _figure(html, "total") == "2"
    html = client.get(HOME, {**NOVEMBER, "platform": "other"}).content.decode()
    assert _figure(html, "total") == "0"
    html = client.get(HOME, {"from": "2026-12-01", "to": "2026-12-01"}).content.decode()
    assert _figure(html, "total") == "1"


def test_bad_filters_are_errors_beside_the_fields(client_for, today):
    client = client_for("regulator")
    response = client.get(HOME, {"from": "2026-11-30", "to": "2026-11-01"})
    assert _error_beside(response, "from")
    assert 'value="2026-11-30"' in response.content.decode()  # what was typed stays
    response = client.get(HOME, {"from": "2020-01-01", "to": "2026-11-30", "interval": "day"})
    assert _error_beside(response, "interval")
    response = client.get(HOME, {"from": "not a day", "platform": "nope", "category": "x"})
    for field in ("from", "platform", "category"):
        assert _error_beside(response, field), field


def test_the_dashboard_reads_a_bounded_number_of_queries(
    client_for, dataset, consumer, django_assert_max_num_queries
):
    # the session, the user, the platforms of the filter, the summary (a handful of
    # queries over the summary tables, reporting/selectors.py) and the time series, each
    # after finding the statistics journal empty (3 queries in a test's savepoint)
    client = client_for("regulator")
    client.get(HOME, NOVEMBER)
    with django_assert_max_num_queries(18) as before:
        client.get(HOME, NOVEMBER)
    for day in (12, 13, 14):
        _file(consumer, "shop", at(2026, 11, day), region="310101")
    statistics_fold_all()
    with django_assert_max_num_queries(18) as after:
        assert _figure(client.get(HOME, NOVEMBER).content.decode(), "total") == "7"
    assert len(after) == len(before)


# --- reports ----------------------------------------------------------------------------


def test_asking_for_a_report_and_downloading_its_files(
    client_for, dataset, quick_report, django_capture_on_commit_callbacks
):
    client = client_for("regulator")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("regulator:reports"), {"period": "month", "start": "2026-11-01"}
        )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.region_prefix, report.state) == ("31", Report.State.DONE)
    html = client.get(reverse("regulator:reports")).content.decode()
    assert f'id="report-{report.pk}-csv"' in html
    csv = client.get(reverse("regulator:report_download", args=[report.pk, "csv"]))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "电子商务消费投诉统计报告" in csv.content.decode("utf-8-sig")
    assert csv["Repr-Digest"].startswith("sha-256=:")
    pdf = client.get(reverse("regulator:report_download", args=[report.pk, "pdf"]))
    assert pdf.content == b"%PDF-1.7 report"
    # asking again finds the same report
    client.post(reverse("regulator:reports"), {"period": "month", "start": "2026-11-01"})
    assert Report.objects.count() == 1


def test_a_report_being_made_shows_its_progress_and_polls(client_for, today):
    client = client_for("regulator")
    client.post(reverse("regulator:reports"), {"period": "quarter", "start": "2026-10-01"})
    report = Report.objects.get()
    Report.objects.filter(pk=report.pk).update(state=Report.State.RUNNING, progress=35)
    html = client.get(reverse("regulator:reports")).content.decode()
    assert f'<progress id="report-{report.pk}-progress" max="100" value="35">' in html
    assert 'hx-trigger="every 3s"' in html
    # not made yet: no download, a message instead
    response = client.get(reverse("regulator:report_download", args=[report.pk, "pdf"]))
    assert response.status_code == 302


def test_bad_report_requests_are_errors_beside_the_fields_and_make_nothing(client_for, today):
    client = client_for("regulator")
    url = reverse("regulator:reports")
    response = client.post(url, {"period": "quarter", "start": "2026-11-01"})
    assert response.status_code == 200 and _error_beside(response, "start")
    response = client.post(url, {"period": "month", "start": "2026-11-01", "region": "44"})
    assert _error_beside(response, "region") and 'value="44"' in response.content.decode()
    response = client.post(url, {"period": "year", "start": ""})
    assert _error_beside(response, "period") and _error_beside(response, "start")
    assert not Report.objects.exists()


def test_reports_outside_the_region_are_neither_listed_nor_downloadable(
    client_for, staff, today, django_assert_num_queries
):
    for region in ("44", "31", "3101"):
        report_request(
            actor=Actor.of_user(staff), period="month", start=at(2026, 11, 1).date(), region=region
        )
    guangdong = Report.objects.get(region_prefix="44")
    client = client_for("regulator")
    client.get(reverse("regulator:reports"))
    with django_assert_num_queries(4):
        html = client.get(reverse("regulator:reports")).content.decode()
    assert html.count('<tr id="report-') == 2
    assert f'id="report-{guangdong.pk}"' not in html
    url = reverse("regulator:report_download", args=[guangdong.pk, "csv"])
    assert client.get(url).status_code == 404


# --- disclosure and personal data -------------------------------------------------------


@pytest.fixture
def personal(dataset, consumer, other_consumer, staff, settings):
    """Consumers' names, user names, phones and e-mails, also typed into free text; every
    platform and merchant listed (threshold above 100)."""
    settings.WEIQUAN = {**settings.WEIQUAN, "DISCLOSURE_MIN_COMPLAINTS": 1,
                        "DISCLOSURE_THRESHOLD": 101}  # fmt: skip
    consumer.phone, other_consumer.phone = "13912345678", "13787654321"
    other_consumer.email = "lisi@example.org"
    consumer.save()
    other_consumer.save()
    _file(
        other_consumer, "shop", at(2026, 11, 12),
        merchant_name="李四联系13787654321店 lisi@example.org",
        description="我是李四，电话13787654321，邮箱lisi@example.org，身份证110101199003071234",
    )  # fmt: skip
    warning_publish(actor=Actor.of_user(staff), title="警示", body="商家冒用13787654321联系消费者")
    needles = []
    for user in (consumer, other_consumer):
        needles += [user.display_name, user.username, user.phone, user.email]
    return [n for n in needles if n] + ["110101199003071234"]


def test_the_disclosure_list_shows_scores_figures_formula_and_warnings(client, personal):
    html = client.get(reverse("disclosure:list")).content.decode()
    assert 'id="disclosure-table"' in html and "好物商城" in html
    assert 'id="formula-table"' in html and "0.3" in html
    assert "警示" in html and "商家冒用[手机号]联系消费者" in html


def test_no_personal_data_on_any_regulator_or_public_page(client, client_for, personal):
    regulator, staff = client_for("regulator"), client_for("staff")
    pages = {
        "dashboard": regulator.get(HOME, NOVEMBER),
        "dashboard-default": regulator.get(HOME),
        "dashboard-county": regulator.get(HOME, {**NOVEMBER, "region": "310115"}),
        "dashboard-by-day": regulator.get(HOME, {**NOVEMBER, "interval": "day"}),
        "dashboard-staff": staff.get(HOME, NOVEMBER),
        "reports": regulator.get(reverse("regulator:reports")),
        "disclosure": regulator.get(reverse("regulator:disclosure")),
        "public": client.get(reverse("disclosure:list")),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        found = [needle for needle in personal if needle in html]
        assert found == [], f"{name} shows {found}"
    # and the scan would have caught them: the typed merchant name is there, masked
    assert "[姓名]联系[手机号]店 [邮箱]" in pages["dashboard"].content.decode()
