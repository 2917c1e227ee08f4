"""Every flash message, every domain error's message and every validator message of our own goes through the
catalogue: read from the source, so a new `flash("Saved.")`, `raise Invalid("...")` or `DataRequired("...")` fails
here before any page shows it in English to an Indonesian user."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["accounts", "actions", "core", "forum", "notifications", "reports", "api", "demo"]
GETTEXT = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"}
DOMAIN_ERRORS = {"DomainError", "NotAllowed", "NotFound", "InvalidTransition", "Conflict", "Invalid"}
# A form's messages: the first argument of these, and the message= of every validator.
MESSAGE_FIRST = {"DataRequired", "InputRequired", "FileRequired", "ValidationError", "StopValidation"}
VALIDATORS = MESSAGE_FIRST | {"Length", "NumberRange", "Email", "EqualTo", "Regexp", "FileAllowed", "FileSize", "URL"}


def _sources() -> list[Path]:
    files = [ROOT / "app.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []
    return files


def _name(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class _Module:
    """One module's functions, with the parent of every node, so that a name can be followed to where it was made."""

    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        self.functions: dict[str, list[ast.FunctionDef]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault(node.name, []).append(node)

    def function_of(self, node) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None

    def translated(self, expr, depth: int = 0) -> bool:
        """Whether `expr` is a message from the catalogue: a gettext call, a choice between such, a domain error's
        message (checked below, where it is raised), or a name or a function whose every value is one."""
        if depth > 6:
            return False
        if isinstance(expr, ast.Call) and _name(expr.func) in GETTEXT:
            return True
        if isinstance(expr, ast.Constant):
            return expr.value in ("", None)  # nothing to say is no English
        if isinstance(expr, ast.IfExp):
            return self.translated(expr.body, depth + 1) and self.translated(expr.orelse, depth + 1)
        if isinstance(expr, ast.BoolOp):
            return all(self.translated(value, depth + 1) for value in expr.values)
        if isinstance(expr, ast.Call) and _name(expr.func) == "Markup" and len(expr.args) == 1:
            return self.translated(expr.args[0], depth + 1)  # a message of the catalogue holding escaped links
        if isinstance(expr, ast.Call) and _name(expr.func) == "str" and len(expr.args) == 1:
            return self._error_message(expr.args[0]) or self.translated(expr.args[0], depth + 1)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
            return self._returns_translated(expr.func.id, depth)
        if isinstance(expr, ast.Name):
            return self._name_translated(expr, depth)
        return False

    def _error_message(self, expr) -> bool:
        """error.message, getattr(error, "message", ...) or the error itself, for a name an `except` bound."""
        if isinstance(expr, ast.Attribute) and expr.attr == "message":
            expr = expr.value
        elif isinstance(expr, ast.Call) and _name(expr.func) == "getattr" and expr.args:
            expr = expr.args[0]
        if not isinstance(expr, ast.Name):
            return False
        function = self.function_of(expr)
        return any(isinstance(n, ast.ExceptHandler) and n.name == expr.id for n in ast.walk(function or self.tree))

    def _returns_translated(self, name: str, depth: int) -> bool:
        functions = self.functions.get(name, [])
        returns = [r.value for f in functions for r in ast.walk(f) if isinstance(r, ast.Return) and r.value]
        return bool(functions) and all(self.translated(value, depth + 1) for value in returns)

    def _name_translated(self, name: ast.Name, depth: int) -> bool:
        function = self.function_of(name)
        if function is None:
            return False
        values = [
            node.value
            for node in ast.walk(function)
            if isinstance(node, ast.Assign) and any(_name(t) == name.id for t in node.targets)
        ]
        if values:
            return all(self.translated(value, depth + 1) for value in values)
        parameters = [a.arg for a in function.args.args]
        if name.id not in parameters:
            return False
        return self._callers_pass_translated(function, parameters.index(name.id), name.id, depth)

    def _callers_pass_translated(self, function: ast.FunctionDef, position: int, keyword: str, depth: int) -> bool:
        """Every call of `function` in the module passes a message (or a function returning one) for this
        parameter; a parameter that is a function (`run`) is checked by what the functions passed return."""
        passed = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and _name(node.func) == function.name:
                passed += [k.value for k in node.keywords if k.arg == keyword]
                passed += node.args[position : position + 1]
        if not passed:
            return False
        return all(
            self._returns_translated(value.id, depth)
            if isinstance(value, ast.Name) and value.id in self.functions
            else self.translated(value, depth + 1)
            for value in passed
        )


def _offenders(path: Path) -> list[str]:
    module = _Module(ast.parse(path.read_text(), str(path)))
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    offenders = []
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call):
            continue
        if _name(node.func) == "flash" and node.args and not module.translated(node.args[0]):
            offenders.append(f"{where}:{node.lineno}: flash({ast.unparse(node.args[0])})")
        called = _name(node.func)
        if called in DOMAIN_ERRORS or called in VALIDATORS:
            first = node.args[:1] if called in DOMAIN_ERRORS | MESSAGE_FIRST else []
            for message in first + [k.value for k in node.keywords if k.arg == "message"]:
                if not _translated_or_passed_on(module, message):
                    offenders.append(f"{where}:{node.lineno}: {called}({ast.unparse(message)})")
    return offenders


def _translated_or_passed_on(module: _Module, expr) -> bool:
    """A domain error's message: from the catalogue, or another message handed on (a parameter, an error's)."""
    if isinstance(expr, ast.Name | ast.Attribute):
        return True  # what it is made of is checked where it was made
    return module.translated(expr)


def test_every_flash_domain_error_and_validator_says_a_message_from_the_catalogue():
    offenders = [offender for path in _sources() for offender in _offenders(path)]
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ('flash("Saved.", "success")', True),
        ('flash(f"Saved {n}.", "success")', True),
        ('message = "Saved."\nflash(message)', True),
        ('def f(message):\n    flash(message)\nf("Saved.")', True),
        ('raise Invalid("The name is missing.")', True),
        ('flash(_("Saved."), "success")', False),
        ('flash(_("A") if ok else ngettext("%(num)d B", "%(num)d Bs", n))', False),
        ('def f(message):\n    flash(message)\nf(_("Saved."))', False),
        ('try:\n    go()\nexcept Invalid as error:\n    flash(str(error.message), "error")', False),
        ('def say():\n    return _("Done.")\nflash(say())', False),
        ('flash(Markup(_("Open %(link)s.", link=link)))', False),
        ('flash(Markup("<b>Saved.</b>"))', True),
        ('raise Invalid(_l("The name is missing."), field="name")', False),
        ('name = StringField(validators=[DataRequired("Give a name.")])', True),
        ('time = StringField(validators=[Regexp(r"^\\d+$", message="Use digits.")])', True),
        ('raise ValidationError("Not an OPD.")', True),
        ('name = StringField(validators=[DataRequired(_l("Give a name.")), Length(max=3)])', False),
        ('time = StringField(validators=[Regexp(r"^\\d+$", message=_l("Use digits."))])', False),
    ],
)
def test_the_check_sees_an_english_flash(tmp_path, source, bad):
    """The check itself: a literal, an f-string, or a variable or parameter holding one, is refused, in a flash,
    a domain error or a validator."""
    path = tmp_path / "views.py"
    path.write_text(source + "\n")
    assert bool(_offenders(path)) is bad
