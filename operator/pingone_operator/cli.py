"""The `pingone-operator` command: run the operator, serve the simulator, export applications, print the CRDs."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="pingone-operator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the operator (wraps kopf run)", add_help=False)
    sub.add_parser("simulator", help="serve a local PingOne simulator on loopback", add_help=False)
    sub.add_parser("export", help="write a PingOneApplication (ObserveOnly adoption) for each existing PingOne "
                   "application", add_help=False)
    crds = sub.add_parser("crds", help="print the generated CustomResourceDefinitions as YAML")
    crds.add_argument("--write", metavar="DIR", help="write one file per CRD into DIR instead")
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        from .controller.runner import main as run_main

        return run_main(rest)
    if command == "simulator":
        try:
            from pingone_simulator.cli import main as simulator_main
        except ImportError:  # the image ships the operator only
            print("pingone-operator: the PingOne simulator is not installed here", file=sys.stderr)
            return 2
        return simulator_main(rest)
    if command == "export":
        from .export import main as export_main

        return export_main(rest)
    if command == "crds":
        from pathlib import Path

        from .api.crd import crd_files, render_crds_yaml

        args = parser.parse_args(argv)
        if args.write:
            for name, text in crd_files().items():
                (Path(args.write) / name).write_text(text)
        else:
            sys.stdout.write(render_crds_yaml())
        return 0
    parser.parse_args(argv)  # prints the usage error for an unknown command
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
