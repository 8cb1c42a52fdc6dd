"""The shared web URLs (namespace `web`): the home page."""

from django.urls import path

from complaints.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
]
