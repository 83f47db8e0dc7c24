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
from ._errors import SiteplanInputError
from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from . import measures
    from ._logs import log_console
    from .allocation import allocate
    from .assemble import assemble_sites
    from .brief import site_brief, write_brief_pdf
    from .comparison import compare
    from .explanation import explain
    from .io import datasets
    from .io.load import load_layers, read_layer
    from .io.osm import layers_from_osm
    from .io.sample import load_sample
    from .layers import Layers
    from .locate.sites import locate_sites
    from .profiles import Profile, get_profile, list_profiles, read_profile
    from .record import ScoreRecord, record_of
    from .register import open_register
    from .render.allocation_map import render_allocation
    from .render.interactive import profile_to_toml
    from .render.offers_map import render_offers
    from .render.rth_map import render_rth
    from .render.score_map import render_map
    from .render.selection_map import render_selection
    from .rth.need import rth_gaps
    from .scoring import score
    from .select import select_sites
    from .stability import sensitivity
    from .weights import ahp_weights

_LAZY = {
    "Layers": "layers",
    "load_layers": "io.load",
    "read_layer": "io.load",
    "load_sample": "io.sample",
    "Profile": "profiles",
    "record_of": "record",
    "log_console": "_logs",
    "ScoreRecord": "record",
    "get_profile": "profiles",
    "read_profile": "profiles",
    "list_profiles": "profiles",
    "score": "scoring",
    "ahp_weights": "weights",
    "render_map": "render.score_map",
    "profile_to_toml": "render.interactive",
    "render_rth": "render.rth_map",
    "rth_gaps": "rth.need",
    "sensitivity": "stability",
    "explain": "explanation",
    "select_sites": "select",
    "layers_from_osm": "io.osm",
    "compare": "comparison",
    "render_selection": "render.selection_map",
    "site_brief": "brief",
    "write_brief_pdf": "brief",
    "allocate": "allocation",
    "assemble_sites": "assemble",
    "render_allocation": "render.allocation_map",
    "open_register": "register",
    "render_offers": "render.offers_map",
    "locate_sites": "locate.sites",
}
_SUBMODULES = {"io", "measures", "render", "rth", "scoring", "pipeline", "profiles",
               "transforms", "constraints", "aggregate", "weights", "stability", "layers",
               "features", "population", "outputs", "cli", "select", "comparison", "criterion",
               "brief", "allocation", "assemble", "profile_schema", "serve", "record",
               "register", "locate", "explanation"}
_ALIASES = {"datasets": "io.datasets"}

__all__ = ["SiteplanInputError", "__version__", *_LAZY, "datasets", "measures"]


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
