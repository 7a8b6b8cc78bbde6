"""In-memory environments (with their resources and sign-on policies), applications (with their
grants, attribute mappings, sign-on policy and role assignments) and application secrets."""

from __future__ import annotations

import copy
import secrets as random_secrets
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import attributes, grants, resources, roles, scopes, signon
from .clock import Clock, format_rfc3339, later_than
from .errors import detail
from .validation import build_application, order_keys

SECRET_ALPHABET = string.ascii_letters + string.digits + "-._~"
SECRET_LENGTH = 64  # PingOne's minimum (HS512 needs 64 bytes)


def new_secret() -> str:
    return "".join(random_secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


class ValidationFailed(Exception):
    def __init__(self, details: list[dict[str, Any]]):
        super().__init__("validation failed")
        self.details = details


class LimitExceeded(Exception):
    pass


@dataclass
class PreviousSecret:
    secret: str
    expires_at: float  # epoch seconds, simulated clock
    last_used: float | None = None


@dataclass
class Application:
    """`fields` is the stored JSON minus `_links` (built per request, host-agnostic)."""

    fields: dict[str, Any]
    secret: str
    previous: PreviousSecret | None = None
    role_assignments: list[dict[str, Any]] = field(default_factory=list)  # see roles.py
    # id -> stored object (no _links); deleting the application deletes them with it.
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)  # see grants.py
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)  # see attributes.py
    sign_on_assignments: dict[str, dict[str, Any]] = field(default_factory=dict)  # see signon.py
    seq: int = 0  # creation order: list order, and what a list cursor points at

    @property
    def id(self) -> str:
        return self.fields["id"]

    def view(self, api_base: str) -> dict[str, Any]:
        env = self.fields["environment"]["id"]
        base = f"{api_base}/environments/{env}/applications/{self.id}"
        links = {
            "self": {"href": base},
            "environment": {"href": f"{api_base}/environments/{env}"},
            "metadata": {"href": f"{base}/metadata"},
            "attributes": {"href": f"{base}/attributes"},
            "secret": {"href": f"{base}/secret"},
            "grants": {"href": f"{base}/grants"},
        }
        return order_keys({"_links": links, **copy.deepcopy(self.fields)})

    def live_previous(self, now: float) -> PreviousSecret | None:
        """The previous secret while it is still valid; PingOne drops it once expired."""
        if self.previous is not None and self.previous.expires_at <= now:
            self.previous = None
        return self.previous


@dataclass
class Environment:
    id: str
    applications: dict[str, Application] = field(default_factory=dict)
    resources: dict[str, resources.Resource] = field(default_factory=dict)  # see resources.py
    sign_on_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # see signon.py

    def resource_named(self, name: str) -> resources.Resource | None:
        return next((r for r in self.resources.values() if r.fields["name"] == name), None)


class Store:
    def __init__(self, clock: Clock, *, strict: bool = False, max_applications: int = 1000):
        self.clock = clock
        self.strict = strict
        self.max_applications = max_applications
        self.environments: dict[str, Environment] = {}
        self._seq = 0

    def create_environment(self, env_id: str | None = None) -> Environment:
        env_id = env_id or str(uuid.uuid4())
        if env_id not in self.environments:
            env = self.environments[env_id] = Environment(env_id)
            # Every PingOne environment comes with these (Ping docs, "Resource scopes"; signon.py).
            for kind in (resources.OPENID, resources.PINGONE_API):
                resource = resources.built_in(env_id, kind, self.clock)
                scopes.seed(resource, self.clock)
                env.resources[resource.id] = resource
            signon.seed(env.sign_on_policies, env_id, self.clock)
        return self.environments[env_id]

    def environment(self, env_id: str) -> Environment | None:
        return self.environments.get(env_id)

    def application(self, env_id: str, app_id: str) -> Application | None:
        env = self.environments.get(env_id)
        return env.applications.get(app_id) if env else None

    def create_application(self, env_id: str, body: Any, *, app_id: str | None = None,
                           secret: str | None = None,
                           actor_roles: list[dict[str, Any]] | None = None) -> Application:
        """POST. `actor_roles`: the calling worker's role assignments, which a new WORKER inherits
        unless the body says `assignActorRoles: false` (Ping, "Worker applications")."""
        env = self.environments[env_id]
        if len(env.applications) >= self.max_applications:
            raise LimitExceeded()
        fields, problems = build_application(body, strict=self.strict)
        self._check_unique_name(env, fields.get("name"), None, problems)
        if app_id is not None and app_id in env.applications:
            problems.append(detail("UNIQUENESS_VIOLATION", "clientId", f"Client ID {app_id!r} is already in use."))
        if problems:
            raise ValidationFailed(problems)
        app_id = app_id or str(uuid.uuid4())
        stamp = format_rfc3339(self.clock.now())
        fields = copy.deepcopy(fields)
        fields.update(id=app_id, clientId=app_id, environment={"id": env_id}, createdAt=stamp, updatedAt=stamp)
        self._seq += 1
        app = Application(fields=fields, secret=secret or new_secret(), seq=self._seq)
        if fields["type"] == "WORKER" and body.get("assignActorRoles") is not False and actor_roles:
            app.role_assignments = roles.inherit(actor_roles, env_id)
        attributes.seed(app.attributes, app_id, self.clock)  # the CORE `sub` mapping of every OIDC app
        env.applications[app_id] = app
        return app

    def replace_application(self, env_id: str, app_id: str, body: Any) -> Application:
        """PUT: full replacement; omitted optional fields go back to default or absent."""
        app = self.application(env_id, app_id)
        if app is None:
            raise KeyError(app_id)
        fields, problems = build_application(body, existing=app.fields, strict=self.strict)
        self._check_unique_name(self.environments[env_id], fields.get("name"), app_id, problems)
        if problems:
            raise ValidationFailed(problems)
        keep = {k: app.fields[k] for k in ("id", "clientId", "environment", "createdAt")}
        stamp = later_than(app.fields.get("updatedAt"), self.clock.now())
        app.fields = {**copy.deepcopy(fields), **keep, "updatedAt": format_rfc3339(stamp)}
        return app

    def patch_application(self, env_id: str, app_id: str, changes: dict[str, Any]) -> Application:
        """Unvalidated merge (null deletes a key) for drift tests; bumps updatedAt."""
        app = self.application(env_id, app_id)
        if app is None:
            raise KeyError(app_id)
        for key, value in changes.items():
            if key in ("id", "environment", "createdAt", "updatedAt", "_links"):
                continue
            if value is None:
                app.fields.pop(key, None)
            else:
                app.fields[key] = copy.deepcopy(value)
        stamp = later_than(app.fields.get("updatedAt"), self.clock.now())
        app.fields["updatedAt"] = format_rfc3339(stamp)
        return app

    def delete_application(self, env_id: str, app_id: str) -> bool:
        env = self.environments.get(env_id)
        return bool(env and env.applications.pop(app_id, None))

    def delete_resource(self, env: Environment, resource: resources.Resource) -> None:
        """Grants of a deleted resource go with it [I]."""
        resources.check_deletable(resource)
        del env.resources[resource.id]
        for app in env.applications.values():
            grants.forget(app.grants, resource_id=resource.id)

    def delete_scope(self, env: Environment, resource: resources.Resource, scope: dict[str, Any]) -> None:
        """A deleted scope leaves the grants; a grant left without scopes is deleted [I]."""
        scopes.check_deletable(resource, scope)
        del resource.scopes[scope["id"]]
        for app in env.applications.values():
            grants.forget(app.grants, scope_id=scope["id"])

    def delete_sign_on_policy(self, env: Environment, policy: dict[str, Any]) -> None:
        """Assignments of a deleted policy go with it [I]."""
        signon.check_deletable(policy)
        del env.sign_on_policies[policy["id"]]
        for app in env.applications.values():
            for item_id, item in list(app.sign_on_assignments.items()):
                if item["signOnPolicy"]["id"] == policy["id"]:
                    del app.sign_on_assignments[item_id]

    def rotate_secret(self, app: Application, previous_expires_at: float | None) -> None:
        """Regenerate; keep the old secret as `previous` only when an expiry was given."""
        old = app.secret
        app.secret = new_secret()
        app.previous = PreviousSecret(old, previous_expires_at) if previous_expires_at is not None else None

    def _check_unique_name(self, env: Environment, name: Any, own_id: str | None, problems: list) -> None:
        if not isinstance(name, str):
            return
        for other in env.applications.values():
            if other.id != own_id and other.fields.get("name") == name:
                problems.append(detail("UNIQUENESS_VIOLATION", "name",
                                       f"An application with the name '{name}' already exists."))
                return


def secret_view(app: Application, api_base: str, now: float) -> dict[str, Any]:
    env = app.fields["environment"]["id"]
    base = f"{api_base}/environments/{env}/applications/{app.id}"
    body: dict[str, Any] = {
        "_links": {
            "self": {"href": f"{base}/secret"},
            "environment": {"href": f"{api_base}/environments/{env}"},
            "application": {"href": base},
        },
        "environment": {"id": env},
        "secret": app.secret,
    }
    previous = app.live_previous(now)
    if previous is not None:
        body["previous"] = {"secret": previous.secret, "expiresAt": format_rfc3339(previous.expires_at)}
        if previous.last_used is not None:
            body["previous"]["lastUsed"] = format_rfc3339(previous.last_used)
    return body
