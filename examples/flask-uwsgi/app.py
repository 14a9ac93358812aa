"""A small Flask app, run by uWSGI behind the Usher proxy (see uwsgi.ini)."""
import socket
import time

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/")
def hello():
    return f"Hello from Flask on {socket.gethostname()}\n"


@app.get("/request")
def describe_request():
    # What uWSGI passed on from the proxy: the client's address and the forwarded headers.
    return jsonify(
        method=request.method,
        path=request.full_path,
        remote_addr=request.remote_addr,
        forwarded_for=request.headers.get("X-Forwarded-For"),
        forwarded_proto=request.headers.get("X-Forwarded-Proto"),
        host=request.host,
        served_by=socket.gethostname(),
    )


@app.post("/echo")
def echo():
    return request.get_data(), 200, {"Content-Type": request.content_type or "application/octet-stream"}


@app.get("/sleep")
def sleep():
    # Holds a worker for ?ms= milliseconds (at most 10 s) without using the CPU: a slow page, to load the
    # app by concurrency rather than by CPU (the autoscaling test in sandbox/).
    ms = min(max(request.args.get("ms", default=200, type=int), 0), 10_000)
    time.sleep(ms / 1000)
    return f"slept {ms} ms on {socket.gethostname()}\n"
