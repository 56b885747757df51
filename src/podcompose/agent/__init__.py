"""The node agent: one process per Docker host that keeps every podcompose pod as a kubelet keeps its pods.

`process` finds, starts and stops it; `store` keeps each pod's desired state in
Docker; `loop` is the agent itself (events and timers -> `decide` -> `sync`).
"""
