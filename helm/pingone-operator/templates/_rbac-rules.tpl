{{/*
Rules on cluster-scoped objects; in the ClusterRole in both modes.
*/}}
{{- define "pingone-operator.rules.cluster" -}}
# kopf: notice the CRDs being installed, upgraded or re-created while the operator runs (the API
# resources themselves are read at start-up through discovery, which needs no grant).
- apiGroups: ["apiextensions.k8s.io"]
  resources: ["customresourcedefinitions"]
  verbs: ["list", "watch"]
# kopf: PingOneConnections (cluster-scoped) are watched and indexed; PATCH for kopf's annotations.
- apiGroups: ["pingone-operator.dev"]
  resources: ["pingoneconnections"]
  verbs: ["list", "watch", "patch"]
# The operator: a connection's Ready condition.
- apiGroups: ["pingone-operator.dev"]
  resources: ["pingoneconnections/status"]
  verbs: ["patch"]
# The operator: a namespace's labels, read by name, to check a connection's namespace selector.
# Namespaced mode adds list+watch: kopf lists and watches namespaces whenever it is not
# cluster-wide (not only for globs); without them every start stalls for about a minute (nine
# retried 403s) before the first PingOneApplication is handled.
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: {{ if empty .Values.watchNamespaces }}["get"]{{ else }}["get", "list", "watch"]{{ end }}
{{- with include "pingone-operator.peering" . }}
# kopf peering (replicaCount > 1): watch the replicas' keep-alives; write only this release's.
- apiGroups: ["kopf.dev"]
  resources: ["clusterkopfpeerings"]
  verbs: ["list", "watch"]
- apiGroups: ["kopf.dev"]
  resources: ["clusterkopfpeerings"]
  resourceNames: [{{ . | quote }}]
  verbs: ["patch"]
{{- end }}
{{- end }}

{{/*
Rules on namespaced objects; in a ClusterRole (all namespaces) or in one Role per watched namespace.
*/}}
{{- define "pingone-operator.rules.namespaced" -}}
# kopf: list+watch the resources it handles; PATCH for its finalizer and progress annotations.
- apiGroups: ["pingone-operator.dev"]
  resources: ["pingoneapplications", "pingoneresources"]
  verbs: ["list", "watch", "patch"]
# kopf and the operator: status (conditions, applicationId, resourceId) through the subresource.
- apiGroups: ["pingone-operator.dev"]
  resources: ["pingoneapplications/status", "pingoneresources/status"]
  verbs: ["patch"]
# OwnerReferencesPermissionEnforcement: the Secret's ownerReference to its PingOneApplication sets
# blockOwnerDeletion, which needs update on the owner's finalizers. Nothing is updated through it.
# (PingOneResources own no Secret: kopf's finalizer on them is a PATCH, granted above.)
- apiGroups: ["pingone-operator.dev"]
  resources: ["pingoneapplications/finalizers"]
  verbs: ["update"]
# kopf posts core v1 Events (kopf.event/info/warn and its own handler failures).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# The operator: the application's credentials Secret, by name only (read, create, patch). delete
# is never used: OwnerReferencesPermissionEnforcement wants it to change a Secret's
# ownerReferences (a re-created PingOneApplication taking over its Secret). Writes and deletes are
# limited to the operator's labelled Secrets by the chart's ValidatingAdmissionPolicy.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create", "patch", "delete"]
{{- end }}

{{/*
Namespaced mode only: the operator's own namespace, where it may not be watching.
*/}}
{{- define "pingone-operator.rules.operatorNamespace" -}}
# The operator: a PingOneConnection's credentials Secret, read by name from this namespace.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
# kopf posts the Events of cluster-scoped objects (PingOneConnections) in the operator's namespace.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}
