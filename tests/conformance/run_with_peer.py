"""Starts a peer on 127.0.0.1, waits for its "PORT <n>" line, runs a tether program against it
and returns that program's exit code. Exit 77 (ctest's skip) when the peer's runtime or packages
are missing.

    python3 run_with_peer.py [--timeout S] [--needs FILE_OR_MODULE]... -- PEER... -- PROGRAM... {url}

{url} in PROGRAM's arguments becomes ws://127.0.0.1:<port>/. Dependencies: --needs names a path
that must exist or a Python module that must import (module:NAME).
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import threading

SKIP = 77


def main(argv):
    timeout = 120.0
    needs = []
    while argv and argv[0] != "--":
        flag = argv.pop(0)
        if flag == "--timeout":
            timeout = float(argv.pop(0))
        elif flag == "--needs":
            needs.append(argv.pop(0))
        else:
            sys.exit(f"unknown flag {flag}")
    rest = argv[1:]
    split = rest.index("--")
    peer, program = rest[:split], rest[split + 1:]

    for need in needs:
        if need.startswith("module:"):
            found = importlib.util.find_spec(need[len("module:"):]) is not None
        else:
            found = os.path.exists(need) or shutil.which(need) is not None
        if not found:
            print(f"SKIP: {need} is missing (see scripts/install-deps.sh and build-peers.sh)")
            return SKIP

    server = subprocess.Popen(peer, stdout=subprocess.PIPE, text=True)
    try:
        port_line = []
        reader = threading.Thread(target=lambda: port_line.append(server.stdout.readline()))
        reader.start()
        reader.join(30)
        line = port_line[0] if port_line else ""
        if not line.startswith("PORT "):
            print(f"peer did not start: {line!r}")
            return 1
        url = f"ws://127.0.0.1:{int(line.split()[1])}/"
        command = [arg.replace("{url}", url) for arg in program]
        print("peer:", " ".join(peer), "\nrun:", " ".join(command), flush=True)
        try:
            return subprocess.run(command, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            print(f"FAIL: {program[0]} did not finish within {timeout} s")
            return 1
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
