"""PingOneConnection: a cluster-scoped, shareable way in to PingOne, and who may use it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import CONDITIONS, URI, Condition, _cel


class SecretKeyRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=253, description="A Secret in the operator's namespace.")
    clientIdKey: str = Field("client-id", description="The key holding the worker app's client id.")
    clientSecretKey: str = Field("client-secret", description="The key holding the worker app's client secret.")


class NamespaceSelector(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matchLabels: dict[str, str] | None = Field(None, description="Namespaces with all of these labels may use it.")


class AdoptionPolicy(BaseModel):
    """Who may take over applications that exist in PingOne already (off unless listed here)."""

    model_config = ConfigDict(extra="forbid")
    allowedNamespaces: list[Annotated[str, Field(max_length=63)]] | None = Field(
        None, max_length=1000, description="Namespaces whose PingOneApplications may set adoptApplicationId."
    )
    namespaceSelector: NamespaceSelector | None = Field(
        None, description="Namespaces (by label) whose PingOneApplications may set adoptApplicationId."
    )
    applicationIds: list[Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{36}$")]] | None = Field(
        None, max_length=1000,
        description="Only these applications may be adopted. Default: any, except the connection's own worker application (never).",
    )


class PingOneConnectionSpec(BaseModel):
    """A PingOne worker application's credentials, and who may use them for what."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=_cel((
            "has(self.allowedNamespaces) || has(self.namespaceSelector)",
            "say which namespaces may use the connection: allowedNamespaces or namespaceSelector",
        )),
    )
    region: Literal["com", "eu", "ca", "com.au", "sg", "asia"] = Field(
        "com", description="PingOne region; picks api.pingone.<region> and auth.pingone.<region>."
    )
    apiUrl: URI | None = Field(None, pattern=r"^https?://", description="Override of the management API base URL.")
    authUrl: URI | None = Field(None, pattern=r"^https?://", description="Override of the auth base URL.")
    environmentId: str = Field(pattern=r"^[0-9a-fA-F-]{36}$", description="The worker application's environment.")
    credentialsSecret: SecretKeyRef = Field(description="Where the worker application's credentials are.")
    tokenAuthMethod: Literal["CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "CLIENT_SECRET_JWT"] = Field(
        "CLIENT_SECRET_JWT", description="How the operator signs in with these credentials. Default CLIENT_SECRET_JWT."
    )
    allowedEnvironments: list[Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{36}$")]] | None = Field(
        None, max_length=100, description="Environments applications may live in. Default: only environmentId."
    )
    allowedNamespaces: list[Annotated[str, Field(max_length=63)]] | None = Field(
        None, max_length=1000, description="Namespaces whose PingOneApplications may use this connection."
    )
    namespaceSelector: NamespaceSelector | None = Field(
        None, description="Namespaces (by label) whose PingOneApplications may use this connection."
    )
    requestsPerSecond: float = Field(
        20, gt=0, le=100, description="Client-side pacing of this connection's PingOne calls. Default 20."
    )
    allowedRoles: list[Annotated[str, Field(min_length=1, max_length=256)]] | None = Field(
        None, max_length=100,
        description="PingOne roles (by name) that WORKER applications may be given through this connection. Default: none.",
    )
    adoption: AdoptionPolicy | None = Field(
        None,
        description="Which namespaces may adopt existing PingOne applications through this connection. Default: none.",
    )

    def environments(self) -> list[str]:
        return self.allowedEnvironments or [self.environmentId]


class PingOneConnectionStatus(BaseModel):
    conditions: list[Condition] | None = Field(
        None, max_length=8, description="Ready: the credentials sign in to PingOne.", json_schema_extra=CONDITIONS)
