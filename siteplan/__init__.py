"""siteplan: which of Kota Serang's own parcels suit which CSR facility, and why.

Load the city's parcel and green-space layers, score the city's parcels for
green open space (RTH), a culinary centre for small businesses (sentra
kuliner UMKM), public facilities and religious tourism, explain every score
and draw Folium maps.

The package imports lazily: ``import siteplan as sp`` is quick, and folium is
imported only when a map is drawn.

>>> import siteplan as sp
>>> sp.list_profiles()
['fasilitas_publik', 'rth', 'sentra_kuliner', 'wisata_religi']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from . import _logs  # noqa: F401  (silent unless asked: a NullHandler on "siteplan")
from ._errors import Problem, SiteplanInputError, SolverError
from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from . import measures
    from ._logs import log_console
    from .brief import site_brief, write_brief_pdf
    from .io import datasets
    from .layers.bundle import Layers
    from .layers.load import load_layers, read_layer
    from .layers.osm import layers_from_osm
    from .layers.sample import load_sample
    from .locate.allocation import allocate
    from .locate.assemble import assemble_sites
    from .locate.select import select_sites
    from .locate.sites import locate_sites
    from .methods.weights import ahp_weights
    from .profiles._toml import profile_to_toml
    from .profiles.profile import Profile, get_profile, list_profiles, read_profile
    from .register import open_register
    from .render.access_map import render_access
    from .render.allocation_map import render_allocation
    from .render.offers_map import render_offers
    from .render.rth_map import render_rth
    from .render.score_map import render_map
    from .render.selection_map import render_selection
    from .rth.need import rth_gaps
    from .scoring.comparison import compare
    from .scoring.explanation import explain
    from .scoring.record import ScoreRecord, record_of
    from .scoring.run import score
    from .scoring.stability import sensitivity

_LAZY = {
    "Layers": "layers.bundle",
    "load_layers": "layers.load",
    "read_layer": "layers.load",
    "load_sample": "layers.sample",
    "Profile": "profiles.profile",
    "record_of": "scoring.record",
    "log_console": "_logs",
    "ScoreRecord": "scoring.record",
    "get_profile": "profiles.profile",
    "read_profile": "profiles.profile",
    "list_profiles": "profiles.profile",
    "score": "scoring.run",
    "ahp_weights": "methods.weights",
    "render_map": "render.score_map",
    "profile_to_toml": "profiles._toml",
    "render_rth": "render.rth_map",
    "rth_gaps": "rth.need",
    "sensitivity": "scoring.stability",
    "explain": "scoring.explanation",
    "select_sites": "locate.select",
    "layers_from_osm": "layers.osm",
    "compare": "scoring.comparison",
    "render_selection": "render.selection_map",
    "site_brief": "brief",
    "write_brief_pdf": "brief",
    "allocate": "locate.allocation",
    "assemble_sites": "locate.assemble",
    "render_allocation": "render.allocation_map",
    "open_register": "register",
    "render_offers": "render.offers_map",
    "locate_sites": "locate.sites",
    "render_access": "render.access_map",
}
_SUBMODULES = {"io", "layers", "measures", "methods", "profiles", "scoring", "locate", "rth",
               "register", "render", "brief", "outputs", "serve", "cli", "words", "criterion"}
#: the modules' names before they moved into rooms (``sp.pipeline`` still works)
_ALIASES = {"datasets": "io.datasets", "pipeline": "scoring.pipeline",
            "record": "scoring.record", "stability": "scoring.stability",
            "explanation": "scoring.explanation", "comparison": "scoring.comparison",
            "transforms": "methods.transforms", "constraints": "methods.constraints",
            "aggregate": "methods.aggregate", "weights": "methods.weights",
            "features": "layers.features", "population": "layers.population",
            "raster": "layers.raster", "select": "locate.select",
            "allocation": "locate.allocation", "assemble": "locate.assemble",
            "profile_schema": "profiles.schema"}

__all__ = ["SiteplanInputError", "Problem", "SolverError", "__version__", *_LAZY, "datasets",
           "measures"]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES or name in _ALIASES:
        module = importlib.import_module(f".{_ALIASES.get(name, name)}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'siteplan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES | set(_ALIASES))
