"""One fake Docker client for the unit tests: the parts of docker.DockerClient the runtime and the agent use
(`client.api`'s low-level calls and `client.volumes.create`), with Docker's own lookups and label filters.

It keeps containers and volumes in memory and records what was done, in order, in `calls`
(("create", name), ("start", name), ("stop", id), ("rename", "id->name"), ("remove", id),
("remove_volume", name)). The never-started helper containers the runtime makes (unnamed, to read an
image's files or fill a volume) are kept apart in `helpers` and left out of `calls`.
"""
from __future__ import annotations

import queue
from types import SimpleNamespace
from typing import Any, Iterator, Mapping

import docker.errors


class FakeEventStream:
    """An event stream (what `api.events(decode=True)` returns) that yields what a test puts in, until closed."""

    def __init__(self) -> None:
        self.items: queue.Queue[Any] = queue.Queue()

    def __iter__(self) -> Iterator[dict]:
        while True:
            item = self.items.get()
            if item is None:
                return
            yield item

    def close(self) -> None:
        self.items.put(None)


def _matches(labels: Mapping[str, str], filters: Mapping[str, Any] | None) -> bool:
    """Docker's `label` filter: every `key` or `key=value` given must hold."""
    wanted = (filters or {}).get("label") or []
    for item in [wanted] if isinstance(wanted, str) else wanted:
        key, has_value, value = item.partition("=")
        if key not in labels or (has_value and labels[key] != value):
            return False
    return True


class FakeAPI:
    """Enough of docker.APIClient for the executor, the builder, remove_pod, ownership, the syncer and PodWatch.

    `mountpoint` is every volume's Mountpoint (a test's directory); without it each volume gets a path that
    exists nowhere, so nothing is written on the host. `fail_create` names the one container whose create
    fails; `fail_every_create` fails them all (helpers aside)."""

    api_version = "1.41"

    def __init__(self, mountpoint: str = "", fail_create: str = "", fail_every_create: bool = False) -> None:
        self.mountpoint = mountpoint
        self.fail_create = fail_create
        self.fail_every_create = fail_every_create
        self.containers_by_id: dict[str, dict[str, Any]] = {}
        self.volumes_by_name: dict[str, dict[str, Any]] = {}
        self.helpers: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.created: list[dict[str, Any]] = []          # each named create's arguments, with name and image
        self.archives: list[tuple[str, str, bytes]] = []  # (container id, path, data) of each put_archive
        self.event_stream = FakeEventStream()
        self.event_filters: dict[str, Any] = {}

    # what a test sets up -------------------------------------------------------------------------------------

    def add_container(self, name: str, labels: Mapping[str, str] | None = None, running: bool = False,
                      container_id: str = "", pid: int = 42) -> str:
        """A container as Docker reports it; its id (`id-<name>` unless given or taken)."""
        if not container_id:
            container_id = f"id-{name}" if f"id-{name}" not in self.containers_by_id \
                else f"id-{name}-{len(self.containers_by_id)}"
        self.containers_by_id[container_id] = {
            "Id": container_id, "Name": "/" + name, "Config": {"Labels": dict(labels or {})},
            "State": {"Running": running, "Status": "running" if running else "exited", "Pid": pid}}
        return container_id

    def add_volume(self, name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        attrs = {"Name": name, "Driver": "local", "Labels": dict(labels or {}),
                 "Mountpoint": self.mountpoint or f"/fake-docker/volumes/{name}/_data"}
        self.volumes_by_name[name] = attrs
        return attrs

    @property
    def removed(self) -> list[str]:
        """The containers (ids) and volumes (names) removed, in order."""
        return [what for verb, what in self.calls if verb in ("remove", "remove_volume")]

    # containers ----------------------------------------------------------------------------------------------

    def _container(self, ref: str) -> dict[str, Any]:
        """Docker's lookup: an exact id, then an exact name, then a unique id prefix."""
        everything = self.containers_by_id | self.helpers
        if ref in everything:
            return everything[ref]
        for attrs in everything.values():
            if attrs["Name"] == "/" + ref:
                return attrs
        prefixed = [attrs for container_id, attrs in everything.items() if container_id.startswith(ref)]
        if len(prefixed) == 1:
            return prefixed[0]
        raise docker.errors.NotFound(f"No such container: {ref}")

    def inspect_container(self, ref: str) -> dict[str, Any]:
        return self._container(ref)

    def containers(self, all: bool = False, filters: dict | None = None) -> list[dict[str, Any]]:
        return [{"Id": attrs["Id"], "Names": [attrs["Name"]], "Labels": attrs["Config"]["Labels"],
                 "State": attrs["State"]["Status"]}
                for attrs in self.containers_by_id.values()
                if (all or attrs["State"]["Running"]) and _matches(attrs["Config"]["Labels"], filters)]

    def create_host_config(self, **kwargs: Any) -> dict[str, Any]:
        return kwargs

    def create_container(self, image: str, name: str | None = None, labels: dict | None = None,
                         **kwargs: Any) -> dict[str, str]:
        if not name:
            helper_id = f"helper-{len(self.helpers)}"
            self.helpers[helper_id] = {"Id": helper_id, "Name": "/" + helper_id, "Config": {"Labels": labels or {}},
                                       "State": {"Running": False, "Status": "created", "Pid": 0}}
            return {"Id": helper_id}
        if self.fail_every_create or name == self.fail_create:
            raise docker.errors.APIError("boom", explanation="cannot create " + name)
        if self._named(name) is not None:
            raise docker.errors.APIError("Conflict", explanation=f"the container name /{name} is already in use")
        self.calls.append(("create", name))
        self.created.append(dict(kwargs, name=name, image=image, labels=labels))
        container_id = self.add_container(name, labels)
        self.containers_by_id[container_id]["State"].update(Status="created", Pid=0)
        return {"Id": container_id}

    def _named(self, name: str) -> dict[str, Any] | None:
        return next((a for a in self.containers_by_id.values() if a["Name"] == "/" + name), None)

    def start(self, container_id: str) -> None:
        attrs = self._container(container_id)
        self.calls.append(("start", attrs["Name"].lstrip("/")))
        attrs["State"].update(Running=True, Status="running", Pid=42)

    def stop(self, container_id: str, timeout: int = 0) -> None:
        attrs = self._container(container_id)
        self.calls.append(("stop", container_id))
        attrs["State"].update(Running=False, Status="exited", Pid=0)

    def rename(self, container_id: str, name: str) -> None:
        attrs = self._container(container_id)
        if self._named(name) not in (None, attrs):
            raise docker.errors.APIError("Conflict", explanation=f"the container name /{name} is already in use")
        self.calls.append(("rename", f"{container_id}->{name}"))
        attrs["Name"] = "/" + name

    def remove_container(self, container_id: str, force: bool = False, v: bool = False) -> None:
        if self.helpers.pop(container_id, None) is not None:
            return
        attrs = self._container(container_id)
        self.calls.append(("remove", container_id))
        del self.containers_by_id[attrs["Id"]]

    def put_archive(self, container_id: str, path: str, data: bytes) -> bool:
        self._container(container_id)
        self.archives.append((container_id, path, data))
        return True

    def get_archive(self, container_id: str, path: str) -> tuple:
        raise docker.errors.NotFound("no such file")    # an image without /etc/passwd or /etc/group

    # images, volumes, events ---------------------------------------------------------------------------------

    def inspect_image(self, image: str) -> dict[str, Any]:
        return {"Id": "sha256:fake-" + image, "Config": {}}

    def inspect_volume(self, name: str) -> dict[str, Any]:
        if name in self.volumes_by_name:
            return self.volumes_by_name[name]
        raise docker.errors.NotFound(f"no such volume: {name}")

    def volumes(self, filters: dict | None = None) -> dict[str, list[dict[str, Any]]]:
        return {"Volumes": [a for a in self.volumes_by_name.values() if _matches(a["Labels"], filters)]}

    def create_volume(self, name: str, driver: str = "local", driver_opts: dict | None = None,
                      labels: dict | None = None) -> dict[str, Any]:
        """As Docker does, a name already in use hands back the volume that has it."""
        return self.volumes_by_name.get(name) or self.add_volume(name, labels)

    def remove_volume(self, name: str, force: bool = False) -> None:
        self.inspect_volume(name)
        self.calls.append(("remove_volume", name))
        del self.volumes_by_name[name]

    def events(self, decode: bool = False, filters: dict | None = None) -> FakeEventStream:
        self.event_filters = filters or {}
        return self.event_stream


class FakeVolumes:
    """`client.volumes`: create returns a model with `attrs`, as docker-py's Volume."""

    def __init__(self, api: FakeAPI) -> None:
        self.api = api

    def create(self, name: str, driver: str = "local", driver_opts: dict | None = None,
               labels: dict | None = None) -> SimpleNamespace:
        return SimpleNamespace(attrs=self.api.create_volume(name, driver, driver_opts, labels))


class FakeClient:
    """A docker.DockerClient over a FakeAPI."""

    def __init__(self, api: FakeAPI | None = None) -> None:
        self.api = api or FakeAPI()
        self.volumes = FakeVolumes(self.api)
