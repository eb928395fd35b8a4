"""The dependency rules between apps (docs/architecture.md): imports flow downward only, and no
app imports the project package `marketplace` (the wiring on the top floor). Run alone with
`.venv/bin/python -m pytest -q tests/test_architecture.py`.

Every import statement counts, including those inside functions (a lazy import is still a
dependency). Tests and migrations are exempt: tests sit above everything (they drive the wired
site: its URLconf, its Celery app), and migrations are history written against old paths."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# app -> the apps it may import (besides itself). Read from the bottom up.
ALLOWED = {
    "core": set(),
    "chain": {"core"},
    "artifacts": {"core"},
    "accounts": {"core", "chain"},
    "notifications": {"core", "accounts"},
    "listings": {"core", "accounts", "artifacts", "chain", "notifications"},
    "payments": {"core", "accounts", "artifacts", "chain", "notifications", "listings"},
    "compute": {"core", "accounts", "artifacts", "chain", "notifications", "listings", "payments"},
    # The MCP server: tools over the same services and selectors as the REST API.
    "agents": {
        "core", "accounts", "artifacts", "chain", "notifications", "listings", "payments",
        "compute",
    },
}  # fmt: skip
PROJECT = "marketplace"  # the wiring: it may import every app; no app imports it
KNOWN = set(ALLOWED) | {PROJECT}


def _imports(path: Path):
    """(line, module) for each absolute import in the file."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _app_modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT / app).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


def upward_imports() -> list[str]:
    found = []
    for app, allowed in ALLOWED.items():
        for path in _app_modules(app):
            for line, module in _imports(path):
                target = module.split(".")[0]
                if target in KNOWN and target != app and target not in allowed:
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def test_apps_import_only_downward_and_never_the_project_package():
    assert upward_imports() == []


def test_the_rules_cover_every_app():
    packages = {p.parent.name for p in ROOT.glob("*/apps.py")} | {"core"}
    assert packages - KNOWN == set(), "a new app needs its place in ALLOWED"


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The rule bites: a module of a ground-floor app that imports a domain app is reported."""
    app = tmp_path / "chain"
    app.mkdir()
    (app / "bad.py").write_text("def f():\n    from payments import models\n")
    (app / "ok.py").write_text("from core.errors import ApiError\n")
    for other in set(ALLOWED) - {"chain"}:
        (tmp_path / other).mkdir()
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert upward_imports() == ["chain/bad.py:2 imports payments"]
