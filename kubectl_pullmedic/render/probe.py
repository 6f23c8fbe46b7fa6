"""How ``--probe`` answers look: a table (``secrets-check``) or a sentence per finding (``why``).

Probe results hold no credentials (see ``registry``), so nothing here can print one.
"""

from __future__ import annotations

from typing import List, Sequence

from . import tables
from ..core.probing.results import ProbeResult

AUTH_WORDS = {
    "accepted": "credentials accepted",
    "refused": "credentials refused",
    "anonymous": "asked anonymously",
    "not-needed": "no credentials needed",
    "withheld": "credentials withheld",
}


def probe_table(probes: Sequence[ProbeResult], *, no_headers: bool = False) -> str:
    """What each registry answered, one row per image and credentials (led by its context over several)."""
    several = any(probe.context for probe in probes)
    rows = []
    for probe in probes:
        found = {True: "found", False: f"missing {probe.missing}".strip(), None: "-"}[probe.manifest_found]
        if probe.suggestions:
            found += " (did you mean " + ", ".join(probe.suggestions[:3]) + "?)"
        platform = {True: "ok", False: "missing", None: "-"}[probe.platform_ok]
        rows.append(tables.context_columns(several, [probe.context or ""])
                    + [probe.image, probe.registry, probe.auth or "-", found, platform, probe.error or "ok"])
    headers = ["image", "registry", "auth", "manifest", "platform", "result"]
    text = tables.table((["context"] if several else []) + headers, rows, no_headers=no_headers)
    if probes and not no_headers:
        text += probe_footer(probes)
    return text


def probe_sentence(probe: ProbeResult) -> str:
    """One line for an explanation block: who was asked, how, and what it said."""
    how: List[str] = [AUTH_WORDS.get(probe.auth, "not reached") if probe.reachable else "not reached"]
    if probe.proxy:
        how.append(f"via proxy {probe.proxy}")
    said = probe.error
    if not said and probe.manifest_found:
        said = f"{probe.reference} exists"
        if probe.platform_ok:
            said += f" for {probe.wanted_platform}"
        elif probe.platform_ok is None and probe.wanted_platform:
            said += " (its platform could not be read)"
        said += ": the registry would serve this pull"
    return f"{probe.registry or probe.image} ({', '.join(how)}): {said or 'no answer'}"


def probe_footer(probes: Sequence[ProbeResult]) -> str:
    """The caveat every probe carries, said once."""
    return f"Note: {probes[0].note}\n" if probes else ""
