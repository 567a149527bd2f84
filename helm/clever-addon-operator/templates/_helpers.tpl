{{- define "cao.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cao.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "cao.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cao.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cao.labels" -}}
{{ include "cao.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: clever-addon-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "cao.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cao.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "cao.credentialsSecret" -}}
{{- if .Values.credentials.existingSecret -}}
{{- .Values.credentials.existingSecret -}}
{{- else if .Values.credentials.create -}}
{{- printf "%s-credentials" (include "cao.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
A memory quantity (resources.limits.memory: 512Mi, 1Gi, 0.5Gi, 500M, 536870912) in MiB, rounded down. Fails on a
unit Kubernetes would not accept, rather than guessing a heap size.
*/}}
{{- define "cao.memoryMiB" -}}
{{- $q := toString . -}}
{{- $unit := regexFind "[A-Za-z]+$" $q -}}
{{- $number := trimSuffix $unit $q | float64 -}}
{{- $bytes := dict "" 1 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 -}}
{{- if not (hasKey $bytes $unit) -}}
{{- fail (printf "resources.limits.memory %q: unknown unit %q (use Mi or Gi)" $q $unit) -}}
{{- end -}}
{{- divf (mulf $number (get $bytes $unit)) 1048576 | floor | int -}}
{{- end -}}

{{/* The Node heap cap in MiB: nodeHeapPercent of the container's memory limit; empty without a limit. */}}
{{- define "cao.heapMiB" -}}
{{- with .Values.resources.limits -}}
{{- with .memory -}}
{{- $mib := include "cao.memoryMiB" . | int -}}
{{- if lt $mib 128 -}}
{{- fail (printf "resources.limits.memory %v is %d MiB: too small for the operator (docs/benchmarks.md: 253 MiB peak with 100 add-ons)" . $mib) -}}
{{- end -}}
{{- divf (mulf $mib $.Values.nodeHeapPercent) 100 | floor | int -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "cao.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The rules the operator needs, derived from the code (src/kube, src/reconcile, src/operator/manager.ts); the RBAC
test runs the operator with exactly these and checks the list. Namespaced: granted cluster-wide by a ClusterRole,
or per watched namespace by a Role.
*/}}
{{- define "cao.namespacedRules" -}}
{{- $plurals := splitList "," (include "cao.plurals" .) -}}
# Add-on resources: informers (list, watch), re-reads (get), finalizer and create-intent patches (patch).
- apiGroups: [api.clever-cloud.com]
  resources:
  {{- range $plurals }}
    - {{ . }}
  {{- end }}
  verbs: [get, list, watch, patch]
# Conditions and the rest of status are merge-patched on the status subresource.
- apiGroups: [api.clever-cloud.com]
  resources:
  {{- range $plurals }}
    - {{ . }}/status
  {{- end }}
  verbs: [patch]
# The connection Secret's ownerReference sets blockOwnerDeletion, which the OwnerReferencesPermissionEnforcement
# admission plugin (OpenShift enables it) allows only with update on the owner's finalizers subresource.
- apiGroups: [api.clever-cloud.com]
  resources:
  {{- range $plurals }}
    - {{ . }}/finalizers
  {{- end }}
  verbs: [update]
# Secrets: the operator watches only Secrets labelled app.kubernetes.io/managed-by=clever-addon-operator, but RBAC
# cannot restrict list/watch by label, so list/watch cover every Secret of the namespace. get reads credentials
# Secrets (spec.credentialsRef, the namespace's clever-kubernetes-operator Secret); patch is server-side apply of
# connection Secrets, and an apply that creates the Secret is authorized as create too; delete removes a
# connection Secret with its resource.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, patch, delete]
# Events on the resources (create; patch bumps the count of a repeated one).
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- if .Values.rbac.workloadRollouts }}
# spec.secret.rolloutRestart (opt-in, rbac.workloadRollouts): get reads the pod template's current hash annotation
# so an unchanged Secret restarts nothing; patch sets the Secret's hash as a pod-template annotation (server-side
# apply, its own field manager). RBAC cannot narrow this to the listed workloads, hence off by default.
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets]
  verbs: [get, patch]
# The same for a Paperclip Instance: the hash goes into its spec.podAnnotations.
- apiGroups: [paperclip.inc]
  resources: [instances]
  verbs: [get, patch]
{{- end }}
{{- if .Values.rbac.backups }}
# spec.backup (opt-in, rbac.backups): a CronJob per resource, read (get), server-side applied (create, patch) and
# removed with spec.backup or the resource (delete); the backup controller watches them (list, watch, label-selected)
# so that a change queues its resource.
- apiGroups: [batch]
  resources: [cronjobs]
  verbs: [get, list, watch, create, patch, delete]
# Backup runs and spec.restoreFrom's one-off Jobs: their completion is watched (list, watch) and read (get), a
# restore Job is server-side applied (create, patch). delete: no code path deletes a Job today (a CronJob's runs go
# with it by garbage collection); see docs/rbac.md.
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, patch, delete]
{{- end }}
{{- end -}}

{{/* The plural of every CRD shipped in crds/ (copied from the repository's crds/ by `npm run manifests`). */}}
{{- define "cao.plurals" -}}
{{- $plurals := list -}}
{{- range $path, $_ := .Files.Glob "crds/*.yaml" -}}
{{- $crd := $.Files.Get $path | fromYaml -}}
{{- if eq $crd.spec.group "api.clever-cloud.com" -}}
{{- $plurals = append $plurals $crd.spec.names.plural -}}
{{- end -}}
{{- end -}}
{{- join "," $plurals -}}
{{- end -}}
