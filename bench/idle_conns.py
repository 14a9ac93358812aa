#!/usr/bin/env python3
"""Open N idle HTTP/1.1 keep-alive connections to a local server and hold them.

Each connection sends one ``GET`` request, reads the complete response (the
body is delimited by Content-Length or chunked encoding), and then stays open
and idle. Once every connection has been tried, a JSON line is written to
--ready-file. The script then holds the connections until it receives SIGUSR1
(or SIGTERM/SIGINT), or until --hold-max seconds have passed, whichever comes
first. It then checks every connection is still open (a peer close shows as
EOF or a reset) and writes the final JSON result to --result (and stdout).

Only loopback targets are allowed; the work is bounded in connection count
and in time (--connect-timeout, --hold-max).

Standard library only (socket + selectors).
"""

import argparse
import errno
import ipaddress
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time

# -------------------------------------------------------------------------

_release = False


def _on_signal(signum, _frame):
    global _release
    _release = True


def raise_nofile(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft
    target = needed
    if hard != resource.RLIM_INFINITY and hard < needed:
        # Only root may raise the hard limit; try, then fall back to hard.
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            return needed
        except (ValueError, OSError):
            target = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


class Conn:
    __slots__ = ("sock", "state", "out", "buf", "need", "chunked", "status", "t0")

    def __init__(self, sock, request):
        self.sock = sock
        self.state = "connecting"  # connecting -> sending -> reading -> idle | failed
        self.out = request
        self.buf = b""
        self.need = None  # total bytes (headers + body) once known
        self.chunked = False
        self.status = None
        self.t0 = time.monotonic()


def response_complete(c):
    """Return True once a full HTTP response is buffered in c.buf."""
    if c.need is None:
        end = c.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = c.buf[:end].decode("latin-1")
        lines = head.split("\r\n")
        try:
            c.status = int(lines[0].split()[1])
        except (IndexError, ValueError):
            c.status = -1
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding" and "chunked" in value.lower():
                c.chunked = True
        if c.chunked:
            c.need = -1
        else:
            c.need = end + 4 + (length or 0)
    if c.chunked:
        # Good enough for small bodies: the terminating zero-size chunk.
        return c.buf.endswith(b"0\r\n\r\n")
    return len(c.buf) >= c.need


def open_connections(host, port, count, path, batch, connect_timeout, deadline):
    request = (
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: usher-idle-bench\r\n"
        "Connection: keep-alive\r\n\r\n".format(path, host, port)
    ).encode("ascii")
    sel = selectors.DefaultSelector()
    idle, failed = [], []
    errors = {}
    started = 0
    inflight = 0

    def fail(c, why):
        nonlocal inflight
        errors[why] = errors.get(why, 0) + 1
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        c.state = "failed"
        failed.append(c)
        inflight -= 1

    while (started < count or inflight) and time.monotonic() < deadline:
        while started < count and inflight < batch:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c = Conn(s, request)
            started += 1
            inflight += 1
            rc = s.connect_ex((host, port))
            if rc not in (0, errno.EINPROGRESS):
                fail(c, "connect:" + errno.errorcode.get(rc, str(rc)))
                continue
            sel.register(s, selectors.EVENT_WRITE, c)
        now = time.monotonic()
        for key, ev in sel.select(timeout=0.2):
            c = key.data
            s = c.sock
            if c.state == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    fail(c, "connect:" + errno.errorcode.get(err, str(err)))
                    continue
                c.state = "sending"
            if c.state == "sending" and ev & selectors.EVENT_WRITE:
                try:
                    n = s.send(c.out)
                except BlockingIOError:
                    continue
                except OSError as e:
                    fail(c, "send:" + (errno.errorcode.get(e.errno, str(e.errno))))
                    continue
                c.out = c.out[n:]
                if not c.out:
                    c.state = "reading"
                    sel.modify(s, selectors.EVENT_READ, c)
                continue
            if c.state == "reading" and ev & selectors.EVENT_READ:
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    fail(c, "recv:" + (errno.errorcode.get(e.errno, str(e.errno))))
                    continue
                if not data:
                    fail(c, "eof-before-response")
                    continue
                c.buf += data
                if response_complete(c):
                    sel.unregister(s)
                    inflight -= 1
                    if c.status is not None and 200 <= c.status < 300:
                        c.state = "idle"
                        c.buf = b""
                        idle.append(c)
                    else:
                        errors["status:%s" % c.status] = errors.get("status:%s" % c.status, 0) + 1
                        c.state = "failed"
                        failed.append(c)
                        s.close()
        # Per-connection timeout for connections stuck connecting/reading.
        for key in list(sel.get_map().values()):
            c = key.data
            if now - c.t0 > connect_timeout:
                fail(c, "timeout")
    # Whatever is still pending at the global deadline counts as failed.
    for key in list(sel.get_map().values()):
        fail(key.data, "deadline")
    sel.close()
    return idle, failed, errors, started


def still_open(c):
    try:
        data = c.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True  # nothing to read and not closed: open and idle
    except OSError:
        return False
    # b"" means the peer closed; unsolicited bytes (e.g. a 408 sent before
    # closing) mean it is no longer an idle keep-alive connection either.
    del data
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--path", default="/")
    ap.add_argument("--batch", type=int, default=200, help="max connections being set up at once")
    ap.add_argument("--connect-timeout", type=float, default=10.0, help="per connection, seconds")
    ap.add_argument("--open-max", type=float, default=120.0, help="max seconds to open all connections")
    ap.add_argument("--hold-max", type=float, default=180.0, help="max seconds to hold before checking and exiting")
    ap.add_argument("--ready-file", help="write a JSON line here once all connections were tried")
    ap.add_argument("--result", help="write the final JSON result here")
    args = ap.parse_args()

    if not ipaddress.ip_address(args.host).is_loopback:
        sys.exit("idle_conns.py: refusing non-loopback target %s" % args.host)
    if not 1 <= args.count <= 60000:
        sys.exit("idle_conns.py: --count must be in 1..60000")

    for sig in (signal.SIGUSR1, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _on_signal)

    nofile = raise_nofile(args.count + 256)
    if nofile < args.count + 16:
        sys.exit("idle_conns.py: RLIMIT_NOFILE is %d, need about %d" % (nofile, args.count + 256))

    t0 = time.monotonic()
    idle, failed, errors, started = open_connections(
        args.host, args.port, args.count, args.path, args.batch,
        args.connect_timeout, t0 + args.open_max)
    open_secs = time.monotonic() - t0

    ready = {
        "phase": "ready",
        "requested": args.count,
        "started": started,
        "answered": len(idle),
        "failed": len(failed),
        "errors": errors,
        "open_seconds": round(open_secs, 2),
        "pid": os.getpid(),
    }
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(json.dumps(ready) + "\n")
        os.replace(tmp, args.ready_file)
    print(json.dumps(ready), flush=True)

    # Hold, bounded in time, until told to release.
    hold_start = time.monotonic()
    while not _release and time.monotonic() - hold_start < args.hold_max:
        time.sleep(0.1)
    held = time.monotonic() - hold_start

    open_now = sum(1 for c in idle if still_open(c))
    result = dict(ready)
    result.update({
        "phase": "done",
        "held_seconds": round(held, 1),
        "released_by": "signal" if _release else "hold-max",
        "still_open": open_now,
        "all_open": open_now == args.count,
    })
    for c in idle:
        c.sock.close()
    if args.result:
        with open(args.result, "w") as f:
            f.write(json.dumps(result) + "\n")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
