"""siteplan as an HTTP/JSON service, for tools that are not written in Python.

Needs the ``serve`` extra (``pip install 'siteplan[serve]'``: FastAPI and
uvicorn); ``import siteplan`` alone never imports them. Start it with
``siteplan serve --sample`` or build the app yourself:

>>> import siteplan as sp
>>> from siteplan.serve import create_app
>>> app = create_app(sp.load_sample(), warm=False)   # then: uvicorn.run(app)
>>> sorted(p for p in app.openapi()["paths"] if p.startswith("/pro"))
['/profiles', '/profiles/{name}']
"""

from .app import ENDPOINTS, create_app

__all__ = ["create_app", "ENDPOINTS"]
