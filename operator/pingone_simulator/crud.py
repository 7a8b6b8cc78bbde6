"""Generic HTTP handlers for a PingOne collection: list (EntityArray), create (201 + Location),
read, replace (PUT), delete (204), each behind the bearer-token checks. The collections themselves
(what an item is, its rules, its parent) are in collections.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

from . import errors
from .apiauth import authorize
from .httputil import BadBody, api_base, read_json, state_of
from .refusals import Refused, not_found
from .resources import Resource
from .state import SimulatorState
from .store import Application, Environment


@dataclass
class Ctx:
    """One request's view of the simulator: environment, caller, and the parent the path names."""

    request: web.Request
    state: SimulatorState
    env: Environment | None
    api_base: str
    claims: dict[str, Any]
    app: Application | None = None
    resource: Resource | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> str:
        return self.request.match_info[name]


@dataclass(frozen=True)
class Collection:
    key: str  # the `_embedded` key
    parent: Callable[[Ctx], None]  # fills ctx.app / ctx.resource, or raises not_found()
    items: Callable[[Ctx], list[Any]]
    view: Callable[[Ctx, Any], dict[str, Any]]
    create: Callable[[Ctx, Any], Any] | None = None
    replace: Callable[[Ctx, Any, Any], Any] | None = None
    delete: Callable[[Ctx, Any], None] | None = None
    item_id: Callable[[Any], str] = lambda item: item["id"]
    in_environment: bool = True  # False: /v1/roles, outside any environment


def add_routes(app: web.Application, path: str, collection: Collection) -> None:
    """`path` is the list's route; items are at `path/{item}`."""
    app.router.add_get(path, _handler(collection, _list))
    app.router.add_get(path + "/{item}", _handler(collection, _read))
    if collection.create:
        app.router.add_post(path, _handler(collection, _create))
    if collection.replace:
        app.router.add_put(path + "/{item}", _handler(collection, _replace))
    if collection.delete:
        app.router.add_delete(path + "/{item}", _handler(collection, _delete))


def _handler(collection: Collection, action):
    async def handle(request: web.Request) -> web.StreamResponse:
        env_id = request.match_info.get("env") if collection.in_environment else None
        claims, denied = authorize(request, env_id)
        if denied:
            return denied
        st = state_of(request)
        ctx = Ctx(request, st, st.store.environment(env_id) if env_id else None, api_base(request), claims)
        try:
            collection.parent(ctx)
            return await action(collection, ctx)
        except Refused as exc:
            return errors.p1_error(exc.status, exc.code, exc.message, exc.details or None)
        except BadBody as exc:
            return errors.p1_error(exc.status, "INVALID_REQUEST", exc.message)
    return handle


def _find(collection: Collection, ctx: Ctx) -> Any:
    wanted = ctx.param("item")
    item = next((i for i in collection.items(ctx) if collection.item_id(i) == wanted), None)
    if item is None:
        raise not_found()
    return item


async def _list(collection: Collection, ctx: Ctx) -> web.Response:
    items = [collection.view(ctx, i) for i in collection.items(ctx)]
    url = str(ctx.request.url.with_query(None))
    body = {"_links": {"self": {"href": url}}, "_embedded": {collection.key: items}, "count": len(items),
            "size": len(items)}
    return errors.json_response(body)


async def _read(collection: Collection, ctx: Ctx) -> web.Response:
    return errors.json_response(collection.view(ctx, _find(collection, ctx)))


async def _create(collection: Collection, ctx: Ctx) -> web.Response:
    body = await read_json(ctx.request)
    view = collection.view(ctx, collection.create(ctx, body))
    return errors.json_response(view, status=201, headers={"Location": view["_links"]["self"]["href"]})


async def _replace(collection: Collection, ctx: Ctx) -> web.Response:
    item = _find(collection, ctx)
    body = await read_json(ctx.request)
    return errors.json_response(collection.view(ctx, collection.replace(ctx, item, body)))


async def _delete(collection: Collection, ctx: Ctx) -> web.Response:
    collection.delete(ctx, _find(collection, ctx))
    return web.Response(status=204)
