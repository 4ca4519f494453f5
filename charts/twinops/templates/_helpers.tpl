{{- define "twinops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "twinops.fullname" -}}
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

{{/* The namespace of every namespaced object: namespaceOverride, else the release's. */}}
{{- define "twinops.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{/* The labels of every object the chart renders. */}}
{{- define "twinops.labels" -}}
{{- include "twinops.labelsWith" (dict "context" . "extra" dict) -}}
{{- end -}}

{{/*
The labels of an object with labels of its own (`extra`, e.g. serviceMonitor.labels): those win
over commonLabels, and the chart's own labels win over both (its selectors rely on them).
*/}}
{{- define "twinops.labelsWith" -}}
{{- $ctx := .context -}}
{{- $own := include "twinops.selectorLabels" $ctx | fromYaml -}}
{{- $_ := set $own "helm.sh/chart" (printf "%s-%s" $ctx.Chart.Name $ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-") -}}
{{- $_ := set $own "app.kubernetes.io/version" $ctx.Chart.AppVersion -}}
{{- $_ := set $own "app.kubernetes.io/managed-by" $ctx.Release.Service -}}
{{- $_ := set $own "app.kubernetes.io/part-of" "twinops" -}}
{{- toYaml (merge $own (deepCopy (.extra | default dict)) (deepCopy ($ctx.Values.commonLabels | default dict))) -}}
{{- end -}}

{{/* The labels the Deployment and the Service select the Pods by: never commonLabels. */}}
{{- define "twinops.selectorLabels" -}}
{{- toYaml (dict "app.kubernetes.io/name" (include "twinops.name" .) "app.kubernetes.io/instance" .Release.Name "app.kubernetes.io/component" "exporter") -}}
{{- end -}}

{{/* The Pods' labels: the selector's, then podLabels, then commonLabels. */}}
{{- define "twinops.podLabels" -}}
{{- $own := include "twinops.selectorLabels" . | fromYaml -}}
{{- toYaml (merge $own (deepCopy (.Values.podLabels | default dict)) (deepCopy (.Values.commonLabels | default dict))) -}}
{{- end -}}

{{- define "twinops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "twinops.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The exporter's image reference, `<registry>/<repository>:<tag>` or `<registry>/<repository>@<digest>`:
the registry is global.imageRegistry (a parent chart's) when set, else image.registry (none when
both are empty); the tag is the chart's appVersion unless image.tag is set; a digest wins over any
tag.
*/}}
{{- define "twinops.image" -}}
{{- $image := .Values.image -}}
{{- $registry := default $image.registry (dig "imageRegistry" "" (.Values.global | default dict)) -}}
{{- $repository := $image.repository -}}
{{- if $registry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" $registry) $repository -}}
{{- end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
imagePullSecrets of the Pod: global.imagePullSecrets (a parent chart's), then imagePullSecrets, each
`{name: …}` or a bare name as bitnami and prometheus-community charts accept; a name given twice
is listed once.
*/}}
{{- define "twinops.imagePullSecrets" -}}
{{- $names := list -}}
{{- range concat (dig "imagePullSecrets" list (.Values.global | default dict)) (.Values.imagePullSecrets | default list) -}}
{{- if kindIs "map" . -}}
{{- $names = append $names .name -}}
{{- else -}}
{{- $names = append $names . -}}
{{- end -}}
{{- end -}}
{{- $secrets := list -}}
{{- range uniq $names -}}
{{- $secrets = append $secrets (dict "name" .) -}}
{{- end -}}
{{- with $secrets -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}

{{/* The `job` label of the scraped series, as the ServiceMonitor sets it (see serviceMonitor.*). */}}
{{- define "twinops.scrapeJob" -}}
{{- $sm := .Values.serviceMonitor -}}
{{- if $sm.jobName -}}
{{- $sm.jobName -}}
{{- else if $sm.jobLabel -}}
{{- index (include "twinops.labels" . | fromYaml) $sm.jobLabel | default (include "twinops.fullname" .) -}}
{{- else -}}
{{- include "twinops.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* Where the SQLite store lives inside the container (a PVC or an emptyDir). */}}
{{- define "twinops.dataDir" -}}/var/lib/twinops{{- end -}}

{{/* Where the ConfigMap's config.yaml is mounted. */}}
{{- define "twinops.configDir" -}}/etc/twinops{{- end -}}

{{/* The Secret holding the API tokens and the proxy secret: the user's, or the chart's own. */}}
{{- define "twinops.authSecretName" -}}
{{- if .Values.commands.auth.existingSecret -}}
{{- .Values.commands.auth.existingSecret -}}
{{- else -}}
{{- printf "%s-auth" (include "twinops.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* True (non-empty) when the chart creates the auth Secret. */}}
{{- define "twinops.createAuthSecret" -}}
{{- if and .Values.commands.enabled (not .Values.commands.auth.existingSecret) (or .Values.commands.auth.tokens .Values.commands.auth.proxySecret) -}}
true
{{- end -}}
{{- end -}}

{{/* The Kafka consumer group mode is on. */}}
{{- define "twinops.kafkaMode" -}}
{{- if eq .Values.mode "kafka" -}}true{{- end -}}
{{- end -}}

{{/*
The exporter talks to Kafka: it consumes telemetry (kafka mode) or sends commands to devices over
it. Only then do kafka.tls and kafka.sasl mean anything.
*/}}
{{- define "twinops.usesKafka" -}}
{{- if or (eq .Values.mode "kafka") (and .Values.commands.enabled (eq (dig "commands" "devices" "" (.Values.config | default dict)) "kafka")) -}}true{{- end -}}
{{- end -}}

{{/*
Where the Kafka TLS Secret is mounted. Not under the read-only config mount at /etc/twinops: the
container runtime could not create a mount point inside it.
*/}}
{{- define "twinops.kafkaTlsDir" -}}/etc/twinops-kafka-tls{{- end -}}

{{/* Where the OTLP ingest TLS Secret is mounted (HTTPS on the OTLP port when set). */}}
{{- define "twinops.ingestTlsDir" -}}/etc/twinops-ingest-tls{{- end -}}

{{/* The Kafka TLS Secret's files are mounted (TLS on, with a Secret). */}}
{{- define "twinops.mountKafkaTls" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.existingSecret -}}true{{- end -}}
{{- end -}}

{{/* Replicas actually run: one in embedded mode. */}}
{{- define "twinops.replicas" -}}
{{- if eq .Values.mode "kafka" -}}{{ .Values.replicaCount }}{{- else -}}1{{- end -}}
{{- end -}}

{{/*
Refuses combinations of values that cannot work, each with the reason and the way out. Included by
the Deployment, so `helm template`, `helm lint` and `helm install` all stop on them.
*/}}
{{- define "twinops.validate" -}}
{{- $v := .Values -}}
{{- if and (ne $v.mode "kafka") (ne (int $v.replicaCount) 1) -}}
{{- fail (printf "replicaCount: %v, but mode is embedded, which runs exactly one replica (its twin state and SQLite store belong to one process); set mode: kafka to scale out" $v.replicaCount) -}}
{{- end -}}
{{- if and $v.commands.enabled (gt (int (include "twinops.replicas" .)) 1) -}}
{{- fail "commands.enabled needs a single replica: the kill switch, conflict and rate-limit guards and the audit chain live in one process's ledger, and command acks are split across a consumer group; run commands with replicaCount: 1" -}}
{{- end -}}
{{- range $setting := list "tls" "sasl" -}}
{{- if and (index $v.kafka $setting).enabled (not (include "twinops.usesKafka" $)) -}}
{{- fail (printf "kafka.%s.enabled, but this release does not talk to Kafka: mode is embedded and commands do not go to devices over Kafka (commands.enabled with config.commands.devices: kafka); set kafka.%s.enabled: false, or mode: kafka" $setting $setting) -}}
{{- end -}}
{{- end -}}
{{- if and $v.commands.auth.existingSecret (or $v.commands.auth.tokens $v.commands.auth.proxySecret) -}}
{{- fail "commands.auth: set either existingSecret or tokens/proxySecret, not both" -}}
{{- end -}}
{{- $registry := default $v.image.registry (dig "imageRegistry" "" ($v.global | default dict)) -}}
{{- $host := first (splitList "/" $v.image.repository) -}}
{{- if and $registry (contains "/" $v.image.repository) (or (contains "." $host) (contains ":" $host) (eq $host "localhost")) -}}
{{- fail (printf "image.repository %q begins with a registry host, and the registry is image.registry (or global.imageRegistry) since chart 0.3.0: this would pull %s; set image.repository to the path alone (%s), or keep the whole reference in image.repository with image.registry: \"\" and no global.imageRegistry" $v.image.repository (include "twinops.image" .) (rest (splitList "/" $v.image.repository) | join "/")) -}}
{{- end -}}
{{- range $v.extraArgs -}}
{{- if regexMatch "^--config(=|$)" . -}}
{{- fail (printf "extraArgs: %q, but the chart passes --config itself (the ConfigMap's config.yaml, rendered from config): put the exporter's settings in config" .) -}}
{{- end -}}
{{- if regexMatch "^(--(check|help|version)(=|$)|-[hv]$)" . -}}
{{- fail (printf "extraArgs: %q makes the exporter exit instead of serving; run it with kubectl run or locally" .) -}}
{{- end -}}
{{- end -}}
{{- /* The chart's own volumes and mount paths (each of them, whether rendered or not). */ -}}
{{- $volumes := list "config" "data" "tmp" "kafka-tls" "ingest-tls" -}}
{{- $paths := list (include "twinops.configDir" .) (include "twinops.dataDir" .) "/tmp" (include "twinops.kafkaTlsDir" .) (include "twinops.ingestTlsDir" .) -}}
{{- range $v.extraVolumes -}}
{{- if has .name $volumes -}}
{{- fail (printf "extraVolumes: the name %q is taken (the chart's volumes: %s, and extraVolumes named before it); give it another name" .name (join ", " $volumes)) -}}
{{- end -}}
{{- $volumes = append $volumes .name -}}
{{- end -}}
{{- range $v.extraVolumeMounts -}}
{{- if not (has .name $volumes) -}}
{{- fail (printf "extraVolumeMounts: %q names no volume (the chart's, or one of extraVolumes)" .name) -}}
{{- end -}}
{{- if has (trimSuffix "/" .mountPath) $paths -}}
{{- fail (printf "extraVolumeMounts: %s is already a mount point (the chart mounts %s)" .mountPath (join ", " $paths)) -}}
{{- end -}}
{{- $paths = append $paths (trimSuffix "/" .mountPath) -}}
{{- end -}}
{{- with $v.serviceMonitor -}}
{{- if and .jobLabel .jobName -}}
{{- fail (printf "serviceMonitor.jobLabel %q and serviceMonitor.jobName %q both set the job: jobName's relabeling would replace what jobLabel takes from the Service; set jobName: \"\" to take the job from the Service's label" .jobLabel .jobName) -}}
{{- end -}}
{{- if and .jobLabel (not (hasKey (include "twinops.labels" $ | fromYaml) .jobLabel)) -}}
{{- fail (printf "serviceMonitor.jobLabel: the Service has no label %q (add it with commonLabels)" .jobLabel) -}}
{{- end -}}
{{- end -}}
{{- $c := $v.config | default dict -}}
{{- $managed := list
  (list (hasKey $c "server") "config.server (set by ports.*)")
  (list (hasKey (dig "ingest" "kafka" dict $c) "enabled") "config.ingest.kafka.enabled (set by mode)")
  (list (hasKey (dig "ingest" "kafka" dict $c) "brokers") "config.ingest.kafka.brokers (set by kafka.brokers)")
  (list (hasKey (dig "ingest" "kafka" dict $c) "groupId") "config.ingest.kafka.groupId (set by kafka.groupId)")
  (list (hasKey (dig "ingest" "kafka" dict $c) "tls") "config.ingest.kafka.tls (set by kafka.tls.*)")
  (list (hasKey (dig "ingest" "kafka" dict $c) "sasl") "config.ingest.kafka.sasl (set by kafka.sasl.*; the password only from kafka.sasl.existingSecret)")
  (list (hasKey (dig "ingest" dict $c) "tls") "config.ingest.tls (set by ingest.tls.*)")
  (list (hasKey (dig "state" "snapshot" dict $c) "path") "config.state.snapshot.path (the chart's data volume)")
  (list (hasKey (dig "commands" dict $c) "enabled") "config.commands.enabled (set by commands.enabled)")
  (list (hasKey (dig "commands" dict $c) "ledgerPath") "config.commands.ledgerPath (the chart's data volume)")
-}}
{{- range $managed -}}
{{- if index . 0 -}}
{{- fail (printf "%s is managed by the chart: remove it from config" (index . 1)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The exporter's configuration: `config` from values, with the keys the chart owns laid over it.
*/}}
{{- define "twinops.exporterConfig" -}}
{{- $dataDir := include "twinops.dataDir" . -}}
{{- $kafka := dict "enabled" (eq .Values.mode "kafka") "brokers" .Values.kafka.brokers "groupId" .Values.kafka.groupId -}}
{{- with .Values.kafka.tls -}}
{{- if .enabled -}}
{{- $tls := dict "enabled" true -}}
{{- if include "twinops.mountKafkaTls" $ -}}
{{- $dir := include "twinops.kafkaTlsDir" $ -}}
{{- $_ := set $tls "caFile" (printf "%s/%s" $dir .caKey) -}}
{{- if .mutual -}}
{{- $_ := set $tls "certFile" (printf "%s/%s" $dir .certKey) -}}
{{- $_ := set $tls "keyFile" (printf "%s/%s" $dir .keyKey) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $kafka "tls" $tls -}}
{{- end -}}
{{- end -}}
{{- with .Values.kafka.sasl -}}
{{- if .enabled -}}
{{- /* The password is not here: TWINOPS_KAFKA_SASL_PASSWORD, from the Secret. */ -}}
{{- $_ := set $kafka "sasl" (dict "enabled" true "mechanism" .mechanism "username" .username) -}}
{{- end -}}
{{- end -}}
{{- $ingest := dict "kafka" $kafka -}}
{{- with .Values.ingest.tls -}}
{{- if .existingSecret -}}
{{- $dir := include "twinops.ingestTlsDir" $ -}}
{{- $tls := dict "enabled" true "certFile" (printf "%s/%s" $dir .certKey) "keyFile" (printf "%s/%s" $dir .keyKey) -}}
{{- if .clientCaKey -}}
{{- $_ := set $tls "clientCaFile" (printf "%s/%s" $dir .clientCaKey) -}}
{{- end -}}
{{- $_ := set $ingest "tls" $tls -}}
{{- end -}}
{{- end -}}
{{- /* The ingest token is not here: TWINOPS_INGEST_TOKEN, from the Secret, turns ingest auth on. */ -}}
{{- $managed := dict
  "server" (dict "host" "0.0.0.0" "otlpPort" (int .Values.ports.otlp) "metricsPort" (int .Values.ports.metrics) "apiPort" (int .Values.ports.api))
  "ingest" $ingest
  "state" (dict "snapshot" (dict "path" (printf "%s/state.db" $dataDir)))
  "commands" (dict "enabled" .Values.commands.enabled "ledgerPath" (printf "%s/commands.db" $dataDir))
-}}
{{- toYaml (mergeOverwrite (deepCopy (.Values.config | default dict)) $managed) -}}
{{- end -}}
