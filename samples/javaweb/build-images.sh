#!/usr/bin/env bash
# Builds the javaweb sample's local images, offline except for mmdebstrap's
# Debian mirror:
#   podcompose.local/javaweb-war:v2          busybox kit image + /sample.war (from src/)
#   podcompose.local/tomcat:7.0              Tomcat 10 "as apache-tomcat-7.0.42-v2" (tomcat/)
#   podcompose.local/tomcat10-base:bookworm  its rootfs: mmdebstrap | docker import
# plus the kit's busybox and pause images. The war and tomcat images are also
# tagged with the manifest's own names (geektime/sample:v2, geektime/tomcat:7.0),
# as `kind load docker-image` does for a kind cluster, so pod.yaml runs as written.
# Docker, mmdebstrap, busybox-static and catatonit are installed when missing
# (scripts/ensure-docker.sh --with-kit-tools). An image is rebuilt only when it is
# missing or its inputs changed (a hash kept in an image label).
#
# Usage: samples/javaweb/build-images.sh [--force] [--force-base]
#   --force        rebuild the war and tomcat images anyway
#   --force-base   also rebuild the Debian rootfs (slow: about a minute)
# Environment: DEBIAN_MIRROR (optional mirror URL for mmdebstrap)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$HERE/build   # gitignored: logs and temporary build contexts

WAR_REF=podcompose.local/javaweb-war:v2
TOMCAT_REF=podcompose.local/tomcat:7.0
BASE_REF=podcompose.local/tomcat10-base:bookworm
# The names pod.yaml uses: the local images carry them too (never pushed anywhere).
MANIFEST_TAGS=("$WAR_REF=geektime/sample:v2" "$TOMCAT_REF=geektime/tomcat:7.0")
INPUTS_LABEL=io.podcompose.sample.inputs

# man1 must exist for openjdk's update-alternatives once man pages are excluded.
# systemd-standalone-*: tomcat10 needs sysusers/tmpfiles, not all of systemd.
# shellcheck disable=SC2016,SC2054  # literal $1 for the hook; commas are package lists
MMDEBSTRAP_ARGS=(
    --variant=minbase
    --include=tomcat10,openjdk-17-jre-headless,systemd-standalone-sysusers,systemd-standalone-tmpfiles
    --aptopt='APT::Install-Recommends "false"'
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --setup-hook='mkdir -p "$1/usr/share/man/man1"'
)

log() { printf 'javaweb: %s\n' "$*" >&2; }
die() { printf 'javaweb: error: %s\n' "$*" >&2; exit 1; }

# Hash of the given files and directories (paths and contents) and strings.
inputs_hash() {
    local -a files=() strings=()
    local arg
    for arg in "$@"; do
        if [[ -d $arg ]]; then mapfile -t -O "${#files[@]}" files < <(find "$arg" -type f | LC_ALL=C sort)
        elif [[ -f $arg ]]; then files+=("$arg")
        else strings+=("$arg")
        fi
    done
    {
        printf '%s\n' "${strings[@]}"
        for arg in "${files[@]}"; do
            printf '%s\n' "${arg#"$HERE"/}"
            cat "$arg"
        done
    } | sha256sum | cut -c1-16
}

# Succeeds when the image exists and was built from inputs with this hash.
up_to_date() {
    local ref=$1 hash=$2 have
    have=$(docker image inspect -f "{{index .Config.Labels \"$INPUTS_LABEL\"}}" "$ref" 2>/dev/null) || return 1
    [[ $have == "$hash" ]]
}

image_id() { docker image inspect -f '{{.Id}}' "$1"; }

# Legacy builder; its output is shown only on failure.
docker_build() {
    local ref=$1 hash=$2 context=$3 out; shift 3
    if ! out=$(DOCKER_BUILDKIT=0 docker build --label "$INPUTS_LABEL=$hash" \
                   -t "$ref" "$@" "$context" 2>&1); then
        printf '%s\n' "$out" >&2
        die "building $ref failed"
    fi
}

# Zips src/ into a WAR; fixed timestamps and order make it reproducible.
make_war() {
    python3 - "$HERE/src" "$1" <<'PY'
import pathlib, sys, zipfile
src, out = pathlib.Path(sys.argv[1]), sys.argv[2]
def add(zf, name, data):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)
with zipfile.ZipFile(out, "w") as zf:
    add(zf, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: podcompose samples\r\n\r\n")
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        add(zf, path.relative_to(src).as_posix(), path.read_bytes())
PY
}

build_war() {
    local force=$1 busybox_ref=$2 hash ctx start
    hash=$(inputs_hash "$HERE/war/Dockerfile" "$HERE/src" "$(image_id "$busybox_ref")")
    if (( ! force )) && up_to_date "$WAR_REF" "$hash"; then
        log "$WAR_REF: up to date, skipped"; return
    fi
    start=$SECONDS
    ctx=$(mktemp -d "$BUILD_DIR/war.XXXXXX")
    make_war "$ctx/sample.war"
    docker_build "$WAR_REF" "$hash" "$ctx" -f "$HERE/war/Dockerfile" --build-arg "BASE=$busybox_ref"
    rm -rf "$ctx"
    log "$WAR_REF: built in $((SECONDS - start))s"
}

build_base() {
    local force=$1 hash start id=''
    hash=$(inputs_hash "${MMDEBSTRAP_ARGS[@]}" "${DEBIAN_MIRROR:-}")
    if (( ! force )) && up_to_date "$BASE_REF" "$hash"; then
        log "$BASE_REF: up to date, skipped"; return
    fi
    command -v mmdebstrap >/dev/null \
        || die "mmdebstrap missing: apt-get install mmdebstrap (or scripts/ensure-docker.sh --with-kit-tools)"
    log "$BASE_REF: mmdebstrap bookworm (log: $BUILD_DIR/mmdebstrap.log) ..."
    start=$SECONDS
    # Streamed: no rootfs tarball touches the disk. Imported untagged first, so
    # a failed mmdebstrap never leaves a half-made image under the real name.
    # shellcheck disable=SC2086  # DEBIAN_MIRROR is optional
    if ! id=$(mmdebstrap "${MMDEBSTRAP_ARGS[@]}" bookworm - ${DEBIAN_MIRROR:-} \
                  2>"$BUILD_DIR/mmdebstrap.log" \
              | docker import \
                  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
                  --change "LABEL $INPUTS_LABEL=$hash" \
                  --change 'CMD ["bash"]' - 2>&1); then
        tail -n 30 "$BUILD_DIR/mmdebstrap.log" >&2
        [[ $id == sha256:* ]] && docker image rm "$id" >/dev/null 2>&1
        die "building $BASE_REF failed (see $BUILD_DIR/mmdebstrap.log)"
    fi
    docker tag "$id" "$BASE_REF"
    log "$BASE_REF: built in $((SECONDS - start))s"
}

build_tomcat() {
    local force=$1 hash start
    hash=$(inputs_hash "$HERE/tomcat" "$(image_id "$BASE_REF")")
    if (( ! force )) && up_to_date "$TOMCAT_REF" "$hash"; then
        log "$TOMCAT_REF: up to date, skipped"; return
    fi
    start=$SECONDS
    docker_build "$TOMCAT_REF" "$hash" "$HERE/tomcat" --build-arg "BASE=$BASE_REF"
    log "$TOMCAT_REF: built in $((SECONDS - start))s"
}

main() {
    local force=0 force_base=0 arg kit busybox_ref start=$SECONDS
    for arg in "$@"; do
        case $arg in
            --force) force=1 ;;
            --force-base) force=1; force_base=1 ;;
            -h|--help) sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p}' "$0"; exit 0 ;;
            *) die "unknown argument: $arg" ;;
        esac
    done
    command -v python3 >/dev/null || die "python3 is needed to zip the WAR"
    mkdir -p "$BUILD_DIR"
    bash "$REPO/scripts/ensure-docker.sh" --with-kit-tools >&2

    kit=$("$REPO/tests/kit/build-images.sh" busybox pause)
    busybox_ref=$(sed -n 's/^busybox=//p' <<<"$kit")

    build_war "$force" "$busybox_ref"
    build_base "$force_base"
    build_tomcat "$force"
    local pair
    for pair in "${MANIFEST_TAGS[@]}"; do
        docker tag "${pair%%=*}" "${pair#*=}"
        log "${pair#*=}: tagged as ${pair%%=*}"
    done
    log "done in $((SECONDS - start))s"
}

main "$@"
