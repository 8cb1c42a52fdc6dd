"""Two-factor pages (namespace `security`), under /accounts/2fa/."""

from django.urls import path

from complaints.security import views

app_name = "security"

urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("verify/", views.verify, name="verify"),
]
