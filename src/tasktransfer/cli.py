"""The ``tasktransfer`` command line: one subcommand group per library area.

Each area module exposes ``register(subparsers)`` which adds its subcommands and sets
``func`` on them; heavy imports happen inside the command functions, so ``--help`` and
planning commands start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Area modules, each owning its subcommands. Add a line when an area gains a CLI.
_COMMAND_MODULES = (
    "tasktransfer.commands_core",
    "tasktransfer.data.cli",
    "tasktransfer.data.blink_cli",
    "tasktransfer.analysis.cli",
    "tasktransfer.planning.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tasktransfer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        # Input errors: one clear line, no traceback. Programming errors still raise.
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"tasktransfer {args.command}: error: {msg}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
