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

{{- define "twinops.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "twinops.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: twinops
{{- end -}}

{{- define "twinops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "twinops.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: exporter
{{- end -}}

{{- define "twinops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "twinops.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "twinops.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
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
