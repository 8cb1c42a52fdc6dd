"""Platform console pages (namespace `platform`), mounted at /console/."""

from django.urls import path, re_path

from api.web import complaints, integration, ledger

# A database id of 1 to 18 digits: a huge number is a 404, not an overflow.
ID = r"(?P<pk>[1-9][0-9]{0,17})"

app_name = "platform"

urlpatterns = [
    path("", complaints.complaint_list, name="home"),
    path("complaints/<str:reference>/", complaints.complaint_detail, name="complaint_detail"),
    path(
        "complaints/<str:reference>/respond/",
        complaints.complaint_respond,
        name="complaint_respond",
    ),
    path(
        "complaints/<str:reference>/messages/",
        complaints.complaint_message,
        name="complaint_message",
    ),
    path(
        "complaints/<str:reference>/fulfilment/",
        complaints.complaint_fulfilment,
        name="complaint_fulfilment",
    ),
    path(
        "complaints/<str:reference>/transaction-records/",
        complaints.complaint_upload,
        name="complaint_upload",
    ),
    path("deposit/", ledger.deposit, name="deposit"),
    path("api-keys/", integration.api_keys, name="api_keys"),
    re_path(rf"^api-keys/{ID}/revoke/$", integration.api_key_revoke_view, name="api_key_revoke"),
    path("webhooks/", integration.webhooks, name="webhooks"),
    re_path(rf"^webhooks/{ID}/$", integration.webhook_deliveries, name="webhook_deliveries"),
    re_path(rf"^webhooks/{ID}/disable/$", integration.webhook_disable, name="webhook_disable"),
]
