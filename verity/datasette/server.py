"""Serve a verity database with Datasette: what `verity browse` runs.

Imports Datasette and uvicorn, so only `verity browse` imports this module.
"""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import socket
import sys
import threading
from typing import Callable, Optional

from ..names import Visible
from . import Browsable, CannotListen, PortInUse, metadata_for
from .metadata import RECONCILIATION_VIEW, SETTINGS, datasette_major, metadata_and_config


def make_datasette(database: Browsable):
    """A Datasette over the database, with verity's metadata and settings.

    The file is opened mutable (not immutable) so that what verity writes while
    it is being browsed shows on the next page load; Datasette only reads it.
    """
    from datasette.app import Datasette

    metadata, config = metadata_and_config(metadata_for(database), datasette_major())
    if config:  # Datasette 1.0
        return Datasette([database.path], metadata=metadata, config=config, settings=dict(SETTINGS))
    return Datasette([database.path], metadata=metadata, settings=dict(SETTINGS))


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or a one-line error saying why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as ex:
        raise CannotListen(f"cannot listen on {host!r}: {ex.strerror}; give --host an address such as 127.0.0.1") from None
    sock = socket.socket(family, kind, proto)
    # As uvicorn does: a port left in TIME_WAIT by a stopped server can be reused,
    # a port another server is listening on cannot.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as ex:
        sock.close()
        if ex.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} is in use; choose another with --port") from None
        raise CannotListen(f"cannot listen on {host}:{port}: {ex.strerror}; choose another --host or --port") from None
    # Listening now, not when uvicorn starts: the address is announced before uvicorn
    # runs, and a browser opened on it at once must wait in the queue, not be refused.
    sock.listen(2048)
    return sock


def url_for(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(
    database: Browsable,
    host: str = "127.0.0.1",
    port: int = 8001,
    announce: Optional[Callable[[str, str], None]] = None,
) -> None:
    """Serve until interrupted; `announce(root_url, reconciliation_url)` once listening is set up.

    Ctrl-C stops it cleanly at any point, while it starts as well as while it serves."""
    sock = listen(host, port)
    console = sys.stdout, sys.stderr
    # What Datasette and uvicorn print of a request (an SQL error quoting it, a warning) shows
    # its control characters escaped: any web page can send this server a link full of them.
    sys.stdout, sys.stderr = Visible(sys.stdout), Visible(sys.stderr)
    hung_up = _hang_up_as_terminate()
    try:
        import uvicorn

        ds = make_datasette(database)
        asyncio.run(ds.invoke_startup())
        root = url_for(sock, host)
        if announce:
            announce(root + "/", root + ds.urls.table(database.name, RECONCILIATION_VIEW))
        config = uvicorn.Config(ds.app(), log_level="warning", lifespan="on")
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn shuts down on Ctrl-C, then re-raises it; before it runs, there is nothing to
        # shut down. Either way stopping is what was asked for, not an error.
        pass
    finally:
        sys.stdout, sys.stderr = console
        if hung_up is not None:
            signal.signal(signal.SIGHUP, hung_up)
        sock.close()


def _hang_up_as_terminate():
    """A closed terminal stops the server as `kill` does, which uvicorn handles (it shuts down,
    quietly); returns the handler it replaced, or None. Ignored (nohup), it stays ignored."""
    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None or threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(hangup) is signal.SIG_IGN:
        return None
    return signal.signal(hangup, lambda _signum, _frame: os.kill(os.getpid(), signal.SIGTERM))
