#!/usr/bin/env bash
# Runs pod.yaml with plain docker commands, the way podcompose will (pause
# container owning the namespaces, both containers joined to it, one shared
# volume), checks that the sidecar's log shows the app's lines in order and
# that both stop fast, then removes everything it made.
#
# Usage: samples/log-sidecar/verify-raw-docker.sh
# Environment: BUSYBOX_IMAGE (default podcompose.test/busybox:1, built when missing)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:-podcompose.test/busybox:1}
PREFIX=podcompose-raw-log-sidecar-$$
VOLUME=$PREFIX-logs
PAUSE=$PREFIX-pause
APP=$PREFIX-app
SIDECAR=$PREFIX-sidecar

log() { printf 'verify: %s\n' "$*" >&2; }
fail() { printf 'verify: FAIL: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

cleanup() {
    docker rm -f "$APP" "$SIDECAR" "$PAUSE" >/dev/null 2>&1 || true
    docker volume rm "$VOLUME" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Prints a container's command + args from pod.yaml, NUL-separated.
container_argv() {
    python3 - "$HERE/pod.yaml" "$1" <<'PY'
import sys, yaml
pod = yaml.safe_load(open(sys.argv[1]))
(c,) = [c for c in pod["spec"]["containers"] if c["name"] == sys.argv[2]]
sys.stdout.write("\0".join(c["command"] + c.get("args", [])))
PY
}

# Starts a container of the pod: command[0] becomes the entrypoint.
run_container() {
    local name=$1 mount=$2 argv
    mapfile -d '' argv < <(container_argv "${name##*-}")
    docker run -d --name "$name" --network "container:$PAUSE" --ipc "container:$PAUSE" \
        --mount "$mount" --entrypoint "${argv[0]}" "$BUSYBOX_IMAGE" "${argv[@]:1}" >/dev/null
}

# Stops a container with the pod's grace period; prints "exit-code ms".
stop_timed() {
    local start; start=$(now_ms)
    docker stop -t "$GRACE" "$1" >/dev/null
    echo "$(docker inspect -f '{{.State.ExitCode}}' "$1") $(( $(now_ms) - start ))"
}

"$REPO/tests/kit/build-images.sh" busybox pause >/dev/null
GRACE=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["spec"]["terminationGracePeriodSeconds"])' "$HERE/pod.yaml")

docker volume create "$VOLUME" >/dev/null
docker run -d --name "$PAUSE" --ipc shareable podcompose.test/pause:1 >/dev/null
run_container "$APP" "type=volume,src=$VOLUME,dst=/var/log/app,volume-nocopy"
run_container "$SIDECAR" "type=volume,src=$VOLUME,dst=/var/log/app,volume-nocopy,readonly"

sleep 3.5
lines=$(docker logs "$SIDECAR" 2>/dev/null)
printf '%s\n' "$lines" | sed 's/^/  sidecar| /' >&2
for n in 1 2 3; do
    sed -n "${n}p" <<<"$lines" | grep -Eq "^$n [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z app line $n\$" \
        || fail "line $n of the sidecar's log is not the app's line $n"
done
log "sidecar streams the app's log: lines 1..3 in order, with timestamps"

if docker exec "$SIDECAR" sh -c 'echo x >>/var/log/app/app.log' 2>/dev/null; then
    fail "the sidecar's readOnly mount is writable"
fi

# Stop both in parallel as a kubelet does; each must beat the grace period.
exec 3< <(stop_timed "$APP")
exec 4< <(stop_timed "$SIDECAR")
read -r app_code app_ms <&3
read -r side_code side_ms <&4
log "stopped: app exit $app_code in ${app_ms} ms, sidecar exit $side_code in ${side_ms} ms (grace ${GRACE}s)"
[[ $app_code == 0 && $side_code == 0 ]] || fail "a container did not exit 0 on SIGTERM"
(( app_ms < GRACE * 1000 && side_ms < GRACE * 1000 )) || fail "a container waited out its grace period"
docker logs "$APP" 2>&1 | grep -q '^app: stopping after [0-9]* lines$' || fail "the app's TERM trap did not run"
log "OK"
