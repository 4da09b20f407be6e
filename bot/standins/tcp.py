"""What the stand-ins do to a connection that a real server's failure would: cut it."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import NoReturn

from aiohttp import web


def cut(request: web.Request) -> NoReturn:
    """Abort with SO_LINGER 0 so the client sees a TCP RST, not a polite close."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    raise asyncio.CancelledError
