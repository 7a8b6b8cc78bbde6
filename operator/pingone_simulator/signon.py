"""Sign-on policies of an environment and their assignments to applications (OpenAPI
`SignOnPolicy`, `SignOnPolicyAssignment`).

Sources: OpenAPI (policy name required, unique in the environment, `^[a-zA-Z0-9_. -]+$` or an
absolute URI when it contains ':'; `default` "can only be set to true", which unsets it on every
other policy; assignment `priority` >= 1 and `signOnPolicy.id` required). Ping docs,
"Application Sign-On Policy Assignments": every environment has one default policy, and names
`Single_Factor` (username and password). `Multi_Factor` as a second seeded policy, one assignment
per policy per application, and refusing to delete the default policy are inferred [I]; equal
priorities are accepted (nothing documents a rule) and listed in creation order [I].
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .clock import Clock
from .refusals import invalid, new_id, reference_id, refused_request, require_object, require_string, restamp, stamp

SEEDED = (("Single_Factor", "Username and password.", True),
          ("Multi_Factor", "Username and password, then a second factor.", False))
_NAME = re.compile(r"^[a-zA-Z0-9_. -]+$")
_ABSOLUTE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")  # RFC 3986 scheme ":" and more


def seed(policies: dict[str, dict[str, Any]], env_id: str, clock: Clock) -> None:
    now = stamp(clock)
    for name, description, default in SEEDED:
        policy = {"id": new_id(), "environment": {"id": env_id}, "name": name, "description": description,
                  "default": default, "createdAt": now, "updatedAt": now}
        policies[policy["id"]] = policy


def create(policies: dict[str, dict[str, Any]], env_id: str, body: Any, clock: Clock) -> dict[str, Any]:
    fields, make_default = _writable(policies, require_object(body), None)
    now = stamp(clock)
    policy = {"id": new_id(), "environment": {"id": env_id}, **fields, "default": False,
              "createdAt": now, "updatedAt": now}
    policies[policy["id"]] = policy
    if make_default:
        _make_default(policies, policy)
    return policy


def replace(policies: dict[str, dict[str, Any]], policy: dict[str, Any], body: Any, clock: Clock) -> dict[str, Any]:
    fields, make_default = _writable(policies, require_object(body), policy["id"])
    keep = {k: policy[k] for k in ("id", "environment", "default", "createdAt")}
    previous = policy["updatedAt"]
    policy.clear()
    policy.update({**keep, **fields, "updatedAt": restamp(previous, clock)})
    if make_default:
        _make_default(policies, policy)
    return policy


def check_deletable(policy: dict[str, Any]) -> None:
    if policy["default"]:
        raise refused_request("The environment's default sign-on policy cannot be deleted.")


def policy_view(policy: dict[str, Any], api_base: str) -> dict[str, Any]:
    env = policy["environment"]["id"]
    links = {"self": {"href": f"{api_base}/environments/{env}/signOnPolicies/{policy['id']}"},
             "environment": {"href": f"{api_base}/environments/{env}"}}
    return {"_links": links, **copy.deepcopy(policy)}


def assign(assignments: dict[str, dict[str, Any]], policies: dict[str, dict[str, Any]], env_id: str, app_id: str,
           body: Any) -> dict[str, Any]:
    policy_id, priority = _assignment_fields(assignments, policies, require_object(body), None)
    item = {"id": new_id(), "environment": {"id": env_id}, "application": {"id": app_id},
            "signOnPolicy": {"id": policy_id}, "priority": priority}
    assignments[item["id"]] = item
    return item


def reassign(assignments: dict[str, dict[str, Any]], policies: dict[str, dict[str, Any]], item: dict[str, Any],
             body: Any) -> dict[str, Any]:
    policy_id, priority = _assignment_fields(assignments, policies, require_object(body), item["id"])
    item.update(signOnPolicy={"id": policy_id}, priority=priority)
    return item


def ordered(assignments: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(assignments.values(), key=lambda a: a["priority"])  # stable: ties keep creation order


def assignment_view(item: dict[str, Any], api_base: str) -> dict[str, Any]:
    env, app = item["environment"]["id"], item["application"]["id"]
    app_href = f"{api_base}/environments/{env}/applications/{app}"
    links = {"self": {"href": f"{app_href}/signOnPolicyAssignments/{item['id']}"}, "application": {"href": app_href},
             "signOnPolicy": {"href": f"{api_base}/environments/{env}/signOnPolicies/{item['signOnPolicy']['id']}"},
             "environment": {"href": f"{api_base}/environments/{env}"}}
    return {"_links": links, **copy.deepcopy(item)}


def _writable(policies: dict[str, dict[str, Any]], body: dict[str, Any],
              own_id: str | None) -> tuple[dict[str, Any], bool]:
    name = require_string(body, "name")
    if not (_NAME.match(name) or _ABSOLUTE_URI.match(name)):
        raise invalid("INVALID_VALUE", "name",
                      "name may contain letters, digits, '_', '.', '-' and spaces, or be an absolute URI.")
    if any(p["name"] == name and p["id"] != own_id for p in policies.values()):
        raise invalid("UNIQUENESS_VIOLATION", "name", f"A sign-on policy named '{name}' already exists.")
    fields: dict[str, Any] = {"name": name}
    description = require_string(body, "description", required=False)
    if description is not None:
        fields["description"] = description
    default = body.get("default")
    if default is not None and not isinstance(default, bool):
        raise invalid("INVALID_VALUE", "default", "default must be a boolean.")
    return fields, default is True  # `default: false` changes nothing: it "can only be set to true"


def _make_default(policies: dict[str, dict[str, Any]], chosen: dict[str, Any]) -> None:
    for policy in policies.values():
        policy["default"] = policy is chosen


def _assignment_fields(assignments: dict[str, dict[str, Any]], policies: dict[str, dict[str, Any]],
                       body: dict[str, Any], own_id: str | None) -> tuple[str, int]:
    policy_id = reference_id(body, "signOnPolicy")
    if policy_id not in policies:
        raise invalid("INVALID_VALUE", "signOnPolicy.id", "The sign-on policy does not exist in this environment.")
    priority = body.get("priority")
    if priority is None:
        raise invalid("REQUIRED_VALUE", "priority", "priority is required.")
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
        raise invalid("INVALID_VALUE", "priority", "priority must be an integer of at least 1.")
    if any(a["signOnPolicy"]["id"] == policy_id and a["id"] != own_id for a in assignments.values()):
        raise invalid("UNIQUENESS_VIOLATION", "signOnPolicy.id", "The sign-on policy is already assigned.")
    return policy_id, priority
