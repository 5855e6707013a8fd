"""The conformance peer on Python's `websockets` (Debian python3-websockets): echoes every
message with its type and obeys the commands listed in README.md. Prints "PORT <n>" once
listening on 127.0.0.1.

    python3 websockets_server.py [--deflate]
"""
import asyncio
import sys

import websockets

DEFLATE = "--deflate" in sys.argv[1:]


def pattern(size, seed):
    return bytes(0x21 + (i * 7 + seed) % 90 for i in range(size))


class LastClose:
    """The close code and reason of the last connection the client closed."""

    def __init__(self):
        self.value = None
        self.recorded = asyncio.Event()

    def record(self, code, reason):
        self.value = f"{code} {reason}"
        self.recorded.set()


def extensions_header(ws):
    # websockets < 11 (legacy API) and >= 13 (new asyncio API) keep the response differently.
    headers = getattr(ws, "response_headers", None)
    if headers is None:
        headers = ws.response.headers
    return headers.get("Sec-WebSocket-Extensions", "")


async def command(ws, text, last_close):
    name, _, arg = text[4:].partition(" ")
    if name == "fragment":
        whole = pattern(200000, 3)
        if arg == "text":
            whole = whole.decode()
        cuts = [0, 70000, 70001, 130000, 200000]  # a 1-byte frame too
        # An iterable makes one message of several frames.
        await ws.send([whole[a:b] for a, b in zip(cuts, cuts[1:])])
    elif name == "ping":
        payload = f"server-ping-{arg}"
        pong = await ws.ping(payload)
        await pong  # resolves when the pong with this payload arrives
        await ws.send(f"pong:{payload}")
    elif name == "ext":
        await ws.send(f"ext:{extensions_header(ws)}")
    elif name == "lastclose":
        await last_close.recorded.wait()
        await ws.send(f"lastclose:{last_close.value}")
    elif name == "close":
        ws.closed_by_server = True
        await ws.close(4002, "server bye")
    else:
        await ws.send(f"unknown:{name}")


async def main():
    last_close = LastClose()

    async def handler(ws, *_path):
        try:
            async for message in ws:
                if isinstance(message, str) and message.startswith("cmd:"):
                    await command(ws, message, last_close)
                else:
                    await ws.send(message)
        except websockets.ConnectionClosed:
            pass
        await ws.wait_closed()
        if ws.close_code not in (None, 1006) and not getattr(ws, "closed_by_server", False):
            last_close.record(ws.close_code, ws.close_reason)

    server = await websockets.serve(handler, "127.0.0.1", 0,
                                    compression="deflate" if DEFLATE else None,
                                    max_size=64 * 1024 * 1024, ping_interval=None)
    port = next(iter(server.sockets)).getsockname()[1]
    print(f"PORT {port}", flush=True)
    await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
