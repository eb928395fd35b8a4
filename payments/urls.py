"""Pages of payments, mounted at /licences/."""

from django.urls import path

from payments import views_licences, views_spending

app_name = "payments"

urlpatterns = [
    path("", views_licences.my_licences, name="licences"),
    path("tokens/<int:token_id>/spending", views_spending.token_spending, name="token-spending"),
]
