"""Staff pages (namespace `staff`, mounted at /staff/): the acceptance queue, one complaint
and its decisions, the overdue lists, the admin's tools."""

from django.urls import path

from mediation.web import staff

app_name = "staff"

urlpatterns = [
    path("", staff.queue, name="home"),
    path("overdue/", staff.overdue, name="overdue"),
    path("tools/", staff.admin_tools, name="admin_tools"),
    path("complaints/<str:reference>/", staff.complaint, name="complaint"),
    path("complaints/<str:reference>/accept/", staff.accept, name="accept"),
    path("complaints/<str:reference>/reject/", staff.reject, name="reject"),
    path("complaints/<str:reference>/reassign/", staff.reassign, name="reassign"),
]
