from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"

    def ready(self) -> None:
        # Purchases, transfers and payouts on-chain become entitlements and ledger rows.
        from payments.onchain import handlers

        handlers.register()
