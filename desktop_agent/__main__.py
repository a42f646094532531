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
    metrics = parser.add_argument_group(
        "metrics export", "write each reply's stage latencies, tokens, characters and cost, with p50/p95, and exit"
    )
    metrics.add_argument("--export-metrics", metavar="PATH", help="the CSV or JSON file to write")
    metrics.add_argument("--since", metavar="DATE", help="from this local day on (YYYY-MM-DD), with --export-metrics")
    metrics.add_argument("--until", metavar="DATE", help="up to this local day included (YYYY-MM-DD)")
    metrics.add_argument(
        "--conversation", dest="metrics_conversation", metavar="ID", type=int, help="one conversation (its id)"
    )
    metrics.add_argument(
        "--format", dest="metrics_format", choices=("csv", "json"), help="default: from PATH's extension, else csv"
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
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.export_metrics is None and (
        args.since or args.until or args.metrics_conversation is not None or args.metrics_format
    ):
        parser.error("--since, --until, --conversation and --format go with --export-metrics PATH")
    if args.export_metrics is not None:
        from desktop_agent.metrics_command import run as export_metrics

        return export_metrics(args)
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
