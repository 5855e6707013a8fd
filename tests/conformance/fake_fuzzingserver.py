"""A small stand-in for the Autobahn|Testsuite fuzzing server, to test
examples/autobahn_agent.c where the testsuite cannot be installed. It speaks the same three
endpoints on 127.0.0.1 (python3-websockets):

    /getCaseCount                  sends the number of cases as text, closes
    /runCase?case=N&agent=NAME     sends case N's messages, checks each echo, closes 1000
    /updateReports?agent=NAME      records the agent, closes

Started with the agent's command line after "--" ({url} becomes ws://127.0.0.1:<port>), it runs
the agent, then checks that every case ran once, in order, under one agent name, with every echo
exact, that permessage-deflate was negotiated for every case exactly when --deflate is given,
and that the reports were requested. Exit 0 only then.

    python3 fake_fuzzingserver.py [--deflate] -- tether-autobahn-agent --agent NAME {url}
"""
import asyncio
import sys
from urllib.parse import parse_qs, urlsplit

try:
    import websockets
except ImportError:
    print("SKIP: python3-websockets is missing (see scripts/install-deps.sh)")
    sys.exit(77)  # ctest's skip


def frames(text_or_bytes, cuts):
    return [text_or_bytes[a:b] for a, b in zip(cuts, cuts[1:])]


# Each case: what the server sends, one message at a time (a list is one message in several
# frames; ("ping", payload) is a ping between messages that the agent must answer).
CASES = [
    ("text", ["Hello, tether", "", "é€😀 unicode"]),
    ("binary", [b"", bytes(range(256)), b"\x00" * 125, b"\xff" * 126]),
    ("large", ["x" * 65535, bytes(65536), "y" * (1 << 20), bytes(i % 251 for i in range(1 << 20))]),
    ("fragmented", [frames("fragmented text message", [0, 1, 10, 23]),
                    frames(bytes(range(200)), [0, 100, 199, 200])]),
    ("pings", [("ping", b"p1"), "after a ping", ("ping", b""), b"\x01\x02"]),
    ("many", [f"message {i}" for i in range(200)]),
]


class Results:
    def __init__(self):
        self.case_count_requests = 0
        self.runs = []          # (case number, agent)
        self.failures = []
        self.reports_agent = None
        self.extensions = set()   # Sec-WebSocket-Extensions answered to /runCase


async def run_case(ws, number, results):
    name, sends = CASES[number - 1]
    for item in sends:
        if isinstance(item, tuple):
            pong = await ws.ping(item[1])
            await asyncio.wait_for(pong, 10)
            continue
        await ws.send(item)
        expected = "".join(item) if isinstance(item, list) and isinstance(item[0], str) else (
            b"".join(item) if isinstance(item, list) else item)
        try:
            echo = await asyncio.wait_for(ws.recv(), 20)
        except (asyncio.TimeoutError, websockets.ConnectionClosed) as e:
            results.failures.append(f"case {number} ({name}): no echo: {e!r}")
            return
        if type(echo) is not type(expected) or echo != expected:
            results.failures.append(
                f"case {number} ({name}): echo differs: sent {type(expected).__name__} of "
                f"{len(expected)}, got {type(echo).__name__} of {len(echo)}")
            return
    await ws.close(1000, "case done")


async def main(argv):
    deflate = "--deflate" in argv[:argv.index("--")]
    agent_command = argv[argv.index("--") + 1:]
    results = Results()

    async def handler(ws, *_path):
        target = urlsplit(ws.path if hasattr(ws, "path") else ws.request.path)
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        if target.path == "/getCaseCount":
            results.case_count_requests += 1
            await ws.send(str(len(CASES)))
            await ws.close()
        elif target.path == "/runCase":
            number = int(query.get("case", "0"))
            results.runs.append((number, query.get("agent")))
            headers = getattr(ws, "response_headers", None) or ws.response.headers
            results.extensions.add(headers.get("Sec-WebSocket-Extensions", ""))
            if 1 <= number <= len(CASES):
                await run_case(ws, number, results)
            else:
                results.failures.append(f"no case {number}")
                await ws.close(1008, "no such case")
        elif target.path == "/updateReports":
            results.reports_agent = query.get("agent")
            await ws.close()
        else:
            results.failures.append(f"unexpected path {target.path}")
            await ws.close(1008)

    server = await websockets.serve(handler, "127.0.0.1", 0, max_size=None, ping_interval=None,
                                    compression="deflate" if deflate else None)
    port = next(iter(server.sockets)).getsockname()[1]
    url = f"ws://127.0.0.1:{port}"
    command = [a.replace("{url}", url) for a in agent_command]
    print("run:", " ".join(command), flush=True)
    agent = await asyncio.create_subprocess_exec(*command)
    try:
        code = await asyncio.wait_for(agent.wait(), 120)
    except asyncio.TimeoutError:
        agent.kill()
        code = "timeout"
    server.close()
    await server.wait_closed()

    agents = {a for _, a in results.runs}
    checks = [
        (code == 0, f"agent exit status {code}"),
        (results.case_count_requests == 1, f"{results.case_count_requests} case count requests"),
        ([n for n, _ in results.runs] == list(range(1, len(CASES) + 1)),
         f"cases run in order once each: {[n for n, _ in results.runs]}"),
        (len(agents) == 1 and results.reports_agent in agents,
         f"one agent name {agents}, reports for {results.reports_agent!r}"),
        (not results.failures, "every echo exact " + "; ".join(results.failures)),
        (all(("permessage-deflate" in e) == deflate for e in results.extensions),
         f"permessage-deflate {'in' if deflate else 'not in'} every case: {results.extensions}"),
    ]
    for ok, what in checks:
        print(f"{'ok  ' if ok else 'FAIL'}: {what}")
    passed = sum(ok for ok, _ in checks)
    print(f"{passed} passed, {len(checks) - passed} failed")
    return 0 if passed == len(checks) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
