"""Request bodies of the service (pydantic models; FastAPI turns them into OpenAPI).

No field is ever read as a path: a profile is a built-in profile's name or
the profile itself as JSON, layers come as GeoJSON in the body. Text that
looks like a path where a name is expected is refused with a clear message,
so that a client who tries one learns why at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..profiles.profile import METHODS
from ..scoring.pipeline import MISSING_MODES
from ._body import INT_MAX
from ._geojson import looks_like_path

__all__ = ["ScoreRequest", "SensitivityRequest", "SelectRequest", "AllocateRequest",
           "LocateRequest", "AccessRequest",
           "OfferRequest", "AdvanceRequest", "PartnerRequest", "TokenRequest",
           "NO_PATHS", "PathRefusedError", "ErrorBody", "Problem"]

Method = Literal[METHODS]  # type: ignore[valid-type]
Missing = Literal[MISSING_MODES]  # type: ignore[valid-type]
Objective = Literal["score", "coverage"]
#: the location models and access measures the service runs (siteplan.locate's tables)
LocateModel = Literal["lscp", "lscpb", "mclp", "pmedian", "cpmedian", "pcenter", "pdispersion"]
AccessMethod = Literal["2sfca", "e2sfca", "3sfca", "gravity", "raam"]

NO_PATHS = ("this service reads no file named in a request; give a built-in profile's name "
            "(GET /profiles) or the profile itself as JSON (GET /schema/profile), and layers "
            "as GeoJSON in the body")

_PROFILE_DOC = ("A built-in profile's name (GET /profiles) or a whole profile as JSON, the "
                "parsed form of a profile TOML file (JSON Schema: GET /schema/profile). "
                "Checked like a TOML file.")
_PARCELS_DOC = ("Parcels as a GeoJSON FeatureCollection in EPSG:4326 (RFC 7946), with the "
                "parcel columns as properties (parcel_id, ownership, ...; Indonesian aliases "
                "such as NIB or status_aset are recognised). Leave out to use the parcels "
                "the server was started with. A 'crs' member may only name EPSG:4326 or OGC "
                "CRS84 (it is never fetched or opened); better leave it out.")


class PathRefusedError(ValueError):
    """A path where a name or data is expected (pydantic reports it as a value error)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what, self.fix = what, NO_PATHS


def check_profile_value(value: Any, field: str = "profile") -> Any:
    """Refuse a path given where a profile is expected (name or inline profile)."""
    if isinstance(value, str):
        if looks_like_path(value):
            raise PathRefusedError(f"'{field}' looks like a file path ({value[:80]!r})")
        return value
    if isinstance(value, dict):
        parts = [value.get("criteria"), value.get("constraints")]
        for part in parts:
            if not isinstance(part, list):
                continue
            for item in part:  # a handful of criteria or constraints
                layer = item.get("layer") if isinstance(item, dict) else None
                if isinstance(layer, str) and looks_like_path(layer):
                    raise PathRefusedError(f"'{field}' names a file as a layer "
                                           f"({layer[:80]!r}): layers are named, never read "
                                           "from a path")
    return value


def _no_path_layer(value: Any, field: str) -> Any:
    if isinstance(value, str):
        raise PathRefusedError(f"'{field}' is text ({value[:80]!r}), not GeoJSON")
    return value


class Problem(BaseModel):
    """One problem of a refused request: where, what is wrong, the fix."""

    where: str | None = Field(None, description="the field or value, e.g. 'request top'")
    what: str = Field(description="what is wrong with it")
    fix: str | None = Field(None, description="what to do")
    text: str = Field(description="the three as one sentence")


class ErrorBody(BaseModel):
    """Every answer other than 200 (and the HTML pages' 200) is this JSON object."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="a code: invalid_request, invalid_input, unknown_profile, "
                       "not_found, method_not_allowed, too_large, timeout, not_implemented, "
                       "host_not_allowed, internal, ...")
    message: str = Field(description="what is wrong and the fix, in words")
    fix: str | None = Field(None, description="what to do")
    problems: list[Problem] | None = Field(None, description="one entry per problem (422)")


class _Body(BaseModel):
    # strict: no coercion (true is not 1, "5" is not 5)
    model_config = ConfigDict(extra="forbid", strict=True)


class _Common(_Body):
    parcels: dict[str, Any] | None = Field(None, description=_PARCELS_DOC)
    method: Method | None = Field(None, description="aggregation method instead of the "
                                  "profile's")
    missing: Missing | None = Field(None, description="what to do with rules whose layer "
                                    "is absent (sp.score's 'missing' option): \"error\" "
                                    "refuses, \"skip\" leaves them out")

    @field_validator("parcels", mode="before")
    @classmethod
    def _parcels_not_path(cls, value: Any) -> Any:
        return _no_path_layer(value, "parcels")


class ScoreRequest(_Common):
    """``POST /score``: score parcels with one profile."""

    profile: str | dict[str, Any] = Field(description=_PROFILE_DOC, examples=["rth"])
    top: int | None = Field(None, ge=1, description="return only the N best-ranked sites "
                            "(default: every candidate parcel, scored, excluded or rejected)")

    @field_validator("profile", mode="before")
    @classmethod
    def _profile_not_path(cls, value: Any) -> Any:
        return check_profile_value(value)


class SensitivityRequest(ScoreRequest):
    """``POST /sensitivity``: rank stability of the scored sites under perturbed weights."""

    draws: int = Field(1000, ge=1, le=20000, description="number of weight sets drawn")
    spread: float = Field(0.2, ge=0, le=5, description="how much the weights vary")
    top_k: int = Field(10, ge=1, le=1000, description="the k of p_top_k")
    seed: int | None = Field(0, ge=0, le=INT_MAX,
                             description="random seed (the same seed, the same numbers)")


class _SitesRequest(_Common):
    """What every request that chooses sites among the scored parcels shares."""

    profile: str | dict[str, Any] = Field(description=_PROFILE_DOC, examples=["rth"])
    min_spacing: float | None = Field(None, ge=0, le=50000,
                                      description="minimum metres between chosen sites")
    per_kecamatan: bool = Field(False, description="at least one site per kecamatan")
    min_score: float | None = Field(None, ge=0, le=100,
                                    description="choose only among sites scoring this or more")
    existing: dict[str, Any] | None = Field(
        None, description="facilities already there, a GeoJSON FeatureCollection in "
        "EPSG:4326: people within reach of them count as served")

    @field_validator("profile", mode="before")
    @classmethod
    def _profile_not_path(cls, value: Any) -> Any:
        return check_profile_value(value)

    @field_validator("existing", mode="before")
    @classmethod
    def _existing_not_path(cls, value: Any) -> Any:
        return _no_path_layer(value, "existing")


class SelectRequest(_SitesRequest):
    """``POST /select``: choose k sites together, most people newly within reach."""

    k: int = Field(5, ge=1, le=100, description="number of sites")
    radius: float = Field(1000.0, gt=0, le=50000, description="reach of a facility in metres")
    solver: Literal["milp", "greedy"] = "milp"


class _Squares(_Body):
    """People gathered into squares, reached straight-line or along the roads."""

    cost: Literal["straight", "roads"] = Field("straight", description="distances "
                                               "straight-line or along the server's roads")
    cell: float = Field(500.0, ge=100, le=5000, description="people gathered into squares "
                        "of this many metres")


class LocateRequest(_SitesRequest, _Squares):
    """``POST /locate``: choose sites with a location model (sp.locate_sites)."""

    model: LocateModel = Field("pmedian", description="pmedian (shortest average trip), "
                               "pcenter (shortest worst trip), mclp (most people within "
                               "radius), lscp and lscpb (fewest sites reaching everyone), "
                               "cpmedian (with capacity), pdispersion (spread apart)")
    k: int | None = Field(5, ge=1, le=100, description="new sites (lscp and lscpb find the "
                          "number themselves: give null)")
    radius: float | None = Field(None, gt=0, le=50000, description="reach in metres "
                                 "(mclp, lscp, lscpb)")
    capacity: float | None = Field(None, gt=0, le=1e12, description="cpmedian: people a "
                                   "site serves")
    solver_time_limit: float = Field(30.0, gt=0, le=600, description="seconds the solver "
                                     "may take (at most the server's time limit)")


class AccessRequest(_Squares):
    """``POST /access``: access of every square of people to the facilities there now."""

    facilities: dict[str, Any] = Field(description="the facilities already there, a GeoJSON "
                                       "FeatureCollection in EPSG:4326")
    method: AccessMethod = Field("2sfca", description="access measure (PySAL access's)")
    radius: float = Field(1000.0, gt=0, le=50000, description="catchment in metres")
    capacity: float | None = Field(None, gt=0, le=1e12, description="each facility's supply "
                                   "(default 1: facilities are counted)")
    threshold: float | None = Field(None, ge=0, le=1e12, description="access below which "
                                    "people count as underserved")
    by: Literal["kelurahan", "kecamatan"] = Field("kelurahan", description="the areas the "
                                                  "table sums up")

    @field_validator("facilities", mode="before")
    @classmethod
    def _facilities_not_path(cls, value: Any) -> Any:
        return _no_path_layer(value, "facilities")


class AllocateRequest(_Common):
    """``POST /allocate``: share the parcels among several uses (needs ``sp.allocate``)."""

    profiles: list[str | dict[str, Any]] = Field(
        min_length=1, max_length=12, description="the uses: built-in names or inline "
        "profiles, as for /score")
    demand: dict[str, Annotated[int, Field(ge=0, le=100_000)]] = Field(
        description="number of sites wanted per profile name")
    objective: Objective = Field("score", description="what the plan maximises: \"score\" "
                                 "(the sum of the sites' scores) or \"coverage\" (people "
                                 "newly in reach)")
    radius: float | None = Field(None, gt=0, le=50000,
                                 description="reach in metres (coverage objective)")
    min_spacing: float | None = Field(None, ge=0, le=50000,
                                      description="minimum metres between sites of a use")
    per_kecamatan: bool = Field(False, description="at least one site per kecamatan")
    fixed: dict[str, str] | None = Field(None, description="parcel_id -> use, decided "
                                         "already")
    exclude: list[str] | None = Field(None, description="parcel_ids not to allocate")
    solver: Literal["milp", "greedy"] = "milp"
    solver_time_limit: float = Field(30.0, gt=0, le=600, description="seconds the solver "
                                     "may take (never more than the server's time limit)")

    @field_validator("profiles", mode="before")
    @classmethod
    def _profiles_not_paths(cls, value: Any) -> Any:
        if isinstance(value, list):
            for item in value:  # a handful of profiles
                check_profile_value(item, "profiles")
        return value


# --- the site-offer register (siteplan serve --register) ---------------------------------------

_TEXT = 10_000          # the register's longest text (siteplan.register.models.MAX_TEXT)
Text = Annotated[str, Field(max_length=_TEXT)]
Name = Annotated[str, Field(min_length=1, max_length=_TEXT)]
ParcelId = Annotated[str, Field(min_length=1, max_length=200)]
_WHEN_DOC = "when it happened: a date (2026-12-01) or an ISO time; default now"


class OfferRequest(_Body):
    """``POST /offers``: offer a site of the server's parcels to a partner (planner, admin).

    The parcels are scored with the profile on the server's layers first;
    the offer keeps their score and rank. A parcel another open offer holds
    is refused with 409, naming that offer.
    """

    profile: str | dict[str, Any] = Field(description="the facility kind: " + _PROFILE_DOC,
                                          examples=["sentra_kuliner"])
    site: ParcelId | Annotated[list[ParcelId], Field(min_length=1, max_length=100)] = Field(
        description="a parcel_id of the server's parcels, or several (one site)",
        examples=["36730400100027"])
    partner: Name = Field(description="the partner's name (GET /partners)",
                          examples=["Bank BJB"])
    note: Text = Field("", description="kept with the offer's first event")
    override: Name | None = Field(None, description="the reason for offering a parcel the "
                                  "profile excludes (required for one; recorded)")
    state: Literal["usulan", "ditawarkan"] = Field("usulan", description="the first state")
    at: Annotated[str, Field(max_length=64)] | None = Field(None, description=_WHEN_DOC)

    @field_validator("profile", mode="before")
    @classmethod
    def _profile_not_path(cls, value: Any) -> Any:
        return check_profile_value(value)


class AdvanceRequest(_Body):
    """``POST /offers/{offer_id}/advance``: move an offer to its next state (planner, admin)."""

    to: Literal["usulan", "ditawarkan", "survei", "disepakati", "dibangun", "beroperasi",
                "ditolak", "dibatalkan"] = Field(description="the next state",
                                                 examples=["ditawarkan"])
    note: Text = Field("", description="the reason (required for ditolak and dibatalkan)")
    agreement_no: Name | None = Field(None, description="the agreement's number (PKS, MoU), "
                                      "required for disepakati")
    agreement_date: Annotated[str, Field(max_length=64)] | None = Field(
        None, description="the agreement's date (YYYY-MM-DD), required for disepakati")
    at: Annotated[str, Field(max_length=64)] | None = Field(None, description=_WHEN_DOC)


class PartnerRequest(_Body):
    """``POST /partners``: add a CSR partner (admin)."""

    name: Name = Field(description="the partner's name (unique)", examples=["PT Contoh"])
    note: Text = Field("", description="a note kept with the partner")


class TokenRequest(_Body):
    """``POST /tokens``: make a token (admin); the answer shows it, once."""

    role: Literal["admin", "planner", "partner"] = Field(examples=["planner"])
    partner: Name | None = Field(None, description="the partner of a partner token")
    name: Name | None = Field(None, description="whose token it is (kept with its events)")
