#!/usr/bin/env bash
# A burst against few synchronous workers: one uWSGI with 2 processes and a short listen backlog, a 50 ms route,
# 120 clients sending 2 requests each, through nginx (uwsgi_pass) and through Usher (--protocol uwsgi
# --concurrency 2). This script starts and stops the servers; bench/overload.py is the client and writes
# bench/results/overload-bench.md. See bench/README.md.
set -euo pipefail
set +m  # see start_bg in lib.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CLIENTS=120 REQUESTS=2 MS=50 PROCESSES=2 LISTEN=16 ROUNDS=3
OUT=$REPO_ROOT/bench/results
JAR=$REPO_ROOT/proxy-image/target/usher-proxy.jar

usage() {
  cat <<EOF
Usage: bash bench/overload-bench.sh [options]
  --clients C      concurrent clients, one keep-alive connection each ($CLIENTS)
  --requests R     requests per client ($REQUESTS)
  --ms N           the route's time in the worker ($MS)
  --processes P    uWSGI worker processes, one request each; Usher's --concurrency ($PROCESSES)
  --listen N       uWSGI's listen backlog ($LISTEN)
  --rounds N       interleaved rounds ($ROUNDS)
  --jar PATH       Usher's jar (proxy-image/target/usher-proxy.jar)
  --out DIR        report here, raw files in DIR/raw/overload ($OUT)
EOF
}

while (($#)); do
  case $1 in
    --clients) CLIENTS=$2 ;;
    --requests) REQUESTS=$2 ;;
    --ms) MS=$2 ;;
    --processes) PROCESSES=$2 ;;
    --listen) LISTEN=$2 ;;
    --rounds) ROUNDS=$2 ;;
    --jar) JAR=$(realpath "$2") ;;
    --out) OUT=$(realpath -m "$2") ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
  (($# >= 2)) || die "$1 needs a value"
  shift 2
done
((ROUNDS >= 1 && ROUNDS <= 20 && PROCESSES >= 1 && MS >= 0 && MS <= 10000)) || die "bad --rounds, --processes or --ms"
RAW=$OUT/raw/overload

need_tools nginx uwsgi java curl python3 setsid timeout
setup_run overload-bench
copy_jar
cp "$SCRIPT_DIR/slow_app.py" "$TMP/"

UWSGI_PORT=$(free_port)
UWSGI_CMD=(uwsgi --strict --plugin python3 --uwsgi-socket "127.0.0.1:$UWSGI_PORT" --master
  --processes "$PROCESSES" --threads 1 --listen "$LISTEN" --disable-logging
  --die-on-term --need-app --wsgi-file "$TMP/slow_app.py")
{
  echo "nginx: $(nginx -v 2>&1 | cut -d/ -f2), 1 worker, uwsgi_pass"
  echo "uwsgi: $(uwsgi --version), --processes $PROCESSES --threads 1 --listen $LISTEN, bench/slow_app.py"
  echo "usher: java $(usher_jvm_flags) ${USHER_JAVA_OPTS:-}-jar usher-proxy.jar --protocol uwsgi --concurrency $PROCESSES --event-loops 1 ${USHER_ARGS:-}"
  echo "load: $CLIENTS clients × $REQUESTS requests of GET /?ms=$MS (bench/overload.py), $ROUNDS interleaved rounds"
  echo "fifo bound s: $(python3 -c "print($CLIENTS * $REQUESTS * $MS / 1000 / $PROCESSES)")"
} >>"$RAW/meta.txt"
start_bg "$TMP/uwsgi.log" "${UWSGI_CMD[@]}"
UWSGI_PID=$LAST_PID
wait_tcp "$UWSGI_PORT" "$UWSGI_PID" || { cat "$TMP/uwsgi.log" >&2; die "uWSGI did not start"; }

declare -A PID PORT
PORT[nginx]=$(free_port) PORT[usher]=$(free_port)
nginx_start "$TMP/nginx" 1 "
    uwsgi_read_timeout 120s;
    server {
        listen 127.0.0.1:${PORT[nginx]} backlog=4096;
        location / {
            include /etc/nginx/uwsgi_params;
            uwsgi_pass 127.0.0.1:$UWSGI_PORT;
        }
    }"
PID[nginx]=$LAST_PID
usher_start "$TMP/usher.log" "${PORT[usher]}" "$(free_port)" \
  --upstream "127.0.0.1:$UWSGI_PORT" --protocol uwsgi --concurrency "$PROCESSES" --event-loops 1
PID[usher]=$LAST_PID
for t in nginx usher; do
  wait_http "http://127.0.0.1:${PORT[$t]}/" "${PID[$t]}" || die "$t did not start (logs in $TMP)"
done

for ((r = 1; r <= ROUNDS; r++)); do
  for t in $(rotated "$r" nginx usher); do
    log "$t, round $r: $CLIENTS clients × $REQUESTS requests of ${MS} ms"
    timeout -k 5 $((REQUESTS * 60 + 30)) "$PYTHON" "$SCRIPT_DIR/overload.py" run --port "${PORT[$t]}" \
      --clients "$CLIENTS" --requests "$REQUESTS" --ms "$MS" --out "$RAW/$t-r$r.json"
    alive "$UWSGI_PID" || die "uWSGI died"
    sleep 2
  done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RAW/meta.txt"
stop_pid "${PID[nginx]}"
stop_pid "${PID[usher]}"
stop_pid "$UWSGI_PID"

"$PYTHON" "$SCRIPT_DIR/overload.py" report "$RAW" "$OUT"
