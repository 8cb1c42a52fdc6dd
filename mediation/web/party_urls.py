"""The parties' mediation page (namespace `party`, mounted at /mediation/): one case's
sessions, proposals and agreement draft, for its consumer and its platform."""

from django.urls import path

from mediation.web import party

app_name = "party"

urlpatterns = [
    path("<str:reference>/", party.case, name="case"),
    path(
        "<str:reference>/proposals/<int:proposal_id>/reply/",
        party.reply,
        name="reply",
    ),
    path("<str:reference>/agreement/confirm/", party.confirm, name="confirm"),
]
