"""Green open space (RTH) need per admin unit, and the ``rth`` profile's criteria.

The law asks every Indonesian city for 30% of its area as RTH, 20% of it
public (UU 26/2007 Pasal 29); Permen PU 05/PRT/M/2008 sets a park hierarchy
by population served, minimum area, m² per person and reach. The figures are
data, in ``siteplan/data/rth_norms.csv``, read at call time (``norms=``
overrides them; see :func:`read_norms`).

Counting rules (each area counted once):

- **Green space**: overlapping green polygons are unioned before measuring.
  Public RTH is laid down first, then private, so where public and private
  overlap the overlap is public. Within public (and within private) the
  types are laid down in the order of :data:`TYPE_ORDER` (taman first, then
  hutan_kota, lapangan, pemakaman, jalur_hijau, sempadan, then any other
  type alphabetically): the per-type columns add up to the totals. A green
  feature whose ``public`` is missing counts as private.
- **Admin units**: where units of one level overlap, the overlap belongs to
  the unit whose ``kode`` sorts first (in row order when there is no
  ``kode``); slivers between units belong to no unit. So the units' areas
  add up to the area of their union, and every measure uses these counted
  pieces (the returned geometry).
- **Population** is spread evenly over each population polygon (areal
  weighting; the polygons are assumed not to overlap); population points
  count whole, in the first unit that holds them.
- **Reach**: a person is *beyond reach r* when their home is farther than r
  from every public park: a public green space of a type in
  :data:`PARK_TYPES` (taman, hutan_kota, lapangan), of any size. The reaches
  are those of the hierarchy (taman RT 300 m, taman RW 1,000 m).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import Problem, SiteplanInputError, raise_if_problems
from ..io.admin import KOTA_KODE, KOTA_NAMA, SERANG_KECAMATAN, dissolve, parent_code
from ..layers.bundle import CacheKey
from ..layers.features import where_key
from ..layers.population import amount_in, people, people_beyond

if TYPE_CHECKING:
    from ..layers.bundle import Layers

__all__ = ["rth_gaps", "read_norms", "LEVELS",
           "PARK_TYPES", "TYPE_ORDER", "SHARE_BREAKS"]

log = logging.getLogger(__name__)

#: The admin levels ``rth_gaps`` works at.
LEVELS = ("kelurahan", "kecamatan", "kota")
#: Public green space that counts as a park people can walk to.
PARK_TYPES = ("taman", "hutan_kota", "lapangan")
#: The order in which green-space types claim overlapping area.
TYPE_ORDER = ("taman", "hutan_kota", "lapangan", "pemakaman", "jalur_hijau", "sempadan")
#: The shares the standards speak of (of the unit's area): 20 % public and 30 % total
#: RTH (UU 26/2007) among them. The map classes on the data (``render.rth_map``).
SHARE_BREAKS = (0.0, 0.05, 0.10, 0.20, 0.30, 1.0)
_NORM_COLUMNS = ("kind", "type", "population_served", "min_area_m2", "m2_per_person",
                 "reach_m", "share", "source")
_NUMERIC = ("population_served", "min_area_m2", "m2_per_person", "reach_m", "share")
_KINDS = ("park", "per_person", "target")
_WHY = {"admin": "the kelurahan/kecamatan boundaries", "green_spaces": "the RTH polygons",
        "population": "where people live"}


# ---------------------------------------------------------------------------- norms


def read_norms(norms: str | PathLike | pd.DataFrame | None = None) -> pd.DataFrame:
    """The RTH norms table, checked: the park hierarchy, per-person needs, targets.

    Parameters
    ----------
    norms
        ``None`` for the built-in ``siteplan/data/rth_norms.csv``; or a path to
        a CSV, or a DataFrame, with the columns ``kind`` (park, per_person,
        target), ``type``, ``population_served``, ``min_area_m2``,
        ``m2_per_person``, ``reach_m``, ``share`` and ``source``. Lines
        starting with ``#`` are comments. Never modified.

    Returns
    -------
    pandas.DataFrame
        A cleaned copy (kind and type lower-case, numbers as floats).

    Examples
    --------
    >>> from siteplan.rth import read_norms
    >>> norms = read_norms()
    >>> norms.loc[norms["kind"] == "park", "reach_m"].dropna().tolist()
    [300.0, 1000.0]
    >>> float(norms.loc[norms["type"] == "public_share", "share"].iloc[0])
    0.2
    """
    if norms is None:
        where = "RTH norms (siteplan/data/rth_norms.csv)"
        res = resources.files("siteplan").joinpath("data", "rth_norms.csv")
        with res.open("r", encoding="utf-8") as f:
            table = pd.read_csv(f, comment="#", skipinitialspace=True)
    elif isinstance(norms, pd.DataFrame):
        where, table = "RTH norms (DataFrame)", norms.copy()
    elif isinstance(norms, str | PathLike):
        p = Path(norms)
        where = f"RTH norms file '{p}'"
        if not p.is_file():
            raise SiteplanInputError(Problem(where, "does not exist", "check the path"))
        try:
            table = pd.read_csv(p, comment="#", skipinitialspace=True, encoding="utf-8")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise SiteplanInputError(Problem(where, f"is not a readable CSV ({exc})",
                                             "save it as UTF-8 CSV like siteplan/data/"
                                             "rth_norms.csv")) from None
    else:
        raise SiteplanInputError(Problem("norms", f"got a {type(norms).__name__}",
                                         "pass None, a CSV path or a pandas.DataFrame"))
    return _check_norms(table, where)


def _check_norms(table: pd.DataFrame, where: str) -> pd.DataFrame:
    missing = [c for c in _NORM_COLUMNS if c not in table.columns]
    if missing:
        raise SiteplanInputError(Problem(where, f"lacks column(s) {', '.join(missing)} (it "
                                         f"has: {', '.join(map(str, table.columns))})",
                                         "use the columns of siteplan/data/rth_norms.csv"))
    out = table.loc[:, list(_NORM_COLUMNS)].copy()
    problems = []
    for col in ("kind", "type"):
        out[col] = out[col].astype("string").str.strip().str.lower().astype(object)
    for col in _NUMERIC:
        num = pd.to_numeric(out[col], errors="coerce")
        bad = num.isna() & out[col].notna()
        if bad.any():
            problems.append(Problem(where, f"column '{col}' holds {out[col][bad].iloc[0]!r} "
                                    f"(row {int(np.flatnonzero(bad)[0]) + 1}), not a number",
                                    "write numbers with . as the decimal mark"))
        out[col] = num.astype(float)
    bad_kind = ~out["kind"].isin(_KINDS)
    if bad_kind.any():
        problems.append(Problem(where, f"unknown kind {out['kind'][bad_kind].iloc[0]!r}",
                                f"use one of: {', '.join(_KINDS)}"))
    raise_if_problems(problems)
    need = out["kind"].isin(["park", "per_person"])
    if (out.loc[need, "m2_per_person"].isna() | (out.loc[need, "m2_per_person"] < 0)).any():
        problems.append(Problem(where, "every park and per_person row needs m2_per_person >= 0",
                                "fill in m2_per_person"))
    if (out["reach_m"].dropna() <= 0).any():
        problems.append(Problem(where, "reach_m must be > 0 (or empty)", "fix reach_m"))
    shares = {}
    for target in ("public_share", "total_share"):
        rows = out[(out["kind"] == "target") & (out["type"] == target)]
        value = rows["share"].iloc[0] if len(rows) == 1 else np.nan
        if not 0 < value <= 1:
            problems.append(Problem(where, f"needs exactly one target row '{target}' with a "
                                    f"share in (0, 1], found {rows['share'].tolist()}",
                                    f"add: target,{target},,,,,0.2,<source>"))
        shares[target] = value
    if not problems and shares["public_share"] > shares["total_share"]:
        problems.append(Problem(where, f"public_share {shares['public_share']} is above "
                                f"total_share {shares['total_share']}", "fix the targets"))
    raise_if_problems(problems)
    return out


def _target(norms: pd.DataFrame, name: str) -> float:
    return float(norms.loc[(norms["kind"] == "target") & (norms["type"] == name), "share"].iloc[0])


def _reaches(norms: pd.DataFrame) -> list[float]:
    return sorted(set(norms.loc[norms["kind"] == "park", "reach_m"].dropna().tolist()))


def _norms_key(norms: pd.DataFrame) -> tuple:
    return tuple(pd.util.hash_pandas_object(norms, index=False).tolist())


# ---------------------------------------------------------------------- validation


def _check_level(level: str, where: str) -> None:
    if level not in LEVELS:
        raise SiteplanInputError(Problem(where, f"unknown admin level {level!r}",
                                         f"use one of: {', '.join(LEVELS)}"))


def _require(layers: Layers, names: Sequence[str], where: str) -> None:
    have = ", ".join(layers.names) or "none"
    raise_if_problems([Problem(where, f"needs layer '{n}' ({_WHY.get(n, 'features')}), which "
                               f"was not loaded (loaded: {have})",
                               f"pass it: sp.load_layers(..., {n}=...)")
                       for n in names if n not in layers])


def _arr(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(gdf.geometry.array, dtype=object)


def _park_where(park_types: Sequence[str] | None) -> dict[str, tuple]:
    types = PARK_TYPES if park_types is None else tuple(str(t).lower() for t in park_types)
    return {"public": (True,), "rth_type": types}


# --------------------------------------------------------------------------- units


def _units(layers: Layers, level: str, where: str) -> gpd.GeoDataFrame:
    """The units of one level, each cut to the area it counts (overlaps once)."""
    return layers.cache.get(CacheKey("rth_units", ("admin",), (level,)),
                            lambda: _build_units(layers, level, where))


def _build_units(layers: Layers, level: str, where: str) -> gpd.GeoDataFrame:
    admin = layers["admin"]
    lv = (admin["level"].astype("string").str.strip().str.lower() if "level" in admin.columns
          else pd.Series("kelurahan", index=admin.index, dtype="string"))
    chosen = (lv == level).fillna(False).to_numpy(dtype=bool)
    kel = (lv == "kelurahan").fillna(False).to_numpy(dtype=bool)
    if len(admin) == 0:  # an empty layer: no unit, so no parcel lies in one
        return gpd.GeoDataFrame({"kode": [], "nama": [], "level": []},
                                geometry=gpd.GeoSeries([], crs=admin.crs))
    if chosen.any():
        sel = admin.loc[chosen]
        extra = {c: _text(sel, c) for c in ("kecamatan", "kode_bps") if c in sel.columns
                 and (level == "kelurahan" or c == "kode_bps")}
        units = gpd.GeoDataFrame({"kode": _text(sel, "kode"), "nama": _text(sel, "nama"),
                                  "level": level, **extra}, geometry=_arr(sel),
                                 index=sel.index, crs=admin.crs)
    elif level != "kelurahan" and kel.any():
        units = _dissolve(admin.loc[kel], level, where)
    else:
        present = sorted(set(lv.dropna()))
        raise SiteplanInputError(Problem(
            where, f"layer 'admin' has no unit at level {level!r} (levels present: "
            f"{', '.join(present) or 'none'})", "add units with that level in the 'level' "
            "column, or kelurahan (with a 'kecamatan' column or Kemendagri codes) to dissolve"))
    kode = units["kode"].to_numpy(dtype=object)
    # numpy's stub wants keys of one type; lexsort takes a sequence of keys of any types
    order = np.lexsort((np.arange(len(units)),  # type: ignore[arg-type]
                        [str(k) if k is not None else "" for k in kode], pd.isna(kode)))
    rank = np.empty(len(units), dtype=int)
    rank[order] = np.arange(len(units))
    geoms = _arr(units)
    own = _count_once(geoms, rank)
    overlap = float(shapely.area(geoms).sum() - shapely.area(own).sum())
    if overlap > 0.5:
        log.info("admin %s: %.0f m² of overlap between units counted once (to the unit with "
                 "the lower kode)", level, overlap)
    return units.set_geometry(gpd.GeoSeries(own, index=units.index, crs=units.crs))


def _text(gdf: pd.DataFrame, col: str) -> np.ndarray:
    if col not in gdf.columns:
        return np.full(len(gdf), None, dtype=object)
    values = gdf[col].astype("string").str.strip()
    return values.astype(object).where(values.notna(), None).to_numpy(dtype=object)


def _dissolve(kel: gpd.GeoDataFrame, level: str, where: str) -> gpd.GeoDataFrame:
    """Kelurahan dissolved into kecamatan (by 'kecamatan' or the code) or into the city."""
    kode = pd.Series(_text(kel, "kode"), index=kel.index, dtype=object)
    parts = kode.str.split(".")
    if level == "kota":
        group = pd.Series("kota", index=kel.index)
        prefix = parent_code(kode, "kota").where(kode.notna(), None)
    elif "kecamatan" in kel.columns and kel["kecamatan"].notna().all():
        group = kel["kecamatan"].astype(str).str.strip()
        prefix = parent_code(kode, "kecamatan").where(kode.notna(), None)
    elif kode.notna().all() and (parts.str.len() >= 3).all():
        prefix = parent_code(kode, "kecamatan")
        group = prefix.map(SERANG_KECAMATAN).fillna(prefix)
    else:
        raise SiteplanInputError(Problem(
            where, "layer 'admin' has no kecamatan units, and its kelurahan have neither a "
            "'kecamatan' column nor Kemendagri codes (like 36.73.02.1007) in 'kode'",
            "add a 'kecamatan' column naming each kelurahan's kecamatan, or kecamatan "
            "polygons with level = 'kecamatan'"))
    units = dissolve(kel, group.to_numpy(dtype=object), level)
    codes = prefix.groupby(group).agg(lambda s: s.iloc[0] if s.nunique() == 1 and
                                      s.notna().all() else None)
    units["nama"] = units["kode"]
    units["kode"] = units["nama"].map(codes)
    cols = ["kode", "nama", "level", "geometry"]
    if "kode_bps" in kel.columns:  # a BPS code's first 4 digits are the kota, 7 the kecamatan
        bps = pd.Series(_text(kel, "kode_bps"), index=kel.index, dtype=object).str[
            :4 if level == "kota" else 7]
        units["kode_bps"] = units["nama"].map(bps.groupby(group).agg(
            lambda s: s.iloc[0] if s.nunique() == 1 and s.notna().all() else None))
        cols.insert(1, "kode_bps")
    if level == "kota":
        units["nama"] = [KOTA_NAMA if c == KOTA_KODE else (f"Kota {c}" if c else "Kota")
                         for c in units["kode"]]
    key = pd.DataFrame({"k": units["kode"].fillna(""), "none": units["kode"].isna(),
                        "n": units["nama"]})
    order = key.sort_values(["none", "k", "n"], kind="stable").index
    return units.loc[order, cols].reset_index(drop=True)


def _count_once(geoms: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Cut from each polygon what it shares with a polygon of lower rank."""
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = rank[j] < rank[i]
    i, j = i[keep], j[keep]
    own = geoms.copy()
    if len(i) == 0:
        return own
    parts, k = shapely.get_parts(shapely.intersection(geoms[i], geoms[j]), return_index=True)
    poly = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    parts, owner = parts[poly], i[k[poly]]
    if len(parts) == 0:
        return own
    # one union per unit that loses area: there are few such units (admin units)
    taken = pd.Series(parts).groupby(owner).agg(lambda s: shapely.union_all(s.to_numpy()))
    losers = taken.index.to_numpy()
    own[losers] = shapely.difference(geoms[losers], taken.to_numpy(dtype=object))
    return own


# ------------------------------------------------------------ green and population


class _Green(NamedTuple):
    tree: shapely.STRtree
    geoms: np.ndarray
    public: np.ndarray
    type_idx: np.ndarray
    types: list[str]


def _green(layers: Layers) -> _Green:
    """Green space as non-overlapping pieces: public first, types in TYPE_ORDER."""
    return layers.cache.get(CacheKey("rth_green", ("green_spaces",)),
                            lambda: _build_green(layers["green_spaces"]))


def _build_green(gs: gpd.GeoDataFrame) -> _Green:
    types = gs["rth_type"].astype("string").str.strip().str.lower().fillna("lainnya").to_numpy(
        dtype=object)
    public = gs["public"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    present = set(types)
    all_types = list(TYPE_ORDER) + sorted(present - set(TYPE_ORDER))
    geoms = _arr(gs)
    taken = None
    out_g, out_p, out_t = [], [], []
    for pub in (True, False):
        for t_idx, t in enumerate(all_types):
            sel = (public == pub) & (types == t)
            if not sel.any():
                continue
            g = shapely.union_all(geoms[sel])
            if taken is not None:
                g, taken = shapely.difference(g, taken), shapely.union(taken, g)
            else:
                taken = g
            parts = shapely.get_parts(g)
            parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)]
            out_g.append(parts)
            out_p.append(np.full(len(parts), pub))
            out_t.append(np.full(len(parts), t_idx))
    g = np.concatenate(out_g) if out_g else np.empty(0, dtype=object)
    return _Green(shapely.STRtree(g), g, np.concatenate(out_p) if out_p else np.empty(0, bool),
                  np.concatenate(out_t) if out_t else np.empty(0, int), all_types)


# ------------------------------------------------------------------------------ gaps


def rth_gaps(layers: Layers, level: str = "kelurahan", *,
             norms: str | PathLike | pd.DataFrame | None = None,
             park_types: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Green open space (RTH) need per admin unit, against the 20%/30% targets and the norms.

    Parameters
    ----------
    layers
        With ``admin``, ``green_spaces`` and ``population``.
    level
        ``"kelurahan"``, ``"kecamatan"`` or ``"kota"``. Units come from the
        admin layer's rows of that level; when it has none, its kelurahan are
        dissolved by their ``kecamatan`` column (or Kemendagri code), or all.
    norms
        The norms table (see :func:`read_norms`); default the built-in one.
    park_types
        Public green-space types that count as parks for reach (default
        :data:`PARK_TYPES`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per unit (on the admin layer's index when it has units of
        that level; a new index for dissolved ones), the geometry being the
        area counted for the unit (see the module's counting rules), with:

        - ``kode``, ``nama``, ``level``, (kelurahan, when the admin layer
          has it) ``kecamatan``, ``area_m2``;
        - ``rth_public_m2``, ``rth_private_m2``, ``rth_total_m2`` and per type
          ``rth_public_<type>_m2``, ``rth_private_<type>_m2``;
        - ``public_share``, ``total_share`` (of ``area_m2``), the targets
          ``public_target`` (0.20) and ``total_target`` (0.30), and
          ``public_share_short`` = max(0, public_target - public_share);
        - ``public_shortfall_m2``/``_ha`` = max(0, public_target x area -
          public RTH); ``total_shortfall_m2``/``_ha`` likewise against 30%;
        - ``population``; ``public_m2_per_person`` (all public RTH over the
          population) against ``norm_m2_per_person``, the sum of the norms'
          m² per person (taman RT 1.0 + RW 0.5 + kelurahan 0.3 + kecamatan
          0.2 + kota 0.3 + pemakaman 1.2 = 3.5): every unit is held to its
          residents' share of the whole hierarchy; and
          ``per_person_shortfall_m2`` = max(0, norm x population - public RTH);
        - ``pop_beyond_<r>m`` for each reach r of the hierarchy (300, 1000):
          the people living farther than r from every public park;
        - ``need_rank``: 1 = most in need, ordered by ``public_shortfall_ha``
          (largest first), ties by the people beyond the shortest reach, then
          the next reach, then ``kode``.

    Raises
    ------
    SiteplanInputError
        Naming every missing layer at once, an unknown level, an admin layer
        with no unit of the level and nothing to dissolve, or bad norms.

    Examples
    --------
    >>> import siteplan as sp
    >>> gaps = sp.rth_gaps(sp.load_sample())
    >>> bool(gaps["public_share"].between(0, 1).all())
    True
    >>> int(gaps.loc[gaps["need_rank"] == 1, "need_rank"].iloc[0])
    1
    >>> len(sp.rth_gaps(sp.load_sample(), level="kota"))
    1
    """
    context = "sp.rth_gaps"
    _check_level(level, context)
    _require(layers, ("admin", "green_spaces", "population"), context)
    table = read_norms(norms)
    return _gaps(layers, level, table, _park_where(park_types), context,
                 with_people=True).copy()


def _gaps(layers: Layers, level: str, norms: pd.DataFrame, where: Mapping[str, Sequence],
          context: str, *, with_people: bool) -> gpd.GeoDataFrame:
    key = CacheKey("rth_gaps", ("admin", "green_spaces") + (("population",) if with_people
                                                             else ()),
                   (level, _norms_key(norms), where_key(where), with_people))
    return layers.cache.get(key, lambda: _build_gaps(layers, level, norms, where, context,
                                                     with_people=with_people))


def _build_gaps(layers: Layers, level: str, norms: pd.DataFrame,
                where: Mapping[str, Sequence], context: str, *,
                with_people: bool) -> gpd.GeoDataFrame:
    units = _units(layers, level, context)
    geoms = _arr(units)
    n = len(units)
    area = shapely.area(geoms)
    green = _green(layers)
    nt = len(green.types)
    i, j = green.tree.query(geoms, predicate="intersects")
    a = shapely.area(shapely.intersection(geoms[i], green.geoms[j]))
    flat = i * 2 * nt + np.where(green.public[j], 0, 1) * nt + green.type_idx[j]
    by = np.bincount(flat, weights=a, minlength=n * 2 * nt).reshape(n, 2, nt)
    public, private = by[:, 0, :].sum(axis=1), by[:, 1, :].sum(axis=1)
    t_pub, t_tot = _target(norms, "public_share"), _target(norms, "total_share")
    with np.errstate(invalid="ignore", divide="ignore"):
        public_share = np.where(area > 0, public / area, np.nan)
        total_share = np.where(area > 0, (public + private) / area, np.nan)
    short_pub = np.maximum(t_pub * area - public, 0.0)
    short_tot = np.maximum(t_tot * area - public - private, 0.0)
    cols = {
        "kode": units["kode"].to_numpy(), "nama": units["nama"].to_numpy(),
        "level": units["level"].to_numpy(),
        **{c: units[c].to_numpy() for c in ("kecamatan", "kode_bps") if c in units},
        "area_m2": area,
        "rth_public_m2": public, "rth_private_m2": private, "rth_total_m2": public + private,
        "public_share": public_share, "total_share": total_share,
        "public_target": t_pub, "total_target": t_tot,
        "public_share_short": np.maximum(t_pub - public_share, 0.0),
        "public_shortfall_m2": short_pub, "public_shortfall_ha": short_pub / 1e4,
        "total_shortfall_m2": short_tot, "total_shortfall_ha": short_tot / 1e4,
    }
    reaches = _reaches(norms)
    if with_people:
        pop = amount_in(geoms, people(layers, context=context), once=True)
        norm_pp = float(norms.loc[norms["kind"].isin(["park", "per_person"]),
                                  "m2_per_person"].sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            cols["population"] = pop
            cols["public_m2_per_person"] = np.where(pop > 0, public / pop, np.nan)
        cols["norm_m2_per_person"] = norm_pp
        cols["per_person_shortfall_m2"] = np.maximum(norm_pp * pop - public, 0.0)
        for r in reaches:
            beyond = people_beyond(layers, r, "green_spaces", where, context=context)
            cols[f"pop_beyond_{r:g}m"] = amount_in(geoms, beyond, once=True)
    by_type = {f"rth_{kind}_{t}_m2": by[:, s, k] for s, kind in enumerate(("public", "private"))
               for k, t in enumerate(green.types)}
    out = pd.DataFrame(cols, index=units.index)
    sort_by = ["public_shortfall_ha"] + ([f"pop_beyond_{r:g}m" for r in reaches]
                                         if with_people else [])
    order = out.assign(_k=out["kode"].fillna("").astype(str)).sort_values(
        [*sort_by, "_k"], ascending=[False] * len(sort_by) + [True], kind="stable").index
    out.loc[order, "need_rank"] = np.arange(1, n + 1)
    out["need_rank"] = out["need_rank"].astype(int)
    out = pd.concat([out, pd.DataFrame(by_type, index=units.index)], axis=1)
    res = gpd.GeoDataFrame(out, geometry=units.geometry.copy(), crs=units.crs)
    res.attrs["siteplan_rth"] = {
        "level": level, "public_target": t_pub, "total_target": t_tot,
        "reaches_m": reaches, "park_where": {k: list(v) for k, v in where.items()},
        "synthetic": bool(layers.synthetic),
        "rules": "green counted once (public first, types in TYPE_ORDER); admin overlaps to "
                 "the lower kode; population areally weighted",
    }
    return res
