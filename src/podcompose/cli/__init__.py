"""The `podcompose` command: parse, dispatch to a verb, render errors in one place."""
from __future__ import annotations

import sys
from typing import Sequence

from ..errors import EXIT_USAGE, EXIT_USER, PodcomposeError


def _enable_debug_logging() -> None:
    import logging

    from ..redact import LogFilter

    logging.basicConfig(level=logging.DEBUG, format="debug: %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:   # Docker calls carry env values: secrets never pass
        handler.addFilter(LogFilter())
    for name in ("docker", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG)


def _print_traceback() -> None:
    """--debug: the traceback, with every Secret value taken out (podcompose.redact)."""
    import traceback

    from ..redact import text

    sys.stderr.write(text(traceback.format_exc()))
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    from .parser import build_parser

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after `--` is the command for `exec`, flags included (kubectl's habit).
    tail: list[str] | None = None
    if "--" in argv:
        split = argv.index("--")
        argv, tail = argv[:split], argv[split + 1:]
    args = parser.parse_args(argv)
    if tail is not None:
        if args.verb != "exec":
            parser.error("`--` is only used by exec, before the command to run")
        args.command = list(args.command) + tail
    if args.version:
        from .. import __version__
        print(f"podcompose {__version__}")
        return 0
    if not args.verb:
        parser.print_help()
        return EXIT_USAGE
    if args.debug:
        _enable_debug_logging()

    from .commands import VERBS
    from .ui import UI

    ui = UI()
    try:
        return VERBS[args.verb](args, ui)
    except PodcomposeError as error:
        if args.debug:
            _print_traceback()
        ui.error(error.message, error.detail)
        return error.exit_code
    except KeyboardInterrupt:
        ui.info("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # a bug in podcompose: one line, and how to see more
        if args.debug:
            _print_traceback()
            return EXIT_USER
        ui.error(f"internal error: {type(error).__name__}: {error} (run with --debug for the traceback)")
        return EXIT_USER


def run() -> None:
    sys.exit(main())
