#!/usr/bin/env python3
"""Turns bench/cpu-split.sh's raw files into its report: each proxy's CPU per request, split by where perf's
samples fell. Usage: cpu_split.py RAW_DIR REPORT.md; and cpu_split.py fold OUT.folded.gz, which reads `perf script
-F comm,ip,sym,dso` on stdin and writes each distinct stack once with its count (a tenth of the size).

CPU per request is utime + stime from /proc/PID/stat over the whole wrk run, divided by the requests wrk completed
(as in proxy-bench.sh). perf's samples, taken over the middle of the same run, give the shares of that time; a
sample goes to the first of these that its call stack contains:
  send      tcp_sendmsg: the proxy's writes. On loopback this also carries each segment through the peer's receive
            path into its socket and wakes the peer, in the sender's time.
  receive   tcp_recvmsg: the proxy's reads, copying out what the peer's send already queued.
  events    io_uring_enter or epoll_wait and their work outside the two above (submission, completion, polling).
  kernel    any other kernel frame at the top of the stack (scheduling, timers, interrupts, accept, close).
  user      the process's own code: for Usher the JIT's code, the JVM and its other threads (GC, compiler).
"""
import gzip
import re
import statistics
from collections import Counter
import sys
from pathlib import Path

CATEGORIES = ["user", "send", "receive", "events", "kernel"]
SEND = re.compile(r"^tcp_sendmsg")
RECEIVE = re.compile(r"^tcp_recvmsg")
EVENTS = re.compile(r"^(__do_sys_io_uring_enter|io_uring_enter|__x64_sys_io_uring_enter|do_epoll_wait|__x64_sys_epoll_wait|ep_poll)")


def perf_script_samples(lines):
    """Yields (comm, frames) per sample of perf script's text; frames are (symbol, is_kernel), the top first."""
    comm, frames = None, []
    for line in lines:
        if not line.strip():
            if comm is not None and frames:
                yield comm, tuple(frames)
            comm, frames = None, []
        elif line[0] in " \t":
            m = re.match(r"\s*[0-9a-f]+ (.*) \((.*)\)\s*$", line)
            if m:
                frames.append((m.group(1), m.group(2) == "[kernel.kallsyms]"))
        else:
            comm, frames = line.strip(), []
    if comm is not None and frames:
        yield comm, tuple(frames)


def fold(out):
    counts = Counter(perf_script_samples(sys.stdin))
    with gzip.open(out, "wt") as f:
        for (comm, frames), n in counts.most_common():
            f.write(f"{n}\t{comm}\t" + ";".join(("k:" if k else "u:") + s for s, k in frames) + "\n")


def samples(path):
    """Yields (comm, frames) per sample of a folded file, as perf_script_samples does."""
    with gzip.open(path, "rt", errors="replace") as f:
        for line in f:
            n, comm, stack = line.rstrip("\n").split("\t", 2)
            frames = tuple((s[2:], s[0] == "k") for s in stack.split(";"))
            for _ in range(int(n)):
                yield comm, frames


def category(frames):
    if not frames[0][1]:
        return "user"
    names = [s for s, kernel in frames if kernel]
    if any(SEND.match(s) for s in names):
        return "send"
    if any(RECEIVE.match(s) for s in names):
        return "receive"
    if any(EVENTS.match(s) for s in names):
        return "events"
    return "kernel"


def shares(path):
    counts = dict.fromkeys(CATEGORIES, 0)
    for _, frames in samples(path):
        counts[category(frames)] += 1
    total = sum(counts.values())
    return {c: counts[c] / total for c in CATEGORIES}, total


def run(raw, key):
    counts = {}
    for line in (raw / f"{key}.counts").read_text().split("\n"):
        if line.strip():
            name, utime, stime, segs = line.split()
            counts[name] = (int(utime), int(stime), int(segs))
    requests = int(re.search(r"(\d+) requests in", (raw / f"{key}.wrk").read_text()).group(1))
    clk_tck = int(re.search(r"clk_tck: (\d+)", (raw / "meta.txt").read_text()).group(1))
    (u0, s0, g0), (u1, s1, g1) = counts["before"], counts["after"]
    cpu_us = ((u1 - u0) + (s1 - s0)) / clk_tck * 1e6 / requests
    split, n = shares(raw / f"{key}.folded.gz")
    return {
        "cpu": cpu_us,
        "utime": (u1 - u0) / clk_tck * 1e6 / requests,
        "segments": (g1 - g0) / requests,
        "samples": n,
        **{c: split[c] * cpu_us for c in CATEGORIES},
    }


def main():
    if sys.argv[1] == "fold":
        fold(sys.argv[2])
        return
    raw, out = Path(sys.argv[1]), Path(sys.argv[2])
    meta = (raw / "meta.txt").read_text()
    keys = sorted(p.name[: -len(".counts")] for p in raw.glob("*.counts"))
    targets = []
    for k in keys:
        t = k.rsplit("-r", 1)[0]
        if t not in targets:
            targets.append(t)
    order = [t for t in ("usher", "haproxy", "nginx") if t in targets]
    runs = {t: [run(raw, k) for k in keys if k.rsplit("-r", 1)[0] == t] for t in order}
    med = {t: {f: statistics.median(r[f] for r in runs[t]) for f in runs[t][0]} for t in order}

    lines = ["# Where the CPU per request goes, kernel included", ""]
    for l in meta.strip().split("\n"):
        if l.startswith("command:"):
            lines.append(f"- command: `{l.split(':', 1)[1].strip()}`")
        else:
            lines.append(f"- {l}")
    lines += ["", "> 2 shared cores. Compare targets within this run.", "",
              "Medians over the rounds, in µs per request. *CPU* is utime + stime from `/proc/PID/stat` over the wrk "
              "run; *user* … *kernel* split it in the shares of perf's samples over the run's middle 60 % (see "
              "`bench/cpu_split.py` for the rules). *segments* is the TCP segments the whole host sent per request "
              "(wrk, proxy and backend: 4 is one segment each way on each connection, acknowledgements riding on "
              "data).", "",
              "| target | CPU | user | send | receive | events | kernel | utime | segments | samples |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t in order:
        m = med[t]
        lines.append(f"| {t} | {m['cpu']:.1f} | {m['user']:.1f} | {m['send']:.1f} | {m['receive']:.1f} | "
                     f"{m['events']:.1f} | {m['kernel']:.1f} | {m['utime']:.1f} | {m['segments']:.2f} | "
                     f"{int(m['samples'])} |")
    lines += ["", "Each round:", "", "| target | round | CPU | user | send | receive | events | kernel |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for t in order:
        for i, r in enumerate(runs[t], 1):
            lines.append(f"| {t} | {i} | {r['cpu']:.1f} | {r['user']:.1f} | {r['send']:.1f} | {r['receive']:.1f} | "
                         f"{r['events']:.1f} | {r['kernel']:.1f} |")
    if "usher" in med:
        lines += ["", "Usher's medians against the others' (below 1 is in Usher's favour):", "",
                  "| against | CPU | user | send + receive | events + kernel |", "|---|---:|---:|---:|---:|"]
        u = med["usher"]
        for t in order[1:]:
            o = med[t]
            lines.append(f"| {t} | {u['cpu'] / o['cpu']:.2f} | {u['user'] / o['user']:.2f} | "
                         f"{(u['send'] + u['receive']) / (o['send'] + o['receive']):.2f} | "
                         f"{(u['events'] + u['kernel']) / (o['events'] + o['kernel']):.2f} |")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
