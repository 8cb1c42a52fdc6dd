"""Evidence pages (namespace `evidence_web`), mounted under /complaints/<reference>/evidence/."""

from django.urls import path

from evidence import web

app_name = "evidence_web"

urlpatterns = [
    path("", web.evidence_list, name="list"),
]
