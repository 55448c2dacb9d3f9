"""localstripe on loopback: the Stripe sandbox that pay's tests and `smartpay serve` run against.

localstripe's own entry point binds every interface ('::') and pickles its whole store to /tmp/localstripe.pickle
after each write, a file every instance on the machine shares. This launcher binds 127.0.0.1 (or --host), keeps the
store in memory, and writes the port it bound to --port-file once it listens, so callers can ask for port 0.

    .venv/bin/python infra/sandboxes/localstripe_server.py --port 0 --port-file /tmp/stripe.port
"""

import argparse
import logging
import os
import socket

from aiohttp import web
import localstripe.resources as resources
from localstripe.server import app

from loopback import die_with_parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--port-file")
    args = parser.parse_args()

    die_with_parent()

    # Memory only: no shared pickle file between instances (and nothing left behind).
    resources.Store.dump_to_disk = lambda self: None
    resources.store.clear()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]

    async def announce(_app):
        if args.port_file:
            tmp = args.port_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(str(port))
            os.replace(tmp, args.port_file)

    app.on_startup.append(announce)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()
