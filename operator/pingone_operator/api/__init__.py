"""The resources' schema: pydantic models (the one place a field is defined) and the CRDs made
from them (api/crd.py)."""

from .common import (  # noqa: F401
    URI_CHARS, URI, LISTED_URI, NAME, TOKEN, HTTPS_URL, ORIGIN, MAX_URIS, MAX_POST_LOGOUT_URIS, ASCII_TEXT,
    MAX_JWKS, PINGONE_ID, MOBILE_ID, INT32_MAX, StrEnum, Condition,
)
from .application import (  # noqa: F401
    ApplicationType, GrantType, ResponseType, TokenEndpointAuthMethod, PkceEnforcement, ParRequirement,
    RefreshTokenType, DeletionPolicy, ManagementPolicy, Icon, AccessControlRole, GroupRef, AccessControlGroup,
    AccessControl, CorsSettings, KeyRotationPolicyRef, Signing, KeyRef, Kerberos, PasscodeRefreshDuration,
    CacheDuration, GooglePlay, IntegrityDetection, NumberMatching, Push, Mobile, ApplicationSettings,
)
from .operator_fields import (  # noqa: F401
    SecretRotation, Grant, AttributeMapping, RoleScope, RoleAssignmentSpec, ExclusiveLists, SECRET_VARIABLES,
    SECRET_KEY, RESERVED_LABELS, LABEL_KEY, LABEL_VALUE, SecretTemplate, ConnectionRef,
)
from .application_resource import (  # noqa: F401
    OPERATOR_FIELDS, SPEC_RULES, RESOURCE_RULES, PingOneApplicationSpec, PendingCreate, SecretRotationStatus,
    ManagedEntries, PingOneApplicationStatus, secret_name_for,
)
from .connection import (  # noqa: F401
    SecretKeyRef, NamespaceSelector, AdoptionPolicy, PingOneConnectionSpec, PingOneConnectionStatus,
)
