"""The scoring pipeline: constrain -> measure -> transform -> weight -> aggregate -> explain.

One pipeline for both engines: the local engine runs :func:`score_local`; the
dask engine runs it on each partition and finishes with :func:`aggregate_scores`
on the gathered rows.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import Problem, SiteplanInputError, raise_if_problems
from .._progress import steps
from ..layers.features import none_of_a_kind, select_features, warn_far_layers
from ..measures import layers_read, measure_criterion
from ..methods.aggregate import shapley
from ..methods.constraints import (
    CONSTRAINT_TYPES,
    broken_rules,
    candidate_mask,
    constraint_label,
    excluded_text,
    no_candidate_problem,
    rule_ids,
)
from ..methods.transforms import apply_transform
from ._measured import measured as kept
from ._measured import rows_key
from .ranks import rank_columns
from .record import Counts, Provenance, ScoreRecord, Skipped, attach

if TYPE_CHECKING:
    from ..layers.bundle import Layers
    from ..profiles.profile import Profile

__all__ = ["score_local", "aggregate_scores", "put_scores", "resolve_missing", "drop_rules",
           "MISSING_MODES", "STATUS_SCORED", "STATUS_EXCLUDED", "STATUS_REJECTED"]

log = logging.getLogger(__name__)

STATUS_SCORED = "scored"
STATUS_EXCLUDED = "excluded"
STATUS_REJECTED = "rejected"
#: what ``sp.score(..., missing=)`` accepts: refuse a rule whose layer is absent, or leave it out
MISSING_MODES = ("error", "skip")
#: why a rule was left out (words for each are in ``render/words.py``)
SKIP_NO_LAYER = "layer_not_given"
SKIP_NO_MATCH = "no_matching_feature"


# ------------------------------------------------------------------ partial data


def _rule_layers(con) -> tuple[str, ...]:
    kind = CONSTRAINT_TYPES.get(con.get("type"))
    return (con["layer"],) if kind is not None and kind.layer and con.get("layer") else ()


def layers_of(prof: Profile) -> set[str]:
    """The layers the profile's criteria and rules read as features or cells."""
    return {n for c in prof.criteria for n in layers_read(c)} | {
        n for c in prof.constraints for n in _rule_layers(c)}


def _why_left_out(layers: Layers, names: tuple[str, ...], first: str | None, where,
                  context: str) -> tuple[str | None, str | None]:
    """(reason, layer) when a rule cannot run on this bundle: a layer absent, or
    (for the rule's own layer) a ``where`` filter that selects nothing."""
    for name in names:
        if name not in layers:
            return SKIP_NO_LAYER, name
    if not (first and where):
        return None, None
    feats = layers.features(first)
    if isinstance(feats, gpd.GeoDataFrame) and len(feats) and not none_of_a_kind(
            first, where) and len(select_features(layers, first, where, context=context,
                                                  allow_empty=True)) == 0:
        return SKIP_NO_MATCH, first
    return None, None


def resolve_missing(prof: Profile, layers: Layers, missing: str = "error"
                    ) -> tuple[Profile, list[Skipped]]:
    """The profile this bundle can score, and the rules left out of it.

    With ``missing="error"`` every rule (constraint or criterion) whose layer
    is not in ``layers`` is named in one :class:`SiteplanInputError`. With
    ``"skip"`` those rules are left out, and so are rules whose ``where``
    filter selects no feature of a non-empty layer; the remaining criterion
    weights are renormalised to sum 1. An empty layer is not missing: it
    means there is nothing of that kind (no parcel lies near it).

    Parameters
    ----------
    prof
        The profile.
    layers
        The bundle to score.
    missing
        ``"error"`` (default) or ``"skip"``.

    Returns
    -------
    profile, skipped
        The profile to run (``prof`` itself when nothing is left out) and one
        :class:`~siteplan.scoring.record.Skipped` per rule left out: ``kind``
        (``constraint`` or ``criterion``), ``name`` (the criterion's name, or
        the constraint's label), ``rule`` (its 1-based number in the profile),
        ``title``, ``layer``, ``reason`` (``layer_not_given`` or
        ``no_matching_feature``), ``type``, ``where`` and, for a criterion,
        its original ``weight``.

    Examples
    --------
    >>> import siteplan as sp
    >>> s = sp.load_sample()
    >>> partial = s.replace(flood_zones=None)
    >>> prof, skipped = resolve_missing(sp.get_profile("fasilitas_publik"), partial, "skip")
    >>> sorted({x.layer for x in skipped}), round(sum(c.weight for c in prof.criteria), 9)
    (['flood_zones'], 1.0)
    """
    if missing not in MISSING_MODES:
        raise SiteplanInputError(Problem("score", f"missing={missing!r} is not an option",
                                         'use missing="error" (refuse) or missing="skip" '
                                         "(leave out rules whose layer was not given)"))
    skipped: list[Skipped] = []
    problems: list[Problem] = []
    have = ", ".join(layers.names) or "none"
    for j, con in enumerate(prof.constraints):
        names = _rule_layers(con)
        context = f"profile '{prof.name}' constraint {j + 1} ({con['type']})"
        if missing == "error":
            reason, layer = next(((SKIP_NO_LAYER, n) for n in names if n not in layers),
                                 (None, None))
        else:
            reason, layer = _why_left_out(layers, names, names[0] if names else None,
                                          con.get("where"), context)
        if reason is None:
            continue
        if missing == "error":
            # a reason comes with the layer it names
            problems.append(_missing_problem(context, cast(str, layer), have))
            continue
        skipped.append(Skipped(kind="constraint", name=constraint_label(con), rule=j + 1,
                               title=dict(con.get("title") or {}), layer=layer,
                               reason=reason, type=con["type"],
                               where=dict(con.get("where") or {})))
    for j, crit in enumerate(prof.criteria):
        names = layers_read(crit)
        context = f"profile '{prof.name}' criterion '{crit.name}'"
        if missing == "error":
            layer = next((n for n in names if n not in layers), None)
            if layer is not None:
                problems.append(_missing_problem(context, layer, have))
            continue
        own = crit.layer if crit.layer in names else None
        reason, layer = _why_left_out(layers, names, own, crit.where, context)
        if reason is not None:
            skipped.append(Skipped(kind="criterion", name=crit.name, rule=j + 1,
                                   title=dict(crit.title), layer=layer, reason=reason,
                                   type=crit.measure, weight=float(crit.weight),
                                   where=dict(crit.where)))
    raise_if_problems(problems)
    if not skipped:
        return prof, []
    gone = {x.name for x in skipped if x.kind == "criterion"}
    rules = {x.rule for x in skipped if x.kind == "constraint"}
    if len(gone) == len(prof.criteria):
        raise SiteplanInputError(Problem(
            f"profile '{prof.name}'", "every criterion was left out for want of data ("
            + "; ".join(f"{x.name}: layer '{x.layer}'" for x in skipped
                        if x.kind == "criterion") + "), so nothing is left to score",
            "load at least one of those layers"))
    return drop_rules(prof, gone, rules), skipped


def _missing_problem(context: str, layer: str, have: str) -> Problem:
    return Problem(context, f"needs layer '{layer}', which was not loaded (loaded: {have})",
                   f"pass it to sp.load_layers ({layer}=... or extra={{'{layer}': ...}}), "
                   "or score with missing=\"skip\" to leave this rule out and renormalise "
                   "the other weights",
                   cli=f"give it with {_cli_layer_option(layer)}, or add --skip-missing to "
                   "leave this rule out and renormalise the other weights")


def _cli_layer_option(layer: str) -> str:
    """The command-line option that gives ``layer``."""
    from ..io.schema import LAYER_SCHEMAS

    if layer in LAYER_SCHEMAS:
        return f"--{layer.replace('_', '-')} FILE"
    return f"--layer {layer}=FILE (or --osm FILE.osm.pbf for OpenStreetMap layers)"


def drop_rules(prof: Profile, criteria, constraints) -> Profile:
    """``prof`` without some criteria and constraints, the other weights renormalised.

    Parameters
    ----------
    prof
        The profile.
    criteria
        Names of the criteria to leave out.
    constraints
        1-based numbers of the constraints to leave out.

    Returns
    -------
    Profile
        A copy whose remaining criterion weights sum to 1.

    Examples
    --------
    >>> import siteplan as sp
    >>> p = drop_rules(sp.get_profile("rth"), {"luas"}, {1})
    >>> len(p.constraints), [round(c.weight, 4) for c in p.criteria]
    (2, [0.4118, 0.4118, 0.1765])
    """
    keep = [c for c in prof.criteria if c.name not in set(criteria)]
    total = float(sum(c.weight for c in keep))
    if not keep or total <= 0:
        raise SiteplanInputError(Problem(f"profile '{prof.name}'", "no criterion with a "
                                         "weight above 0 is left", "keep at least one"))
    crits = tuple(replace(c, weight=c.weight / total) for c in keep)
    cons = tuple(c for j, c in enumerate(prof.constraints) if j + 1 not in set(constraints))
    return replace(prof, criteria=crits, constraints=cons, source_text=None)


def _skip_notes(skipped: list[Skipped]) -> str:
    """The per-parcel note naming what was left out (facts, in the notes' own English)."""
    if not skipped:
        return ""
    parts = [f"{x.kind} {x.name} left out ({x.reason.replace('_', ' ')}: "
             f"{x.layer})" for x in skipped]
    return "; ".join(parts) + "; "


def score_local(layers: Layers, prof: Profile, *, missing: str = "error") -> gpd.GeoDataFrame:
    """The whole pipeline for one profile on this machine (see :func:`siteplan.score`)."""
    prof, skipped = resolve_missing(prof, layers, missing)
    context = f"profile '{prof.name}'"
    parcels = layers["parcels"]
    rejected = layers.rejected_parcels

    cand = candidate_mask(parcels, prof.candidates, context)
    cands = parcels.loc[cand]
    n_not_candidate = int((~cand).sum())
    n_rejected = 0 if rejected is None else len(rejected)
    if rejected is not None and len(rejected):
        rej_mask = candidate_mask(rejected.drop(columns="reason"), prof.candidates, context) \
            if prof.candidates else np.ones(len(rejected), dtype=bool)
        n_not_candidate += int((~rej_mask).sum())
        rejected = rejected.loc[rej_mask]
    if n_not_candidate and n_not_candidate == len(parcels) + n_rejected:
        frames = [parcels] if not n_rejected else [parcels, layers.rejected_parcels]
        raise SiteplanInputError(no_candidate_problem(frames, prof.candidates, context))
    warn_far_layers(layers, [n for c in prof.criteria for n in layers_read(c)] + [
        n for c in prof.constraints for n in _rule_layers(c)], cands, context=context,
        stacklevel=4)

    # measured once per bundle, parcels and rule definition (siteplan.scoring._measured):
    # new weights or another method re-use them
    positions = np.flatnonzero(cand)
    broken = kept(layers.token, "constraints", prof.constraints, rows_key(positions),
                  lambda: broken_rules(cands, prof.constraints, layers,
                                       profile_name=prof.name))
    labels = [constraint_label(c) for c in prof.constraints]
    # numpy's stub types any(axis=1) as maybe a scalar; on the 2-D table it is an array
    eligible = cast(np.ndarray, ~broken.any(axis=1))
    elig = cands.loc[eligible]
    elig_rows = rows_key(positions[eligible])

    names = [c.name for c in prof.criteria]
    raw = {}
    cvals = np.zeros((len(elig), len(names)))
    notes = np.full(len(elig), "", dtype=object)
    noted = False           # any per-parcel note written (else the column is one text)
    used = {}
    from ..measures._nearest import one_run  # numba, loaded only when something is scored

    with one_run():     # the parcels' rings are read once for every distance criterion
        # mypy cannot infer a lambda with a default argument as a Callable[[], T]
        measured: list[tuple[np.ndarray, np.ndarray | None, str]]
        measured = [kept(layers.token, "criterion", crit, elig_rows,
                         lambda crit=crit: measure_criterion(crit, elig, layers,  # type: ignore[misc]
                                                             profile_name=prof.name))
                    for crit in steps(prof.criteria, desc=f"{prof.name}: criteria",
                                      unit="criterion")]
    for j, crit in enumerate(prof.criteria):
        values, why, used[crit.name] = measured[j]
        raw[crit.name] = values
        # which parcels the measure wrote a note for
        said = np.zeros(len(values), dtype=bool) if why is None else why != ""
        if said.any():
            notes = np.where(said, notes + why + "; ", notes)
            noted = True
        c = apply_transform(crit.transform, values)
        absent = np.isnan(c)
        if absent.any():
            fill = crit.missing if crit.missing is not None else 0.0
            c = np.where(absent, fill, c)
            extra = np.where(said[absent], f"counted as {fill:g}; ",
                             f"{crit.name}: no value, counted as {fill:g}; ")
            notes[absent] = notes[absent] + extra
            noted = True
        cvals[:, j] = c

    s, contrib, base = aggregate_scores(prof, cvals)

    # every new column built first and joined once (inserting them one by one was most of
    # the time of a re-weighted score)
    n = len(cands)
    cols: dict[str, Any] = {
        "status": _text_column(eligible.astype(np.intp), [STATUS_EXCLUDED, STATUS_SCORED]),
        "eligible": eligible}
    codes, rows = _rule_patterns(broken)
    cols["excluded_by"] = _text_column(codes, excluded_text(rows, labels))
    cols["excluded_rules"] = _text_column(codes, rule_ids(rows))
    for name in names:
        m = np.full(n, np.nan, dtype=object if raw[name].dtype == object else float)
        m[eligible] = raw[name]
        cols[f"m_{name}"] = m
    for j, name in enumerate(names):
        col = np.full(n, np.nan)
        col[eligible] = cvals[:, j]
        cols[f"c_{name}"] = col
    for j, name in enumerate(names):
        col = np.full(n, np.nan)
        col[eligible] = contrib[:, j]
        cols[f"contrib_{name}"] = col
    score_col = np.full(n, np.nan)
    score_col[eligible] = s
    cols["score"] = score_col
    if noted:
        note_col = np.full(n, _skip_notes(skipped), dtype=object)
        note_col[eligible] = note_col[eligible] + notes
        codes, texts = pd.factorize(note_col)
        cols["notes"] = _text_column(codes, [str(t) for t in texts])
    else:                   # the same note (often none) on every row
        cols["notes"] = _text_column(np.zeros(n, dtype=np.intp), [_skip_notes(skipped)])
    kept_cols = cands.drop(columns=[c for c in cols if c in cands.columns])
    out = gpd.GeoDataFrame(pd.concat([kept_cols, pd.DataFrame(cols, index=cands.index)],
                                     axis=1), geometry=cands.geometry.name, crs=cands.crs)

    if rejected is not None and len(rejected):
        rej = rejected.drop(columns="reason").copy()
        rej["status"] = STATUS_REJECTED
        rej["eligible"] = False
        rej["excluded_by"] = ("rejected: " + rejected["reason"].astype(str)).to_numpy()
        rej["excluded_rules"] = ""
        rej["notes"] = ""
        out = pd.concat([out, rej.reindex(columns=out.columns).astype(
            {"eligible": bool, "status": object, "excluded_by": object, "excluded_rules": object,
             "notes": object})])
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=parcels.crs)
        if out.index.is_monotonic_increasing is False:
            with contextlib.suppress(TypeError):
                out = out.sort_index()

    out["rank"], out["rank_shared"] = rank_columns(out["score"].to_numpy(dtype=float))
    read = layers_of(prof)
    empty = sorted(n for n in read if isinstance(layers.get(n), gpd.GeoDataFrame)
                   and len(layers[n]) == 0)
    n_input = len(parcels) + (0 if layers.rejected_parcels is None
                              else len(layers.rejected_parcels))
    counts = counts_of(out, n_input, n_not_candidate)
    attach(out, ScoreRecord(profile=prof, counts=counts,
                            base_score=float(base),
                            measured_as={c.name: used.get(c.name, c.measure)
                                         for c in prof.criteria},
                            skipped=tuple(skipped),
                            empty_layers=tuple(empty), provenance=Provenance.of(layers)))
    log.info("%s: %d scored, %d excluded, %d rejected", prof.name, counts.scored,
             counts.excluded, counts.rejected)
    return out


def _rule_patterns(broken: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's pattern of broken rules as a code, and the distinct patterns (rows of bools)."""
    m = broken.shape[1]
    if m <= 24:   # a pattern is a small integer (np.unique over rows is 30x slower)
        key = broken.astype(np.int64) @ (np.int64(1) << np.arange(m, dtype=np.int64))
        seen = np.bincount(key, minlength=1)
        uniq = np.flatnonzero(seen)
        lut = np.zeros(len(seen), dtype=np.intp)
        lut[uniq] = np.arange(len(uniq))
        return lut[key], ((uniq[:, None] >> np.arange(m)) & 1).astype(bool)
    rows, codes = np.unique(broken, axis=0, return_inverse=True)
    return codes.ravel().astype(np.intp), rows


def _text_column(codes: np.ndarray, texts) -> pd.api.extensions.ExtensionArray:
    """A text column (pandas' default text dtype) holding ``texts[codes]``.

    Built from the few distinct texts and the codes, rather than from one
    Python string per row: the row-wise conversion was a tenth of a
    10^5-parcel scoring run.
    """
    return pd.Series(np.asarray(list(texts), dtype=object)).astype(str).array.take(
        np.asarray(codes, dtype=np.intp))


def put_scores(out: pd.DataFrame, eligible: np.ndarray, names: list[str], s: np.ndarray,
               contrib: np.ndarray, *, rank: bool = True) -> None:
    """Write ``contrib_*``, ``score`` (and ``rank``) of the eligible rows into ``out``."""
    for j, name in enumerate(names):
        col = np.full(len(out), np.nan)
        col[eligible] = contrib[:, j]
        out[f"contrib_{name}"] = col
    sc = np.full(len(out), np.nan)
    sc[eligible] = s
    out["score"] = sc
    if rank:
        out["rank"], out["rank_shared"] = rank_columns(sc)


def aggregate_scores(prof: Profile, cvals: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, float]:
    """Scores (0-100), per-criterion contributions and base score of the eligible sites.

    ``cvals`` holds one row per eligible site, one column per criterion (in
    profile order). Contributions are the Shapley values of the method's own
    score (see :func:`siteplan.methods.aggregate.shapley`); they add up to
    ``score - base``. The scores depend on every row only for TOPSIS (its
    ideal points), so the dask engine calls this once on the gathered rows.
    """
    w = np.array([c.weight for c in prof.criteria])
    return shapley(prof.method, cvals, w, alpha=prof.owa_alpha)


def counts_of(out: gpd.GeoDataFrame, n_input: int, n_not_candidate: int) -> Counts:
    """What became of the parcels, counted from the result's ``status``."""
    status = out["status"].value_counts()
    return Counts(input=int(n_input), not_candidate=int(n_not_candidate),
                  scored=int(status.get(STATUS_SCORED, 0)),
                  excluded=int(status.get(STATUS_EXCLUDED, 0)),
                  rejected=int(status.get(STATUS_REJECTED, 0)))
