#!/usr/bin/env bash
# Builds the offline image kit: small images made from host binaries, so tests
# and samples never pull from a registry.
#
# Usage: tests/kit/build-images.sh [--force] [NAME...]
#   NAME     busybox | pause | httpd (or the full reference); default: all of them
#   --force  rebuild even when the image exists
#   --list   print NAME=REF for every kit image and exit
# Only missing or outdated images are built (a hash of this script and the
# host binary is kept in a label). Progress goes to stderr; stdout gets one
# NAME=REF line per requested image (tests/kit/images.py reads it).
set -euo pipefail

declare -A REFS=(
    [busybox]=podcompose.test/busybox:1
    [pause]=podcompose.test/pause:1
    [httpd]=podcompose.test/httpd:1
)
NAMES=(busybox pause httpd)

BUSYBOX_BIN=${BUSYBOX_BIN:-/bin/busybox}
CATATONIT_BIN=${CATATONIT_BIN:-/usr/bin/catatonit}

INPUTS_LABEL=io.podcompose.kit.inputs
SELF=${BASH_SOURCE[0]}
WORK=''   # temporary build contexts, removed on exit
built=0

log() { printf 'kit: %s\n' "$*" >&2; }
die() { printf 'kit: error: %s\n' "$*" >&2; exit 1; }

# The image's inputs label, empty when the image is missing.
image_inputs() {
    docker image inspect -f "{{index .Config.Labels \"$INPUTS_LABEL\"}}" "$1" 2>/dev/null || true
}

# What an image is made from: this script and the host binary it copies.
inputs_hash() {
    local bin
    case $1 in
        busybox) bin=$BUSYBOX_BIN ;;
        pause) bin=$CATATONIT_BIN ;;
        httpd) bin=$BUSYBOX_BIN ;;
    esac
    cat "$SELF" "$bin" 2>/dev/null | sha256sum | cut -c1-16
}

is_static() {
    file -L "$1" 2>/dev/null | grep -q 'statically linked' \
        || ! ldd "$1" >/dev/null 2>&1
}

# Copies a host binary into a build context, insisting that it is static
# (a FROM scratch image has no libc).
copy_static() {
    local bin=$1 dest=$2 pkg=$3
    [[ -x $bin ]] || die "$bin not found: apt-get install $pkg (or scripts/ensure-docker.sh --with-kit-tools)"
    is_static "$bin" || die "$bin is not statically linked"
    install -D -m 0755 "$bin" "$dest"
}

# Legacy builder: the Debian docker.io 20.10 daemon may lack buildx, and the
# kit's Dockerfiles need nothing BuildKit offers.
# Its output (and the CLI's deprecation notice) is shown only on failure.
docker_build() {
    local ref=$1 hash=$2 context=$3 out
    if ! out=$(DOCKER_BUILDKIT=0 docker build --label io.podcompose.kit=1 \
                   --label "$INPUTS_LABEL=$hash" -t "$ref" "$context" 2>&1); then
        printf '%s\n' "$out" >&2
        die "building $ref failed"
    fi
}

build_busybox() {
    local ctx=$1 root=$1/rootfs applet
    copy_static "$BUSYBOX_BIN" "$root/bin/busybox" busybox-static
    # All applets go in /bin like the upstream busybox image.
    for applet in $("$BUSYBOX_BIN" --list); do
        [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
    done
    mkdir -p "$root/usr/bin" "$root/root" "$root/etc" "$root/var" "$root/tmp"
    ln -s /bin/env "$root/usr/bin/env"   # for `#!/usr/bin/env` scripts
    chmod 1777 "$root/tmp"
    chmod 0700 "$root/root"
    cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
    cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
    cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
CMD ["sh"]
DOCKERFILE
}

# catatonit -P: PID 1 that reaps zombies, exits 0 on SIGTERM/SIGINT, else sleeps.
build_pause() {
    local ctx=$1
    copy_static "$CATATONIT_BIN" "$ctx/catatonit" catatonit
    cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY catatonit /catatonit
STOPSIGNAL SIGTERM
ENTRYPOINT ["/catatonit", "-P"]
DOCKERFILE
}

# Only a static HTTP server: busybox's httpd applet under the name httpd, no shell,
# no client (for probes that must work on an image with nothing else in it).
build_httpd() {
    local ctx=$1
    copy_static "$BUSYBOX_BIN" "$ctx/rootfs/httpd" busybox-static
    mkdir -p "$ctx/rootfs/www"
    echo "podcompose httpd kit" >"$ctx/rootfs/www/index.html"
    cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
STOPSIGNAL SIGKILL
ENTRYPOINT ["/httpd", "-f", "-h", "/www"]
CMD ["-p", "8080"]
DOCKERFILE
}

# Resolves a name or full reference to a kit name.
kit_name() {
    local arg=$1 name
    for name in "${NAMES[@]}"; do
        if [[ $arg == "$name" || $arg == "${REFS[$name]}" ]]; then
            echo "$name"; return
        fi
    done
    die "unknown kit image '$arg' (known: ${NAMES[*]})"
}

ensure_image() {
    local name=$1 force=$2 ref=${REFS[$1]} hash have start
    hash=$(inputs_hash "$name")
    have=$(image_inputs "$ref")
    if (( ! force )) && [[ $have == "$hash" ]]; then
        log "$ref: present, skipped"
        return
    fi
    [[ -n $have ]] && (( ! force )) && log "$ref: its recipe changed, rebuilding"
    start=$SECONDS
    mkdir "$WORK/$name"
    "build_$name" "$WORK/$name"
    docker_build "$ref" "$hash" "$WORK/$name"
    built=$((built + 1))
    log "$ref: built in $((SECONDS - start))s"
}

main() {
    local force=0 arg requested=() name
    for arg in "$@"; do
        case $arg in
            --force) force=1 ;;
            --list) for name in "${NAMES[@]}"; do echo "$name=${REFS[$name]}"; done; exit 0 ;;
            -h|--help) sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p}' "$0"; exit 0 ;;
            -*) die "unknown option: $arg" ;;
            *) requested+=("$(kit_name "$arg")") ;;
        esac
    done
    (( ${#requested[@]} )) || requested=("${NAMES[@]}")
    docker info >/dev/null 2>&1 || die "docker does not answer (try scripts/ensure-docker.sh)"

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/podcompose-kit.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    for name in "${requested[@]}"; do
        ensure_image "$name" "$force"
    done
    (( built )) || log "nothing to build"
    for name in "${requested[@]}"; do echo "$name=${REFS[$name]}"; done
}

main "$@"
