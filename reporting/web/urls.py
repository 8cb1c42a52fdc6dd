"""Regulator dashboard pages (namespace `regulator`), mounted at /regulator/."""

from django.urls import path, re_path

from reporting.web import dashboard, disclosure, reports

app_name = "regulator"

urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path("reports/", reports.reports, name="reports"),
    # An id of 1 to 18 digits (a huge one is a 404, not an overflow) and a known format.
    re_path(
        r"^reports/(?P<pk>[1-9][0-9]{0,17})/(?P<fmt>pdf|xlsx|csv)/$",
        reports.report_download,
        name="report_download",
    ),
    path("disclosure/", disclosure.disclosure, name="disclosure"),
]
