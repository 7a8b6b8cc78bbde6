"""`pingone-operator export`: write a PingOneApplication manifest for each existing PingOne
application, adopting it as ObserveOnly. plan/export.py decides what goes in a spec; this reads
PingOne (applications, their lists, the names they refer to) and writes the YAML."""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import sys
import uuid
from pathlib import Path
from typing import Any, TextIO

import yaml

from .config import ConfigError, load_pingone_settings
from .pingone.client import PingOneClient
from .pingone.errors import NotFound, PingOneError
from .plan import export as plan
from .plan import lists
from .plan.identity import protects

PROG = "pingone-operator export"


class Progress:
    """n/total on stderr: redrawn in place on a terminal, a line every tenth otherwise (logs)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()

    def tick(self) -> None:
        self.done += 1
        if self.tty:
            filled = 30 * self.done // self.total
            end = "\n" if self.done == self.total else ""
            self.stream.write(f"\rexporting [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}{end}")
        elif self.done == self.total or self.done * 10 // self.total != (self.done - 1) * 10 // self.total:
            self.stream.write(f"exporting {self.done}/{self.total}\n")
        self.stream.flush()


class Reader:
    """Reads what one environment's specs refer to; a list PingOne does not serve here (404) is
    not exported, said once."""

    def __init__(self, client: PingOneClient, environment_id: str, say: Any) -> None:
        self.client, self.env, self.say = client, environment_id, say
        self.catalogue = lists.Catalogue()
        self.available: dict[str, bool | None] = dict.fromkeys(lists.KINDS)  # None: not known yet

    async def read_catalogue(self) -> None:
        resources = await self._optional("grants", self.client.list_resources(self.env))
        scopes = {}
        for resource in resources:
            scopes[resource["id"]] = {s["name"]: s["id"] for s in await self.client.list_scopes(self.env, resource["id"])}
        policies = await self._optional("signOnPolicyAssignments", self.client.list_sign_on_policies(self.env))
        roles = await self._optional("roleAssignments", self.client.list_roles())
        self.catalogue = lists.Catalogue({r["name"]: r["id"] for r in resources}, scopes,
                                         {p["name"]: p["id"] for p in policies}, {r["name"]: r["id"] for r in roles})

    async def children(self, app: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        result = {}
        for kind in lists.KINDS:
            if self.available[kind] is False or (kind == "roleAssignments" and app.get("type") != "WORKER"):
                continue
            try:
                result[kind] = await self.client.list_children(self.env, app["id"], kind)
            except NotFound:
                if self.available[kind]:
                    raise  # the list exists: the application itself went away meanwhile
                self._unavailable(kind)
                continue
            self.available[kind] = True
        return result

    async def _optional(self, kind: str, call: Any) -> list[dict[str, Any]]:
        try:
            return await call
        except NotFound:
            self._unavailable(kind)
            return []

    def _unavailable(self, kind: str) -> None:
        if self.available[kind] is not False:
            self.available[kind] = False
            self.say(f"PingOne answered 404 for {kind} here: spec.{lists.SPEC_FIELD[kind]} is not exported")


async def export(client: PingOneClient, environment_id: str, *, worker_id: str, name_filters: list[str],
                 namespace: str | None, connection_ref: str | None, concurrency: int,
                 say: Any, progress_stream: TextIO) -> list[tuple[str, dict[str, Any]]]:
    """(resource name, manifest) of each exported application, in name order; notes go to `say`."""
    apps = [a for a in await client.list_applications(environment_id)
            if not name_filters or any(fnmatch.fnmatchcase(str(a.get("name")), f) for f in name_filters)]
    reader = Reader(client, environment_id, say)
    await reader.read_catalogue()
    names = plan.resource_names([a for a in apps if not protects(worker_id, a)])
    progress = Progress(len(apps), progress_stream)
    slots = asyncio.Semaphore(concurrency)

    async def one(app: dict[str, Any]) -> plan.Exported:
        async with slots:
            try:
                children = {} if protects(worker_id, app) else await reader.children(app)
            except PingOneError as exc:
                return plan.Exported(str(app.get("id")), str(app.get("name")), None, [f"could not read its lists: {exc}"])
            return plan.application_spec(app, environment_id, worker_id=worker_id, children=children,
                                         catalogue=reader.catalogue, connection_ref=connection_ref)

    results = []
    for done in asyncio.as_completed([one(a) for a in apps]):
        results.append(await done)
        progress.tick()
    manifests = []
    for result in sorted(results, key=lambda r: (r.app_name, r.app_id)):
        for note in result.notes:
            say(f"{result.app_name} ({result.app_id}): {'skipped: ' if result.spec is None else ''}{note}")
        if result.spec is not None:
            name = names[result.app_id]
            manifests.append((name, plan.manifest(name, result.spec, namespace)))
    say(f"{len(manifests)} of {len(apps)} applications exported "
        f"({len(apps) - len(manifests)} skipped, {sum(len(r.notes) for r in results if r.spec)} fields left out)")
    return sorted(manifests)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=(
        "Write a PingOneApplication manifest for each application of a PingOne environment, adopting it "
        "(adoptApplicationId) as managementPolicy ObserveOnly. Reads PINGONE_* like the operator. Skipped "
        "applications and fields left out are reported on stderr with the reason."))
    p.add_argument("--environment", metavar="ENV", help="PingOne environment id (default: PINGONE_ENVIRONMENT_ID)")
    p.add_argument("--namespace", metavar="NS", help="metadata.namespace of every manifest (default: none)")
    p.add_argument("--name-filter", metavar="GLOB", action="append", default=[],
                   help="only applications whose PingOne name matches this shell-style glob, case-sensitive "
                        "(e.g. 'Team-A-*'); repeat for several")
    p.add_argument("--output", metavar="DIR", help="write one <resource-name>.yaml per application into DIR "
                                                   "(default: every document to stdout)")
    p.add_argument("--connection-ref", metavar="NAME", help="set spec.connectionRef to this PingOneConnection")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.namespace and plan.dns_name(args.namespace) != args.namespace:
        parser().error(f"--namespace {args.namespace!r} is not a namespace name")

    def say(line: str) -> None:
        print(f"{PROG}: {line}", file=sys.stderr, flush=True)

    try:
        settings = load_pingone_settings()
        environment = args.environment or settings.environment_id
        uuid.UUID(environment)
    except ConfigError as exc:
        say(str(exc))
        return 2
    except ValueError:
        say(f"--environment must be a PingOne environment id (a UUID), got {environment!r}")
        return 2

    async def run() -> list[tuple[str, dict[str, Any]]]:
        client = PingOneClient.from_settings(settings)
        try:
            return await export(client, environment, worker_id=settings.client_id, name_filters=args.name_filter,
                                namespace=args.namespace, connection_ref=args.connection_ref,
                                concurrency=settings.max_concurrency, say=say, progress_stream=sys.stderr)
        finally:
            await client.aclose()

    try:
        manifests = asyncio.run(run())
    except PingOneError as exc:
        say(f"PingOne: {exc}")
        return 1
    if args.output:
        directory = Path(args.output)
        directory.mkdir(parents=True, exist_ok=True)
        for name, document in manifests:
            (directory / f"{name}.yaml").write_text(render(document))
    else:
        sys.stdout.write("".join(f"---\n{render(document)}" for _, document in manifests))
    return 0


def render(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, width=120, allow_unicode=False)
