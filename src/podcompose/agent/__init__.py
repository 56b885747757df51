"""The node agent: one process per Docker host that keeps every podcompose pod as a kubelet keeps its pods.

`process` finds, starts and stops it and holds its typed report (podstatus.AgentReport); `loop` is the
agent itself (events and timers -> `decide` -> `sync`); `bringup` is `up`'s first sync of a pod. Each
pod's desired state is kept in Docker by runtime/store.py. This package imports `docker`.
"""
