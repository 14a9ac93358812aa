"""Plain WSGI test app for the uwsgi backend tests: shows exactly what the uwsgi vars block turned into.

Routes:
  /error                        raises, so uWSGI itself answers 500
  /stream?chunks=N&size=M       N chunks of M bytes (chunk i is filled with letter i mod 26), no Content-Length
  /slow?ms=N                    sleeps N ms, then answers like any other path
  /slow-stream?chunks=N&ms=M    one line every M ms, no Content-Length (for killing uWSGI mid-response)
  /slow-sized?chunks=N&ms=M     the same lines, with a Content-Length (a cut is detectable)
  anything else                 the environ as JSON: every str value, plus body_length and body_sha256
                                of wsgi.input read to the end
"""
import hashlib
import json
import time
from urllib.parse import parse_qs

READ_SIZE = 64 * 1024


def _param(environ, name, default):
    values = parse_qs(environ.get('QUERY_STRING', '')).get(name)
    return int(values[0]) if values else default


def _read_body(environ):
    stream = environ['wsgi.input']
    digest = hashlib.sha256()
    length = 0
    while True:
        chunk = stream.read(READ_SIZE)
        if not chunk:
            break
        length += len(chunk)
        digest.update(chunk)
    return length, digest.hexdigest()


def _environ_json(environ):
    body = {k: v for k, v in environ.items() if isinstance(v, str)}
    body['body_length'], body['body_sha256'] = _read_body(environ)
    return json.dumps(body, sort_keys=True).encode('utf-8')


def _stream(chunks, size):
    for i in range(chunks):
        yield bytes([ord('a') + i % 26]) * size


def _slow_stream(chunks, ms):
    for i in range(chunks):
        if i:
            time.sleep(ms / 1000.0)
        yield ('chunk %d\n' % i).encode('ascii')


def application(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == '/error':
        raise RuntimeError('environ_app: deliberate failure on /error')
    if path == '/stream':
        start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        return _stream(_param(environ, 'chunks', 16), _param(environ, 'size', 1024))
    if path == '/slow-stream':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return _slow_stream(_param(environ, 'chunks', 10), _param(environ, 'ms', 100))
    if path == '/slow-sized':
        chunks = _param(environ, 'chunks', 10)
        length = sum(len(('chunk %d\n' % i).encode('ascii')) for i in range(chunks))
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(length))])
        return _slow_stream(chunks, _param(environ, 'ms', 100))
    if path == '/slow':
        time.sleep(_param(environ, 'ms', 1000) / 1000.0)
    payload = _environ_json(environ)
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(payload)))])
    return [payload]
