"""/api/v1/docs: the OpenAPI document read as a page of Kawal's own, with no script and nothing from a CDN (the
Content-Security-Policy stays as strict as on every other page). Each resource, its operations with their
parameters, body and answers, then every schema's fields."""

from dataclasses import dataclass, field

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Parameter:
    name: str
    where: str
    type: str
    required: bool
    description: str


@dataclass
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[Parameter] = field(default_factory=list)
    body: list[tuple[str, str]] = field(default_factory=list)  # (media type, schema)
    responses: list[tuple[str, str, str]] = field(default_factory=list)  # (status, description, schema)


@dataclass
class Section:
    name: str
    description: str
    operations: list[Operation]


def _type(schema: dict) -> str:
    """A schema as a short type: "integer", "array of Assignment", "Assignment", "string (date)"."""
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_type(schema.get('items', {}))}"
    kind = schema.get("type", "object")
    if "enum" in schema:
        return f"{kind}: {' | '.join(str(value) for value in schema['enum'] if value is not None)}"
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _parameters(operation: dict, spec: dict) -> list[Parameter]:
    found = []
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        found.append(
            Parameter(
                parameter["name"],
                parameter["in"],
                _type(parameter.get("schema", {})),
                parameter.get("required", False),
                parameter.get("description", ""),
            )
        )
    return found


def reference(spec: dict) -> tuple[list[Section], list[tuple[str, list[Parameter]]]]:
    """The document's operations grouped by resource (its tag), and every schema with its fields."""
    sections = {tag["name"]: Section(tag["name"], tag.get("description", ""), []) for tag in spec.get("tags", [])}
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {})
            entry = Operation(
                method=method.upper(),
                path=path,
                anchor=operation.get("operationId") or f"{method}-{path}".replace("/", "-").strip("-"),
                summary=operation.get("summary", ""),
                description=operation.get("description", ""),
                parameters=_parameters({"parameters": shared + operation.get("parameters", [])}, spec),
                body=[(media, _type(content.get("schema", {}))) for media, content in body.items()],
                responses=[
                    (
                        status,
                        answer.get("description", ""),
                        _type(next(iter(answer.get("content", {}).values()), {}).get("schema", {})),
                    )
                    for status, answer in operation.get("responses", {}).items()
                ],
            )
            for tag in operation.get("tags", ["other"]):
                sections.setdefault(tag, Section(tag, "", [])).operations.append(entry)
    schemas = []
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        fields = [
            Parameter(prop, "", _type(value), prop in required, value.get("description", ""))
            for prop, value in schema.get("properties", {}).items()
        ]
        schemas.append((name, fields))
    return [section for section in sections.values() if section.operations], schemas


@bp.get("/api/v1/docs")
def docs():
    """The reference page; public, like the document it reads."""
    from api import rest

    spec = rest.spec.to_dict()
    sections, schemas = reference(spec)
    count = sum(len(section.operations) for section in sections)
    return render_template("api/docs.html", spec=spec, sections=sections, schemas=schemas, count=count)
