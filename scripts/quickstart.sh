#!/usr/bin/env bash
# Quick start: from a fresh Debian machine to the Tomcat/WAR pod serving on 127.0.0.1:8001.
# Installs Docker when none answers, installs podcompose, builds the offline images
# when they are missing (no registry needed), runs samples/javaweb/pod.yaml as written.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-docker.sh --with-kit-tools

# Debian's own python3 refuses system-wide pip installs (PEP 668): use a venv there.
python=python3
if python3 -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
    python3 -m venv --help >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
    [[ -x .venv/bin/python ]] || python3 -m venv .venv
    python=.venv/bin/python
    echo "podcompose is installed in .venv: run 'source .venv/bin/activate' to use it"
fi
"$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore .
# The local look-alike images carry the manifest's own names (as `kind load docker-image` does).
bash samples/javaweb/build-images.sh

export PODCOMPOSE_HOST_IP=${PODCOMPOSE_HOST_IP:-127.0.0.1}   # the sample is for this machine only
"$python" -m podcompose up -d --wait -f samples/javaweb/pod.yaml

url=http://127.0.0.1:8001/sample/
printf 'waiting for Tomcat to deploy sample.war'
for _ in $(seq 120); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url" 2>/dev/null; then
        printf '\nThe Tomcat/WAR pod serves %s\n' "$url"
        echo "Try: podcompose ps; podcompose logs javaweb-2; podcompose down javaweb-2"
        exit 0
    fi
    printf '.'
    sleep 1
done
printf '\nTomcat did not answer on %s within 120 s; see: podcompose logs javaweb-2\n' "$url" >&2
exit 1
