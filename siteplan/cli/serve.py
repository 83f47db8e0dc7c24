"""``siteplan serve``: the scoring as an HTTP/JSON service (FastAPI on uvicorn)."""

from __future__ import annotations

import argparse
import sys

from ._common import EXIT_OK, UsageError, layer_options, layers_from_args, say

HELP = "serve scoring over HTTP/JSON (needs the 'serve' extra)"
DESCRIPTION = ("Load the layers once and answer HTTP/JSON requests: /score, /sensitivity, "
               "/select, /allocate, /map/PROFILE, /brief/PROFILE, /profiles, "
               "/schema/profile, /health; OpenAPI docs at /docs. Listens on 127.0.0.1 "
               "unless --host says otherwise. Needs pip install 'siteplan[serve]'.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sample", action="store_true",
                   help="serve the embedded synthetic sample (instead of layer files)")
    layer_options(p, parcels_required=False)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--cors", action="append", default=[], metavar="ORIGIN",
                   help="allow browser pages from ORIGIN (e.g. https://portal.serangkota.go.id)"
                   " to call the service; repeat for more; none by default")
    p.add_argument("--max-body-mb", type=float, default=16.0,
                   help="largest request body in MB; larger ones get 413 (default: 16)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="time limit per request; slower ones get 504 (default: 60)")
    p.add_argument("--workers", type=int, default=4,
                   help="worker threads doing requests at once (default: 4)")


def run(args) -> int:
    given = [n for n in ("parcels", "green_spaces", "roads", "pois", "admin", "population")
             if getattr(args, n, None)] + list(args.layer)
    if args.sample and given:
        raise UsageError("give --sample or layer files, not both")
    if not args.sample and not given:
        raise UsageError("say what to serve: --sample, or --parcels FILE and the other layers")
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be 1-65535, got {args.port}")
    if args.max_body_mb <= 0 or args.timeout <= 0 or args.workers < 1:
        raise UsageError("--max-body-mb and --timeout must be > 0, --workers at least 1")
    try:
        import uvicorn

        from ..serve import create_app
    except ImportError:
        raise UsageError("siteplan serve needs FastAPI and uvicorn: "
                         "pip install 'siteplan[serve]'") from None
    layers = layers_from_args(args)
    app = create_app(layers, max_body_bytes=int(args.max_body_mb * 1e6),
                     time_limit=args.timeout, workers=args.workers, cors_origins=args.cors)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"siteplan: warning: listening on {args.host}: other machines can reach this "
              "service; put it behind a proxy with TLS and access control", file=sys.stderr)
    say(args, f"siteplan serve: http://{args.host}:{args.port} (docs: /docs); Ctrl+C stops")
    sys.stdout.flush()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning",
                timeout_graceful_shutdown=5)
    return EXIT_OK
