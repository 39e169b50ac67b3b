"""What the OpenAPI schema says beyond the serializers: the errors every operation answers,
and the request rules a serializer cannot state (drf-spectacular post-processing hooks).

tests/scenarios/test_api_fuzz.py sends generated requests to every operation and checks
that each answer's status, type and body are the ones declared here or by the serializers.
"""

from typing import Any

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What is wrong"}},
    "required": ["detail"],
}
# A refused request: {"detail": …}, {field: [messages]} or [messages] (DRF's shapes).
INVALID = {
    "anyOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "string"}},
    ]
}

# Request bodies that need one of several fields (given and not empty), by component.
ONE_OF_FIELDS = {
    "Import": ("har", "har_file", "metrics"),
    "ComparisonCreate": ("base_url", "base_branch"),
    "LoadTestCreate": ("stages", "ramp"),
}


def _response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document_errors(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Declare on every operation the 4xx answers it can give: 400 where it takes parameters
    or a body, 401 and 403 where it needs a user with a role, 404 where its path names
    something. Then declare the bodies that need one field of several."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            if parameters or "requestBody" in operation:
                responses.setdefault("400", _response("The request is invalid", INVALID))
            responses.setdefault("401", _response("No credentials, or bad ones", ERROR))
            responses.setdefault("403", _response("The user's role does not allow it", ERROR))
            if any(p.get("in") == "path" for p in parameters):
                responses.setdefault("404", _response("There is no such object", ERROR))
    components = result.get("components", {}).get("schemas", {})
    for name, fields in ONE_OF_FIELDS.items():
        if name in components:
            # minLength only binds text: an empty string does not count as given.
            components[name]["anyOf"] = [
                {"required": [field], "properties": {field: {"minLength": 1}}} for field in fields
            ]
    return result
