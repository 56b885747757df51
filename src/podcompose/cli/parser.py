"""The command line's shape: verbs, flags, help texts with examples."""
from __future__ import annotations

import argparse

EXIT_CODES = """exit codes:
  0  success
  1  manifest or user error, or a pod that failed
  2  usage error
  3  Docker daemon unreachable
  (up of a pod whose containers all finish: the pod's result)"""

EXAMPLES = {
    "up": """examples:
  podcompose up -f pod.yaml                 # run in the foreground, logs streamed, Ctrl-C stops
  podcompose up -d -f pod.yaml              # run in the background
  cat pod.yaml | podcompose up -d -f -
  podcompose up -d -f pod.yaml --image busybox=my/busybox:1
  podcompose up --dry-run -f pod.yaml       # print the Docker steps, create nothing
  podcompose up -d -k overlays/local        # the output of kubectl kustomize overlays/local""",
    "down": """examples:
  podcompose down web                       # the pod named web
  podcompose down -f pod.yaml               # every pod in the file""",
    "ps": """examples:
  podcompose ps
  podcompose ps -o json""",
    "create": """examples:
  podcompose create configmap settings --from-literal colour=blue --from-file app.properties
  podcompose create secret generic db --from-literal password=hunter2 -n shop""",
    "get": """examples:
  podcompose up -f configmap.yaml           # kept in Docker, as kubectl apply -f configmap.yaml
  podcompose get                            # the ConfigMaps, Secrets and claims kept
  podcompose get configmaps -o json""",
    "logs": """examples:
  podcompose logs web                       # every container of pod web, prefixed
  podcompose logs web -c nginx -f --tail 20""",
    "exec": """examples:
  podcompose exec web -- cat /etc/hostname
  podcompose exec web -c sidecar -it -- sh""",
    "validate": """examples:
  podcompose validate -f pod.yaml -f configmap.yaml""",
    "config": """examples:
  podcompose config -f pod.yaml -o json""",
    "describe": """examples:
  podcompose describe web""",
    "version": """examples:
  podcompose version -o json""",
    "agent": """examples:
  podcompose agent                          # is it running, what does it supervise
  podcompose agent stop                     # pods keep running; the next podcompose command starts it again""",
    "completion": """examples:
  source <(podcompose completion bash)""",
}


def _files(parser: argparse.ArgumentParser, required: bool, short: bool = True, kustomize: bool = False) -> None:
    """-f FILE (and with `kustomize`, -k DIR as in `kubectl apply -k`; one or the other, as kubectl)."""
    target: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup = parser
    if kustomize:
        target = parser.add_mutually_exclusive_group(required=required)
        required = False
    flags = ("-f", "--file") if short else ("--file",)
    target.add_argument(*flags, dest="files", action="append", required=required, metavar="FILE",
                        help="manifest file (repeatable; - reads standard input)")
    if kustomize:
        target.add_argument("-k", "--kustomize", action="append", metavar="DIR",
                            help="a kustomization folder: its `kubectl kustomize DIR` output (repeatable)")


def _namespace(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--namespace", default=None,
                        help="namespace of the pods (default: the manifest's, else 'default')")


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", choices=("text", "json", "yaml"), default="text",
                        help="output format")


def _validate_mode(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--validate", dest="unknown_fields", choices=("strict", "warn", "ignore"),
                        default="strict", help="how to treat unknown fields (default: strict, an error)")


def _pod_security(parser: argparse.ArgumentParser, default: object) -> None:
    """A global flag, also accepted after the verbs that load manifests."""
    parser.add_argument("--pod-security", choices=("privileged", "baseline", "restricted"), default=default,
                        metavar="LEVEL",
                        help="refuse pods that break this Pod Security Standards level: privileged, baseline or "
                             "restricted (default: $PODCOMPOSE_POD_SECURITY, else warn on host access only)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podcompose",
        description="Run Kubernetes Pod manifests on one Docker Engine, as a kubelet would.",
        epilog=EXIT_CODES + "\n\nexample:\n  podcompose up -d -f pod.yaml && podcompose ps",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and every Docker call")
    _pod_security(parser, None)
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        return verbs.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES.get(name),
                                formatter_class=argparse.RawDescriptionHelpFormatter)

    up = verb("up", "Create and start the pods of a manifest")
    _files(up, True, kustomize=True)
    _namespace(up)
    up.add_argument("-d", "--detach", action="store_true", help="run in the background")
    up.add_argument("--wait", action="store_true",
                    help="with -d: wait until every app and sidecar container is running")
    up.add_argument("--wait-timeout", type=float, default=60, metavar="SECONDS",
                    help="how long --wait waits (default 60)")
    up.add_argument("--timeout", type=int, default=None, metavar="SECONDS",
                    help="grace period when stopping (overrides terminationGracePeriodSeconds)")
    up.add_argument("--dry-run", action="store_true", help="print the plan; create nothing")
    up.add_argument("--replace", action="store_true", help="recreate pods even when unchanged")
    up.add_argument("--pull", choices=("always", "missing", "never"), default=None,
                    help="override every imagePullPolicy")
    up.add_argument("--pause-image", default=None, metavar="IMAGE",
                    help="pause image (default: $PODCOMPOSE_PAUSE_IMAGE or registry.k8s.io/pause:3.10)")
    up.add_argument("--host-ip", default=None, metavar="ADDRESS",
                    help="publish hostPorts that name no hostIP on ADDRESS (default: $PODCOMPOSE_HOST_IP, "
                         "else every address, as Kubernetes)")
    up.add_argument("--image", dest="images", action="append", default=[], metavar="OLD=NEW",
                    help="run image NEW wherever the manifest says OLD (repeatable)")
    up.add_argument("--keep-on-failure", action="store_true", help="leave a failed pod's containers for debugging")
    _validate_mode(up)
    _pod_security(up, argparse.SUPPRESS)
    _output(up)

    down = verb("down", "Stop and remove pods, their containers and volumes")
    _files(down, False, kustomize=True)
    _namespace(down)
    down.add_argument("pods", nargs="*", metavar="POD")
    down.add_argument("--timeout", type=int, default=None, metavar="SECONDS",
                      help="grace period (overrides terminationGracePeriodSeconds)")
    down.add_argument("--volumes", action="store_true",
                      help="also remove the volumes of the pods' persistentVolumeClaims (a pod's own volumes "
                           "always go with it)")

    ps = verb("ps", "List pods and their containers")
    _files(ps, False, kustomize=True)
    _namespace(ps)
    ps.add_argument("pods", nargs="*", metavar="POD")
    _output(ps)

    create = verb("create", "Keep a ConfigMap or Secret in Docker from literals and files, as kubectl create does")
    create.add_argument("kind", choices=("configmap", "cm", "secret"), metavar="configmap|secret")
    create.add_argument("names", nargs="+", metavar="[generic] NAME")
    create.add_argument("--from-literal", action="append", default=[], metavar="KEY=VALUE")
    create.add_argument("--from-file", action="append", default=[], metavar="[KEY=]PATH",
                        help="a file (its name is the key) or every file of a directory")
    _namespace(create)

    get = verb("get", "List the ConfigMaps, Secrets and PersistentVolumeClaims kept in Docker")
    _namespace(get)
    get.add_argument("kinds", nargs="*", metavar="KIND",
                     help="configmaps (cm), secrets, persistentvolumeclaims (pvc); default: all")
    _output(get)

    logs = verb("logs", "Print the logs of a pod's containers")
    _files(logs, False, short=False)  # -f is --follow, as in kubectl and docker compose
    _namespace(logs)
    logs.add_argument("pod", nargs="?", metavar="POD")
    logs.add_argument("-c", "--container", default=None,
                      help="one container (default: every sidecar and app container, prefixed)")
    logs.add_argument("--all-containers", action="store_true", help="init containers too")
    logs.add_argument("-f", "--follow", action="store_true", help="follow until the containers stop")
    logs.add_argument("--tail", type=int, default=None, metavar="N", help="only the last N lines")
    logs.add_argument("--since", default=None, metavar="WHEN", help="only since a duration (10s, 5m, 1h) or a time")
    logs.add_argument("--timestamps", action="store_true", help="prefix each line with its time")
    logs.add_argument("-p", "--previous", action="store_true", help="the log before the container's last restart")

    exec_ = verb("exec", "Run a command in a container of a pod")
    _namespace(exec_)
    exec_.add_argument("pod", metavar="POD")
    exec_.add_argument("-c", "--container", default=None, help="container (default: the first app container)")
    exec_.add_argument("-i", "--stdin", action="store_true", help="pass standard input")
    exec_.add_argument("-t", "--tty", action="store_true", help="allocate a terminal")
    exec_.add_argument("command", nargs="*", metavar="-- COMMAND")

    validate = verb("validate", "Check manifests without running anything")
    _files(validate, True, kustomize=True)
    _validate_mode(validate)
    _pod_security(validate, argparse.SUPPRESS)

    config = verb("config", "Print the normalised pods after defaults")
    _files(config, True, kustomize=True)
    _namespace(config)
    config.add_argument("--image", dest="images", action="append", default=[], metavar="OLD=NEW")
    _output(config)
    _validate_mode(config)
    _pod_security(config, argparse.SUPPRESS)

    describe = verb("describe", "Show a pod's containers, states and recent events")
    _namespace(describe)
    describe.add_argument("pod", metavar="POD")
    _output(describe)

    version = verb("version", "Print version information")
    _output(version)

    agent = verb("agent", "The node agent that keeps the pods running: status, run, stop")
    agent.add_argument("action", choices=("status", "run", "stop"), nargs="?", default="status",
                       help="status (default): is it running, since when, what it supervises; run: in the "
                            "foreground (up starts it in the background by itself); stop: SIGTERM (pods keep running)")
    _output(agent)

    completion = verb("completion", "Print a shell completion script")
    completion.add_argument("shell", choices=("bash", "zsh", "fish"))

    complete = verbs.add_parser("__complete")  # used by the completion scripts
    complete.add_argument("what", choices=("pods", "containers"))
    complete.add_argument("pod", nargs="?")
    return parser
