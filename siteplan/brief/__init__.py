"""The partner meeting pack: a printable brief per chosen site (HTML, and PDF).

:func:`site_brief` turns a scored result into one self-contained HTML page
set: a cover (the profile, the date, the data sources and their dates, an
overview map and a summary table) and one A4 page per site (a static map,
location and land, the score and every criterion with the standard it rests
on, every constraint with its legal source, the neighbourhood, and how sure
the ranking is). :func:`write_brief_pdf` prints it to PDF with headless
Chromium.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError
from ..scoring.ranks import best_first, rank_columns
from ._pdf import write_brief_pdf
from ._words import WORDS, check_lang, esc, fmt_date

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["site_brief", "write_brief_pdf"]

_STAB_COLUMNS = ("p_top_k", "rank_p05", "rank_p50", "rank_p95")


def _chosen(result: gpd.GeoDataFrame, parcel_ids: Sequence | None, top: int) -> pd.Index:
    scored = result["score"].notna().to_numpy(dtype=bool)
    if parcel_ids is None:
        if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
            raise SiteplanInputError(Problem("site_brief", f"top must be a whole number >= 1, "
                                             f"got {top!r}", "write top=5"))
        order = best_first(result.loc[scored])   # ties by siteplan.scoring.ranks.TIE_RULE
        if not len(order):
            raise SiteplanInputError(Problem("site_brief result", "has no scored site",
                                             "relax the profile's constraints, or check the "
                                             "layers"))
        return order[:top]
    if isinstance(parcel_ids, str) or not isinstance(parcel_ids, Sequence | pd.Series |
                                                     pd.Index | np.ndarray):
        raise SiteplanInputError(Problem("site_brief parcel_ids", f"got {parcel_ids!r}",
                                         "pass a list of parcel ids, e.g. ['3673...01']"))
    ids = pd.Series(list(parcel_ids), dtype="string")
    if not len(ids):
        raise SiteplanInputError(Problem("site_brief parcel_ids", "is empty",
                                         "name at least one parcel, or leave it out"))
    have = result["parcel_id"].astype("string") if "parcel_id" in result.columns else \
        pd.Series(result.index.astype(str), index=result.index, dtype="string")
    first = pd.Series(result.index, index=have.to_numpy()).groupby(level=0).first()
    missing = ids[~ids.isin(first.index)]
    if len(missing):
        raise SiteplanInputError(Problem("site_brief parcel_ids", "not in the result: "
                                         + ", ".join(map(str, missing.head(10))),
                                         "use parcel_id values of the scored result"))
    labels = pd.Index(first.loc[ids.to_numpy()].to_numpy())
    bad = labels[~scored[result.index.get_indexer(labels)]]
    if len(bad):
        why = result.loc[bad, "excluded_by"].astype(str) if "excluded_by" in result else \
            pd.Series("not scored", index=bad)
        raise SiteplanInputError(Problem("site_brief parcel_ids", "not scored: " + "; ".join(
            f"{have.loc[i]} ({why.loc[i] or 'not scored'})" for i in bad[:10]),
            "a brief is for scored sites; choose among those with a score"))
    return labels


def _stability(stability: pd.DataFrame | None, labels: pd.Index) -> pd.DataFrame | None:
    if stability is None:
        return None
    if not isinstance(stability, pd.DataFrame) or not set(_STAB_COLUMNS) <= set(
            stability.columns):
        raise SiteplanInputError(Problem("site_brief stability", "needs the columns "
                                         + ", ".join(_STAB_COLUMNS),
                                         "pass the frame sp.sensitivity(result, profile) "
                                         "returns"))
    missing = labels.difference(stability.index)
    if len(missing):
        raise SiteplanInputError(Problem("site_brief stability", f"has no row for "
                                         f"{len(missing)} chosen site(s)", "compute it on "
                                         "the same result (it is aligned to its index)"))
    return stability.loc[labels, list(_STAB_COLUMNS)]


def site_brief(result: gpd.GeoDataFrame, layers: Layers, parcel_ids: Sequence | None = None,
               *, top: int = 5, lang: str = "id",
               stability: pd.DataFrame | None = None, register=None) -> str:
    """A printable brief of chosen sites for a CSR partner meeting, as one HTML text.

    Parameters
    ----------
    result
        From :func:`siteplan.score`, or read back with
        :func:`siteplan.outputs.read_result` (its record names the profile,
        criteria and constraints).
    layers
        The layers the result was scored on (maps, neighbourhood, RTH).
    parcel_ids
        The sites, by ``parcel_id``, in the order to present them; default
        the ``top`` best-ranked. Each must be scored.
    top
        How many of the best-ranked sites when ``parcel_ids`` is not given.
    lang
        ``"id"`` (Indonesian, ``1.234,5``) or ``"en"``.
    stability
        From :func:`siteplan.sensitivity` on the same result: adds the chance
        of staying in the top k and the rank band (without it the brief says
        nothing about how sure the ranking is).
    register
        A site-offer register (:func:`siteplan.open_register`): each site's
        page shows the offers that include it, their state and history.

    Returns
    -------
    str
        A self-contained HTML document (maps embedded as PNG, no script, no
        network): a cover page and one A4 page per site, with print CSS.
        Print it, or write a PDF with :func:`write_brief_pdf`.

    Raises
    ------
    SiteplanInputError
        A result not from :func:`~siteplan.score`, an unknown language, a
        parcel id not in the result or not scored, a bad ``top`` or a
        stability frame that does not fit.

    Examples
    --------
    >>> import siteplan as sp
    >>> layers = sp.load_sample()
    >>> result = sp.score(layers, "sentra_kuliner")
    >>> html = sp.site_brief(result, layers, top=2, lang="en")
    >>> html.startswith("<!doctype html>")
    True
    >>> html.count('class="page site"')
    2
    """
    check_lang(lang)
    from ..scoring.record import record_of

    rec = record_of(result, where="site_brief result")
    if "score" not in getattr(result, "columns", ()):
        raise SiteplanInputError(Problem("site_brief result", "has no score column",
                                         "pass what sp.score returns; sp.outputs.read_result "
                                         "restores it from a file"))
    from ..layers.bundle import Layers as _Layers

    if not isinstance(layers, _Layers):
        raise SiteplanInputError(Problem("site_brief layers", f"got a "
                                         f"{type(layers).__name__}", "pass sp.load_layers(...) "
                                         "or sp.load_sample()"))
    labels = _chosen(result, parcel_ids, top)
    stab = _stability(stability, labels)
    html = _render(result, layers, labels, rec, lang, stab=stab, stability=stability)
    if register is None:
        return html
    from ..register.brief import offer_sections

    ids = [str(result.at[i, "parcel_id"]) for i in labels]     # the few chosen sites
    sections = offer_sections(register, ids, lang)
    return _with_offers(html, [sections[i] for i in ids])


def _with_offers(html: str, sections: list[str]) -> str:
    """Each site page (in order) gets its offer section before the page closes."""
    pages = html.split('<div class="page site"')
    for k, sec in enumerate(sections, start=1):              # the few site pages
        body = pages[k]
        end = body.rfind("</div>")
        pages[k] = body[:end] + sec + body[end:]
    return '<div class="page site"'.join(pages)


def _view(rec) -> dict[str, Any]:
    """What the brief's pages say about the result, read from its record."""
    from ..measures import unit_of
    from ..methods.constraints import constraint_label

    prof, prov = rec.profile, rec.provenance
    return {
        "profile": prof.name, "title": dict(prof.title), "method": prof.method,
        "description": dict(prof.description), "counts": dataclasses.asdict(rec.counts),
        "created": prov.created, "siteplan_version": prov.siteplan_version,
        "synthetic": prov.synthetic, "attribution": prov.attribution,
        "base_score": rec.base_score,
        "criteria": [{"name": c.name, "title": dict(c.title), "weight": c.weight,
                      "measure": c.measure, "measured_as": rec.measured_as.get(c.name,
                                                                               c.measure),
                      "unit": unit_of(c, rec.measured_as.get(c.name)), "column": c.column,
                      "missing": c.missing, "radius": c.radius, "source": c.source,
                      "transform": dict(c.transform)}
                     for c in prof.criteria],
        "constraints": [dict(c, label=constraint_label(c)) for c in prof.constraints],
        "skipped": [{"kind": x.kind, "name": x.name, "title": dict(x.title),
                     "reason": x.reason, "layer": x.layer} for x in rec.skipped],
    }


def _render(result, layers, labels, rec, lang, *, stab, stability) -> str:
    from . import _facts, _sections, _staticmap

    tx = WORDS[lang]
    info = _view(rec)
    sites = result.loc[labels]
    if "rank_shared" not in sites.columns:     # a result written before the column existed
        shared = pd.Series(rank_columns(result["score"].to_numpy(dtype=float))[1],
                           index=result.index)
        sites = sites.assign(rank_shared=shared.loc[labels].to_numpy())
    if sites.crs is not None and layers.crs is not None and sites.crs != layers.crs:
        sites = sites.to_crs(layers.crs)
    scored = np.sort(result["score"].dropna().to_numpy(dtype=float))
    n_scored = len(scored)
    s = sites["score"].to_numpy(dtype=float)
    better = np.floor(100 * np.searchsorted(scored, s, side="left") / max(n_scored, 1)) / 100
    loc = _facts.location(sites, layers.crs)
    near = _facts.neighbourhood(sites, layers)
    rth = _facts.rth_of(sites, layers)
    checks = _facts.constraint_checks(sites, layers, info["constraints"], rec)
    zones = [c for c in info.get("constraints", [])  # vector zones and raster rules' cells
             if (c.get("type") in {"outside", "inside"}
                 and isinstance(layers.get(c.get("layer")), gpd.GeoDataFrame))
             or _staticmap.is_raster_zone(c, layers)]
    rings = [c["radius"] for c in info["criteria"] if c.get("radius")] or [1000.0]
    colours = _staticmap._styles()["constraints"]
    legend_html = _sections.legend(lang, zones, colours)
    top_k = stability.attrs.get("top_k") if stab is not None else None
    draws = stability.attrs.get("draws") if stab is not None else None
    spread = stability.attrs.get("spread") if stab is not None else None
    crs_label = f"UTM {layers.crs.utm_zone}" if layers.crs.utm_zone else (
        f"EPSG:{layers.crs.to_epsg()}" if layers.crs.to_epsg() else layers.crs.name)
    pages, rows = [], []
    geoms = np.asarray(sites.geometry.array, dtype=object)
    for j, label in enumerate(labels):  # the handful of chosen sites
        row = sites.loc[label].to_dict()
        png = _staticmap.data_uri(_staticmap.site_png(layers, geoms[j], rings=rings,
                                                      zones=zones, north=tx["north"]))
        st = None
        if stab is not None:
            st = {**stab.loc[label].to_dict(), "top_k": top_k, "draws": draws,
                  "spread": spread}
        rows.append({"no": j + 1, "rank": _sections.num(row["rank"], 0, lang),
                     "shared": _sections.shared_text(row.get("rank_shared"), lang),
                     "label": esc(row.get("name")) if _sections._present(row.get("name"))
                     else esc(row.get("parcel_id", label)),
                     "kel": _sections._word(row.get("kelurahan")),
                     "area": _sections.num(loc.loc[label, "area"] / 1e4, 2, lang) + " ha",
                     "score": _sections.num(row["score"], 1, lang),
                     "p_top": (_sections.num(st["p_top_k"] * 100, 0, lang) + "%")
                     if st else ""})
        pages.append(_sections.site_page(
            n=j + 1, total=len(labels), row=row, info=info, loc=loc.loc[label].to_dict(),
            crs_label=crs_label, png=png, legend_html=legend_html, n_scored=n_scored,
            better=float(better[j]), checks=checks, j=j, near=near.loc[label].to_dict(),
            rth=None if rth is None else rth.loc[label].to_dict(), stab=st, lang=lang))
    overview = _staticmap.data_uri(_staticmap.overview_png(layers, geoms, north=tx["north"]))
    desc = info.get("description") or {}
    cover = _sections.cover(info=info, rows=rows, overview=overview,
                            sources=_facts.source_dates(layers), lang=lang, today=date.today(),
                            top_k=top_k if stab is not None else None,
                            description=str(desc.get(lang) or desc.get("id") or ""))
    title = (info.get("title") or {}).get(lang) or info.get("profile", "")
    return ("<!doctype html>\n"
            f'<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "img-src data:; style-src 'unsafe-inline'\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{tx['pack']}: {esc(title)} · {fmt_date(date.today(), lang)}</title>"
            f"<style>{_sections.CSS}</style></head><body>"
            + cover + "".join(pages) + "</body></html>\n")
