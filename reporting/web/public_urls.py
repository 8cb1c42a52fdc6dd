"""The public disclosure page (namespace `disclosure`), mounted at /disclosure/: no login."""

from django.urls import path

from reporting.web import disclosure

app_name = "disclosure"

urlpatterns = [
    path("", disclosure.public_disclosure, name="list"),
]
