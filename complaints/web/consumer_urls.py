"""Consumer pages (namespace `consumer`): my complaints, filing, one complaint and its actions."""

from django.urls import path

from complaints.web import consumer

app_name = "consumer"

urlpatterns = [
    path("", consumer.complaint_list, name="complaint_list"),
]
