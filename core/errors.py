"""The one error a user can cause, raised by services and shown by the caller's layer.

`ApiError` is a plain exception (services need neither DRF nor Django's HTTP classes to raise
it): a message for a person, a stable machine-readable `code`, the HTTP `status` it deserves
(a 4xx, or 503 when a backing service is down) and optional per-field messages. The API turns
it into `{"error": {code, message, fields}}` in one place (core.api_errors.exception_handler);
pages show it with one helper (core.pages.show_error)."""


class ApiError(Exception):
    """A user-caused error with a stable code, raised by services and rendered as a 4xx."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int = 400,
        fields: dict | None = None,
    ):
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.status = status
        self.fields = fields or {}

    def __str__(self) -> str:
        return self.message

    # The names DRF's exceptions use, kept so callers read an ApiError like any API error.
    @property
    def detail(self) -> str:
        return self.message

    @property
    def status_code(self) -> int:
        return self.status

    def get_codes(self) -> str:
        return self.code
