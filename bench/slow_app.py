"""WSGI app for bench/overload-bench.sh: each request sleeps ?ms=N milliseconds (a synchronous worker waiting on a
database, say), then answers a fixed 100-byte body with Content-Length."""
import time
from urllib.parse import parse_qs

BODY = b"usher-bench slow body " + b"x" * 78
assert len(BODY) == 100

_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    ms = parse_qs(environ.get("QUERY_STRING", "")).get("ms", ["0"])[0]
    time.sleep(int(ms) / 1000.0)
    start_response("200 OK", _HEADERS)
    return [BODY]
