#!/usr/bin/env python3
"""The benchmark runner of issue 8 (started by scripts/bench.sh).

Builds what it needs (build-bench, RelWithDebInfo; the bindings' clients against its install in
build-bench/stage; npm ci in bench/), starts one echo server, runs every client in every case
--runs times (clients interleaved, so that a busy moment of the machine hits them alike), and
prints one table per case: the median of each figure, the spread of the main one, and its ratio
to raw Beast, to Node's ws and to tether's C ABI client. Raw results go to
build-bench/bench-results.json.

A client is any command with the interface of issue 8 that prints the one JSON line; add one by
adding a Client to CLIENTS (bench/README.md).
"""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BUILD = ROOT / "build-bench"
FIELDS = ("client", "mode", "count", "size", "seconds", "msgs_per_s", "mb_per_s", "p50_us",
          "p99_us", "rss_kb", "rss_per_conn_kb")
BASELINES = ("beast-raw", "ws-node", "tether-c")   # the ratio columns
STAGE = BUILD / "stage"                # build-bench installed, for the bindings to build against
NODE_BINDING = ROOT / "bindings/node"
NODE_ADDON = NODE_BINDING / "native/tether.node"


@dataclass
class Client:
    name: str
    command: list            # argv before the benchmark's own options
    needs: list = field(default_factory=list)  # paths that must exist; else the client is skipped
    native: bool = False     # built by the CMake tree
    build: object = None     # a binding's client: a function(jobs) that makes `needs`...
    sources: list = field(default_factory=list)  # ...again when a file here is newer


CLIENTS = [
    Client("tether-c", [str(BUILD / "bench/bench-tether-c")], native=True),
    Client("beast-raw", [str(BUILD / "bench/bench-beast-raw")], native=True),
    Client("ws-node", ["node", str(BENCH / "clients/ws_client.js")],
           needs=[BENCH / "node_modules/ws", BENCH / "node_modules/bufferutil"]),
    Client("tether-node", ["node", str(BENCH / "clients/tether_node.js")],
           needs=[NODE_ADDON]),
    Client("tether-rust", [str(BUILD / "rust/release/examples/bench")],
           needs=[BUILD / "rust/release/examples/bench"], build=lambda jobs: build_rust(jobs),
           sources=[ROOT / "bindings/rust/src", ROOT / "bindings/rust/examples/bench.rs",
                    ROOT / "bindings/rust/Cargo.toml", ROOT / "bindings/rust/build.rs"]),
    Client("tether-go", [str(BUILD / "go/tether-go-bench")],
           needs=[BUILD / "go/tether-go-bench"], build=lambda jobs: build_go(jobs),
           sources=[ROOT / "bindings/go", BENCH / "clients/go"]),
    Client("tether-csharp", [str(BUILD / "csharp/tether-csharp-bench")],
           needs=[BUILD / "csharp/tether-csharp-bench"], build=lambda jobs: build_csharp(jobs),
           sources=[ROOT / "bindings/dotnet/src", BENCH / "clients/csharp"]),
]


@dataclass
class Metric:
    key: str
    label: str
    scale: float = 1.0       # shown value = JSON value * scale
    digits: int = 1
    lower_is_better: bool = False


P50 = Metric("p50_us", "p50 µs", lower_is_better=True)
P99 = Metric("p99_us", "p99 µs", lower_is_better=True)
MSGS = Metric("msgs_per_s", "msgs/s", digits=0)
MBPS = Metric("mb_per_s", "MB/s", digits=1)
RSS = Metric("rss_kb", "peak RSS MiB", scale=1 / 1024, digits=1, lower_is_better=True)
PER_CONN = Metric("rss_per_conn_kb", "KiB/conn", digits=2, lower_is_better=True)
OPEN_S = Metric("seconds", "open all s", digits=3, lower_is_better=True)
HANDSHAKES = Metric("msgs_per_s", "handshakes/s", digits=0)
CONNS_S = Metric("msgs_per_s", "conns/s", digits=0)


@dataclass
class Case:
    name: str
    title: str
    scheme: str              # "ws" or "wss"
    mode: str
    count: int
    size: int
    main: Metric             # the figure with the spread and the ratios
    others: list
    window: int = 0
    conns: int = 0

    def options(self, port):
        opts = ["--url", f"{self.scheme}://127.0.0.1:{port}/", "--mode", self.mode,
                "--count", str(self.count), "--size", str(self.size)]
        if self.window:
            opts += ["--window", str(self.window)]
        if self.conns:
            opts += ["--conns", str(self.conns)]
        return opts


def cases(quick):
    q = 10 if quick else 1
    conns = 1000 if quick else 10000
    tls_conns = 200 if quick else 1000
    return [
        Case("rtt", f"ws:// rtt: {20000 // q} sequential round trips of 32 B", "ws", "rtt",
             20000 // q, 32, P50, [P99, MSGS, RSS]),
        Case("pipeline", f"ws:// pipeline: {200000 // q} messages of 32 B, 64 in flight", "ws",
             "pipeline", 200000 // q, 32, MSGS, [P50, P99, RSS], window=64),
        Case("bulk", f"ws:// bulk: {1000 // q} binary messages of 256 KiB, 4 in flight", "ws",
             "bulk", 1000 // q, 262144, MBPS, [P50, P99, RSS], window=4),
        Case("conns", f"ws:// conns: {conns} connections at once, one echo each, then held",
             "ws", "conns", conns, 32, PER_CONN, [OPEN_S, CONNS_S, P99, RSS], conns=conns),
        Case("wss-handshakes", f"wss:// handshakes: {tls_conns} connections at once, one echo "
             "each", "wss", "conns", tls_conns, 32, HANDSHAKES, [OPEN_S, PER_CONN, RSS],
             conns=tls_conns),
        Case("wss-bulk", f"wss:// bulk: {500 // q} binary messages of 256 KiB, 4 in flight",
             "wss", "bulk", 500 // q, 262144, MBPS, [P50, P99, RSS], window=4),
    ]


# ---- building --------------------------------------------------------------------------------

def run_quiet(cmd, what, cwd=ROOT, env=None):
    print(f"  {what}", flush=True)
    done = subprocess.run(cmd, cwd=cwd, env=None if env is None else {**os.environ, **env},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.exit(f"{what} failed:\n{done.stdout}")


def build(jobs, wanted):
    print("build", flush=True)
    run_quiet(["cmake", "-S", str(ROOT), "-B", str(BUILD), "-G", "Ninja",
               "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DTETHER_BUILD_TESTS=OFF",
               "-DTETHER_BUILD_EXAMPLES=OFF", "-DTETHER_BUILD_BENCH=ON"], "cmake configure build-bench")
    run_quiet(["cmake", "--build", str(BUILD), f"-j{jobs}", "--target", "bench-echo-server",
               "bench-tether-c", "bench-beast-raw"], f"cmake --build build-bench -j{jobs}")
    # The bindings build against build-bench installed, as their test.sh do against build/stage.
    run_quiet(["cmake", "--install", str(BUILD), "--prefix", str(STAGE)],
              "cmake --install build-bench --prefix build-bench/stage")
    build_node_addon()
    build_binding_clients(jobs, wanted)
    if shutil.which("npm"):
        lock = BENCH / "package-lock.json"
        installed = BENCH / "node_modules/.package-lock.json"
        if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
            run_quiet(["npm", "ci", "--no-audit", "--no-fund"], "npm ci (bench/: ws, bufferutil)",
                      cwd=BENCH)


def build_node_addon():
    """The Node binding's addon, built against build-bench installed to build-bench/stage, as
    bindings/node/test.sh builds it against build/stage. Rebuilt when it is missing or older than
    its source or the library it copies, so a run never measures a stale binding or core."""
    if not shutil.which("node"):
        return
    inputs = [NODE_BINDING / "src/tether_node.c", STAGE / "lib/libtether.so.0"]
    if NODE_ADDON.exists() and all(NODE_ADDON.stat().st_mtime >= p.stat().st_mtime for p in inputs):
        return
    env = dict(os.environ, TETHER_PREFIX=str(STAGE))
    print("  node bindings/node/scripts/build.js (TETHER_PREFIX=build-bench/stage)", flush=True)
    done = subprocess.run(["node", "scripts/build.js"], cwd=NODE_BINDING, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.exit(f"building the Node addon failed:\n{done.stdout}")


def newest_mtime(paths):
    """The newest modification time of the files at or under paths, build outputs left out."""
    newest = 0.0
    for path in paths:
        for f in [path] if path.is_file() else path.rglob("*"):
            if f.is_file() and not {"target", "bin", "obj"} & set(f.relative_to(ROOT).parts):
                newest = max(newest, f.stat().st_mtime)
    return newest


def build_binding_clients(jobs, wanted):
    """The Rust, Go and C# clients (release builds), when missing or older than their sources
    or the library, so that a run never measures a stale binding or core."""
    library = newest_mtime([STAGE / "lib", STAGE / "include"])
    for c in CLIENTS:
        if not c.build or (wanted is not None and c.name not in wanted):
            continue
        built = min((p.stat().st_mtime if p.exists() else 0.0) for p in c.needs)
        if built < max(library, newest_mtime(c.sources)):
            c.build(jobs)


def build_rust(jobs):
    cargo = shutil.which("cargo") or shutil.which(str(Path.home() / ".cargo/bin/cargo"))
    if not cargo:
        print("  no cargo: tether-rust not built")
        return
    # build.rs finds libtether here and writes its directory into the program as an rpath.
    run_quiet([cargo, "build", "--quiet", "--release", "--example", "bench", f"-j{jobs}",
               "--target-dir", str(BUILD / "rust")],
              "cargo build --release --example bench (bindings/rust)", cwd=ROOT / "bindings/rust",
              env={"TETHER_LIB_DIR": str(STAGE / "lib"), "TETHER_INCLUDE_DIR": str(STAGE / "include")})


def build_go(jobs):
    if not shutil.which("go"):
        print("  no go: tether-go not built")
        return
    # As bindings/go/test.sh does: nothing downloaded, the stage's paths next to pkg-config's, and
    # the header's checksum in CGO_CFLAGS (Go's build cache does not look at tether.h). The rpath
    # lets the program run without LD_LIBRARY_PATH.
    header_sum = zlib.crc32((STAGE / "include/tether.h").read_bytes())
    run_quiet(["go", "build", f"-p={jobs}", "-o", str(BUILD / "go/tether-go-bench"), "."],
              "go build (bench/clients/go)", cwd=BENCH / "clients/go",
              env={"GOPROXY": "off", "CGO_ENABLED": "1",
                   "PKG_CONFIG_PATH": str(STAGE / "lib/pkgconfig"),
                   "CGO_CFLAGS": f"-I{STAGE / 'include'} -DTETHER_GO_HEADER_SUM={header_sum} -O2 -g",
                   "CGO_LDFLAGS": f"-L{STAGE / 'lib'} -Wl,-rpath,{STAGE / 'lib'} -O2 -g"})


def build_csharp(jobs):
    if not shutil.which("dotnet"):
        print("  no dotnet: tether-csharp not built")
        return
    # One MSBuild node (the cores are shared), as bindings/dotnet/test.sh. The project copies
    # libtether.so from TETHER_PREFIX next to the program, where the binding loads it from.
    run_quiet(["dotnet", "build", "-c", "Release", "-m:1", "-o", str(BUILD / "csharp")],
              "dotnet build -c Release (bench/clients/csharp)", cwd=BENCH / "clients/csharp",
              env={"TETHER_PREFIX": str(STAGE), "DOTNET_CLI_TELEMETRY_OPTOUT": "1",
                   "DOTNET_NOLOGO": "1"})


# ---- running ---------------------------------------------------------------------------------

class Server:
    """The echo server; it exits when its stdin closes."""

    def __init__(self):
        self.proc = subprocess.Popen([str(BUILD / "bench/bench-echo-server")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ports = json.loads(self.proc.stdout.readline())
        self.ports = {"ws": ports["port"], "wss": ports["tls_port"]}

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_one(client, case, server, timeout):
    """One client process for one case: its JSON line plus the server's share of a core."""
    cmd = client.command + case.options(server.ports[case.scheme])
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {timeout} s", "command": cmd}
    wall = time.monotonic() - t0
    busy = (server.cpu_seconds() - cpu0) / wall if wall > 0 else 0.0
    lines = done.stdout.strip().splitlines()
    problem = None
    result = None
    if done.returncode != 0:
        problem = f"exit status {done.returncode}"
    elif len(lines) != 1:
        problem = f"{len(lines)} lines on stdout instead of 1"
    else:
        try:
            result = json.loads(lines[0])
            missing = [k for k in FIELDS if k not in result]
            if missing:
                problem = f"JSON line lacks {', '.join(missing)}"
            elif result["client"] != client.name or result["mode"] != case.mode:
                problem = f"JSON line names {result['client']}/{result['mode']}"
        except json.JSONDecodeError as e:
            problem = f"stdout is not one JSON line ({e})"
    if problem:
        return {"error": problem, "stderr": done.stderr.strip()[-2000:], "stdout": done.stdout[-2000:],
                "command": cmd}
    result["server_busy"] = busy
    return result


def median_of(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def spread_pct(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    mid = statistics.median(values) if values else 0
    if len(values) < 2 or not mid:
        return None
    return (max(values) - min(values)) / 2 / mid * 100


# ---- printing --------------------------------------------------------------------------------

def fmt(value, metric):
    if value is None:
        return "-"
    shown = value * metric.scale
    return f"{shown:,.{metric.digits}f}"


def print_table(case, per_client, runs_wanted):
    print(f"\n{case.title}")
    direction = "lower is better" if case.main.lower_is_better else "higher is better"
    baselines = [b for b in BASELINES if per_client.get(b, {}).get("ok")]
    header = (["client", case.main.label, "spread"] + [m.label for m in case.others] +
              [f"vs {b}" for b in baselines] + ["server busy"])
    rows = []
    for name, data in per_client.items():
        ok = data["ok"]
        if not ok:
            rows.append([name, "FAILED"] + [""] * (len(header) - 2))
            continue
        main = median_of(ok, case.main.key)
        spread = spread_pct(ok, case.main.key)
        row = [name, fmt(main, case.main), "-" if spread is None else f"±{spread:.1f}%"]
        row += [fmt(median_of(ok, m.key), m) for m in case.others]
        for b in baselines:
            ref = median_of(per_client[b]["ok"], case.main.key)
            row.append(f"{main / ref:.2f}×" if main is not None and ref else "-")
        row.append(f"{median_of(ok, 'server_busy') * 100:.0f}%")
        if len(ok) < runs_wanted:
            row[0] += f" ({runs_wanted - len(ok)} failed)"
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda cells: "  ".join(
        str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    print(f"({case.main.label}: {direction}; ratios are of the {case.main.label} medians)")
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


# (client, baseline, case, comparison, bound, wording) from the targets of issue 8.
TARGETS = [
    ("tether-c", "beast-raw", "rtt", "<=", 1.10, "C ABI rtt p50 <= 1.10x raw Beast"),
    ("tether-c", "beast-raw", "pipeline", ">=", 1.3, "C ABI pipeline >= 1.3x raw Beast"),
    ("tether-c", "beast-raw", "bulk", ">=", 1.0, "C ABI bulk >= 1.0x raw Beast"),
    ("tether-c", None, "conns", "<=", 12.0, "C ABI <= 12 KiB RSS per idle connection"),
    ("tether-node", "ws-node", "pipeline", ">=", 1.5, "Node binding pipeline >= 1.5x ws"),
    ("tether-node", "ws-node", "bulk", ">=", 1.5, "Node binding bulk >= 1.5x ws"),
    ("tether-node", "ws-node", "rtt", "<=", 1.0, "Node binding rtt p50 <= ws"),
    ("tether-node", "ws-node", "conns", "<=", 1.0, "Node binding memory per connection <= ws"),
    ("tether-rust", "tether-c", "pipeline", ">=", 0.7, "Rust binding pipeline >= 0.7x C ABI"),
    ("tether-go", "tether-c", "pipeline", ">=", 0.7, "Go binding pipeline >= 0.7x C ABI"),
    ("tether-csharp", "tether-c", "pipeline", ">=", 0.7, "C# binding pipeline >= 0.7x C ABI"),
]


def print_targets(results, all_cases):
    by_name = {c.name: c for c in all_cases}
    lines = []
    for client, baseline, case_name, op, bound, wording in TARGETS:
        data = results.get(case_name, {})
        if case_name not in by_name or not data.get(client, {}).get("ok"):
            continue
        key = by_name[case_name].main.key
        value = median_of(data[client]["ok"], key)
        if baseline:
            if not data.get(baseline, {}).get("ok"):
                continue
            value = value / median_of(data[baseline]["ok"], key)
        met = value <= bound if op == "<=" else value >= bound
        suffix = "x" if baseline else ""
        lines.append(f"  {'met    ' if met else 'not met'}  {wording}: {value:.2f}{suffix}")
    # Every run of the client holds its connections on the default runtime's one I/O thread; a
    # run only counts as ok when each connection got its echo (see run_one).
    conns_case = by_name.get("conns")
    conns_data = results.get("conns", {}).get("tether-c")
    if conns_case and conns_data and conns_case.conns >= 10000:
        ok, wanted = len(conns_data["ok"]), len(conns_data["ok"]) + len(conns_data["failed"])
        lines.append(f"  {'met    ' if ok == wanted else 'not met'}  C ABI 10,000 connections on one "
                     f"I/O thread: {conns_case.conns:,} held, all echoed, in {ok} of {wanted} runs")
    if lines:
        print("\nTargets of issue 8 (medians of this run)")
        print("\n".join(lines))


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "load_average": os.getloadavg()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a short run: a tenth of the messages, fewer connections, 3 runs")
    parser.add_argument("--runs", type=int, help="runs of each client in each case (default 5, "
                        "3 with --quick)")
    parser.add_argument("--clients", help="comma-separated client names (default: all present)")
    parser.add_argument("--cases", help="comma-separated cases: rtt, pipeline, bulk, conns, "
                        "wss-handshakes, wss-bulk (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="build jobs")
    parser.add_argument("--no-build", action="store_true", help="use build-bench as it is")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed to one run")
    parser.add_argument("--json", default=str(BUILD / "bench-results.json"),
                        help="where the raw results go (default build-bench/bench-results.json)")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 5)

    # The conns case holds 10,000 sockets in the client and as many in the server.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    wanted = set(args.clients.split(",")) if args.clients else None
    if not args.no_build:
        build(args.jobs, wanted)

    clients = []
    for c in CLIENTS:
        if wanted is not None and c.name not in wanted:
            continue
        missing = [str(p) for p in c.needs + [Path(c.command[-1])] if not Path(p).exists()]
        if c.command[0] == "node" and not shutil.which("node"):
            missing.append("node")
        if missing:
            print(f"skipping {c.name}: missing {', '.join(missing)}")
            continue
        clients.append(c)
    all_cases = cases(args.quick)
    selected = [c for c in all_cases if not args.cases or c.name in args.cases.split(",")]
    if not clients or not selected:
        sys.exit("nothing to run")

    info = machine()
    print(f"\nmachine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}; load average "
          f"at start {info['load_average'][0]:.2f}")
    print(f"{runs} runs of each client in each case; medians; spread = (max - min) / 2 of the "
          "main figure, in % of its median;\nserver busy = CPU time of the echo server / wall "
          "time of the client process (100% = one core)")

    server = Server()
    results = {}
    try:
        for case in selected:
            print(f"  running {case.name} ...", end="", flush=True)
            per_client = {c.name: {"ok": [], "failed": []} for c in clients}
            for _ in range(runs):
                for client in clients:
                    result = run_one(client, case, server, args.timeout)
                    if "error" in result:
                        per_client[client.name]["failed"].append(result)
                        print(f"\n    {client.name} failed: {result['error']}\n    "
                              f"{result.get('stderr', '')[-500:]}", end="")
                    else:
                        per_client[client.name]["ok"].append(result)
                    if not server.alive():
                        sys.exit("the echo server died")
                    # Let the server finish the closing handshakes of a many-connection run.
                    time.sleep(0.5 if case.mode == "conns" else 0.05)
            print(" done", flush=True)
            results[case.name] = per_client
    finally:
        server.stop()

    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    for case in selected:
        print_table(case, results[case.name], runs)
    print_targets(results, selected)

    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"machine": info, "runs": runs, "quick": args.quick,
                   "cases": {c.name: {"title": c.title, "mode": c.mode, "scheme": c.scheme,
                                      "count": c.count, "size": c.size, "window": c.window,
                                      "conns": c.conns, "results": results[c.name]}
                             for c in selected}}, f, indent=1)
    shown = Path(args.json).resolve()
    print(f"\nraw results: {shown.relative_to(ROOT) if ROOT in shown.parents else shown}")
    failed = any(d["failed"] for r in results.values() for d in r.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
