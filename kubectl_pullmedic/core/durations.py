"""Durations in kubectl's words (apimachinery's ``HumanDuration``), for tables and for summaries alike."""

from __future__ import annotations


def human_duration(seconds: float) -> str:
    """apimachinery's ``duration.HumanDuration``: precise when recent, coarser as it grows.

    >>> [human_duration(s) for s in (5, 150, 3600 * 5 + 60 * 7, 86400 * 3, 86400 * 400)]
    ['5s', '2m30s', '5h7m', '3d', '400d']
    """
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        return f"{minutes}m" if whole % 60 == 0 else f"{minutes}m{whole % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d" if hours % 24 == 0 else f"{days}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years, rest = days // 365, days % 365
    if hours < 24 * 365 * 8:
        return f"{years}y" if rest == 0 else f"{years}y{rest}d"
    return f"{years}y"
