{{/* Chart name, overridable. */}}
{{- define "pingone-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name alone when it already contains the chart name.
Kept at most 52 characters so suffixed names ("-credentials", "-aggregate-edit") stay valid.
*/}}
{{- define "pingone-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pingone-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pingone-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pingone-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pingone-operator.labels" -}}
helm.sh/chart: {{ include "pingone-operator.chart" . }}
{{ include "pingone-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: pingone-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "pingone-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pingone-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret with the PingOne worker application's credentials. */}}
{{- define "pingone-operator.secretName" -}}
{{- default (printf "%s-credentials" (include "pingone-operator.fullname" .)) .Values.pingone.existingSecret }}
{{- end }}

{{/* The ClusterKopfPeering of the replicas when there are several (one active, the others standby), else empty. */}}
{{- define "pingone-operator.peering" -}}
{{- if gt (int .Values.replicaCount) 1 }}
{{- default (include "pingone-operator.fullname" .) .Values.peering.name }}
{{- end }}
{{- end }}

{{- define "pingone-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Value combinations the schema cannot express; rendered (as nothing) by every manifest that
depends on them, so `helm template`, `helm install` and Argo CD all stop with the same message.
*/}}
{{- define "pingone-operator.validate" -}}
{{- if and .Values.secretAdmissionPolicy.enabled (semverCompare "<1.30.0-0" .Capabilities.KubeVersion.Version) }}
{{- fail "secretAdmissionPolicy.enabled needs Kubernetes 1.30 or later (ValidatingAdmissionPolicy v1); on older clusters set it to false and read docs/install.md" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled=true (the ServiceMonitor scrapes the metrics Service)" }}
{{- end }}
{{- if and .Values.metrics.prometheusRule.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.prometheusRule.enabled needs metrics.enabled=true (its alerts read the operator's metrics)" }}
{{- end }}
{{- if and .Values.metrics.grafanaDashboard.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.grafanaDashboard.enabled needs metrics.enabled=true (the dashboard shows the operator's metrics)" }}
{{- end }}
{{- if .Values.pingone.createSecret }}
{{- if .Values.pingone.existingSecret }}
{{- fail "pingone.createSecret and pingone.existingSecret exclude each other: the chart creates <fullname>-credentials" }}
{{- end }}
{{- if not (and .Values.pingone.clientId .Values.pingone.clientSecret) }}
{{- fail "pingone.createSecret=true needs pingone.clientId and pingone.clientSecret" }}
{{- end }}
{{- if not .Values.pingone.environmentId }}
{{- fail "pingone.createSecret=true needs pingone.environmentId" }}
{{- end }}
{{- else if or .Values.pingone.clientId .Values.pingone.clientSecret }}
{{- fail "pingone.clientId/pingone.clientSecret are only read with pingone.createSecret=true; put them in the Secret named by pingone.existingSecret instead" }}
{{- end }}
{{- end }}
