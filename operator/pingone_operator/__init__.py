"""pingone-operator: PingOne OIDC applications managed as Kubernetes resources."""

__version__ = "0.1.0"

GROUP = "pingone-operator.dev"
VERSION = "v1alpha1"
KIND = "PingOneApplication"
PLURAL = "pingoneapplications"
SINGULAR = "pingoneapplication"
SHORT_NAMES = ["p1app"]
CATEGORIES = ["pingone"]
