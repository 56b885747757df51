#!/usr/bin/env bash
# Runs the javaweb pod with plain docker commands, the way podcompose will
# (pause container owning the network and the published port, the init
# container, then Tomcat joined to the pause container's namespaces), checks
# http://127.0.0.1:8001/sample/ and removes everything it made.
# A yardstick for podcompose itself and a check of the images without it.
#
# Usage: samples/javaweb/verify-raw-docker.sh   (after ./build-images.sh)
# Environment: HOST_PORT (default 8001), TIMEOUT seconds (default 60)
set -euo pipefail

HOST_PORT=${HOST_PORT:-8001}
TIMEOUT=${TIMEOUT:-60}
PREFIX=podcompose-raw-javaweb-$$
VOLUME=$PREFIX-app-volume
PAUSE=$PREFIX-pause
WAR=$PREFIX-war
TOMCAT=$PREFIX-tomcat
WEBAPPS=/root/apache-tomcat-7.0.42-v2/webapps
URL=http://127.0.0.1:$HOST_PORT/sample/
PAGE=$(mktemp)

log() { printf 'verify: %s\n' "$*" >&2; }
fail() { printf 'verify: FAIL: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

cleanup() {
    docker rm -f "$TOMCAT" "$WAR" "$PAUSE" >/dev/null 2>&1 || true
    docker volume rm "$VOLUME" >/dev/null 2>&1 || true
    rm -f "$PAGE"
}
trap cleanup EXIT

for ref in podcompose.test/pause:1 podcompose.local/javaweb-war:v2 podcompose.local/tomcat:7.0; do
    docker image inspect "$ref" >/dev/null 2>&1 || fail "$ref missing: run samples/javaweb/build-images.sh"
done
command -v curl >/dev/null || fail "curl is needed"

docker volume create "$VOLUME" >/dev/null
docker run -d --name "$PAUSE" --ipc shareable \
    -p "127.0.0.1:$HOST_PORT:8080" podcompose.test/pause:1 >/dev/null
join=(--network "container:$PAUSE" --ipc "container:$PAUSE")

# initContainers[0]: command replaces the image's entrypoint, no CMD.
docker run --name "$WAR" "${join[@]}" \
    --mount "type=volume,src=$VOLUME,dst=/app,volume-nocopy" \
    --entrypoint cp podcompose.local/javaweb-war:v2 /sample.war /app
code=$(docker inspect -f '{{.State.ExitCode}}' "$WAR")
[[ $code == 0 ]] || fail "init container exited $code"
log "init container copied sample.war (exit 0)"

docker create --name "$TOMCAT" "${join[@]}" \
    --mount "type=volume,src=$VOLUME,dst=$WEBAPPS,volume-nocopy" \
    --entrypoint sh podcompose.local/tomcat:7.0 -c /root/apache-tomcat-7.0.42-v2/bin/start.sh >/dev/null
start=$(now_ms)
docker start "$TOMCAT" >/dev/null

status=000
deadline=$((SECONDS + TIMEOUT))
while (( SECONDS < deadline )); do
    status=$(curl -s -o "$PAGE" -w '%{http_code}' --max-time 2 "$URL" || true)
    [[ $status == 200 ]] && break
    sleep 0.05
done
elapsed=$(( $(now_ms) - start ))
if [[ $status != 200 ]]; then
    docker logs "$TOMCAT" 2>&1 | tail -n 30 >&2
    fail "$URL answered $status after ${TIMEOUT}s"
fi
log "first 200 from $URL ${elapsed} ms after starting the tomcat container"

grep -q 'podcompose sample' "$PAGE" || fail "marker text missing from the page"
grep -q '<strong id="answer">42</strong>' "$PAGE" || fail "6 * 7 was not rendered as 42"
grep -q '<%' "$PAGE" && fail "raw JSP source reached the browser"
log "page rendered: marker present, 6 * 7 = 42, no JSP source"

pid1=$(docker exec "$TOMCAT" cat /proc/1/comm)
[[ $pid1 == java ]] || fail "PID 1 in the tomcat container is $pid1, not java"
start=$(now_ms)
docker stop -t 30 "$TOMCAT" >/dev/null
log "tomcat stopped in $(( $(now_ms) - start )) ms, exit $(docker inspect -f '{{.State.ExitCode}}' "$TOMCAT") (java as PID 1 got SIGTERM)"
log "OK"
