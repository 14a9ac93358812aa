"""Minimal WSGI app for bench/uwsgi-bench.sh: every request gets the same
100-byte text/plain body, with Content-Length, and nothing else is done
(no reading of the environ, no logging), so the backend costs as little as
Python allows and the fronts in front of it are what differ.

bench/uwsgi-bench.sh reads BODY from this module to check that each front
returns exactly these bytes.
"""

BODY = b"usher-bench uwsgi fixed body " + b"x" * 71
assert len(BODY) == 100

_HEADERS = [
    ("Content-Type", "text/plain"),
    ("Content-Length", str(len(BODY))),
]


def application(environ, start_response):
    start_response("200 OK", _HEADERS)
    return [BODY]
