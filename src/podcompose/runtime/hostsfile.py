"""The pod's /etc/hosts and resolv.conf, written as the kubelet writes them into the pause container's files.

Every container joined to the pause container shares them.
"""
from __future__ import annotations

import os

import docker
import docker.errors

from .. import translate
from ..model import Pod


def write_pod_files(client: docker.DockerClient, pod: Pod, pause_id: str) -> None:
    """Replace Docker's /etc/hosts (and resolv.conf when dnsConfig or dnsPolicy None asks) with the kubelet's.

    Only for a pod with its own network; the files are the pause container's, on this host. Where they
    cannot be written (a remote daemon), Docker's own stay: the same names, one alias per line."""
    if pod.host_network:
        return
    try:
        attrs = client.api.inspect_container(pause_id)
    except docker.errors.DockerException:
        return
    ip = ((attrs.get("NetworkSettings") or {}).get("IPAddress")) or ""
    hosts_path, resolv_path = attrs.get("HostsPath") or "", attrs.get("ResolvConfPath") or ""
    try:
        if hosts_path and os.path.isfile(hosts_path):
            _replace(hosts_path, translate.pod_hosts_file(pod, ip))
        if resolv_path and os.path.isfile(resolv_path):
            with open(resolv_path, encoding="utf-8", errors="replace") as file:
                content = translate.pod_resolv_conf(pod, file.read())
            if content is not None:
                _replace(resolv_path, content)
    except OSError:
        pass


def _replace(path: str, content: str) -> None:
    # In place (not rename): Docker bind-mounts this very inode into the containers.
    with open(path, "w", encoding="utf-8") as file:
        file.write(content)
