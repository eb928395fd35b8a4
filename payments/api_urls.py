from django.urls import path

from payments.access import apis as access_apis
from payments.dashboard import apis as dashboard_apis
from payments.offers import apis as offer_apis
from payments.ownership import apis as ownership_apis
from payments.purchase import apis as purchase_apis
from payments.relay import apis as gasless_apis
from payments.x402 import apis as x402_apis

urlpatterns = [
    path("listings/<slug:slug>/offer", offer_apis.OfferApi.as_view(), name="listing-offer"),
    path(
        "listings/<slug:slug>/offer/prepare",
        offer_apis.OfferPrepareApi.as_view(),
        name="listing-offer-prepare",
    ),
    path(
        "listings/<slug:slug>/purchase/quote",
        purchase_apis.PurchaseQuoteApi.as_view(),
        name="listing-purchase-quote",
    ),
    path(
        "listings/<slug:slug>/purchase/prepare",
        purchase_apis.PurchasePrepareApi.as_view(),
        name="listing-purchase-prepare",
    ),
    path(
        "listings/<slug:slug>/gasless/prepare",
        gasless_apis.GaslessPrepareApi.as_view(),
        name="listing-gasless-prepare",
    ),
    path(
        "listings/<slug:slug>/gasless/submit",
        gasless_apis.GaslessSubmitApi.as_view(),
        name="listing-gasless-submit",
    ),
    # Paid with x402 v2 (payments/x402/apis.py)
    path(
        "x402/listings/<slug:slug>/licence",
        x402_apis.X402LicenceApi.as_view(),
        name="x402-licence",
    ),
    path(
        "x402/listings/<slug:slug>/files/<path:path>",
        x402_apis.X402FileApi.as_view(),
        name="x402-file",
    ),
    path(
        "listings/<slug:slug>/access",
        purchase_apis.ListingAccessApi.as_view(),
        name="listing-access",
    ),
    # Downloads (payments/access_apis.py)
    path(
        "listings/<slug:slug>/downloads",
        access_apis.ListingDownloadsApi.as_view(),
        name="listing-downloads",
    ),
    path("downloads", access_apis.DownloadRequestApi.as_view(), name="download-request"),
    path(
        "downloads/request",
        access_apis.DownloadRequestPrepareApi.as_view(),
        name="download-request-prepare",
    ),
    # Dashboard, payouts, split/price changes, platform fee (payments/dashboard_apis.py)
    path("dashboard/", dashboard_apis.DashboardApi.as_view(), name="dashboard"),
    path(
        "dashboard/listings/<slug:slug>",
        dashboard_apis.DashboardListingApi.as_view(),
        name="dashboard-listing",
    ),
    path("dashboard/balances", dashboard_apis.BalancesApi.as_view(), name="dashboard-balances"),
    path(
        "dashboard/withdraw/prepare",
        dashboard_apis.WithdrawPrepareApi.as_view(),
        name="dashboard-withdraw-prepare",
    ),
    path(
        "dashboard/export/<str:kind>.csv",
        dashboard_apis.ExportApi.as_view(),
        name="dashboard-export",
    ),
    path(
        "listings/<slug:slug>/splits/prepare",
        dashboard_apis.SplitPrepareApi.as_view(),
        name="listing-splits-prepare",
    ),
    path(
        "listings/<slug:slug>/splits/relay",
        dashboard_apis.SplitRelayApi.as_view(),
        name="listing-splits-relay",
    ),
    path(
        "listings/<slug:slug>/tiers/<int:position>/price/prepare",
        dashboard_apis.TierPricePrepareApi.as_view(),
        name="listing-tier-price-prepare",
    ),
    path(
        "listings/<slug:slug>/ownership/transfer/prepare",
        ownership_apis.OwnershipTransferPrepareApi.as_view(),
        name="listing-ownership-transfer-prepare",
    ),
    path(
        "listings/<slug:slug>/changes",
        dashboard_apis.ChangesApi.as_view(),
        name="listing-changes",
    ),
    path("platform/fee", dashboard_apis.PlatformFeeApi.as_view(), name="platform-fee"),
    path(
        "platform/fee/prepare",
        dashboard_apis.PlatformFeePrepareApi.as_view(),
        name="platform-fee-prepare",
    ),
    path(
        "platform/revenue",
        dashboard_apis.PlatformRevenueApi.as_view(),
        name="platform-revenue",
    ),
]
