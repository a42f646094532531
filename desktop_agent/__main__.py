"""Command line: ``desktop-agent [--simulate] [--console] [--self-check] [--version] ...``.

Kept free of heavy imports: Qt is imported only to open the window and Pipecat only after the window is painted,
so ``--version`` answers at once and the window appears fast.
"""

from __future__ import annotations

import argparse
import sys

from desktop_agent import __version__

PROFILES = ("instant", "prd", "slow")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-agent",
        description="A desktop voice assistant: hold Space and talk, or switch to hands-free.",
    )
    parser.add_argument("--version", action="version", version=f"desktop-agent {__version__}")
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="check Qt, audio devices, the keyring and the voice models, then exit (non-zero on failure)",
    )
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="talk to built-in local provider simulators: no API keys and no network needed",
    )
    parser.add_argument(
        "--console",
        action="store_true",
        help="talk in this terminal instead of the window: Enter to talk, h for hands-free, q to quit",
    )
    parser.add_argument(
        "--continue",
        dest="continue_last",
        action="store_true",
        help="with --console: go on with the last conversation in the history (the assistant remembers it)",
    )
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="prd",
        help="simulator latency profile (default: prd, the product's target latencies)",
    )
    parser.add_argument(
        "--screenshot",
        metavar="PATH",
        help="run one scripted simulated exchange, save a PNG of the window to PATH and exit",
    )
    parser.add_argument(
        "--no-audio", action="store_true", help="use an in-memory audio device instead of the sound card"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="log detail (default: INFO)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_check:
        from desktop_agent.self_check import run_self_check

        return run_self_check()
    if args.console and args.screenshot:
        build_parser().error("--screenshot needs the window; leave out --console")
    if args.continue_last and not args.console:
        build_parser().error("--continue is for the console; in the window, use History > Continue")
    from desktop_agent.system_libraries import MissingSystemLibrary

    try:
        return _run(args)
    except MissingSystemLibrary as exc:  # a library pip cannot install: what to install, not a traceback
        print(exc, file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.console:
        if not args.no_audio:
            from desktop_agent.system_libraries import require_sound_library

            require_sound_library()
        from desktop_agent.console.app import main as run_console

        return run_console(args)
    if args.screenshot:
        args.simulate = True
    from desktop_agent.app import main as run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
