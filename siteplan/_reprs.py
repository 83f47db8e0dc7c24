"""Short ``repr`` and notebook tables (``_repr_html_``) for siteplan's own objects.

A profile, a bundle of layers and a result's record print in one line and show
in Jupyter as a small table: criteria with their weights and sources, layers
with their counts and sources, the counts of a result. Every text from data or
a profile is HTML-escaped; weights are rounded for reading (the objects keep
their exact values).
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["profile_repr", "profile_html", "layers_html", "record_repr", "record_html"]

_CSS = ("<style>.sp-repr td,.sp-repr th{text-align:left;padding:2px 8px}"
        ".sp-repr caption{text-align:left;font-weight:bold}</style>")


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _table(caption: str, head: list[str], rows: list[list[Any]]) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return (f'{_CSS}<table class="sp-repr"><caption>{_e(caption)}</caption>'
            f"<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>")


def _pct(weight: float) -> str:
    return f"{100 * float(weight):.1f} %"


def profile_repr(prof: Any) -> str:
    weights = ", ".join(f"{c.name} {_pct(c.weight)}" for c in prof.criteria)
    return (f"<Profile {prof.name!r} {prof.method.upper()}: {len(prof.criteria)} criteria "
            f"({weights}), {len(prof.constraints)} constraints>")


def profile_html(prof: Any, labels: list[str]) -> str:
    """The profile's criteria and constraints (``labels``: each constraint's short label)."""
    rows = [[c.name, c.label("en"), c.measure, c.layer or "", _pct(c.weight), c.source or ""]
            for c in prof.criteria]
    out = _table(f"Profile {prof.name}: {prof.label('en')} ({prof.method.upper()})",
                 ["criterion", "title", "measure", "layer", "weight", "source"], rows)
    if prof.constraints:
        cons = [[j, label, (c.get("title") or {}).get("en", ""), c.get("source") or ""]
                for j, (c, label) in enumerate(zip(prof.constraints, labels, strict=True), 1)]
        out += _table("Constraints", ["rule", "label", "title", "source"], cons)
    return out


def layers_html(layers: Any) -> str:
    rows = []
    for name in layers:
        layer = layers[name]
        kind = type(layer).__name__
        if kind == "GeoDataFrame":
            types = sorted(set(layer.geom_type.dropna())) if len(layer) else []
            kind = "/".join(types) or "empty"
        rows.append([name, kind, f"{len(layer):,}", layers.sources.get(name, "")])
    tag = ", synthetic sample" if layers.synthetic else ""
    return _table(f"Layers in {layers.crs.to_string()}{tag}",
                  ["layer", "kind", "features or cells", "source"], rows)


def record_repr(rec: Any) -> str:
    if rec.kind != "score":
        return f"<{type(rec).__name__} {', '.join(rec.profiles)}>"
    c = rec.counts
    skipped = f", {len(rec.skipped)} rules left out" if rec.skipped else ""
    return (f"<ScoreRecord {rec.profile.name!r} {rec.profile.method.upper()}: "
            f"{c.scored:,} scored, {c.excluded:,} excluded, {c.rejected:,} rejected, "
            f"{c.not_candidate:,} not candidates{skipped}>")


def record_html(rec: Any, labels: list[str]) -> str:
    if rec.kind != "score":
        return _table(type(rec).__name__, ["profile"], [[p] for p in rec.profiles])
    c = rec.counts
    out = _table(f"Result of {rec.profile.name} ({rec.profile.method.upper()}, "
                 f"siteplan {rec.provenance.siteplan_version})",
                 ["input", "not candidates", "scored", "excluded", "rejected"],
                 [[f"{c.input:,}", f"{c.not_candidate:,}", f"{c.scored:,}",
                   f"{c.excluded:,}", f"{c.rejected:,}"]])
    if rec.skipped:
        out += _table("Rules left out", ["kind", "name", "layer", "reason"],
                      [[x.kind, x.name, x.layer or "", x.reason] for x in rec.skipped])
    out += profile_html(rec.profile, labels)
    return out
