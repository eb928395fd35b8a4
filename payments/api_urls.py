from django.urls import path

from payments import apis

urlpatterns = [
    path("listings/<slug:slug>/offer", apis.OfferApi.as_view(), name="listing-offer"),
    path(
        "listings/<slug:slug>/offer/prepare",
        apis.OfferPrepareApi.as_view(),
        name="listing-offer-prepare",
    ),
]
