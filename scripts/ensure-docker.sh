#!/usr/bin/env bash
# Make sure a Docker Engine answers (default socket /var/run/docker.sock).
#
# Idempotent: when `docker info` already works it does nothing. Otherwise it
# installs Debian's docker.io (when dockerd is missing), starts dockerd in the
# background and waits for it. Meant for root on Debian bookworm (CI, quick start).
#
# Usage: scripts/ensure-docker.sh [--with-kit-tools]
#   --with-kit-tools   also install busybox-static, catatonit and mmdebstrap
#                      when missing (tests/kit/build-images.sh and samples/ need them)
# Environment:
#   DOCKERD_PIDFILE    where to write the pid of a dockerd we start
#                      (default /tmp/podcompose-dockerd.pid); stop it with
#                      kill "$(cat "$DOCKERD_PIDFILE")"
#   DOCKERD_LOG        dockerd's log file (default /tmp/podcompose-dockerd.log)
#   DOCKERD_WAIT       seconds to wait for the daemon (default 60)
#   DOCKER_HOST        unix:///path only: use that socket instead of the
#                      default one (dockerd is then started with -H for it)
#   DOCKERD_ARGS       extra dockerd arguments (split on spaces). Beside another
#                      daemon in the same network namespace never pass
#                      --bridge=none: dockerd then deletes the docker0 link.
set -euo pipefail

DOCKERD_PIDFILE=${DOCKERD_PIDFILE:-/tmp/podcompose-dockerd.pid}
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/podcompose-dockerd.log}
DOCKERD_WAIT=${DOCKERD_WAIT:-60}
DOCKERD_ARGS=${DOCKERD_ARGS:-}
KIT_PACKAGES=(busybox-static catatonit mmdebstrap)

apt_updated=0
did=()

log() { printf 'ensure-docker: %s\n' "$*"; }
die() { printf 'ensure-docker: error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root to run: $*"
    fi
}

# Sets SOCKET (and extends DOCKERD_ARGS) from DOCKER_HOST.
resolve_socket() {
    SOCKET=/var/run/docker.sock
    case ${DOCKER_HOST:-} in
        '') ;;
        unix://*) SOCKET=${DOCKER_HOST#unix://}
                  DOCKERD_ARGS="-H $DOCKER_HOST $DOCKERD_ARGS" ;;
        *) die "DOCKER_HOST=$DOCKER_HOST is not a unix socket" ;;
    esac
}

apt_install() {
    (( $# )) || return 0
    command -v apt-get >/dev/null || die "apt-get not found; install $* by hand"
    if (( ! apt_updated )); then
        as_root apt-get update -qq >/dev/null
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    did+=("installed $*")
}

# Installs whichever of the given Debian packages is not installed yet.
ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' \
            || missing+=("$pkg")
    done
    apt_install "${missing[@]}"
}

docker_ok() { docker info >/dev/null 2>&1; }

ensure_docker_installed() {
    command -v dockerd >/dev/null || ensure_packages docker.io
    command -v docker >/dev/null || die "docker CLI missing after installing docker.io"
}

# On a systemd host using the default socket, docker.service owns the daemon.
systemd_managed() {
    [[ $SOCKET == /var/run/docker.sock && -d /run/systemd/system ]] \
        && systemctl cat docker.service >/dev/null 2>&1
}

start_dockerd() {
    if [[ -S $SOCKET ]]; then
        # A daemon that answers root but not us is a permission problem, not a
        # dead daemon: never remove its socket.
        if as_root docker -H "unix://$SOCKET" info >/dev/null 2>&1; then
            die "dockerd runs but $(id -un) may not use $SOCKET (docker group?)"
        fi
        # A stale socket would let the wait below pass too early.
        as_root rm -f "$SOCKET"
    fi
    # shellcheck disable=SC2016,SC2086  # the inner script's own $1; DOCKERD_ARGS is a word list
    as_root sh -c 'log=$1 pidfile=$2; shift 2
                   nohup dockerd "$@" >>"$log" 2>&1 </dev/null &
                   echo $! >"$pidfile"' \
        sh "$DOCKERD_LOG" "$DOCKERD_PIDFILE" $DOCKERD_ARGS
    did+=("started dockerd (pid $(cat "$DOCKERD_PIDFILE"), log $DOCKERD_LOG)")
}

# Waits for the socket and `docker info`; a pid given as $1 must stay alive.
wait_for_docker() {
    local pid=${1:-} deadline=$((SECONDS + DOCKERD_WAIT))
    until [[ -S $SOCKET ]] && docker_ok; do
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$DOCKERD_LOG" >&2 || true
            die "dockerd exited; see $DOCKERD_LOG"
        fi
        if (( SECONDS >= deadline )); then
            [[ -n $pid ]] && { tail -n 20 "$DOCKERD_LOG" >&2 || true; }
            die "docker did not answer within ${DOCKERD_WAIT}s"
        fi
        sleep 0.5
    done
}

report() {
    local out=${did[0]} item
    for item in "${did[@]:1}"; do out+="; $item"; done
    log "$out"
}

main() {
    local with_kit=0 arg
    for arg in "$@"; do
        case $arg in
            --with-kit-tools) with_kit=1 ;;
            -h|--help) sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p}' "$0"; exit 0 ;;
            *) die "unknown argument: $arg" ;;
        esac
    done
    resolve_socket

    if (( with_kit )); then
        ensure_packages "${KIT_PACKAGES[@]}"
    fi

    if docker_ok; then
        did+=("docker already running")
    else
        ensure_docker_installed
        if docker_ok; then  # the package's postinst may have started it
            did+=("docker started by its package")
        elif systemd_managed; then
            as_root systemctl start docker
            did+=("started docker.service")
            wait_for_docker
        else
            start_dockerd
            wait_for_docker "$(cat "$DOCKERD_PIDFILE")"
        fi
    fi
    report
}

main "$@"
