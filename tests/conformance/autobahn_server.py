"""The conformance peer on autobahn-python (Debian python3-autobahn, asyncio flavour): echoes
every message with its type and obeys the commands listed in README.md. Prints "PORT <n>" once
listening on 127.0.0.1.

    python3 autobahn_server.py [--deflate]
"""
import asyncio
import sys

from autobahn.asyncio.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept

DEFLATE = "--deflate" in sys.argv[1:]


def pattern(size, seed):
    return bytes(0x21 + (i * 7 + seed) % 90 for i in range(size))


class LastClose:
    """The close code and reason of the last connection the client closed."""

    def __init__(self):
        self.value = None
        self.waiters = []

    def record(self, code, reason):
        self.value = f"{code} {reason}"
        for reply in self.waiters:
            reply(self.value)
        self.waiters.clear()

    def when_recorded(self, reply):
        if self.value is None:
            self.waiters.append(reply)
        else:
            reply(self.value)


LAST_CLOSE = LastClose()


class ConformancePeer(WebSocketServerProtocol):
    def onMessage(self, payload, isBinary):
        if isBinary or not payload.startswith(b"cmd:"):
            self.sendMessage(payload, isBinary)
            return
        name, _, arg = payload[4:].decode().partition(" ")
        if name == "fragment":
            # fragmentSize splits one message into frames of at most that many bytes.
            self.sendMessage(pattern(200000, 3), arg == "binary", fragmentSize=70000)
        elif name == "ping":
            self.sendPing(f"server-ping-{arg}".encode())
        elif name == "ext":
            names = ", ".join(e.EXTENSION_NAME for e in self.websocket_extensions_in_use)
            self.sendMessage(f"ext:{names}".encode())
        elif name == "lastclose":
            LAST_CLOSE.when_recorded(lambda v: self.sendMessage(f"lastclose:{v}".encode()))
        elif name == "close":
            self.sendClose(4002, "server bye")
        else:
            self.sendMessage(f"unknown:{name}".encode())

    def onPong(self, payload):
        self.sendMessage(b"pong:" + payload)

    def onClose(self, wasClean, code, reason):
        # code and reason are the peer's: None when this side closed first or the TCP dropped.
        if wasClean and code is not None and not self.closedByMe:
            LAST_CLOSE.record(code, reason or "")


def accept_deflate(offers):
    for offer in offers:
        if isinstance(offer, PerMessageDeflateOffer):
            return PerMessageDeflateOfferAccept(offer)
    return None


async def main():
    factory = WebSocketServerFactory()
    factory.protocol = ConformancePeer
    options = {"maxMessagePayloadSize": 64 * 1024 * 1024}
    if DEFLATE:
        options["perMessageCompressionAccept"] = accept_deflate
    factory.setProtocolOptions(**options)
    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
