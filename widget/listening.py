"""The socket a server listens on: bound by askfind itself, once, before gunicorn starts.

gunicorn binds the address it is given by trying five times a second apart and logging
three error lines each time, then exits with status 1: a taken port was ten log lines
and no hint. askfind binds the socket first and refuses a taken port in one sentence,
then hands gunicorn (or Flask's development server) the bound socket (``fd://N``), so
there is no second bind that could fail, nor a moment in which another process could
take the port in between. ``askfind demo`` binds it before it indexes, and the
``askfind serve`` it becomes inherits it.
"""

from __future__ import annotations

import errno
import socket

from indexer.errors import AskfindError

# Connections that wait while the workers load the model (gunicorn's default too).
BACKLOG = 2048


class AddressUnavailable(AskfindError):
    """The host and port cannot be listened on: taken, not this machine's, or privileged."""


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``, inheritable by the process that serves it.

    Raises:
        AddressUnavailable: the port is in use, or the address cannot be bound here; the
            message says which and what to do.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    # As gunicorn does: a port whose last connections are still closing (TIME_WAIT) may
    # be bound again; one with a listener on it may not.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(BACKLOG)
    except OSError as e:
        listener.close()
        raise AddressUnavailable(_reason(host, port, e)) from e
    listener.set_inheritable(True)
    return listener


def inherited(fd: int) -> socket.socket:
    """The listening socket a parent process bound and passed on as file descriptor ``fd``."""
    return socket.socket(fileno=fd)


def url_of(listener: socket.socket) -> str:
    """The address a browser opens: http://host:port/ (IPv6 hosts in brackets)."""
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _reason(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another askfind?): stop that one, "
            f"or choose another port with --port"
        )
    if error.errno == errno.EACCES:
        return f"port {port} needs privileges to bind: choose one above 1023 with --port"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: choose another with --host"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"
