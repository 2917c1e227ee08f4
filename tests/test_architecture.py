"""The import contracts of pyproject.toml (docs/ARCHITECTURE.md): kept by the code, and able to fail.

`make lint` runs the same `lint-imports`; these tests show it refusing a wrong arrow, so the contract is not a
decoration.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["bench", "demo", "api", "reports", "notifications", "actions", "forum", "accounts", "core"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the packages and pyproject.toml, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    for module in ("app.py", "config.py", "wsgi.py", "pyproject.toml"):
        shutil.copy(ROOT / module, tmp_path / module)
    return tmp_path


def _add_import(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}  # a deliberate wrong arrow\n")


def test_the_code_keeps_every_import_contract(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "message"),
    [
        ("core/text.py", "import reports.services", "core is not allowed to import reports"),
        ("actions/models.py", "import notifications.models", "actions is not allowed to import notifications"),
        ("reports/views.py", "import actions.views", "reports.views is not allowed to import actions.views"),
        ("forum/services.py", "import app", "forum is not allowed to import app"),
    ],
)
def test_a_wrong_arrow_breaks_the_lint(tree, module, line, message):
    _add_import(tree / module, line)
    result = _lint(tree)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout
