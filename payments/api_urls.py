from django.urls import path

from payments import apis, apis_access, apis_purchase

urlpatterns = [
    path("listings/<slug:slug>/offer", apis.OfferApi.as_view(), name="listing-offer"),
    path(
        "listings/<slug:slug>/offer/prepare",
        apis.OfferPrepareApi.as_view(),
        name="listing-offer-prepare",
    ),
    path(
        "listings/<slug:slug>/purchase/quote",
        apis_purchase.PurchaseQuoteApi.as_view(),
        name="listing-purchase-quote",
    ),
    path(
        "listings/<slug:slug>/purchase/prepare",
        apis_purchase.PurchasePrepareApi.as_view(),
        name="listing-purchase-prepare",
    ),
    path(
        "listings/<slug:slug>/access",
        apis_purchase.ListingAccessApi.as_view(),
        name="listing-access",
    ),
    # Downloads (payments/apis_access.py)
    path(
        "listings/<slug:slug>/downloads",
        apis_access.ListingDownloadsApi.as_view(),
        name="listing-downloads",
    ),
    path("downloads", apis_access.DownloadRequestApi.as_view(), name="download-request"),
    path(
        "downloads/request",
        apis_access.DownloadRequestPrepareApi.as_view(),
        name="download-request-prepare",
    ),
]
