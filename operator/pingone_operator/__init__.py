"""pingone-operator: PingOne OIDC applications and API resources managed as Kubernetes resources."""

__version__ = "0.1.0"

GROUP = "pingone-operator.dev"
VERSION = "v1alpha1"
KIND = "PingOneApplication"
PLURAL = "pingoneapplications"
SINGULAR = "pingoneapplication"
SHORT_NAMES = ["p1app"]
CATEGORIES = ["pingone"]
# The second kind: a custom API resource (PingOne's "resource") and its scopes.
RESOURCE_KIND = "PingOneResource"
RESOURCE_PLURAL = "pingoneresources"
RESOURCE_SHORT_NAMES = ["p1res"]
