#!/usr/bin/env bash
# Builds look-alikes of the images the Kubernetes documentation's examples name
# (tests/k8s-examples/), offline except for mmdebstrap's Debian mirror, and tags
# them with the examples' own references (as `kind load docker-image` does), so
# the manifests run unmodified. Used only by tests; never pushed anywhere.
#
# Usage: tests/kit/build-example-images.sh [--force] [--force-base] [NAME...]
#   NAME          nginx | redis | debian | stress | etcd | busybox | pause |
#                 agnhost | hello-app | node-hello | http-echo | vish-stress |
#                 goproxy (or one of the references); default: all of them
#   --force       rebuild the named images even when present
#   --force-base  also rebuild the Debian rootfs (about 45 s)
#   --list        print NAME=REF (the first reference of each) and exit
#   --refs        print NAME=REF for every reference each image is tagged with
# Debian-based look-alikes derive from ONE rootfs (podcompose.test/examples-base)
# made by `mmdebstrap --variant=minbase --include=PKGS bookworm - | docker import`;
# the others derive from the kit's FROM-scratch busybox and pause images
# (tests/kit/build-images.sh). Each derived image is a tiny Dockerfile. An image
# is rebuilt only when missing or when its inputs changed (a hash of this script
# and its base image's id, kept in the io.podcompose.kit.inputs label).
# Progress goes to stderr; stdout gets one NAME=REF line per requested image.
# Environment: DEBIAN_MIRROR (optional mirror URL for mmdebstrap)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
INPUTS_LABEL=io.podcompose.kit.inputs
BASE_REF=podcompose.test/examples-base:bookworm
KIT_BUSYBOX=podcompose.test/busybox:1
KIT_PAUSE=podcompose.test/pause:1

NAMES=(nginx redis debian stress etcd busybox pause agnhost hello-app node-hello http-echo vish-stress goproxy)
# Every reference an image is tagged with; the first is its main name.
declare -A REFS=(
    [nginx]="nginx:latest nginx:1.14.2 nginx:1.29"
    [redis]="redis:latest redis:5"
    [debian]="debian:latest ubuntu:latest"
    [stress]="polinux/stress:latest"
    [etcd]="registry.k8s.io/etcd:3.5.1-0"
    [busybox]="busybox:latest busybox:1.28 registry.k8s.io/busybox:latest registry.k8s.io/busybox:1.27.2"
    [pause]="registry.k8s.io/pause:3.8 registry.k8s.io/pause:3.6"
    [agnhost]="registry.k8s.io/e2e-test-images/agnhost:2.39 registry.k8s.io/e2e-test-images/agnhost:2.45"
    [hello-app]="gcr.io/google-samples/hello-app:2.0"
    [node-hello]="gcr.io/google-samples/node-hello:1.0"
    [http-echo]="hashicorp/http-echo:1.0"
    [vish-stress]="vish/stress:latest"
    [goproxy]="registry.k8s.io/goproxy:0.1"
)
declare -A FROM=(
    [nginx]=$BASE_REF [redis]=$BASE_REF [debian]=$BASE_REF [stress]=$BASE_REF [etcd]=$BASE_REF
    [busybox]=$KIT_BUSYBOX [agnhost]=$KIT_BUSYBOX [hello-app]=$KIT_BUSYBOX [node-hello]=$KIT_BUSYBOX
    [http-echo]=$KIT_BUSYBOX [vish-stress]=$KIT_BUSYBOX [goproxy]=$KIT_BUSYBOX
    [pause]=$KIT_PAUSE
)

# The one Debian rootfs: every package a Debian-based look-alike needs.
# curl and procps are extras (the upstream images vary) that let tests look inside.
# shellcheck disable=SC2016  # literal $1 for the hooks
MMDEBSTRAP_ARGS=(
    --variant=minbase
    --include=nginx-light,redis-server,etcd-server,stress,curl,procps,psmisc,ca-certificates
    --aptopt='APT::Install-Recommends "false"'
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --customize-hook='sh -s "$1" < '"$HERE"'/example-images/customize-rootfs.sh'
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*'
)

WORK=''
built=0

log() { printf 'example-images: %s\n' "$*" >&2; }
die() { printf 'example-images: error: %s\n' "$*" >&2; exit 1; }

image_inputs() {
    docker image inspect -f "{{index .Config.Labels \"$INPUTS_LABEL\"}}" "$1" 2>/dev/null || true
}
image_id() { docker image inspect -f '{{.Id}}' "$1"; }
# A derived image's inputs: this script, the files it copies, its name and its base's id.
hash_of() { { cat "$SELF" "$HERE"/example-images/*; printf '%s\n' "$@"; } | sha256sum | cut -c1-16; }
# The rootfs's inputs: only what mmdebstrap is given (editing this script does not rebuild it).
base_hash() {
    { cat "$HERE/example-images/customize-rootfs.sh"; printf '%s\n' "${MMDEBSTRAP_ARGS[@]}" "${DEBIAN_MIRROR:-}"; } \
        | sha256sum | cut -c1-16
}

docker_build() {
    local hash=$1 context=$2 out; shift 2
    if ! out=$(DOCKER_BUILDKIT=0 docker build --label io.podcompose.kit=1 \
                   --label "$INPUTS_LABEL=$hash" "$@" "$context" 2>&1); then
        printf '%s\n' "$out" >&2
        die "building $* failed"
    fi
}

# A rebuilt image's previous version, once no name is left on it (and no container uses it).
drop_if_untagged() {
    [[ -n $1 ]] || return 0
    # `a && b` as the last command would end the script under set -e when b fails: it does when
    # images built on the old one still exist (Docker refuses to remove a parent)
    if [[ $(docker image inspect -f '{{len .RepoTags}}' "$1" 2>/dev/null) == 0 ]]; then
        docker rmi "$1" >/dev/null 2>&1 || true
    fi
}

ensure_base() {
    local force=$1 hash start id ctx old
    hash=$(base_hash)
    if (( ! force )) && [[ $(image_inputs "$BASE_REF") == "$hash" ]]; then
        log "$BASE_REF: present, skipped"; return
    fi
    command -v mmdebstrap >/dev/null || die "mmdebstrap not found: apt-get install mmdebstrap"
    start=$SECONDS
    old=$(docker image inspect -f '{{.Id}}' "$BASE_REF" 2>/dev/null || true)
    log "$BASE_REF: mmdebstrap bookworm (about 45 s)"
    id=$(mmdebstrap --quiet "${MMDEBSTRAP_ARGS[@]}" bookworm - ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} \
         | docker import --change 'CMD ["bash"]' \
               --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - ) \
        || die "mmdebstrap | docker import failed"
    # labels on top (docker import --change LABEL works, but one Dockerfile keeps it uniform)
    ctx=$WORK/base; mkdir -p "$ctx"
    printf 'FROM %s\n' "$id" >"$ctx/Dockerfile"
    docker_build "$hash" "$ctx" -t "$BASE_REF"
    docker rmi "$id" >/dev/null 2>&1 || true
    drop_if_untagged "$old"
    built=$((built + 1))
    log "$BASE_REF: built in $((SECONDS - start))s"
}

# Writes the build context of a derived image into $2.
context_for() {
    local name=$1 ctx=$2
    printf 'FROM %s\n' "${FROM[$name]}" >"$ctx/Dockerfile"
    case $name in
        nginx) cat >>"$ctx/Dockerfile" <<'EOF'
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
EOF
        ;;
        redis) cat >>"$ctx/Dockerfile" <<'EOF'
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
EOF
        ;;
        debian) echo 'CMD ["bash"]' >>"$ctx/Dockerfile" ;;
        stress) echo 'CMD ["stress", "--help"]' >>"$ctx/Dockerfile" ;;
        etcd) echo 'CMD ["/usr/local/bin/etcd"]' >>"$ctx/Dockerfile" ;;
        busybox)
            cp "$HERE/example-images/printenv" "$ctx/printenv"
            printf '%s\n' 'COPY printenv /bin/printenv' 'CMD ["sh"]' >>"$ctx/Dockerfile" ;;
        pause) : ;;
        agnhost)
            cp "$HERE/example-images/agnhost" "$HERE/example-images/printenv" "$ctx/"
            cat >>"$ctx/Dockerfile" <<'EOF'
COPY agnhost /agnhost
COPY printenv /bin/printenv
# the image's own user and group, as the real agnhost image has them
# (the security-context example's `id` shows group 50000 from here)
RUN echo 'user-defined-in-image:x:1000:1000::/tmp:/bin/sh' >>/etc/passwd \
 && echo 'group-defined-in-image:x:50000:user-defined-in-image' >>/etc/group
ENTRYPOINT ["/agnhost"]
CMD ["pause"]
EOF
        ;;
        hello-app|node-hello|goproxy)
            cp "$HERE/example-images/webapp" "$ctx/webapp"
            local text
            case $name in
                hello-app) text='Hello, world!\nVersion: 2.0.0\n' ;;
                node-hello) text='Hello Kubernetes!\n' ;;
                goproxy) text='goproxy look-alike\n' ;;
            esac
            cat >>"$ctx/Dockerfile" <<EOF
COPY webapp /webapp
ENV WEBAPP_TEXT="$text" PORT=8080
EXPOSE 8080
ENTRYPOINT ["/webapp"]
EOF
        ;;
        http-echo)
            cp "$HERE/example-images/http-echo" "$ctx/http-echo"
            cat >>"$ctx/Dockerfile" <<'EOF'
COPY http-echo /http-echo
EXPOSE 5678
ENTRYPOINT ["/http-echo"]
EOF
        ;;
        vish-stress)
            cp "$HERE/example-images/vish-stress" "$ctx/stress"
            cat >>"$ctx/Dockerfile" <<'EOF'
COPY stress /stress
ENTRYPOINT ["/stress"]
CMD ["-logtostderr"]
EOF
        ;;
    esac
}

ensure_image() {
    local name=$1 force=$2 refs ref main hash ctx start old
    read -r -a refs <<<"${REFS[$name]}"
    main=${refs[0]}
    hash=$(hash_of "$name" "$(image_id "${FROM[$name]}")")
    if (( ! force )) && [[ $(image_inputs "$main") == "$hash" ]]; then
        for ref in "${refs[@]:1}"; do
            [[ $(image_inputs "$ref") == "$hash" ]] || docker tag "$main" "$ref"
        done
        log "$main: present, skipped"; return
    fi
    start=$SECONDS
    old=$(docker image inspect -f '{{.Id}}' "$main" 2>/dev/null || true)
    ctx=$WORK/$name; mkdir -p "$ctx"
    context_for "$name" "$ctx"
    docker_build "$hash" "$ctx" -t "$main"
    for ref in "${refs[@]:1}"; do docker tag "$main" "$ref"; done
    drop_if_untagged "$old"
    built=$((built + 1))
    log "$main: built in $((SECONDS - start))s${refs[1]:+ (also tagged ${refs[*]:1})}"
}

image_name() {
    local arg=$1 name ref
    for name in "${NAMES[@]}"; do
        [[ $arg == "$name" ]] && { echo "$name"; return; }
        for ref in ${REFS[$name]}; do
            if [[ $arg == "$ref" || "$arg:latest" == "$ref" ]]; then echo "$name"; return; fi
        done
    done
    die "unknown example image '$arg' (known: ${NAMES[*]})"
}

main() {
    local force=0 force_base=0 arg requested=() name need_base=0 need_kit=0
    for arg in "$@"; do
        case $arg in
            --force) force=1 ;;
            --force-base) force_base=1 ;;
            --list) for name in "${NAMES[@]}"; do echo "$name=${REFS[$name]%% *}"; done; exit 0 ;;
            --refs) for name in "${NAMES[@]}"; do for arg in ${REFS[$name]}; do echo "$name=$arg"; done; done; exit 0 ;;
            -h|--help) sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p}' "$0"; exit 0 ;;
            -*) die "unknown option: $arg" ;;
            *) requested+=("$(image_name "$arg")") ;;
        esac
    done
    (( ${#requested[@]} )) || requested=("${NAMES[@]}")
    docker info >/dev/null 2>&1 || die "docker does not answer (try scripts/ensure-docker.sh)"
    for name in "${requested[@]}"; do
        [[ ${FROM[$name]} == "$BASE_REF" ]] && need_base=1
        [[ ${FROM[$name]} != "$BASE_REF" ]] && need_kit=1
    done

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/podcompose-example-images.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    (( need_kit )) && bash "$HERE/build-images.sh" busybox pause >/dev/null
    (( need_base )) && ensure_base "$force_base"
    for name in "${requested[@]}"; do
        ensure_image "$name" "$force"
    done
    (( built )) || log "nothing to build"
    for name in "${requested[@]}"; do echo "$name=${REFS[$name]%% *}"; done
}

main "$@"
