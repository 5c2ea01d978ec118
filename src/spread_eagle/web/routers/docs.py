"""API docs at /docs, rendered on the server from the generated OpenAPI schema.

FastAPI's default /docs page loads Swagger UI from a CDN, which breaks offline and would be the
only external asset; this page lists the same operations, parameters and response schemas with
no script at all. The machine-readable schema stays at /openapi.json.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from spread_eagle.web.state import WebDep

router = APIRouter(include_in_schema=False)


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_schema_name(schema.get('items', {}))}"
    if "anyOf" in schema:
        return " | ".join(_schema_name(s) for s in schema["anyOf"])
    return str(schema.get("type", "any"))


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            responses = []
            for code, response in op.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                responses.append(
                    {
                        "code": code,
                        "description": response.get("description", ""),
                        "schema": _schema_name(schema) if schema else "",
                    }
                )
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "responses": responses,
                }
            )
    return found


def schemas(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        required = set(schema.get("required", []))
        fields = [
            {"name": f, "type": _schema_name(s), "required": f in required}
            for f, s in schema.get("properties", {}).items()
        ]
        out.append({"name": name, "description": schema.get("description", ""), "fields": fields})
    return out


@router.get("/docs")
def docs_page(web: WebDep, request: Request) -> Response:
    spec = request.app.openapi()
    html = web.render(
        "docs.html", spec=spec, operations=operations(spec), schemas=schemas(spec), title="API"
    )
    return HTMLResponse(html)
