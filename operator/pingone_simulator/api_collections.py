"""The management API's collections besides applications: what each item is, its parent in the
path, and which model function applies each rule. Routes are added by server.py through crud.add_routes."""

from __future__ import annotations

from typing import Any

from . import attributes, grants, resources, role_rules, roles, scopes, signon
from .apiauth import actor_of
from .crud import Collection, Ctx
from .refusals import forbidden, not_found, require_object

RESOURCES = "/v1/environments/{env}/resources"
SCOPES = RESOURCES + "/{resource}/scopes"
POLICIES = "/v1/environments/{env}/signOnPolicies"
APP = "/v1/environments/{env}/applications/{app}"


def _no_parent(ctx: Ctx) -> None:
    return None


def _app(ctx: Ctx) -> None:
    ctx.app = ctx.env.applications.get(ctx.param("app"))
    if ctx.app is None:
        raise not_found()


def _resource(ctx: Ctx) -> None:
    ctx.resource = ctx.env.resources.get(ctx.param("resource"))
    if ctx.resource is None:
        raise not_found()


def _clock(ctx: Ctx):
    return ctx.state.clock


resource_collection = Collection(
    key="resources", parent=_no_parent,
    items=lambda ctx: list(ctx.env.resources.values()),
    item_id=lambda r: r.id,
    view=lambda ctx, r: resources.view(r, ctx.api_base),
    create=lambda ctx, body: resources.create(ctx.env.resources, ctx.env.id, body, _clock(ctx)),
    replace=lambda ctx, r, body: resources.replace(ctx.env.resources, r, body, _clock(ctx)),
    delete=lambda ctx, r: ctx.state.store.delete_resource(ctx.env, r),
)

scope_collection = Collection(
    key="scopes", parent=_resource,
    items=lambda ctx: list(ctx.resource.scopes.values()),
    view=lambda ctx, s: scopes.view(s, ctx.api_base),
    create=lambda ctx, body: scopes.create(ctx.resource, body, _clock(ctx)),
    replace=lambda ctx, s, body: scopes.replace(ctx.resource, s, body, _clock(ctx)),
    delete=lambda ctx, s: ctx.state.store.delete_scope(ctx.env, ctx.resource, s),
)

policy_collection = Collection(
    key="signOnPolicies", parent=_no_parent,
    items=lambda ctx: list(ctx.env.sign_on_policies.values()),
    view=lambda ctx, p: signon.policy_view(p, ctx.api_base),
    create=lambda ctx, body: signon.create(ctx.env.sign_on_policies, ctx.env.id, body, _clock(ctx)),
    replace=lambda ctx, p, body: signon.replace(ctx.env.sign_on_policies, p, body, _clock(ctx)),
    delete=lambda ctx, p: ctx.state.store.delete_sign_on_policy(ctx.env, p),
)

grant_collection = Collection(
    key="grants", parent=_app,
    items=lambda ctx: list(ctx.app.grants.values()),
    view=lambda ctx, g: grants.view(g, ctx.api_base, ctx.env.id),
    create=lambda ctx, body: grants.create(ctx.app.grants, ctx.app.fields, ctx.env.resources, body, _clock(ctx)),
    replace=lambda ctx, g, body: grants.replace(g, ctx.app.fields, ctx.env.resources, body, _clock(ctx)),
    delete=lambda ctx, g: ctx.app.grants.pop(g["id"]) and None,
)


def _granted_scope_ids(ctx: Ctx) -> set[str]:
    return {s["id"] for g in ctx.app.grants.values() for s in g["scopes"]}


def _delete_mapping(ctx: Ctx, mapping: dict[str, Any]) -> None:
    attributes.check_deletable(mapping)
    del ctx.app.attributes[mapping["id"]]


attribute_collection = Collection(
    key="attributes", parent=_app,
    items=lambda ctx: list(ctx.app.attributes.values()),
    view=lambda ctx, m: attributes.view(m, ctx.api_base, ctx.env.id),
    create=lambda ctx, body: attributes.create(ctx.app.attributes, ctx.app.id, _granted_scope_ids(ctx), body,
                                               _clock(ctx)),
    replace=lambda ctx, m, body: attributes.replace(ctx.app.attributes, m, _granted_scope_ids(ctx), body,
                                                    _clock(ctx)),
    delete=_delete_mapping,
)

assignment_collection = Collection(
    key="signOnPolicyAssignments", parent=_app,
    items=lambda ctx: signon.ordered(ctx.app.sign_on_assignments),
    view=lambda ctx, a: signon.assignment_view(a, ctx.api_base),
    create=lambda ctx, body: signon.assign(ctx.app.sign_on_assignments, ctx.env.sign_on_policies, ctx.env.id,
                                           ctx.app.id, body),
    replace=lambda ctx, a, body: signon.reassign(ctx.app.sign_on_assignments, ctx.env.sign_on_policies, a, body),
    delete=lambda ctx, a: ctx.app.sign_on_assignments.pop(a["id"]) and None,
)

role_collection = Collection(
    key="roles", parent=_no_parent, in_environment=False,
    items=lambda ctx: list(roles.ROLE_NAMES),
    item_id=lambda name: roles.ROLES[name],
    view=lambda ctx, name: roles.role_view(name, ctx.api_base),
)


def _place(ctx: Ctx) -> role_rules.Place:
    st = ctx.state
    return role_rules.Place(ctx.env.id, st.organization_id, frozenset(st.store.environments),
                            frozenset(ctx.env.applications))


def _actor_roles(ctx: Ctx) -> list[dict[str, Any]]:
    actor = actor_of(ctx.request, ctx.claims)
    return actor.role_assignments if actor else []


def _read_only(ctx: Ctx, item: dict[str, Any]) -> bool:
    """OpenAPI readOnly: the caller could not delete it (it may not assign that role there)."""
    name = roles.ROLE_NAMES_BY_ID.get(item["role"]["id"], "")
    return not role_rules.may_assign(_actor_roles(ctx), name, item["scope"], _place(ctx))


def _assign_role(ctx: Ctx, body: Any) -> dict[str, Any]:
    item = role_rules.new_assignment(require_object(body), ctx.app.fields, ctx.app.role_assignments,
                                     _actor_roles(ctx), _place(ctx))
    ctx.app.role_assignments.append(item)
    return item


def _unassign_role(ctx: Ctx, item: dict[str, Any]) -> None:
    if _read_only(ctx, item):
        raise forbidden("The actor may not remove this role assignment.")
    ctx.app.role_assignments.remove(item)


role_assignment_collection = Collection(
    key="roleAssignments", parent=_app,
    items=lambda ctx: list(ctx.app.role_assignments),
    view=lambda ctx, a: roles.assignment_view(a, ctx.api_base, ctx.app.id, _read_only(ctx, a)),
    create=_assign_role,
    delete=_unassign_role,
)

ROUTES = [
    (RESOURCES, resource_collection), (SCOPES, scope_collection), (POLICIES, policy_collection),
    (APP + "/grants", grant_collection), (APP + "/attributes", attribute_collection),
    (APP + "/signOnPolicyAssignments", assignment_collection), (APP + "/roleAssignments", role_assignment_collection),
    ("/v1/roles", role_collection),
]
