"""Exact wei amounts on every database.

PostgreSQL stores uint256 amounts exactly as numeric(78, 0). SQLite, our development default,
keeps only 15 significant digits of a DECIMAL column (it stores floats), which would round a
price of 1.234567890123456789 ETH. So on SQLite a wei amount is stored as text, zero-padded to
78 digits: exact, and its text order is its numeric order, so filters and sorting still work.
SQL SUM over that text would go through floats, so totals use `wei_sum`."""

from decimal import Decimal

from django import forms
from django.db import connections, models
from django.db.models import Sum

WEI_DIGITS = 78  # 2**256 - 1 has 78 decimal digits


class WeiField(models.Field):
    description = "An amount in wei (0 to 2**256 - 1), exact on every database"

    def get_internal_type(self) -> str:
        # Not "DecimalField": the SQLite backend would convert values through floats.
        return "WeiField"

    def db_type(self, connection) -> str:
        if connection.vendor == "sqlite":
            return f"varchar({WEI_DIGITS})"
        return f"numeric({WEI_DIGITS}, 0)"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        amount = int(value)
        if amount != value or not 0 <= amount < 2**256:
            raise ValueError(f"{value!r} is not a whole amount of wei between 0 and 2**256 - 1")
        return Decimal(amount)

    def get_db_prep_value(self, value, connection, prepared=False):
        value = value if prepared else self.get_prep_value(value)
        if value is not None and connection.vendor == "sqlite":
            return str(int(value)).zfill(WEI_DIGITS)
        return value

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return Decimal(int(value)) if isinstance(value, str) else Decimal(value)

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(int(value))

    def formfield(self, **kwargs):
        return super().formfield(
            **{"form_class": forms.DecimalField, "max_digits": WEI_DIGITS, "decimal_places": 0}
            | kwargs
        )


def wei_sum(queryset, field: str) -> int:
    """The exact total of a WeiField over a queryset, as an int (0 when empty)."""
    if connections[queryset.db].vendor == "postgresql":
        return int(queryset.aggregate(total=Sum(field))["total"] or 0)
    return sum(int(v) for v in queryset.values_list(field, flat=True) if v is not None)
