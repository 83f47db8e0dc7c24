"""``siteplan serve``: the scoring as an HTTP/JSON service (FastAPI on uvicorn)."""

from __future__ import annotations

import argparse
import errno
import socket
import sys

from ._common import EXIT_ADDRESS_IN_USE, EXIT_OK, UsageError, layer_options, layers_from_args, say

HELP = "serve scoring over HTTP/JSON (needs the 'serve' extra)"
DESCRIPTION = ("Load the layers once and answer HTTP/JSON requests: /score, /sensitivity, "
               "/select, /allocate, /map/PROFILE, /brief/PROFILE, /profiles, "
               "/schema/profile, /health; OpenAPI docs at /docs. Listens on 127.0.0.1 "
               "unless --host says otherwise, and answers only requests whose Host header "
               "is a loopback name unless --allowed-host says otherwise. With --register, also "
               "/offers, /partners and /tokens, which need a token (Authorization: Bearer; "
               "siteplan register token add). Any --host that is not a loopback address needs "
               "--register, and then every endpoint needs a token. Exits with 4 when "
               "the address is in use. Needs pip install 'siteplan[serve]'.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    layer_options(p)
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
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                   help="a name clients may use in the Host header (e.g. siteplan.example.org"
                   ", *.example.org, or * for any); repeat for more; default: localhost, "
                   "127.0.0.1, [::1]. Others get 400 (protects against DNS rebinding)")
    p.add_argument("--workers", type=int, default=4,
                   help="worker processes doing requests at once (default: 4)")
    p.add_argument("--register", metavar="FILE_OR_URL",
                   help="the site-offer register (a file made by `siteplan register init`, or "
                   "a postgresql:// URL): serves /offers, /partners and /tokens to callers "
                   "with a token of its database")


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
    from ..serve._auth import is_loopback

    require_tokens = not is_loopback(args.host)
    if require_tokens and not args.register:
        raise UsageError(f"--host {args.host} is reachable from other machines, so every "
                         "endpoint needs a token, and tokens are kept in a register: add "
                         "--register FILE_OR_URL (make tokens with `siteplan register token "
                         "add`), or serve on 127.0.0.1")
    try:
        import uvicorn

        from ..serve import create_app
    except ImportError:
        raise UsageError("siteplan serve needs FastAPI and uvicorn: "
                         "pip install 'siteplan[serve]'") from None
    sock = _bind(args.host, args.port)  # before loading anything: a taken port fails fast
    if sock is None:
        return EXIT_ADDRESS_IN_USE
    from ..serve.app import LOOPBACK_HOSTS

    with sock:
        layers = layers_from_args(args)
        app = create_app(layers, max_body_bytes=int(args.max_body_mb * 1e6),
                         time_limit=args.timeout, workers=args.workers,
                         cors_origins=args.cors,
                         allowed_hosts=args.allowed_host or LOOPBACK_HOSTS,
                         register=args.register, require_tokens=require_tokens)
        if require_tokens:
            print(f"siteplan: warning: listening on {args.host}: other machines can reach this "
                  "service; every endpoint needs a token; put it behind a proxy with TLS "
                  "(tokens must not cross a network in clear), and name the host it is called "
                  "by with --allowed-host", file=sys.stderr)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning",
                                               timeout_graceful_shutdown=5))
        # the URL once the socket is bound and listening: connections wait in its backlog
        say(args, f"siteplan serve: {_url(args.host, args.port)} (docs: /docs); "
            "Ctrl+C stops")
        sys.stdout.flush()
        server.run(sockets=[sock])
    return EXIT_OK


def _bind(host: str, port: int) -> socket.socket | None:
    """A listening socket on ``host``:``port``, or None (after saying why) when it is taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host!r} is not an address of this machine ({exc})") from None
    family, kind, proto, _, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(addr)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        why = ("is in use (another server is listening there)" if exc.errno == errno.EADDRINUSE
               else f"cannot be used ({exc.strerror})")
        print(f"siteplan: error: {_url(host, port)} {why}. Fix: stop the other server, or "
              "choose another --port", file=sys.stderr)
        return None
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
