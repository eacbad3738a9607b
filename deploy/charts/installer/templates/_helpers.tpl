{{/* Names are fixed (not prefixed by the release name): the IAM trust policy names the
     ServiceAccount, and the guide's commands name the Deployment. */}}
{{- define "sagemaker.prefix" -}}sagemaker-k8s-operator{{- end -}}

{{/* The namespace the operator watches in namespaced mode. */}}
{{- define "sagemaker.watchNamespace" -}}
{{- default .Release.Namespace .Values.watchNamespace -}}
{{- end -}}

{{/* Prefix of cluster-scoped objects: in namespaced mode it names the watched namespace, so
     several namespaced installations can live in one cluster. */}}
{{- define "sagemaker.clusterPrefix" -}}
{{- if .Values.namespaced -}}
sagemaker-k8s-operator-{{ include "sagemaker.watchNamespace" . }}
{{- else -}}
sagemaker-k8s-operator
{{- end -}}
{{- end -}}

{{- define "sagemaker.labels" -}}
app.kubernetes.io/name: sagemaker-k8s-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "sagemaker.selectorLabels" -}}
app.kubernetes.io/name: sagemaker-k8s-operator
control-plane: controller-manager
{{- end -}}

{{/* The kinds the operator reconciles. */}}
{{- define "sagemaker.kinds" -}}
- automljobsv2
- batchtransformjobs
- compilationjobs
- endpointconfigs
- endpoints
- hostingautoscalingpolicies
- hostingdeployments
- hyperparametertuningjobs
- inferencecomponents
- models
- modelpackagegroups
- modelpackages
- pipelineexecutions
- pipelines
- processingjobs
- trainingjobs
{{- end -}}

{{/* Rules on the kinds: least privilege. Only TrainingJobs are created and deleted by the
     operator (a tuning job mirrors the training jobs SageMaker spawns as TrainingJob objects). */}}
{{- define "sagemaker.kindRules" -}}
- apiGroups: ["sagemaker.aws.amazon.com"]
  resources:
    {{- include "sagemaker.kinds" . | nindent 4 }}
  # Only merge patches are sent (finalizers, annotations, the derived name): no update.
  verbs: ["get", "list", "watch", "patch"]
# A tuning job's training jobs are mirrored as TrainingJob objects, and deleted with it.
- apiGroups: ["sagemaker.aws.amazon.com"]
  resources: ["trainingjobs"]
  verbs: ["create", "delete"]
- apiGroups: ["sagemaker.aws.amazon.com"]
  resources:
    - automljobsv2/status
    - batchtransformjobs/status
    - compilationjobs/status
    - endpointconfigs/status
    - endpoints/status
    - hostingautoscalingpolicies/status
    - hostingdeployments/status
    - hyperparametertuningjobs/status
    - inferencecomponents/status
    - models/status
    - modelpackagegroups/status
    - modelpackages/status
    - pipelineexecutions/status
    - pipelines/status
    - processingjobs/status
    - trainingjobs/status
  verbs: ["patch"]
# Those mirrored TrainingJobs block their owner's deletion (blockOwnerDeletion), which the
# apiserver allows only to whoever may update the owner's finalizers.
- apiGroups: ["sagemaker.aws.amazon.com"]
  resources: ["hyperparametertuningjobs/finalizers"]
  verbs: ["update"]
- apiGroups: ["", "events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
# A deleted object's namespace may set its deletion policy (an annotation): read on delete only.
# In namespaced mode the RoleBinding grants this for the watched namespace alone.
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["get"]
{{- end -}}

{{/* --deletion-policy, refused at render time unless delete or retain. */}}
{{- define "sagemaker.deletionPolicy" -}}
{{- if has .Values.deletionPolicy (list "delete" "retain") -}}
{{ .Values.deletionPolicy }}
{{- else -}}
{{ fail (printf "deletionPolicy is %q; allowed: delete, retain" .Values.deletionPolicy) }}
{{- end -}}
{{- end -}}
