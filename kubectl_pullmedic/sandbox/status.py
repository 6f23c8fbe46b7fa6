"""Failure ``Status`` bodies worded as kube-apiserver words them.

Constructors follow apimachinery's ``pkg/api/errors`` (NewNotFound, NewConflict, NewForbidden,
NewResourceExpired, ...) and the RBAC denial text of apiserver's ``responsewriters.forbiddenMessage``,
so clients parsing ``message``, ``reason`` and ``details`` see what a real cluster sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from kubectl_pullmedic.sandbox.resources import ResourceType

EXPIRED_CONTINUE_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can start "
    "a new list without the continue parameter, or use the continue token in this response to "
    "retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the first "
    "chunk was returned and now may show up in the list."
)


class ApiStatus(Exception):
    """An API failure carried up to the HTTP layer, which sends ``body()`` with ``code``."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: Optional[Dict[str, Any]] = None,
        list_continue: str = "",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.list_continue = list_continue

    def body(self) -> Dict[str, Any]:
        metadata: Dict[str, Any] = {"continue": self.list_continue} if self.list_continue else {}
        status: Dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": metadata,
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details:
            status["details"] = self.details
        status["code"] = self.code
        return status


def _details(name: str, group: str, kind: str) -> Dict[str, Any]:
    details: Dict[str, Any] = {"name": name} if name else {}
    if group:
        details["group"] = group
    details["kind"] = kind
    return details


def not_found(rt: ResourceType, name: str) -> ApiStatus:
    return ApiStatus(404, "NotFound", f'{rt.qualified} "{name}" not found', _details(name, rt.group, rt.resource))


def already_exists(rt: ResourceType, name: str) -> ApiStatus:
    return ApiStatus(
        409, "AlreadyExists", f'{rt.qualified} "{name}" already exists', _details(name, rt.group, rt.resource)
    )


def precondition_conflict(rt: ResourceType, name: str, cause: str) -> ApiStatus:
    """409 from a DeleteOptions precondition; the server names the kind here, not the resource."""
    return ApiStatus(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {rt.qualified_kind} "{name}": {cause}',
        _details(name, rt.group, rt.kind),
    )


def uid_precondition_failed(rt: ResourceType, name: str, wanted: str, actual: str) -> ApiStatus:
    return precondition_conflict(
        rt,
        name,
        f"the UID in the precondition ({wanted}) does not match the UID in record ({actual}). "
        "The object might have been deleted and then recreated",
    )


def resource_version_precondition_failed(rt: ResourceType, name: str, wanted: str, actual: str) -> ApiStatus:
    return precondition_conflict(
        rt,
        name,
        f"the ResourceVersion in the precondition ({wanted}) does not match the ResourceVersion in "
        f"record ({actual}). The object might have been modified",
    )


def forbidden(rt: ResourceType, user: str, verb: str, namespace: str, name: str = "") -> ApiStatus:
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    denial = f'User "{user}" cannot {verb} resource "{rt.resource}" in API group "{rt.group}" {scope}'
    subject = f'{rt.qualified} "{name}"' if name else rt.qualified
    return ApiStatus(403, "Forbidden", f"{subject} is forbidden: {denial}", _details(name, rt.group, rt.resource))


def name_required(rt: ResourceType) -> ApiStatus:
    message = f'{rt.qualified_kind} "" is invalid: metadata.name: Required value: name or generateName is required'
    return ApiStatus(422, "Invalid", message, _details("", rt.group, rt.kind))


def bad_request(message: str) -> ApiStatus:
    return ApiStatus(400, "BadRequest", message)


def unsupported_dry_run(options_kind: str, value: str) -> ApiStatus:
    """422 for a ``dryRun`` value other than ``All`` in DeleteOptions or CreateOptions."""
    message = (
        f'{options_kind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: "{value}": supported values: "All"'
    )
    return ApiStatus(422, "Invalid", message, {"group": "meta.k8s.io", "kind": options_kind})


def expired_continue(inconsistent_token: str) -> ApiStatus:
    return ApiStatus(410, "Expired", EXPIRED_CONTINUE_MESSAGE, list_continue=inconsistent_token)


def unauthorized() -> ApiStatus:
    return ApiStatus(401, "Unauthorized", "Unauthorized")


def method_not_allowed() -> ApiStatus:
    return ApiStatus(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def unknown_path() -> ApiStatus:
    return ApiStatus(
        404,
        "NotFound",
        "the server could not find the requested resource",
        {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]},
    )


def conflict(rt: ResourceType, name: str, cause: str) -> ApiStatus:
    """409 from an update: apimachinery's NewConflict names the resource (``deployments.apps``)."""
    return ApiStatus(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {rt.qualified} "{name}": {cause}',
        _details(name, rt.group, rt.resource),
    )


def optimistic_lock(rt: ResourceType, name: str) -> ApiStatus:
    """A write carrying a resourceVersion older than the stored one."""
    return conflict(rt, name, "the object has been modified; please apply your changes to the latest version and try again")


@dataclass(frozen=True)
class FieldError:
    """One ``field.Error``: its type (``FieldValueInvalid``, ...), path and ErrorBody text."""

    type: str
    field: str
    body: str

    def __str__(self) -> str:
        return f"{self.field}: {self.body}"


def _go_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def field_invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError("FieldValueInvalid", field, f"Invalid value: {_go_value(value)}: {detail}")


def field_required(field: str, detail: str = "") -> FieldError:
    return FieldError("FieldValueRequired", field, f"Required value: {detail}" if detail else "Required value")


def field_forbidden(field: str, detail: str) -> FieldError:
    return FieldError("FieldValueForbidden", field, f"Forbidden: {detail}")


def invalid(rt: ResourceType, name: str, errors: List[FieldError]) -> ApiStatus:
    """422 as NewInvalid words it: one error inline, several in brackets, each as a cause."""
    text = str(errors[0]) if len(errors) == 1 else "[" + ", ".join(str(error) for error in errors) + "]"
    details = _details(name, rt.group, rt.kind)
    details["causes"] = [{"reason": error.type, "message": error.body, "field": error.field} for error in errors]
    return ApiStatus(422, "Invalid", f'{rt.qualified_kind} "{name}" is invalid: {text}', details)


def unprocessable() -> ApiStatus:
    """A JSON patch that does not apply: kube-apiserver sends NewGenericServerResponse(422),
    whose message drops the patch library's own words."""
    return ApiStatus(422, "Invalid", "the server rejected our request due to an error in our request", {})


def internal_error(message: str) -> ApiStatus:
    return ApiStatus(500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]})


def unsupported_media_type(accepted: List[str]) -> ApiStatus:
    message = "the body of the request was in an unknown format - accepted media types include: " + ", ".join(accepted)
    return ApiStatus(415, "UnsupportedMediaType", message)
