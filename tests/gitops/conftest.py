"""The gitops tests that need the operator use the e2e fixtures (simulator, operator, namespaces)."""

from tests.e2e.conftest import (  # noqa: F401 - fixtures are found by name
    admin,
    crd,
    kube,
    operator,
    operator_factory,
    simulator,
    simulator_factory,
    start_operator,
)
