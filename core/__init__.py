"""The ground floor: a small shared kernel every app may import (errors, the wei field, the
admin base, pagination, throttling, the database clock, the status-transition kernel).
It imports no app and not the project package; see docs/architecture.md."""
