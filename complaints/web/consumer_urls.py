"""Consumer pages (namespace `consumer`): my complaints, filing, one complaint and its actions."""

from django.urls import path

from complaints.web import consumer, filing

app_name = "consumer"

urlpatterns = [
    path("", consumer.complaint_list, name="complaint_list"),
    path("new/", filing.file_start, name="file"),
    path("new/regions/", filing.regions, name="regions"),
    path("new/<slug:step>/", filing.file_step, name="file_step"),
    path("<str:reference>/", consumer.complaint_detail, name="complaint_detail"),
    path("<str:reference>/object/", consumer.complaint_object, name="complaint_object"),
    path("<str:reference>/messages/", consumer.complaint_message, name="complaint_message"),
    path("<str:reference>/act/<slug:action>/", consumer.complaint_act, name="complaint_act"),
]
