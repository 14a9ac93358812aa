"""The overload of bench/overload-bench.sh: a burst of clients against a few synchronous workers.

  python3 bench/overload.py run --port P --clients C --requests R --ms MS --out FILE.json
      C threads, each one keep-alive connection sending R requests of GET /?ms=MS, every request bounded by a 60 s
      timeout; records each request's latency and outcome, the wall time, and the kernel's ListenOverflows
      counter before and after (connections dropped because a listen backlog was full).
  python3 bench/overload.py report RAW_DIR OUT_DIR
      reads RAW_DIR/meta.txt and RAW_DIR/TARGET-rN.json, writes OUT_DIR/overload-bench.md.
"""
import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path

TIMEOUT_S = 60


def listen_overflows():
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines, lines[1:]):
        if names.startswith("TcpExt:") and values.startswith("TcpExt:"):
            pairs = dict(zip(names.split()[1:], values.split()[1:]))
            return int(pairs["ListenOverflows"])
    raise SystemExit("no TcpExt ListenOverflows in /proc/net/netstat")


def client(port, requests, ms, results, lock):
    conn = None
    for _ in range(requests):
        start = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
            conn.request("GET", f"/?ms={ms}")
            response = conn.getresponse()
            response.read()
            outcome = str(response.status)
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            outcome = type(e).__name__
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            results.append((time.monotonic() - start, outcome))
    if conn is not None:
        conn.close()


def run(args):
    results, lock = [], threading.Lock()
    threads = [threading.Thread(target=client, args=(args.port, args.requests, args.ms, results, lock))
               for _ in range(args.clients)]
    before = listen_overflows()
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT_S * args.requests + 10)
    wall = time.monotonic() - start
    Path(args.out).write_text(json.dumps({
        "latencies": [r[0] for r in results],
        "outcomes": [r[1] for r in results],
        "expected": args.clients * args.requests,
        "wall": wall,
        "overflows": listen_overflows() - before,
    }))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))] if ordered else float("nan")


def summarize(path):
    data = json.loads(path.read_text())
    ok = [lat for lat, o in zip(data["latencies"], data["outcomes"]) if o == "200"]
    others = {}
    for o in data["outcomes"]:
        if o != "200":
            others[o] = others.get(o, 0) + 1
    lost = data["expected"] - len(data["outcomes"])
    if lost:
        others["unfinished"] = lost
    all_latencies = data["latencies"]
    return {
        "ok": len(ok), "expected": data["expected"], "others": others,
        "p50": percentile(all_latencies, 50), "p99": percentile(all_latencies, 99), "max": max(all_latencies),
        "wall": data["wall"], "overflows": data["overflows"],
    }


def report(raw, out):
    meta = dict(line.split(": ", 1) for line in (raw / "meta.txt").read_text().splitlines() if ": " in line)
    bound = float(meta["fifo bound s"])
    runs = {}
    for f in sorted(raw.glob("*-r*.json")):
        runs.setdefault(f.stem.rsplit("-r", 1)[0], []).append(summarize(f))
    lines = ["# Overload: a burst against few synchronous workers", ""]
    lines += [f"- {k}: {meta[k]}" for k in meta if k != "fifo bound s"]
    lines += [f"- FIFO bound: {bound:.2f} s (requests × route time ÷ processes: the last request's wait if the "
              "workers never idle and requests are served in arrival order)", "",
              "Each target's rounds, then the median of each column.", "",
              "| target | round | answered 200 | other outcomes | p50 s | p99 s | max s | p99 ÷ FIFO bound | "
              "backlog overflows | wall s |",
              "|---|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    medians = {}
    for target, rs in runs.items():
        for i, r in enumerate(rs, 1):
            lines.append(f"| {target} | {i} | {r['ok']} of {r['expected']} | "
                         f"{', '.join(f'{k}: {v}' for k, v in sorted(r['others'].items())) or '–'} | "
                         f"{r['p50']:.2f} | {r['p99']:.2f} | {r['max']:.2f} | {r['p99'] / bound:.2f} | "
                         f"{r['overflows']} | {r['wall']:.1f} |")
        medians[target] = {k: statistics.median(r[k] for r in rs) for k in ("ok", "p50", "p99", "max", "overflows", "wall")}
    lines += ["", "| target (median) | answered 200 | p50 s | p99 s | p99 ÷ FIFO bound | backlog overflows |",
              "|---|---:|---:|---:|---:|---:|"]
    for target, m in medians.items():
        lines.append(f"| {target} | {m['ok']:.0f} | {m['p50']:.2f} | {m['p99']:.2f} | {m['p99'] / bound:.2f} | "
                     f"{m['overflows']:.0f} |")
    out.mkdir(parents=True, exist_ok=True)
    (out / "overload-bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--clients", type=int, required=True)
    r.add_argument("--requests", type=int, required=True)
    r.add_argument("--ms", type=int, required=True)
    r.add_argument("--out", required=True)
    p = sub.add_parser("report")
    p.add_argument("raw", type=Path)
    p.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.mode == "run":
        if not (1 <= args.clients <= 2000 and 1 <= args.requests <= 100):
            sys.exit("clients 1..2000, requests 1..100: every load is bounded")
        run(args)
    else:
        report(args.raw, args.out)


if __name__ == "__main__":
    main()
