"""No module imports another module's private (underscore) names.

Ruff's PLC2701 would say the same only in preview (which also changes stable rules here)
and only across top-level packages; this walks every first-party module's imports,
including those inside a package, and the ``module._name`` uses of modules it imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("roles", "redirector", "consumer", "api", "smartlinks", "schemas", "tests", "bench", "scripts")
# Left to the consumer's enrichment rewrite, which owns the modules these tests reach into.
# Listed so that the test fails when one is no longer needed.
KNOWN = {
    "tests/consumer/test_crawlers.py: smartlinks.bots.crawlers._fallback_check",
    "tests/consumer/test_crawlers.py: smartlinks.bots.crawlers._rust_check",
    "tests/consumer/test_user_agents.py: consumer.enrich.useragent._in_app_agent",
}


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_first_party(module: str) -> bool:
    base = ROOT.joinpath(*module.split("."))
    # bench/ scripts import each other by their bare names.
    return (
        base.with_suffix(".py").exists()
        or (base / "__init__.py").exists()
        or (ROOT / "bench" / f"{module}.py").exists()
    )


def private_uses(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), str(path))
    own = module_of(path)
    modules: dict[str, str] = {}  # local name -> first-party module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if is_private(alias.name) and node.module != own and is_first_party(node.module):
                    yield f"{node.module}.{alias.name}"
                if is_first_party(f"{node.module}.{alias.name}"):
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and is_first_party(alias.name):
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and is_private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            yield f"{modules[node.value.id]}.{node.attr}"


def test_no_module_imports_another_modules_private_names() -> None:
    found = {
        f"{path.relative_to(ROOT)}: {use}"
        for folder in FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        for use in private_uses(path)
    }
    assert found - KNOWN == set()
    assert KNOWN - found == set(), "no longer needed: remove from KNOWN"
