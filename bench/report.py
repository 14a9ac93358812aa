#!/usr/bin/env python3
"""Every figure of the proxy and uwsgi benchmarks, computed once, from the raw files the shell
scripts wrote (bench/lib.sh describes them), into CSV, Markdown and a PNG chart.

    python3 bench/report.py proxy bench/results/raw/proxy bench/results
    python3 bench/report.py uwsgi bench/results/raw/uwsgi bench/results

Standard library plus matplotlib (Debian python3-matplotlib) and, for --profile runs, the JDK's
`jfr` tool.
"""

import csv
import json
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
ISSUE_TARGETS = {
    # The performance issue's targets: (label, field, reference, test of usher's median over the reference's)
    "proxy": [
        ("CPU µs/request ≤ 0.85× HAProxy's", "target_cpu_us", "haproxy", lambda r: r <= 0.85),
        ("req/s ≥ 1.1× nginx's", "rps", "nginx", lambda r: r >= 1.1),
        ("req/s ≥ 1.0× HAProxy's", "rps", "haproxy", lambda r: r >= 1.0),
        ("p99 ≤ nginx's", "p99", "nginx", lambda r: r <= 1.0),
    ],
    "uwsgi": [
        ("req/s ≥ 1.1× nginx `uwsgi_pass`", "rps", "nginx", lambda r: r >= 1.1),
        ("p99 ≤ nginx's", "p99", "nginx", lambda r: r <= 1.0),
    ],
}


# ------------------------------------------------------------------------------------ parsing --
def meta(raw):
    return dict(line.split(": ", 1) for line in (raw / "meta.txt").read_text().splitlines() if ": " in line)


def parse_wrk(path):
    """requests/s, p50 and p99 in ms, requests, and errors (non-2xx plus socket errors), or None."""
    text = path.read_text() if path.exists() else ""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    pct = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", text, re.M))
    reqs = re.search(r"^\s+(\d+) requests in", text, re.M)
    if not (rps and reqs and len(pct) == 2):
        return None

    def ms(v):
        num, unit = re.match(r"([\d.]+)(\w+)", v).groups()
        return float(num) * UNITS_MS[unit]

    socket = re.search(r"Socket errors: (.*)", text)
    errors = sum(int(n) for n in re.findall(r"\d+", socket.group(1))) if socket else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors += int(non2xx.group(1)) if non2xx else 0
    return {"rps": float(rps.group(1)), "p50": ms(pct["50"]), "p99": ms(pct["99"]),
            "requests": int(reqs.group(1)), "errors": errors}


def parse_snap(path, clk_tck):
    """Wall clock (s), and per server group: CPU seconds (utime + stime of all its processes) and
    RSS (KiB, summed over its processes); the kernel's ListenDrops."""
    snap = {"time": None, "cpu": Counter(), "user": Counter(), "rss": Counter(), "listen_drops": None}
    netstat = []
    for line in path.read_text().splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "time":
            snap["time"] = float(rest)
        elif kind == "stat" and ")" in rest:
            group, stat = rest.split(" ", 1)
            fields = stat.rsplit(")", 1)[1].split()
            snap["cpu"][group] += (int(fields[11]) + int(fields[12])) / clk_tck  # utime, stime
            snap["user"][group] += int(fields[11]) / clk_tck
        elif kind == "status":
            group, _, value = rest.partition(" ")
            if value:
                snap["rss"][group] += int(value.split()[1])
        elif kind == "netstat":
            netstat.append(rest.split()[1:])
    if len(netstat) == 2:
        snap["listen_drops"] = int(dict(zip(*netstat)).get("ListenDrops", 0))
    return snap


def load_runs(raw, m):
    clk = int(m["clk_tck"])
    runs = []
    with open(raw / "runs.tsv") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = f"{row['target']}-w{row['workers']}-r{row['round']}"
            run = dict(row, workers=int(row["workers"]))
            wrk = parse_wrk(raw / f"{key}.wrk") if row["status"] == "ok" else None
            if row["status"] == "ok" and wrk is None:
                run["status"] = "wrk-unreadable"
            elif wrk and wrk["errors"]:
                run["status"] = "errors"
            if wrk:
                run.update(wrk)
                before, mid, after = (parse_snap(raw / f"{key}.{s}", clk) for s in ("before", "mid", "after"))
                secs = after["time"] - before["time"]
                for group in ("target", "backend"):
                    used = after["cpu"][group] - before["cpu"][group]
                    run[f"{group}_cpu_us"] = used * 1e6 / wrk["requests"]
                    run[f"{group}_cpu_pct"] = used / secs * 100
                    run[f"{group}_user_us"] = (after["user"][group] - before["user"][group]) * 1e6 / wrk["requests"]
                run["rss_mib"] = mid["rss"]["target"] / 1024
                if before["listen_drops"] is not None:
                    run["listen_drops"] = after["listen_drops"] - before["listen_drops"]
            runs.append(run)
    return runs


# ---------------------------------------------------------------------------------- summaries --
FIELDS = ["rps", "p50", "p99", "target_cpu_us", "target_user_us", "target_cpu_pct", "backend_cpu_us", "rss_mib"]


def summarize(runs):
    """Per (target, workers): the median of each field over the rounds with status ok."""
    groups = defaultdict(list)
    for run in runs:
        if run["round"] != "profile":
            groups[(run["target"], run["workers"])].append(run)
    out = {}
    for key, rs in groups.items():
        ok = [r for r in rs if r["status"] == "ok"]
        s = {"rounds": len(rs), "ok": len(ok)}
        for field in FIELDS:
            s[field] = statistics.median(r[field] for r in ok) if ok else None
        s["rps_min"] = min((r["rps"] for r in ok), default=None)
        s["rps_max"] = max((r["rps"] for r in ok), default=None)
        out[key] = s
    return out


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(v, digits=0):
    return "n/a" if v is None else f"{v:,.{digits}f}"


def warmup_samples(path):
    """(start, ready, [(time, requests, Usher's CPU ticks or None)]) of a warm-up curve's file."""
    start = ready = None
    samples = []
    for line in path.read_text().splitlines():
        kind, *vals = line.split()
        if kind == "start":
            start = int(vals[0])
        elif kind == "ready":
            ready = int(vals[0])
        elif kind == "t" and len(vals) in (4, 5):  # time, stub_status' accepts handled requests, [CPU ticks]
            samples.append((int(vals[0]), int(vals[3]), int(vals[4]) if len(vals) == 5 else None))
    return start, ready, samples


def warmup_cpu(path, clk_tck, seconds=5):
    """Usher's CPU µs per request over the first `seconds` of load after ready (JIT threads included),
    or None when the file has no CPU times: what is left of its warm-up, paid while clients wait."""
    _, _, samples = warmup_samples(path)
    if len(samples) < 2 or samples[0][2] is None:
        return None
    t0, r0, c0 = samples[0]
    t1, r1, c1 = next((s for s in samples if s[0] - t0 >= seconds * 1e9), samples[-1])
    return (c1 - c0) / clk_tck * 1e6 / (r1 - r0) if r1 > r0 else None


def warmup_curve(path):
    """(seconds from the JVM's start to ready, [req/s in each second after the start])."""
    start, ready, timed = warmup_samples(path)
    samples = [(t, r) for t, r, _ in timed]
    # The first sample is taken when the load starts, the others on each whole second since the start;
    # the seconds before the load served nothing (the proxy was not ready).
    seconds = round((samples[-1][0] - start) / 1e9)
    rates = [0.0] * seconds
    for (t0, r0), (t1, r1) in zip(samples, samples[1:]):
        # Each interval is a second, but the first: from the start of the load to the next whole
        # second; what it served then is counted over that whole second.
        rates[round((t1 - start) / 1e9) - 1] = (r1 - r0) / max((t1 - t0) / 1e9, 0.999)
    return (ready - start) / 1e9, rates


# ------------------------------------------------------------------------------------ writing --
def write_csv(path, runs, summary):
    cols = ["target", "workers", "round", "position", "status", "rps", "p50", "p99", "requests",
            "target_cpu_us", "target_cpu_pct", "backend_cpu_us", "rss_mib", "listen_drops"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for run in runs:
            w.writerow([round(v, 3) if isinstance(v, float) else v for v in (run.get(c, "") for c in cols)])
        for (target, n), s in summary.items():
            w.writerow([target, n, "median", "", f"ok {s['ok']}/{s['rounds']}"]
                       + [round(s[c], 3) if s.get(c) is not None else "" for c in cols[5:8]] + [""]
                       + [round(s[c], 3) if s.get(c) is not None else "" for c in cols[9:13]] + [""])


def chart(path, title, summary, targets, workers, curves):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    fig.suptitle(title, fontsize=10)
    panels = [("rps", "req/s, median (bars: min–max), higher is better", 0),
              ("p99", "p99 latency ms, median, lower is better", 2),
              ("target_cpu_us", "CPU µs per request (/proc/PID/stat), median, lower is better", 1)]
    width = 0.8 / len(targets)
    for ax, (field, label, digits) in zip(axes.flat, panels):
        for j, t in enumerate(targets):
            xs = [i + (j - (len(targets) - 1) / 2) * width for i in range(len(workers))]
            ys = [summary.get((t, n), {}).get(field) or 0 for n in workers]
            err = None
            if field == "rps":
                err = [[y - (summary.get((t, n), {}).get("rps_min") or y) for y, n in zip(ys, workers)],
                       [(summary.get((t, n), {}).get("rps_max") or y) - y for y, n in zip(ys, workers)]]
            bars = ax.bar(xs, ys, width, label=t, yerr=err, capsize=3)
            ax.bar_label(bars, [f"{y:,.{digits}f}" for y in ys], fontsize=7, padding=2)
        ax.set_xticks(range(len(workers)), [f"{n} worker(s) / loop(s)" for n in workers])
        ax.set_title(label, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    ax = axes.flat[3]
    if curves:
        for n, (ready, rates) in curves.items():
            warm = summary.get(("usher", n), {}).get("rps")
            line, = ax.plot(range(1, len(rates) + 1), rates, marker="o", ms=3,
                            label=f"usher, {n} loop(s) (ready at {ready:.1f} s)")
            if warm:
                ax.axhline(warm, color=line.get_color(), ls="--", lw=0.8, label=f"warm median, {n} loop(s)")
        ax.set_xticks(range(0, max(len(r) for _, r in curves.values()) + 1, 2))
        ax.set_xlabel("second after the JVM's start")
        ax.set_title("Usher warm-up: req/s in each second after start", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_ylim(bottom=0)
    else:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def report(kind, raw, out):
    m = meta(raw)
    runs = load_runs(raw, m)
    summary = summarize(runs)
    targets = list(dict.fromkeys(r["target"] for r in runs if r["round"] != "profile"))
    workers = sorted({r["workers"] for r in runs})
    refs = [t for t in targets if t not in ("usher", "direct")]
    curves = {n: warmup_curve(raw / f"usher-w{n}.warmup") for n in workers
              if (raw / f"usher-w{n}.warmup").exists()}
    name = f"{kind}-bench"
    write_csv(out / f"{name}.csv", runs, summary)
    chart(out / f"{name}.png", f"{name}: {m['load']}, 127.0.0.1, {m['machine'].split(',')[0]}"
          " (same-run comparison only)", summary, targets, workers, curves)

    md = [f"# Usher {kind} benchmark", ""]
    md += [f"- {k}: `{v}`" if k == "command" else f"- {k}: {v}" for k, v in m.items()
           if k != "clk_tck"]
    md += ["", "> 2 shared cores: wrk, the proxy and the backend compete for them, and other jobs may too.",
           "> Compare targets within this run (the ratios), not with another run's absolute numbers.", ""]
    md += ["## Medians", "",
           "Each target was measured once per round, rounds interleaved (order rotated each round); the medians"
           " are over the rounds without errors. CPU is utime + stime from `/proc/PID/stat` of all the target's"
           " processes (nginx: master and workers) between the start and the end of the wrk run, divided by the"
           " requests wrk completed; *user* is the utime part of it (the rest is the kernel's: system calls, the"
           " loopback TCP stack, scheduling); CPU % is the same time over the run's wall clock (100 % = one core). RSS is"
           " VmRSS summed over the target's processes, halfway through the run.", "",
           "| target | workers | rounds ok | req/s | req/s min–max | p50 ms | p99 ms | CPU µs/req | of which user "
           "| CPU % | backend CPU µs/req | RSS under load MiB |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in workers:
        for t in targets:
            s = summary.get((t, n))
            if s:
                md.append(f"| {t} | {n} | {s['ok']}/{s['rounds']} | {fmt(s['rps'])} | {fmt(s['rps_min'])}–"
                          f"{fmt(s['rps_max'])} | {fmt(s['p50'], 2)} | {fmt(s['p99'], 2)} | "
                          f"{fmt(s['target_cpu_us'], 1)} | {fmt(s['target_user_us'], 1)} | {fmt(s['target_cpu_pct'])} | "
                          f"{fmt(s['backend_cpu_us'], 1)} | {fmt(s['rss_mib'], 1)} |")
    if "usher" in targets and refs:
        md += ["", "## Ratios of Usher's medians to the others'", "",
               "req/s above 1, p99 and CPU per request below 1 are in Usher's favour.", "",
               "| workers | " + " | ".join(f"req/s usher/{r} | p99 usher/{r} | CPU/req usher/{r}" for r in refs) + " |",
               "|---:|" + "---:|" * (3 * len(refs))]
        for n in workers:
            u = summary.get(("usher", n), {})
            cells = []
            for r in refs:
                s = summary.get((r, n), {})
                cells += [fmt(ratio(u.get(f), s.get(f)), 2) for f in ("rps", "p99", "target_cpu_us")]
            md.append(f"| {n} | " + " | ".join(cells) + " |")
        md += ["", "Targets of the performance issue, from these ratios:", "",
               "| target | " + " | ".join(f"{n} worker(s)" for n in workers) + " |",
               "|---|" + "---|" * len(workers)]
        for label, field, ref, ok in ISSUE_TARGETS[kind]:
            cells = []
            for n in workers:
                v = ratio(summary.get(("usher", n), {}).get(field), summary.get((ref, n), {}).get(field))
                cells.append("n/a" if v is None else f"{v:.2f} {'met' if ok(v) else '**not met**'}")
            md.append(f"| {label} | " + " | ".join(cells) + " |")

    if curves:
        md += ["", "## Usher's warm-up", "",
               "A fresh Usher per worker count; wrk (same settings) from the moment `/readyz` answers, for"
               f" {len(next(iter(curves.values()))[1])} s; req/s of each second after the JVM's start from the"
               " backend's request counter (nginx `stub_status`, read on the second). \"warm\" is the median"
               " req/s of the rounds above, measured on the same process afterwards. CPU per request in the"
               " first 5 s after ready: Usher's CPU time (`/proc/PID/stat`, its JIT compiler threads included)"
               " over the requests served, against its median in the rounds; other load on the machine moves it"
               " much less than req/s.", "",
               "| workers | ready after | req/s in second 10 / warm | mean of seconds 1–10 / warm |"
               " first second ≥ 0.9× warm | CPU µs/request, first 5 s after ready / warm |",
               "|---:|---:|---:|---:|---:|---:|"]
        clk = int(m["clk_tck"])
        for n, (ready, rates) in curves.items():
            warm = summary.get(("usher", n), {}).get("rps")
            first = next((i + 1 for i, r in enumerate(rates) if warm and r >= 0.9 * warm), None)
            cpu = warmup_cpu(raw / f"usher-w{n}.warmup", clk)
            warm_cpu = summary.get(("usher", n), {}).get("target_cpu_us")
            md.append(f"| {n} | {ready:.2f} s | {fmt(ratio(rates[9], warm) if len(rates) > 9 else None, 2)} | "
                      f"{fmt(ratio(statistics.mean(rates[:10]), warm), 2)} | {first or 'never'} | "
                      f"{fmt(cpu, 1)} / {fmt(warm_cpu, 1)} = {fmt(ratio(cpu, warm_cpu), 2)} |")
        md += ["", "| second | " + " | ".join(f"req/s, {n} loop(s) | / warm" for n in curves) + " |",
               "|---:|" + "---:|---:|" * len(curves)]
        for i in range(max(len(c[1]) for c in curves.values())):
            cells = []
            for n, (_, rates) in curves.items():
                warm = summary.get(("usher", n), {}).get("rps")
                v = rates[i] if i < len(rates) else None
                cells += [fmt(v), fmt(ratio(v, warm), 2)]
            md.append(f"| {i + 1} | " + " | ".join(cells) + " |")

    for n in workers:
        warm = raw / f"usher-w{n}.warmup.wrk"
        if not curves and warm.exists():
            md += ["", f"Usher's warm-up run before the rounds, {n} loop(s) (not counted):"
                       f" {fmt((parse_wrk(warm) or {}).get('rps'))} req/s."]
    md += memory_section(raw, m, runs, summary, targets, workers)
    md += idle_section(raw, m, targets)
    md += ["", f"![req/s, p99, CPU per request and warm-up]({name}.png)", "",
           "## Every run", "", "| target | workers | round | # in round | status | req/s | p50 ms | p99 ms "
           "| CPU µs/req | CPU % | backend CPU µs/req | listen drops |", "|---|---:|---:|---:|---|" + "---:|" * 7]
    for r in sorted(runs, key=lambda r: (r["workers"], r["target"], r["round"])):
        md.append(f"| {r['target']} | {r['workers']} | {r['round']} | {r['position']} | {r['status']} | "
                  f"{fmt(r.get('rps'))} | {fmt(r.get('p50'), 2)} | {fmt(r.get('p99'), 2)} | "
                  f"{fmt(r.get('target_cpu_us'), 1)} | {fmt(r.get('target_cpu_pct'))} | "
                  f"{fmt(r.get('backend_cpu_us'), 1)} | {r.get('listen_drops', 'n/a')} |")
    md += ["", f"Raw files (wrk output, /proc snapshots): `raw/{kind}/`; every run as CSV: `{name}.csv`."]
    # Written by hand (what changed, and what each change was measured to do), kept with the figures it explains.
    # One list for the performance issue, in both reports: the uwsgi path's changes are its last section.
    notes = Path(__file__).resolve().parent / "proxy-optimisations.md"
    if notes.exists():
        md += ["", notes.read_text().rstrip()]
    profiles = sorted(raw.glob("usher-w*.jfr"))
    if profiles:
        md += ["", f"CPU and allocation profile of Usher (one extra run under JFR per worker count): [{kind}-profile.md]"
               f"({kind}-profile.md)."]
        profile_report(kind, profiles, runs, out / f"{kind}-profile.md", m)
    (out / f"{name}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def memory_section(raw, m, runs, summary, targets, workers):
    clk = int(m["clk_tck"])
    md = ["", "## Memory (RSS, MiB)", "",
          "VmRSS from `/proc/PID/status`, summed over the target's processes (for nginx this counts pages"
          " shared by master and workers more than once). *After start*: Usher just ready, before any load;"
          " *under load*: median over the rounds, halfway through each; *idle after*: 2 s after the last run.", "",
          "| target | workers | after start | under load | idle after |", "|---|---:|---:|---:|---:|"]
    for n in workers:
        idle = raw / f"idle-w{n}.after"
        idle = parse_snap(idle, clk)["rss"] if idle.exists() else {}
        for t in targets:
            started = raw / f"{t}-w{n}.started"
            start = parse_snap(started, clk)["rss"][t] / 1024 if started.exists() else None
            after = idle.get(t)
            md.append(f"| {t} | {n} | {fmt(start, 1)} | {fmt(summary.get((t, n), {}).get('rss_mib'), 1)} | "
                      f"{fmt(after / 1024 if after else None, 1)} |")
    return md


def heap_used_kib(path):
    """Used heap after the full GC, from `jcmd PID GC.heap_info`: every generation's "used", not Metaspace."""
    text = path.read_text().split("Metaspace")[0]
    return sum(int(k) for k in re.findall(r"used (\d+)K", text))


def idle_section(raw, m, targets):
    clk = int(m["clk_tck"])
    rows = []
    for t in targets:
        f = raw / f"idle-{t}"
        if not (f.parent / f"{f.name}.result").exists():
            continue
        ready = json.loads((f.parent / f"{f.name}.ready").read_text())
        result = json.loads((f.parent / f"{f.name}.result").read_text())
        rss = [parse_snap(f.parent / f"{f.name}.{p}", clk)["rss"][t] for p in ("before", "held")]
        heap = [heap_used_kib(f.parent / f"{f.name}.{p}.heap") if t == "usher" else None for p in ("before", "held")]
        count = ready["requested"]
        per_conn = (lambda a, b: fmt((b - a) / count, 2) if a is not None else "—")
        rows.append(f"| {t} | {ready['answered']}/{count} | {result['still_open']}/{count} | "
                    f"{(f.parent / f'{f.name}.fresh').read_text().strip()} | {fmt(rss[0] / 1024, 1)} | "
                    f"{fmt(rss[1] / 1024, 1)} | {per_conn(*rss)} | "
                    f"{fmt(heap[0] / 1024, 1) if heap[0] is not None else '—'} | "
                    f"{fmt(heap[1] / 1024, 1) if heap[1] is not None else '—'} | {per_conn(*heap)} |")
    if not rows:
        return []
    return ["", "## Idle keep-alive connections", "",
            f"`bench/idle_conns.py` holds connections to a fresh proxy ({m['idle']}; Usher at"
            " `-Xmx64m`): each sends one `GET /`, reads the answer, then stays open and idle. Measured 3 s after"
            " the last one opened, against the same proxy before them (after two requests). Usher's heap is"
            " what is used after a full GC (`jcmd PID GC.run`, then `GC.heap_info`).", "",
            "| target | answered | still open at the end | a fresh client served meanwhile | RSS before MiB "
            "| RSS held MiB | RSS KiB/conn | heap before MiB | heap held MiB | heap KiB/conn |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"] + rows


# ------------------------------------------------------------------------------------ profile --
def frame_name(frame):
    method = frame["method"]
    return f"{method['type']['name']}.{method['name']}".replace("/", ".")


def profile_report(kind, jfrs, runs, path, m):
    md = ["# Usher CPU and allocation profile", "",
          f"- command: `{m['command']}`",
          f"- date: {m['date']}; {m['machine']}; {m.get('repo', '')}",
          "",
          "One more wrk run of Usher per worker count, after the measured rounds (so on a warm JVM, and not"
          " counted in the medians), under JFR (`jcmd PID JFR.start settings=bench/profile.jfc`, after a"
          " throwaway recording: a JVM's first one costs a lot): Java stacks sampled every 1 ms, allocation"
          " samples, every thread's allocated bytes. The recording is"
          f" `raw/{kind}/usher-wN.jfr` (open it in JDK Mission Control, or `jfr print`); the stacks, folded"
          f" one per line for flame-graph tools, are in `{kind}-profile-wN.folded`.", ""]
    for jfr in jfrs:
        n = int(re.search(r"-w(\d+)\.jfr$", jfr.name).group(1))
        run = next((r for r in runs if r["round"] == "profile" and r["workers"] == n and "requests" in r), None)
        events = json.loads(subprocess.run(
            ["jfr", "print", "--json", "--stack-depth", "64", "--events",
             "jdk.ExecutionSample,jdk.ObjectAllocationSample,jdk.ThreadAllocationStatistics", str(jfr)],
            check=True, capture_output=True, text=True).stdout)["recording"]["events"]
        by_type = defaultdict(list)
        for e in events:
            by_type[e["type"]].append(e["values"])
        per_thread = defaultdict(list)
        for v in by_type["jdk.ThreadAllocationStatistics"]:
            per_thread[v["thread"]["javaThreadId"] if v["thread"] else None].append(v["allocated"])
        # Emitted at the recording's start and end: the difference is what each thread allocated.
        allocated = sum(max(a) - min(a) if len(a) > 1 else 0 for a in per_thread.values())
        # A thread's first sample weighs all it allocated since the recording began: only the later
        # ones are spread over the run.
        seen, alloc_samples = set(), []
        for v in by_type["jdk.ObjectAllocationSample"]:
            thread = v["eventThread"]["javaThreadId"] if v["eventThread"] else None
            if thread in seen:
                alloc_samples.append(v)
            seen.add(thread)
        sampled = sum(v["weight"] for v in alloc_samples) or 1
        requests = run["requests"] if run else None
        samples = by_type["jdk.ExecutionSample"]
        self_count, incl_count, folded = Counter(), Counter(), Counter()
        for v in samples:
            frames = [frame_name(f) for f in v["stackTrace"]["frames"]]
            if not frames:
                continue
            self_count[frames[0]] += 1
            for f in set(frames):
                if f.startswith("dev.usher."):
                    incl_count[f] += 1
            folded[";".join(reversed(frames))] += 1
        alloc_sites = Counter()
        for v in alloc_samples:
            frames = v["stackTrace"]["frames"] if v["stackTrace"] else []
            usher = next((frame_name(f) for f in frames if frame_name(f).startswith("dev.usher.")), "(no Usher frame)")
            top = frame_name(frames[0]) if frames else "?"
            alloc_sites[(v["objectClass"]["name"].replace("/", "."), top, usher)] += v["weight"]
        folded_path = path.with_name(f"{kind}-profile-w{n}.folded")
        folded_path.write_text("".join(f"{s} {c}\n" for s, c in folded.most_common()))
        flame(path.with_name(f"{kind}-profile-w{n}.png"), folded, f"Usher, {n} event loop(s): CPU samples")
        total = len(samples)
        md += [f"## {n} event loop(s)", "",
               f"- run: {fmt(run.get('rps') if run else None)} req/s, {fmt(requests)} requests, "
               f"CPU {fmt(run.get('target_cpu_us') if run else None, 1)} µs/request (JFR on)",
               f"- allocation: **{fmt(ratio(allocated, requests))} bytes/request** (all threads'"
               f" `jdk.ThreadAllocationStatistics`, end minus start, over wrk's requests; below, split in"
               f" the proportions of {len(alloc_samples)} allocation samples' weights)",
               f"- {total} CPU samples; flame graph: [{kind}-profile-w{n}.png]({kind}-profile-w{n}.png)", "",
               "Top frames by own samples (where the CPU was):", "", "| samples | % | frame |", "|---:|---:|---|"]
        md += [f"| {c} | {100 * c / total:.1f} | `{f}` |" for f, c in self_count.most_common(20)]
        md += ["", "Usher methods by samples with the method anywhere on the stack:", "",
               "| samples | % | method |", "|---:|---:|---|"]
        md += [f"| {c} | {100 * c / total:.1f} | `{f}` |" for f, c in incl_count.most_common(15)]
        md += ["", "Allocation by class, allocating frame and nearest Usher frame:", "",
               "| bytes/request | % | class | allocated in | Usher frame |", "|---:|---:|---|---|---|"]
        md += [f"| {fmt(ratio(allocated * w / sampled, requests))} | {100 * w / sampled:.1f} | `{c}` | `{t}` | `{u}` |"
               for (c, t, u), w in alloc_sites.most_common(15)]
        md.append("")
    path.write_text("\n".join(md) + "\n")


def flame(path, folded, title):
    """An icicle graph (a flame graph drawn top-down): one box per frame, as wide as its samples."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tree = {}
    for stack, count in folded.items():
        node = tree
        for f in stack.split(";"):
            node = node.setdefault(f, [0, {}])
            node[0] += count
            node = node[1]
    total = sum(folded.values())
    fig, ax = plt.subplots(figsize=(16, 10))
    depth_max = [0]

    def draw(children, x, depth):
        for name, (count, sub) in sorted(children.items()):
            w = count / total
            if w < 0.002:
                x += w
                continue
            depth_max[0] = max(depth_max[0], depth)
            ax.add_patch(plt.Rectangle((x, -depth - 1), w, 0.95, color=plt.cm.YlOrRd(0.25 + 0.6 * (sum(map(ord, name)) % 97) / 97)))
            if w > 0.04:
                short = name.rsplit(".", 2)[-2:] if "." in name else [name]
                ax.text(x + 0.002, -depth - 0.55, ".".join(short)[: int(w * 180)], fontsize=6, va="center")
            draw(sub, x, depth + 1)
            x += w

    draw(tree, 0, 0)
    ax.set_xlim(0, 1)
    ax.set_ylim(-depth_max[0] - 2, 0)
    ax.set_yticks([])
    ax.set_xlabel("share of CPU samples")
    ax.set_title(f"{title} ({total} samples; frames under 0.2 % left out)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ISSUE_TARGETS:
        sys.exit(__doc__)
    report(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
