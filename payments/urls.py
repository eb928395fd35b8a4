"""Pages of payments, mounted at /licences/."""

from django.urls import path

from payments.access import licences
from payments.spending import views as spending_views

app_name = "payments"

urlpatterns = [
    path("", licences.my_licences, name="licences"),
    path("tokens/<int:token_id>/spending", spending_views.token_spending, name="token-spending"),
]
