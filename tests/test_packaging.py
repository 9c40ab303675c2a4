"""What an office installs: every runtime dependency does a job in the package."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "procdoc"

#: Distribution name -> the module it is imported as.
MODULE = {
    "python-calamine": "python_calamine",
    "ruamel.yaml": "ruamel",
    "pyyaml": "yaml",
    "python-docx": "docx",
    "chinese-calendar": "chinese_calendar",
}
#: Dependencies that are data, not code: tzdata is read by the standard zoneinfo module
#: where the system has no time-zone database (Windows).
DATA_ONLY = {"tzdata"}


def runtime_dependencies() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [
        re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]
    ]


def imported_modules() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def test_every_runtime_dependency_is_imported_by_the_package() -> None:
    imported = imported_modules()
    deps = runtime_dependencies()
    assert "typer" in deps and "pandas" in deps  # the list was read
    unused = [
        d for d in deps if d not in DATA_ONLY and MODULE.get(d, d.replace("-", "_")) not in imported
    ]
    assert unused == [], f"runtime dependencies nothing in src/procdoc imports: {unused}"


def test_the_zoneinfo_data_dependency_is_what_the_clock_uses() -> None:
    assert "zoneinfo" in imported_modules() and "tzdata" in runtime_dependencies()


def test_test_only_libraries_are_not_imported_by_the_package() -> None:
    assert {"openpyxl", "pytest", "hypothesis"}.isdisjoint(imported_modules())
