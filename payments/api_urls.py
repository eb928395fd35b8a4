from django.urls import path

from payments import (
    apis,
    apis_access,
    apis_dashboard,
    apis_gasless,
    apis_ownership,
    apis_purchase,
    apis_x402,
)

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
        "listings/<slug:slug>/gasless/prepare",
        apis_gasless.GaslessPrepareApi.as_view(),
        name="listing-gasless-prepare",
    ),
    path(
        "listings/<slug:slug>/gasless/submit",
        apis_gasless.GaslessSubmitApi.as_view(),
        name="listing-gasless-submit",
    ),
    # Paid with x402 v2 (payments/apis_x402.py)
    path(
        "x402/listings/<slug:slug>/licence",
        apis_x402.X402LicenceApi.as_view(),
        name="x402-licence",
    ),
    path(
        "x402/listings/<slug:slug>/files/<path:path>",
        apis_x402.X402FileApi.as_view(),
        name="x402-file",
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
    # Dashboard, payouts, split/price changes, platform fee (payments/apis_dashboard.py)
    path("dashboard/", apis_dashboard.DashboardApi.as_view(), name="dashboard"),
    path(
        "dashboard/listings/<slug:slug>",
        apis_dashboard.DashboardListingApi.as_view(),
        name="dashboard-listing",
    ),
    path("dashboard/balances", apis_dashboard.BalancesApi.as_view(), name="dashboard-balances"),
    path(
        "dashboard/withdraw/prepare",
        apis_dashboard.WithdrawPrepareApi.as_view(),
        name="dashboard-withdraw-prepare",
    ),
    path(
        "dashboard/export/<str:kind>.csv",
        apis_dashboard.ExportApi.as_view(),
        name="dashboard-export",
    ),
    path(
        "listings/<slug:slug>/splits/prepare",
        apis_dashboard.SplitPrepareApi.as_view(),
        name="listing-splits-prepare",
    ),
    path(
        "listings/<slug:slug>/splits/relay",
        apis_dashboard.SplitRelayApi.as_view(),
        name="listing-splits-relay",
    ),
    path(
        "listings/<slug:slug>/tiers/<int:position>/price/prepare",
        apis_dashboard.TierPricePrepareApi.as_view(),
        name="listing-tier-price-prepare",
    ),
    path(
        "listings/<slug:slug>/ownership/transfer/prepare",
        apis_ownership.OwnershipTransferPrepareApi.as_view(),
        name="listing-ownership-transfer-prepare",
    ),
    path(
        "listings/<slug:slug>/changes",
        apis_dashboard.ChangesApi.as_view(),
        name="listing-changes",
    ),
    path("platform/fee", apis_dashboard.PlatformFeeApi.as_view(), name="platform-fee"),
    path(
        "platform/fee/prepare",
        apis_dashboard.PlatformFeePrepareApi.as_view(),
        name="platform-fee-prepare",
    ),
    path(
        "platform/revenue",
        apis_dashboard.PlatformRevenueApi.as_view(),
        name="platform-revenue",
    ),
]
