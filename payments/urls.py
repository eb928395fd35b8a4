"""Pages of payments, mounted at /licences/."""

from django.urls import path

from payments.access import licences

app_name = "payments"

urlpatterns = [
    path("", licences.my_licences, name="licences"),
]
