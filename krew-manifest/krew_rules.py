"""The rules Krew and the krew-index CI apply to a plugin manifest, checked without a krew binary.

Sources (kubernetes-sigs/krew): ``pkg/index/validation/validate.go`` (apiVersion, kind, safe
name, short description, semver, platforms, uri, sha256, bin, files, selector keys),
``internal/installation/semver`` (a leading ``v``, then k8s ``ParseSemantic``),
``internal/installation/move.go`` (a ``to`` path must be clean), and
``cmd/validate-krew-manifest`` run by the krew-index CI (manifest file named after the plugin,
every platform matching a supported os/arch, no os/arch pair matched twice, a licence file
installed, line lengths that otherwise draw warnings). Fields Krew does not know are reported
too: Krew ignores them silently, so a misspelt key would vanish from the release.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

API_VERSION = "krew.googlecontainertools.github.com/v1alpha2"
KIND = "Plugin"
SAFE_PLUGIN_NAME = re.compile(r"^[\w-]+$", re.ASCII)
# validate.go: names Windows cannot give a file, refused on every platform.
RESERVED_PLUGIN_NAMES = (
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
)
SHA256 = re.compile(r"^[a-f0-9]{64}$")
_NUMBER = r"(?:0|[1-9][0-9]*)"
_IDENTIFIERS = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
SEMVER = re.compile(rf"^v{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:-(?P<pre>{_IDENTIFIERS}))?(?:\+{_IDENTIFIERS})?$")
# cmd/validate-krew-manifest: the <os, arch> pairs Krew supports.
SUPPORTED_PLATFORMS: Tuple[Tuple[str, str], ...] = (
    ("windows", "386"), ("windows", "amd64"), ("windows", "arm64"),
    ("linux", "386"), ("linux", "amd64"), ("linux", "arm"), ("linux", "arm64"), ("linux", "ppc64le"),
    ("darwin", "386"), ("darwin", "amd64"), ("darwin", "arm64"),
)
LICENSE_FILE_NAMES = frozenset(
    {"license", "license.txt", "license.md", "licenses", "licenses.txt", "licenses.md", "copying", "copying.txt"}
)
# validate-krew-manifest warns above these widths (lines that are a single word excepted).
MAX_LINE_LENGTHS = {"description": 80, "shortDescription": 70, "caveats": 80}
KNOWN_FIELDS = {
    "": {"apiVersion", "kind", "metadata", "spec"},
    "spec": {"version", "shortDescription", "description", "caveats", "homepage", "platforms"},
    "platform": {"uri", "sha256", "selector", "files", "bin"},
    "selector": {"matchLabels", "matchExpressions"},
    "file": {"from", "to"},
}
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

Selector = Dict[str, Any]


def is_safe_plugin_name(name: str) -> bool:
    """validate.go's IsSafePluginName.

    >>> [is_safe_plugin_name(n) for n in ("pullmedic", "view-secret", "a/b", "nul")]
    [True, True, False, False]
    """
    return bool(SAFE_PLUGIN_NAME.match(name)) and name.upper() not in RESERVED_PLUGIN_NAMES


def is_krew_version(version: str) -> bool:
    """A ``v``-prefixed semantic version, as k8s ``ParseSemantic`` reads it.

    >>> [is_krew_version(v) for v in ("v0.1.0", "0.1.0", "v1.2", "v01.2.3", "v1.0.0-rc.1", "v1.0.0-01")]
    [True, False, False, False, True, False]
    """
    match = SEMVER.match(version)
    if not match:
        return False
    prerelease = match.group("pre").split(".") if match.group("pre") else []
    return not any(part.isdigit() and len(part) > 1 and part.startswith("0") for part in prerelease)


def is_clean_path(path: str) -> bool:
    """Relative, inside the archive, and already in Go's ``filepath.Clean`` form.

    >>> [is_clean_path(p) for p in ("lib", ".", "a/b", "a/../b", "/etc", "a/", "./a", "..")]
    [True, True, True, False, False, False, False, False]
    """
    return (
        bool(path)
        and not path.startswith(("/", "\\"))
        and posixpath.normpath(path) == path
        and ".." not in path.split("/")
    )


def is_license_file(name: str) -> bool:
    return posixpath.basename(name).lower() in LICENSE_FILE_NAMES


def selector_matches(selector: Selector, os_name: str, arch: str) -> bool:
    """Whether a platform selector (matchLabels and matchExpressions, ANDed) selects os/arch.

    >>> linux = {"key": "os", "operator": "In", "values": ["linux"]}
    >>> selector_matches({"matchExpressions": [linux]}, "linux", "arm64")
    True
    >>> selector_matches({"matchLabels": {"os": "linux", "arch": "amd64"}}, "linux", "arm64")
    False
    """
    labels = {"os": os_name, "arch": arch}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, dict):
            return False
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def matched_platforms(selector: Selector) -> List[Tuple[str, str]]:
    return [pair for pair in SUPPORTED_PLATFORMS if selector_matches(selector, *pair)]


def validate_plugin(document: Any, manifest_name: Optional[str] = None) -> List[str]:
    """Every rule the manifest breaks, as readable sentences; an empty list means Krew accepts it.

    ``manifest_name`` is the plugin name the file is stored under in an index (``NAME.yaml``).
    """
    if not isinstance(document, dict):
        return ["the manifest is not a YAML mapping"]
    problems = _unknown_fields(document, "", "")
    if document.get("apiVersion") != API_VERSION:
        problems.append(f"apiVersion must be {API_VERSION!r}, not {document.get('apiVersion')!r}")
    if document.get("kind") != KIND:
        problems.append(f"kind must be {KIND!r}, not {document.get('kind')!r}")
    metadata = document.get("metadata")
    name = _text(metadata.get("name")) if isinstance(metadata, dict) else ""
    if not is_safe_plugin_name(name):
        problems.append(f"plugin name {name!r} is not allowed (must match ^[\\w-]+$ and not be a reserved name)")
    if manifest_name is not None and name != manifest_name:
        problems.append(f"the manifest file is for {manifest_name!r} but names the plugin {name!r}")
    spec = document.get("spec")
    if not isinstance(spec, dict):
        return problems + ["spec is missing"]
    problems += _unknown_fields(spec, "spec", "spec")
    problems += _spec_text_problems(spec)
    platforms = spec.get("platforms")
    if not isinstance(platforms, list) or not platforms:
        return problems + ["spec.platforms must list at least one platform"]
    for index, platform in enumerate(platforms):
        problems += [f"spec.platforms[{index}]: {p}" for p in _platform_problems(platform)]
    problems += _overlap_problems(platforms)
    return problems


def _spec_text_problems(spec: Dict[str, Any]) -> List[str]:
    problems = []
    for field in ("version", "shortDescription", "description", "caveats", "homepage"):
        if field in spec and not isinstance(spec[field], str):
            problems.append(f"spec.{field} must be a string")
    short = _text(spec.get("shortDescription"))
    if not short.strip():
        problems.append("spec.shortDescription must not be empty")
    if "\n" in short or "\r" in short:
        problems.append("spec.shortDescription must be a single line")
    if not is_krew_version(_text(spec.get("version"))):
        problems.append(f"spec.version {spec.get('version')!r} is not a v-prefixed semantic version")
    for field, limit in MAX_LINE_LENGTHS.items():
        for line in _text(spec.get(field)).splitlines():
            if len(line) > limit and " " in line.strip():
                problems.append(f"spec.{field} has a line longer than {limit} characters: {line[:40]!r}...")
    return problems


def _platform_problems(platform: Any) -> List[str]:
    if not isinstance(platform, dict):
        return ["not a mapping"]
    problems = _unknown_fields(platform, "platform", "")
    if not _text(platform.get("uri")):
        problems.append("uri must be set")
    if not SHA256.match(_text(platform.get("sha256"))):
        problems.append(f"sha256 {platform.get('sha256')!r} must be 64 lowercase hex digits")
    binary = _text(platform.get("bin"))
    if not binary or not is_clean_path(binary):
        problems.append(f"bin {binary!r} must be a clean relative path")
    problems += _files_problems(platform.get("files"))
    problems += _selector_problems(platform.get("selector"))
    return problems


def _files_problems(files: Any) -> List[str]:
    if not isinstance(files, list) or not files:
        return ["files must list at least one file operation"]
    problems = []
    for index, operation in enumerate(files):
        if not isinstance(operation, dict):
            problems.append(f"files[{index}] is not a mapping")
            continue
        problems += _unknown_fields(operation, "file", f"files[{index}]")
        for field in ("from", "to"):
            value = _text(operation.get(field))
            if not value:
                problems.append(f"files[{index}].{field} must be set")
            elif not is_clean_path(value):
                problems.append(f"files[{index}].{field} {value!r} is not a clean relative path")
    if not any(isinstance(op, dict) and _may_install_licence(_text(op.get("from"))) for op in files):
        problems.append("files must install a licence file (LICENSE, COPYING, ...)")
    return problems


def _may_install_licence(source: str) -> bool:
    """A licence file by name, or a glob that may match one (the installer checks the result)."""
    return is_license_file(source) or any(character in source for character in "*?[")


def _selector_problems(selector: Any) -> List[str]:
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return ["selector must not be empty"]
    problems = _unknown_fields(selector, "selector", "selector")
    labels = selector.get("matchLabels")
    expressions = selector.get("matchExpressions")
    if labels is not None and (not isinstance(labels, dict) or not labels):
        problems.append("selector.matchLabels is specified but empty")
    if expressions is not None and (not isinstance(expressions, list) or not expressions):
        problems.append("selector.matchExpressions is specified but empty")
    keys = list(labels or {}) + [e.get("key") for e in expressions or [] if isinstance(e, dict)]
    problems += [f"selector key {key!r} is not supported (only os and arch)" for key in keys if key not in ("os", "arch")]
    for expression in expressions or []:
        operator = expression.get("operator") if isinstance(expression, dict) else None
        values = expression.get("values") if isinstance(expression, dict) else None
        if operator not in SELECTOR_OPERATORS:
            problems.append(f"selector operator {operator!r} is not one of {', '.join(SELECTOR_OPERATORS)}")
        elif (operator in ("In", "NotIn")) != bool(values):
            problems.append(f"selector operator {operator} {'needs' if operator in ('In', 'NotIn') else 'takes no'} values")
    if not problems and not matched_platforms(selector):
        problems.append("selector matches no platform Krew supports")
    return problems


def _overlap_problems(platforms: Sequence[Any]) -> List[str]:
    problems = []
    for os_name, arch in SUPPORTED_PLATFORMS:
        matching = [
            index for index, platform in enumerate(platforms)
            if isinstance(platform, dict) and isinstance(platform.get("selector"), dict)
            and selector_matches(platform["selector"], os_name, arch)
        ]
        if len(matching) > 1:
            problems.append(f"spec.platforms {matching} all select {os_name}/{arch}")
    return problems


def _unknown_fields(mapping: Dict[str, Any], kind: str, where: str) -> List[str]:
    prefix = f"{where}." if where else ""
    return [f"unknown field {prefix}{key}" for key in mapping if key not in KNOWN_FIELDS[kind]]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def licence_files(paths: Iterable[str]) -> List[str]:
    """The installed files validate-krew-manifest accepts as the licence."""
    return [path for path in paths if is_license_file(path)]
