"""The mediator workbench (namespace `mediator`, mounted at /mediator/): my cases, one case
and its actions."""

from django.urls import path

from mediation.web import views

app_name = "mediator"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/<str:reference>/", views.case, name="case"),
    path(
        "cases/<str:reference>/sessions/<int:session_id>/record/",
        views.session_record,
        name="session_record",
    ),
    path("cases/<str:reference>/<slug:action>/", views.act, name="act"),
]
