"""A status changes only in its transition function: the source of every package is read for writes of a
status (or a decree's stage) anywhere else. Creating a row with its first status is allowed."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "accounts", "forum", "actions", "notifications", "reports", "demo", "bench")
STATUS_ATTRIBUTES = frozenset({"status", "stage"})
# The one function per table that may write: (file, function).
TRANSITION_FUNCTIONS = frozenset(
    {
        ("actions/services.py", "transition"),  # actions.services.TRANSITIONS
        ("actions/decrees.py", "change_stage"),  # actions.decrees.DECREE_TRANSITIONS
        ("forum/services.py", "change_status"),  # forum.services.FORUM_TRANSITIONS
        ("notifications/outbox.py", "move"),  # notifications.models.MAIL_TRANSITIONS
    }
)


def _targets(node):
    if isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


def _writes(node) -> bool:
    """Whether this one node writes a status: `x.status = …`, `setattr(x, "status", …)`, or an UPDATE's
    `.values(status=…)` / `.update({"status": …})` (a Query's)."""
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(
            isinstance(t, ast.Attribute) and t.attr in STATUS_ATTRIBUTES for target in targets for t in _targets(target)
        )
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Name) and node.func.id == "setattr" and len(node.args) >= 2:
        name = node.args[1]
        return isinstance(name, ast.Constant) and name.value in STATUS_ATTRIBUTES
    if isinstance(node.func, ast.Attribute) and node.func.attr in ("values", "update"):
        # An UPDATE's values by keyword; not `update(status=…)`, which is a dict's (the audit's field labels).
        if node.func.attr == "values" and any(k.arg in STATUS_ATTRIBUTES for k in node.keywords):
            return True
        dicts = [a for a in node.args if isinstance(a, ast.Dict)] + [
            k.value for k in node.keywords if k.arg is None and isinstance(k.value, ast.Dict)
        ]
        return any(isinstance(key, ast.Constant) and key.value in STATUS_ATTRIBUTES for d in dicts for key in d.keys)
    return False


def status_writes(source: str, path: str) -> list[str]:
    """Where this source writes a status outside its transition function, as "path:line in function"."""
    found = []

    def visit(node, function):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name if function is None else function  # a nested function belongs to its outer one
        if _writes(node) and (path, function) not in TRANSITION_FUNCTIONS:
            found.append(f"{path}:{node.lineno} in {function or 'module'}")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), None)
    return found


def test_no_package_writes_a_status_outside_its_transition_function():
    found = []
    for package in PACKAGES:
        for file in sorted((ROOT / package).rglob("*.py")):
            path = file.relative_to(ROOT).as_posix()
            found += status_writes(file.read_text(encoding="utf-8"), path)
    assert found == []


def test_every_transition_function_named_here_exists():
    for path, function in TRANSITION_FUNCTIONS:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        assert function in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, (path, function)


@pytest.mark.parametrize(
    "source",
    [
        "def reassign(a):\n    a.status = 'assigned'\n",
        "def reassign(a, opd):\n    a.opd, a.status = opd, 'assigned'\n",
        "def sign(d):\n    d.stage = 'signed'\n",
        "def f(a):\n    setattr(a, 'status', 'done')\n",
        "def f():\n    sa.update(Assignment).values(status='done')\n",
        "def f(q):\n    q.update({'status': 'done'})\n",
        "def f():\n    sa.update(Forum).values(**{'status': 'held'})\n",
        "def transition(a):\n    pass\n\ndef g(a):\n    a.status = 'done'\n",  # the right name, elsewhere
        "a.status = 'done'\n",  # at module level
    ],
)
def test_the_check_sees_a_status_written_by_hand(source):
    assert status_writes(source, "actions/services.py")


@pytest.mark.parametrize(
    "source, path",
    [
        ("def transition(a, to):\n    a.status = to\n", "actions/services.py"),
        ("def transition(a, to):\n    def later():\n        a.status = to\n", "actions/services.py"),
        ("def create(a):\n    db.session.add(Assignment(status='assigned'))\n", "actions/services.py"),
        ("def create():\n    insert_or_ignore(OutboxMessage, [dict(status='pending')])\n", "notifications/x.py"),
        ("def show(a):\n    return a.status == 'done'\n", "actions/views.py"),
        ("audit.FIELD_LABELS.update(status=_l('Status'))\n", "forum/models.py"),
    ],
)
def test_the_check_allows_reading_creating_and_the_transition_function(source, path):
    assert status_writes(source, path) == []
