"""The verbs: one plain function each (parse nothing, render through the UI, return an exit code), grouped by
what they work on: lifecycle (up, down), objects (create, get), pods (ps, logs, exec, describe), manifests
(validate, config) and tools (version, agent, completion). All of them reach Docker and the agent through api.py."""
from __future__ import annotations

from .lifecycle import down, up
from .manifests import config, validate
from .objects import create, get
from .pods import describe, exec_, logs, ps
from .tools import agent, complete, completion, version

VERBS = {"up": up, "down": down, "ps": ps, "get": get, "create": create, "logs": logs, "exec": exec_,
         "validate": validate, "config": config, "describe": describe, "version": version, "agent": agent,
         "completion": completion, "__complete": complete}
