{{/* The release's object names: the release name, with "-usher" unless the release name has it. */}}
{{- define "usher.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "usher.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "usher.labels" -}}
{{ include "usher.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "usher.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "usher.proxyImage" -}}
{{- printf "%s:%s" .Values.proxyImage.repository (.Values.proxyImage.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/*
Relations between values that values.schema.json cannot state with a clear message.
*/}}
{{- define "usher.checks" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) -}}
{{- fail "replicaCount > 1 needs leaderElection.enabled=true: without the Lease every replica would reconcile the same ProxiedApps" -}}
{{- end -}}
{{- if and .Values.podDisruptionBudget.enabled (lt (int .Values.replicaCount) 2) -}}
{{- fail "podDisruptionBudget.enabled needs replicaCount >= 2: with a single replica the budget would block every node drain" -}}
{{- end -}}
{{- if and .Values.podDisruptionBudget.enabled (ge (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) -}}
{{- fail "podDisruptionBudget.minAvailable must be less than replicaCount, or no operator pod could ever be evicted" -}}
{{- end -}}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) -}}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled=true: the ServiceMonitor scrapes through that Service" -}}
{{- end -}}
{{- end -}}

{{/*
What the operator does in each namespace it watches, verb by verb (operator/src/main/java/dev/usher/operator):
- the owned objects (one dependent class each): list/watch by its informers; get when a create finds
  the name taken (NameInUse); create and update, or with server-side apply patch for both, except
  ConfigMaps, which JOSDK writes without server-side apply (ConfigurationService.defaultNonSSAResources);
- EndpointSlices: list/watch to count upstreams; get too, because the proxy Role it creates grants
  get/list/watch on them and RBAC lets a subject grant only what it holds;
- ProxiedApps: list/watch; status written with a patch; update on finalizers because owner references
  set blockOwnerDeletion (checked where the OwnerReferencesPermissionEnforcement plugin runs);
- Events: create;
- the autoscaler (spec.autoscaling): update on proxiedapps/scale, as an HPA writes it; HorizontalPodAutoscalers:
  list/watch, to refuse autoscaling an app that one already scales. It reads the proxies' addresses from
  the EndpointSlices above and their load from their admin ports, which needs no RBAC.
ChartRbacTest checks these rules against every request of a recorded run of the operator.
*/}}
{{- define "usher.rules" -}}
{{- /* An apply is a PATCH, and an apply that creates the object also needs create. */ -}}
{{- $owned := list "get" "list" "watch" "create" -}}
{{- if .Values.serverSideApply -}}
{{- $owned = append $owned "patch" -}}
{{- else -}}
{{- $owned = append $owned "update" -}}
{{- end -}}
- apiGroups: [usher.dev]
  resources: [proxiedapps]
  verbs: [list, watch]
- apiGroups: [usher.dev]
  resources: [proxiedapps/status]
  verbs: [patch]
- apiGroups: [usher.dev]
  resources: [proxiedapps/finalizers]
  verbs: [update]
- apiGroups: [usher.dev]
  resources: [proxiedapps/scale]
  verbs: [update]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [list, watch]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [{{ join ", " $owned }}]
- apiGroups: [""]
  resources: [services, serviceaccounts]
  verbs: [{{ join ", " $owned }}]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [{{ join ", " $owned }}]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- end -}}
