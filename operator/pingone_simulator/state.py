"""Everything one simulator instance holds, with the Python API tests and benchmarks use."""

from __future__ import annotations

import copy
import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any

from . import grants, resources, roles, scopes, signon
from .clock import Clock
from .config import FILTER_MODES, FaultConfig, SimulatorConfig
from .faults import FaultInjector, RateLimiter
from .reqlog import RequestLog
from .store import Store
from .tokens import AccessTokens


@dataclass(frozen=True)
class WorkerCredentials:
    environment_id: str
    client_id: str
    client_secret: str
    auth_method: str

    def __repr__(self) -> str:  # keep the secret out of logs and assertion messages
        return (f"WorkerCredentials(environment_id={self.environment_id!r}, client_id={self.client_id!r}, "
                f"auth_method={self.auth_method!r}, client_secret=<redacted>)")


class SimulatorState:
    def __init__(self, config: SimulatorConfig | None = None):
        self.config = config = config or SimulatorConfig()
        self.clock = Clock()
        self.store = Store(self.clock, strict=config.strict, max_applications=config.max_applications)
        self.tokens = AccessTokens(self.clock, config.token_lifetime)
        self.faults = FaultInjector(config.faults)
        self.limiter = RateLimiter(config.rate_limit)
        self.log = RequestLog(config.request_log_size)
        self.set_filter_mode(config.filter_mode)
        self.set_page_size(config.page_size)
        # Replaced with the real URLs once the server listens.
        self.api_base = "http://127.0.0.1/v1"
        self.auth_base = "http://127.0.0.1"
        # The one organization every environment belongs to (ORGANIZATION role scopes name it).
        self.organization_id = str(uuid.uuid4())
        self.environment_id = self.store.create_environment(config.environment_id).id
        self.worker: WorkerCredentials | None = None
        if config.seed_worker:
            self.worker = self.seed_worker(
                self.environment_id, client_id=config.worker_client_id,
                client_secret=config.worker_client_secret, auth_method=config.worker_auth_method,
                name=config.worker_name)

    # -- seeding -------------------------------------------------------------------------
    def seed_environment(self, env_id: str | None = None) -> str:
        return self.store.create_environment(env_id).id

    def seed_worker(self, env_id: str | None = None, *, client_id: str | None = None,
                    client_secret: str | None = None, auth_method: str = "CLIENT_SECRET_BASIC",
                    name: str | None = None, grant_types: list[str] | None = None,
                    role_names: list[str] | tuple[str, ...] = roles.DEFAULT_WORKER_ROLES) -> WorkerCredentials:
        """A WORKER app with CLIENT_CREDENTIALS, known (or random) credentials, and role assignments
        (role names or IDs from roles.ROLES) scoped to its environment."""
        env_id = self.seed_environment(env_id) if env_id is None or env_id not in self.store.environments \
            else env_id
        env = self.store.environments[env_id]
        if name is None:
            taken = {a.fields.get("name") for a in env.applications.values()}
            name = next(n for i in range(1, len(taken) + 2)
                        if (n := f"{self.config.worker_name}-{i}") not in taken)
        body = {"name": name, "enabled": True, "type": "WORKER", "protocol": "OPENID_CONNECT",
                "grantTypes": grant_types or ["CLIENT_CREDENTIALS"], "tokenEndpointAuthMethod": auth_method}
        for role in role_names:
            roles.role_id(role)  # ValueError before creating anything
        app = self.store.create_application(env_id, body, app_id=client_id, secret=client_secret)
        app.role_assignments = [
            roles.assignment(role, env_id, scope=roles.default_scope(role, env_id, self.organization_id, app.id))
            for role in role_names]
        return WorkerCredentials(env_id, app.id, app.secret, auth_method)

    def issue_token(self, env_id: str, client_id: str) -> str:
        """A management bearer token without going through /as/token (benchmarks, setup)."""
        return self.tokens.mint(env_id, client_id, f"{self.auth_base}/{env_id}/as", self.auth_base)

    # -- reading and drifting applications -----------------------------------------------
    def get_application(self, env_id: str, app_id: str) -> dict[str, Any] | None:
        app = self.store.application(env_id, app_id)
        return app.view(self.api_base) if app else None

    def list_applications(self, env_id: str) -> list[dict[str, Any]]:
        env = self.store.environment(env_id)
        return [a.view(self.api_base) for a in env.applications.values()] if env else []

    def mutate_application(self, env_id: str, app_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Drift: merge `changes` without validation or auth (null removes a field)."""
        return self.store.patch_application(env_id, app_id, changes).view(self.api_base)

    def replace_application(self, env_id: str, app_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Drift: a validated full-replacement PUT, without auth."""
        return self.store.replace_application(env_id, app_id, body).view(self.api_base)

    def delete_application(self, env_id: str, app_id: str) -> bool:
        return self.store.delete_application(env_id, app_id)

    def role_assignments(self, env_id: str, app_id: str) -> list[dict[str, Any]]:
        """The application's role assignments (copies); [] for an unknown application."""
        app = self.store.application(env_id, app_id)
        return copy.deepcopy(app.role_assignments) if app else []

    def grants(self, env_id: str, app_id: str) -> list[dict[str, Any]]:
        """The application's resource grants (copies, no _links); [] for an unknown application."""
        app = self.store.application(env_id, app_id)
        return copy.deepcopy(list(app.grants.values())) if app else []

    def attribute_mappings(self, env_id: str, app_id: str) -> list[dict[str, Any]]:
        app = self.store.application(env_id, app_id)
        return copy.deepcopy(list(app.attributes.values())) if app else []

    def sign_on_policy_assignments(self, env_id: str, app_id: str) -> list[dict[str, Any]]:
        app = self.store.application(env_id, app_id)
        return copy.deepcopy(signon.ordered(app.sign_on_assignments)) if app else []

    # -- resources, scopes, sign-on policies ---------------------------------------------
    def resources(self, env_id: str) -> list[dict[str, Any]]:
        """Every resource of the environment with its `scopes` (copies, no _links)."""
        env = self.store.environment(env_id)
        return [self._resource_dict(r) for r in env.resources.values()] if env else []

    def find_resource(self, env_id: str, name_or_id: str) -> dict[str, Any] | None:
        """A resource by name ("openid", "PingOne API", ...) or ID, with its `scopes`."""
        resource = self._resource(env_id, name_or_id)
        return self._resource_dict(resource) if resource else None

    def seed_resource(self, env_id: str, name: str, scope_names: list[str] | tuple[str, ...] = (), *,
                      audience: str | None = None, access_token_validity_seconds: int | None = None,
                      description: str | None = None) -> dict[str, Any]:
        """A CUSTOM resource with scopes, validated as POST would; raises Refused (refusals.py)."""
        env = self.store.environments[env_id]
        body = {"name": name, "audience": audience, "accessTokenValiditySeconds": access_token_validity_seconds,
                "description": description}
        resource = resources.create(env.resources, env_id, {k: v for k, v in body.items() if v is not None},
                                    self.clock)
        for scope_name in scope_names:
            scopes.create(resource, {"name": scope_name}, self.clock)
        return self._resource_dict(resource)

    def seed_grant(self, env_id: str, app_id: str, resource: str, scope_names_or_ids: list[str]) -> dict[str, Any]:
        """Grant scopes (names or IDs) of a resource (name or ID) to an application, as POST would."""
        app = self.store.application(env_id, app_id)
        found = self._resource(env_id, resource)
        if app is None or found is None:
            raise KeyError(app_id if app is None else resource)
        ids = [s["id"] if (s := scopes.by_name(found, ref)) else ref for ref in scope_names_or_ids]
        body = {"resource": {"id": found.id}, "scopes": [{"id": i} for i in ids]}
        return copy.deepcopy(grants.create(app.grants, app.fields, self.store.environments[env_id].resources, body,
                                           self.clock))

    def sign_on_policies(self, env_id: str) -> list[dict[str, Any]]:
        env = self.store.environment(env_id)
        return copy.deepcopy(list(env.sign_on_policies.values())) if env else []

    def _resource(self, env_id: str, name_or_id: str) -> resources.Resource | None:
        env = self.store.environment(env_id)
        if env is None:
            return None
        return env.resources.get(name_or_id) or env.resource_named(name_or_id)

    def _resource_dict(self, resource: resources.Resource) -> dict[str, Any]:
        return {**resources.view(resource, self.api_base, links=False),
                "scopes": copy.deepcopy(list(resource.scopes.values()))}

    def application_secret(self, env_id: str, app_id: str) -> str | None:
        app = self.store.application(env_id, app_id)
        return app.secret if app else None

    # -- knobs ---------------------------------------------------------------------------
    def set_rate_limit(self, rate: float | None) -> None:
        self.limiter.set_rate(rate)

    def set_faults(self, **changes: Any) -> FaultConfig:
        return self.faults.update(**changes)

    def fail_next(self, count: int = 1, status: int | None = None, method: str = "*", path_regex: str = ".*",
                  body: str | None = None) -> None:
        """See FailRule: `status` defaults to 500, or to 200 with a malformed `body`."""
        self.faults.fail_next(count, status, method, path_regex, body)

    def reset_faults(self) -> None:
        self.faults.reset()

    def advance_clock(self, seconds: float) -> float:
        return self.clock.advance(seconds)

    def set_token_lifetime(self, seconds: int) -> None:
        self.tokens.lifetime = seconds

    def set_filter_mode(self, mode: str) -> None:
        """What the applications list does with `filter`: "honour", "refuse" (400) or "ignore"."""
        if mode not in FILTER_MODES:
            raise ValueError(f"filter mode must be one of {list(FILTER_MODES)}, not {mode!r}")
        self.filter_mode = mode

    def set_page_size(self, size: int) -> None:
        """Applications per list page when the request has no `limit`."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"page size must be a positive integer, not {size!r}")
        self.page_size = size

    # -- request log ---------------------------------------------------------------------
    def requests(self) -> list[dict[str, Any]]:
        return list(self.log.entries)

    def clear_requests(self) -> None:
        self.log.clear()

    def counts(self) -> dict[str, Any]:
        return self.log.counts()

    def describe_faults(self) -> dict[str, Any]:
        return dataclasses.asdict(self.faults.config)
