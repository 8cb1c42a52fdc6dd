#!/usr/bin/env bash
# Serve Weiquan for development: Django's runserver and a Celery worker with
# embedded beat, until Ctrl-C; then stop both, with everything they started.
#
# Called by `make run` after migrate and seed_demo. Environment:
#   VENV (.venv)  HOST (127.0.0.1)  PORT (8000)  WEIQUAN_VAR_DIR (var)
#   STOP_TIMEOUT  seconds to wait for a clean stop before SIGKILL (15)
#
# Each server runs in its own process group (bash job control while starting
# them), so the trap can signal a whole group, including runserver's autoreload
# child and Celery's pool and beat processes, without touching the group of
# whoever started this script (make, a terminal, a CI runner).
set -euo pipefail

cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
VAR_DIR="${WEIQUAN_VAR_DIR:-var}"
STOP_TIMEOUT="${STOP_TIMEOUT:-15}"

export PYTHONUNBUFFERED=1  # interleave the two logs as they happen

# kombu's filesystem transport does not create its folders.
mkdir -p "$VAR_DIR/broker" "$VAR_DIR/broker-processed"

web=""
worker=""

group_alive() {
    [ -n "$1" ] && kill -0 -- "-$1" 2>/dev/null
}

stop() {
    trap - INT TERM EXIT
    echo "dev-serve: stopping runserver and the Celery worker..." >&2
    # Celery's main process does a warm shutdown on TERM and stops its pool and
    # beat itself; runserver's reloader and its child both stop on TERM.
    [ -n "$worker" ] && kill -TERM "$worker" 2>/dev/null || true
    [ -n "$web" ] && kill -TERM -- "-$web" 2>/dev/null || true
    local waited=0
    while group_alive "$web" || group_alive "$worker"; do
        if [ "$waited" -ge $((STOP_TIMEOUT * 5)) ]; then
            echo "dev-serve: still running after ${STOP_TIMEOUT}s, killing" >&2
            for pgid in $web $worker; do kill -KILL -- "-$pgid" 2>/dev/null || true; done
            break
        fi
        # The worker's pool and beat go down with it; anything left in the group after
        # the main process exits is cleaned up by signalling the group.
        if [ -n "$worker" ] && ! kill -0 "$worker" 2>/dev/null; then
            kill -TERM -- "-$worker" 2>/dev/null || true
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    wait 2>/dev/null || true
}

trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap 'stop' EXIT

set -m # job control on: each background job becomes its own process group
"$VENV/bin/python" manage.py runserver "$HOST:$PORT" </dev/null &
web=$!
"$VENV/bin/celery" -A config worker -B \
    --schedule "$VAR_DIR/celerybeat-schedule" \
    --loglevel INFO --concurrency 2 </dev/null &
worker=$!
set +m

echo "dev-serve: http://$HOST:$PORT/ (runserver pid $web, celery pid $worker); Ctrl-C stops both" >&2

# Wait until Ctrl-C, or until one of the two exits (then stop the other, and fail).
while kill -0 "$web" 2>/dev/null && kill -0 "$worker" 2>/dev/null; do
    sleep 1
done
if ! kill -0 "$web" 2>/dev/null; then
    echo "dev-serve: runserver exited (port $PORT in use? try: make run PORT=$((PORT + 1)))" >&2
else
    echo "dev-serve: the Celery worker exited" >&2
fi
stop
exit 1
