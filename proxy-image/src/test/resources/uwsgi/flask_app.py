"""Flask test app for the uwsgi backend tests: what a real framework sees behind the proxy.

Routes:
  GET  /         plain text
  POST /form     form fields (urlencoded or multipart) as {"fields": {name: [values]}, "files": {name: {...}}}
  POST /json     the parsed JSON echoed back, with "handled_by": "flask" added
  POST /upload   body_length and body_sha256 of the raw body, read as a stream
  GET  /stream   ?chunks=N&size=M: a generator response, no Content-Length
  GET  /cookies  request.cookies as a JSON object
  GET  /headers  every request header as a JSON object, repeated headers as WSGI delivered them
"""
import hashlib

from flask import Flask, Response, jsonify, request

READ_SIZE = 64 * 1024

app = Flask(__name__)


def _digest(stream):
    digest = hashlib.sha256()
    length = 0
    while True:
        chunk = stream.read(READ_SIZE)
        if not chunk:
            break
        length += len(chunk)
        digest.update(chunk)
    return length, digest.hexdigest()


@app.get('/')
def index():
    return Response('hello from flask\n', mimetype='text/plain')


@app.post('/form')
def form():
    files = {}
    for name, storage in request.files.items():
        length, sha256 = _digest(storage.stream)
        files[name] = {'filename': storage.filename, 'content_type': storage.content_type,
                       'length': length, 'sha256': sha256}
    return jsonify(fields=request.form.to_dict(flat=False), files=files)


@app.post('/json')
def json_echo():
    data = request.get_json()
    if isinstance(data, dict):
        data = dict(data)
    else:
        data = {'value': data}
    data['handled_by'] = 'flask'
    return jsonify(data)


@app.post('/upload')
def upload():
    length, sha256 = _digest(request.stream)
    return jsonify(body_length=length, body_sha256=sha256)


@app.get('/stream')
def stream():
    chunks = request.args.get('chunks', 16, type=int)
    size = request.args.get('size', 1024, type=int)

    def generate():
        for i in range(chunks):
            yield bytes([ord('a') + i % 26]) * size

    return Response(generate(), mimetype='application/octet-stream')


@app.get('/cookies')
def cookies():
    return jsonify(request.cookies.to_dict())


@app.get('/headers')
def headers():
    return jsonify(dict(request.headers.items()))


# uWSGI's --wsgi-file looks for this name.
application = app
