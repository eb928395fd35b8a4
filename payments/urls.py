"""Pages of payments, mounted at /licences/."""

from django.urls import path

from payments import views_licences

app_name = "payments"

urlpatterns = [
    path("", views_licences.my_licences, name="licences"),
]
