"""Page-number pagination without COUNT(*): it fetches one row more than a page to know whether
another page follows. Counting every match of a broad search over 100k listings costs more than
the page itself, and browsing needs only "next" / "previous"."""

from django.core.paginator import InvalidPage
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.errors import ApiError


class Page(list):
    def __init__(self, rows, number: int, has_next: bool):
        super().__init__(rows)
        self.number = number
        self.has_next = has_next
        self.has_previous = number > 1


def paginate(queryset, page_param, page_size: int) -> Page:
    """The requested page (1-based) of `queryset`; raises InvalidPage on a bad number."""
    try:
        number = int(page_param or 1)
    except (TypeError, ValueError):
        raise InvalidPage("The page must be a whole number.") from None
    if not 1 <= number <= 10_000:
        raise InvalidPage("The page must be between 1 and 10000.")
    start = (number - 1) * page_size
    rows = list(queryset[start : start + page_size + 1])
    return Page(rows[:page_size], number, has_next=len(rows) > page_size)


class PageNumberNoCountPagination(BasePagination):
    page_size = 24
    max_page_size = 100
    page_query_param = "page"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except ValueError:
            size = self.page_size
        size = max(1, min(size, self.max_page_size))
        try:
            self.page = paginate(queryset, request.query_params.get(self.page_query_param), size)
        except InvalidPage as exc:
            raise ApiError(str(exc), code="invalid_page", status=404) from None
        return list(self.page)

    def _link(self, number: int | None):
        if number is None:
            return None
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data):
        page = self.page
        return Response(
            {
                "next": self._link(page.number + 1 if page.has_next else None),
                "previous": self._link(page.number - 1 if page.has_previous else None),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
