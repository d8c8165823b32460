#!/usr/bin/env python3
"""Generate a deterministic GitOps monorepo of realistic manifests for benchmarks.

The tree covers every format of the README ("Where references are found"): Kubernetes multi-document YAML (all
workload kinds, ``List``, init/ephemeral containers, image-less Service and
ConfigMap documents mixed in), Kustomize, Helm charts (``Chart.yaml``,
``values*.yaml`` with string and split ``image:`` maps, Go-template
``templates/``), docker-compose, Dockerfiles (ARG defaults, multi-stage,
``COPY --from``, ``RUN --mount=from=``, ``# syntax=``), GitHub Actions,
GitLab CI (root file plus local includes), Azure Pipelines, Argo CD
Applications/ApplicationSets, Argo Workflows and Tekton.  References mix
tag-only, tag+digest, digest-only, implicit latest, ``@git:REV`` placeholders
and templated expressions.

Every reference the generator writes is recorded with the position the README ("Where references are found")
says it is reported at (``path``, 1-based ``line``/``column``, ``kind``, the
assembled ``ref`` text, ``templated``), so a benchmark can check recall.

Library use::

    from generate_tree import generate
    result = generate(Path("/tmp/tree"), n=10_000, seed=1)
    result.files_by_format, result.refs

Command line::

    python benchmarks/generate_tree.py OUT [--files N] [--seed S] [--expected FILE]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MARK = "\x01"  # placed just before the character a reference is reported at

# --------------------------------------------------------------------------- images

IMAGES: list[tuple[str, list[str]]] = [
    ("nginx", ["1.25.3", "1.27.0-alpine", "stable-alpine", "1.26"]),
    ("redis", ["7.2.4", "7-alpine", "7.4.1-bookworm"]),
    ("postgres", ["16.2", "15-bookworm", "16.4-alpine3.20"]),
    ("busybox", ["1.36", "1.36.1-musl"]),
    ("alpine", ["3.19", "3.20.2", "3"]),
    ("python", ["3.12-slim", "3.11.9-bookworm", "3.12.4-alpine3.20"]),
    ("node", ["20-bookworm-slim", "22.3.0-alpine", "18.20.4"]),
    ("golang", ["1.22.5", "1.22-alpine", "1.23rc1-bookworm"]),
    ("library/memcached", ["1.6.29", "1.6-alpine"]),
    ("bitnami/kafka", ["3.7.0-debian-12-r6", "3.6"]),
    ("grafana/grafana", ["10.4.2", "11.1.0"]),
    ("ghcr.io/acme/api", ["v2.14.1", "git-3f9c1a2b7d4e5f60718293a4b5c6d7e8f9012345", "2024.06.1"]),
    ("ghcr.io/acme/frontend", ["v1.8.0", "git-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"]),
    ("ghcr.io/acme/worker", ["v3.2.0", "3.2"]),
    ("ghcr.io/acme/billing-service", ["1.0.44", "1.1.0-rc.2"]),
    ("quay.io/prometheus/node-exporter", ["v1.8.1", "v1.7.0"]),
    ("quay.io/jetstack/cert-manager-controller", ["v1.15.1"]),
    ("registry.k8s.io/ingress-nginx/controller", ["v1.10.1", "v1.11.0"]),
    ("registry.k8s.io/pause", ["3.9", "3.10"]),
    ("gcr.io/distroless/static-debian12", ["nonroot", "latest", "debug-nonroot"]),
    ("gcr.io/distroless/base-debian12", ["nonroot"]),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/ledger", ["4.2.0", "4.2.1"]),
    ("acmecr.azurecr.io/platform/gateway", ["2.3.4", "2.3"]),
    ("mcr.microsoft.com/dotnet/aspnet", ["8.0", "8.0.6-bookworm-slim"]),
    ("mcr.microsoft.com/dotnet/sdk", ["8.0", "8.0.302"]),
    ("registry.gitlab.com/acme/tools/ci-runner", ["1.4.0"]),
    ("localhost:5000/dev/sandbox", ["dev", "0.0.1"]),
    ("docker.io/curlimages/curl", ["8.8.0", "8.9.1"]),
    ("docker.elastic.co/elasticsearch/elasticsearch", ["8.14.1"]),
    ("public.ecr.aws/aws-cli/aws-cli", ["2.17.5"]),
]

APP_NAMES = [
    "api", "frontend", "worker", "billing", "ledger", "gateway", "auth", "search", "catalog",
    "checkout", "notifications", "reports", "scheduler", "ingest", "exporter", "webhooks",
    "inventory", "pricing", "recommendations", "media", "users", "orders", "shipping", "audit",
]
TEAMS = ["payments", "platform", "growth", "data", "core", "identity", "logistics", "ml"]
ENVS = ["dev", "staging", "prod", "prod-eu", "prod-us"]


def _digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    root: Path
    files_by_format: Counter = field(default_factory=Counter)
    refs_by_format: Counter = field(default_factory=Counter)
    refs: list[dict] = field(default_factory=list)
    bytes: int = 0
    lines: int = 0

    @property
    def files(self) -> int:
        return sum(self.files_by_format.values())

    def summary(self) -> str:
        out = [f"generated {self.files} files, {len(self.refs)} references, "
               f"{self.lines} lines, {self.bytes / 1e6:.1f} MB under {self.root}"]
        out.append(f"  {'format':<34}{'files':>7}{'refs':>8}")
        for fmt in sorted(self.files_by_format):
            out.append(f"  {fmt:<34}{self.files_by_format[fmt]:>7}{self.refs_by_format[fmt]:>8}")
        forms = Counter(r["form"] for r in self.refs)
        out.append("  reference forms: " + ", ".join(f"{k} {v}" for k, v in sorted(forms.items())))
        return "\n".join(out)


class Writer:
    """Collects one file's text; ``m()`` records a reference at the next character."""

    def __init__(self, gen: Gen, fmt: str, kind: str):
        self.gen = gen
        self.fmt = fmt
        self.kind = kind
        self.lines: list[str] = []
        self.pending: list[dict] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def m(self, ref: str, form: str, kind: str | None = None) -> str:
        self.pending.append({"ref": ref, "kind": kind or self.kind, "form": form,
                             "templated": form == "templated", "format": self.fmt})
        return MARK

    def q(self, ref: str, form: str, kind: str | None = None, style: str | None = None) -> str:
        """A YAML scalar holding ``ref``, marked, in a random or given quoting style."""
        if style is None:
            style = self.gen.rng.choices(["", '"', "'"], [6, 3, 1])[0]
            if style == "" and (ref.startswith("{") or ref.startswith("*") or ": " in ref):
                style = '"'
        return f"{style}{self.m(ref, form, kind)}{ref}{style}"


class Gen:
    def __init__(self, root: Path, seed: int):
        self.root = root
        self.rng = random.Random(seed)
        self.seed = seed
        self.result = Result(root=root)
        self.serial = 0
        self.gitlab_includes: list[str] = []
        self.last_name = ""

    # ---------------------------------------------------------------- helpers
    def uniq(self) -> int:
        self.serial += 1
        return self.serial

    def app(self) -> str:
        return self.rng.choice(APP_NAMES)

    def ref(self, ctx: str = "k8s", allow_placeholder: bool = True) -> tuple[str, str]:
        """A reference text and its form."""
        rng = self.rng
        name, tags = rng.choice(IMAGES)
        tag = rng.choice(tags)
        self.last_name = name
        forms = ["tag", "tag+digest", "digest", "no-tag", "latest", "templated", "placeholder"]
        weights = [40, 28, 10, 4, 4, 9, 5 if allow_placeholder else 0]
        form = rng.choices(forms, weights)[0]
        if form == "tag":
            return f"{name}:{tag}", form
        if form == "tag+digest":
            return f"{name}:{tag}@{_digest(name, tag)}", form
        if form == "digest":
            return f"{name}@{_digest(name, tag)}", form
        if form == "no-tag":
            return name, form
        if form == "latest":
            return f"{name}:latest", form
        if form == "placeholder":
            return f"{name}@git:{rng.choice(['HEAD', 'main', 'release/2024.06'])}", form
        short = name.rsplit("/", 1)[-1]
        var = short.upper().replace("-", "_")
        templated = {
            "k8s": [f"${{{var}_IMAGE}}", f"${{REGISTRY}}/acme/{short}:${{{var}_TAG}}",
                    f"{name}:${{IMAGE_TAG}}"],
            "helm": ["{{ .Values.global.imageRegistry }}/acme/" + short + ":" + tag,
                     "{{ .Values.image }}"],
            "compose": [f"${{REGISTRY:-ghcr.io}}/acme/{short}:${{{var}_TAG:-latest}}",
                        f"{name}:${{TAG:-{tag}}}"],
            "gha": ["${{ matrix.image }}", f"{name}:${{{{ env.IMAGE_TAG }}}}",
                    "${{ inputs.ci-image }}"],
            "gitlab": [f"${{CI_REGISTRY_IMAGE}}/{short}:${{CI_COMMIT_SHORT_SHA}}",
                       f"{name}:${{{var}_VERSION}}"],
            "azure": [f"$(containerRegistry)/acme/{short}:$(Build.BuildId)", f"{name}:$(imageTag)"],
            "argo": ["{{inputs.parameters.image}}", "{{workflow.parameters.builder-image}}"],
            "tekton": ["$(params.builder-image)", f"{name}:$(params.version)"],
        }[ctx]
        return rng.choice(templated), form

    def write(self, rel: str, w: Writer) -> None:
        text = "\n".join(w.lines) + "\n"
        refs = w.pending
        out: list[str] = []
        idx = 0
        line, col = 1, 1
        for piece_i, piece in enumerate(text.split(MARK)):
            if piece_i > 0:
                r = refs[idx]
                idx += 1
                r.update(path=rel, line=line, column=col)
                self.result.refs.append(r)
                self.result.refs_by_format[r["format"]] += 1
            out.append(piece)
            nl = piece.count("\n")
            if nl:
                line += nl
                col = len(piece) - piece.rfind("\n")
            else:
                col += len(piece)
        assert idx == len(refs), (rel, idx, len(refs))
        data = "".join(out)
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data, encoding="utf-8")
        self.result.files_by_format[w.fmt] += 1
        self.result.bytes += len(data)
        self.result.lines += data.count("\n")

    # ---------------------------------------------------------------- k8s pieces
    def labels(self, ind: str, app: str, extra: bool = True) -> list[str]:
        out = [f"{ind}app.kubernetes.io/name: {app}",
               f"{ind}app.kubernetes.io/part-of: {self.rng.choice(TEAMS)}"]
        if extra:
            out += [f"{ind}app.kubernetes.io/managed-by: kustomize",
                    f"{ind}app.kubernetes.io/version: "
                    f"\"{self.rng.randint(1, 9)}.{self.rng.randint(0, 30)}.{self.rng.randint(0, 9)}\""]
        return out

    def container(self, w: Writer, ind: str, name: str, ctx: str = "k8s", rich: bool = True,
                  kind: str | None = None) -> None:
        """One container list item at indent ``ind`` (the ``- `` goes at ``ind``)."""
        rng = self.rng
        ref, form = self.ref(ctx)
        if rng.random() < 0.2:
            w.add(f"{ind}- image: {w.q(ref, form, kind)}", f"{ind}  name: {name}")
        else:
            w.add(f"{ind}- name: {name}", f"{ind}  image: {w.q(ref, form, kind)}")
        i2 = ind + "  "
        w.add(f"{i2}imagePullPolicy: {rng.choice(['IfNotPresent', 'Always'])}")
        if not rich:
            w.add(f"{i2}command: [\"sh\", \"-c\", \"until nc -z db 5432; do sleep 2; done\"]")
            return
        port = rng.choice([8080, 8443, 9090, 3000, 5000])
        w.add(f"{i2}ports:", f"{i2}  - name: http", f"{i2}    containerPort: {port}",
              f"{i2}    protocol: TCP")
        w.add(f"{i2}env:")
        for k in range(rng.randint(2, 9)):
            if rng.random() < 0.25:
                w.add(f"{i2}  - name: SECRET_{k}", f"{i2}    valueFrom:", f"{i2}      secretKeyRef:",
                      f"{i2}        name: {name}-secrets", f"{i2}        key: key-{k}")
            else:
                val = rng.choice(['"true"', '"info"', "postgres://db:5432/app", '"30s"',
                                  "https://auth.example.com", '"nginx:1.25"'])
                w.add(f"{i2}  - name: VAR_{k}", f"{i2}    value: {val}")
        w.add(f"{i2}resources:", f"{i2}  requests:", f"{i2}    cpu: {rng.choice(['50m', '100m', '250m'])}",
              f"{i2}    memory: {rng.choice(['64Mi', '128Mi', '512Mi'])}", f"{i2}  limits:",
              f"{i2}    memory: {rng.choice(['256Mi', '1Gi', '2Gi'])}")
        if rng.random() < 0.7:
            for probe in ("livenessProbe", "readinessProbe"):
                w.add(f"{i2}{probe}:", f"{i2}  httpGet:", f"{i2}    path: /healthz",
                      f"{i2}    port: http", f"{i2}  initialDelaySeconds: {rng.randint(3, 30)}",
                      f"{i2}  periodSeconds: 10")
        w.add(f"{i2}securityContext:", f"{i2}  runAsNonRoot: true",
              f"{i2}  allowPrivilegeEscalation: false", f"{i2}  readOnlyRootFilesystem: true",
              f"{i2}  capabilities:", f"{i2}    drop: [\"ALL\"]")
        if rng.random() < 0.5:
            w.add(f"{i2}volumeMounts:", f"{i2}  - name: config", f"{i2}    mountPath: /etc/{name}",
                  f"{i2}    readOnly: true")

    def podspec(self, w: Writer, ind: str, app: str, ctx: str = "k8s", kind: str | None = None,
                restart: str | None = None, ephemeral: bool = False) -> None:
        rng = self.rng
        if rng.random() < 0.6:
            w.add(f"{ind}serviceAccountName: {app}")
        if restart:
            w.add(f"{ind}restartPolicy: {restart}")
        w.add(f"{ind}securityContext:", f"{ind}  fsGroup: 1000", f"{ind}  runAsUser: 1000")
        lst = ind if rng.random() < 0.5 else ind + "  "  # both list indent styles
        if rng.random() < 0.3:
            w.add(f"{ind}initContainers:")
            for k in range(rng.randint(1, 2)):
                self.container(w, lst, f"init-{k}", ctx, rich=False, kind=kind)
        w.add(f"{ind}containers:")
        for k in range(rng.choices([1, 2, 3], [6, 3, 1])[0]):
            self.container(w, lst, app if k == 0 else f"sidecar-{k}", ctx, rich=True, kind=kind)
        if ephemeral:
            w.add(f"{ind}ephemeralContainers:")
            ref, form = self.ref(ctx)
            w.add(f"{lst}- name: debugger", f"{lst}  image: {w.q(ref, form, kind)}",
                  f"{lst}  command: [\"sh\"]", f"{lst}  stdin: true", f"{lst}  tty: true",
                  f"{lst}  targetContainerName: {app}")
        if rng.random() < 0.5:
            w.add(f"{ind}volumes:", f"{ind}- name: config", f"{ind}  configMap:",
                  f"{ind}    name: {app}-config")
        if rng.random() < 0.3:
            w.add(f"{ind}nodeSelector:", f"{ind}  kubernetes.io/os: linux")
            w.add(f"{ind}tolerations:", f"{ind}- key: dedicated", f"{ind}  operator: Equal",
                  f"{ind}  value: {app}", f"{ind}  effect: NoSchedule")

    def meta(self, w: Writer, ind: str, app: str, ns: bool = True) -> None:
        w.add(f"{ind}metadata:", f"{ind}  name: {app}")
        if ns:
            w.add(f"{ind}  namespace: {self.rng.choice(TEAMS)}")
        w.add(f"{ind}  labels:", *self.labels(ind + "    ", app))
        if self.rng.random() < 0.4:
            w.add(f"{ind}  annotations:",
                  f"{ind}    # image: nginx:latest  (commented out, not a reference)",
                  f"{ind}    reloader.stakater.com/auto: \"true\"")

    def workload_doc(self, w: Writer, kind: str, app: str, ind: str = "") -> None:
        rng = self.rng
        api = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
               "ReplicaSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1", "Pod": "v1",
               "ReplicationController": "v1", "Rollout": "argoproj.io/v1alpha1",
               "DeploymentConfig": "apps.openshift.io/v1"}[kind]
        w.add(f"{ind}apiVersion: {api}", f"{ind}kind: {kind}")
        self.meta(w, ind, app)
        if kind == "Pod":
            w.add(f"{ind}spec:")
            self.podspec(w, ind + "  ", app, ephemeral=rng.random() < 0.3)
            return
        w.add(f"{ind}spec:")
        s = ind + "  "
        if kind == "CronJob":
            w.add(f"{s}schedule: \"{rng.randint(0, 59)} {rng.randint(0, 23)} * * *\"",
                  f"{s}concurrencyPolicy: Forbid", f"{s}successfulJobsHistoryLimit: 3",
                  f"{s}jobTemplate:", f"{s}  spec:", f"{s}    backoffLimit: 2",
                  f"{s}    template:", f"{s}      metadata:", f"{s}        labels:",
                  *self.labels(s + "          ", app, extra=False), f"{s}      spec:")
            self.podspec(w, s + "        ", app, restart="OnFailure")
            return
        if kind == "Job":
            w.add(f"{s}backoffLimit: 4", f"{s}ttlSecondsAfterFinished: 3600", f"{s}template:",
                  f"{s}  spec:")
            self.podspec(w, s + "    ", app, restart="Never")
            return
        if kind in ("Deployment", "StatefulSet", "ReplicaSet", "Rollout", "DeploymentConfig",
                    "ReplicationController"):
            w.add(f"{s}replicas: {rng.randint(1, 6)}")
        if kind == "StatefulSet":
            w.add(f"{s}serviceName: {app}-headless")
        if kind == "Rollout":
            w.add(f"{s}strategy:", f"{s}  canary:", f"{s}    steps:", f"{s}    - setWeight: 20",
                  f"{s}    - pause: {{duration: 10m}}")
        if kind in ("DeploymentConfig", "ReplicationController"):
            w.add(f"{s}selector:", f"{s}  app.kubernetes.io/name: {app}")
        else:
            w.add(f"{s}selector:", f"{s}  matchLabels:", f"{s}    app.kubernetes.io/name: {app}")
        w.add(f"{s}template:", f"{s}  metadata:", f"{s}    labels:",
              *self.labels(s + "      ", app, extra=False))
        if rng.random() < 0.4:
            w.add(f"{s}    annotations:", f"{s}      prometheus.io/scrape: \"true\"",
                  f"{s}      prometheus.io/port: \"9090\"")
        w.add(f"{s}  spec:")
        self.podspec(w, s + "    ", app)
        if kind == "StatefulSet":
            w.add(f"{s}volumeClaimTemplates:", f"{s}- metadata:", f"{s}    name: data",
                  f"{s}  spec:", f"{s}    accessModes: [\"ReadWriteOnce\"]", f"{s}    resources:",
                  f"{s}      requests:", f"{s}        storage: 10Gi")

    def service_doc(self, w: Writer, app: str, ind: str = "") -> None:
        w.add(f"{ind}apiVersion: v1", f"{ind}kind: Service")
        self.meta(w, ind, app)
        w.add(f"{ind}spec:", f"{ind}  type: ClusterIP", f"{ind}  selector:",
              f"{ind}    app.kubernetes.io/name: {app}", f"{ind}  ports:", f"{ind}  - name: http",
              f"{ind}    port: 80", f"{ind}    targetPort: http")

    def configmap_doc(self, w: Writer, app: str) -> None:
        w.add("apiVersion: v1", "kind: ConfigMap")
        self.meta(w, "", app + "-config")
        w.add("data:", "  LOG_LEVEL: info", "  # the image below is data, not a reference",
              "  default-image: \"busybox:latest\"", "  app.yaml: |", "    server:",
              "      port: 8080", "    image: nginx:latest", "    upstreams:",
              f"      - http://{app}-backend:8080")

    # ---------------------------------------------------------------- formats
    def k8s_workload(self) -> None:
        rng = self.rng
        app = self.app()
        kind = rng.choices(
            ["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Pod", "List",
             "ReplicaSet", "ReplicationController", "Rollout", "DeploymentConfig"],
            [40, 10, 6, 8, 6, 4, 4, 2, 1, 3, 2])[0]
        w = Writer(self, f"kubernetes/{kind}", "kubernetes")
        w.add("# Managed by the platform team. Do not edit by hand outside a PR.",
              f"# Owner: team-{rng.choice(TEAMS)}")
        if kind == "List":
            w.add("apiVersion: v1", "kind: List", "items:")
            w.add("- apiVersion: v1", "  kind: Service", "  metadata:", f"    name: {app}")
            w.add("  spec:", "    ports:", "    - port: 80")
            # a workload item: the document written behind "- " at indent 2
            sub = Writer(self, w.fmt, w.kind)
            self.workload_doc(sub, rng.choice(["Deployment", "StatefulSet"]), app, ind="")
            w.lines.extend(("  " if i else "- ") + line for i, line in enumerate(sub.lines))
            w.pending.extend(sub.pending)
        else:
            if rng.random() < 0.4:
                self.configmap_doc(w, app)
                w.add("---")
            self.workload_doc(w, kind, app)
            if rng.random() < 0.6:
                w.add("---")
                self.service_doc(w, app)
            if rng.random() < 0.15:
                w.add("---")
                self.workload_doc(w, rng.choice(["Deployment", "CronJob"]), app + "-aux")
        d = f"apps/{rng.choice(TEAMS)}/{app}-{self.uniq()}/base"
        name = rng.choice([f"{kind.lower()}.yaml", f"{app}.yaml", f"{app}-{kind.lower()}.yml"])
        self.write(f"{d}/{name}", w)

    def k8s_noimage(self) -> None:
        rng = self.rng
        app = self.app()
        w = Writer(self, "kubernetes/no-image", "kubernetes")
        choice = rng.random()
        if choice < 0.4:
            self.service_doc(w, app)
            w.add("---")
            self.configmap_doc(w, app)
        elif choice < 0.7:
            w.add("apiVersion: networking.k8s.io/v1", "kind: Ingress")
            self.meta(w, "", app)
            w.add("spec:", "  ingressClassName: nginx", "  tls:", f"  - hosts: [{app}.example.com]",
                  f"    secretName: {app}-tls", "  rules:", f"  - host: {app}.example.com",
                  "    http:", "      paths:", "      - path: /", "        pathType: Prefix",
                  "        backend:", "          service:", f"            name: {app}",
                  "            port:", "              name: http")
            w.add("---", "apiVersion: autoscaling/v2", "kind: HorizontalPodAutoscaler")
            self.meta(w, "", app)
            w.add("spec:", "  scaleTargetRef:", "    apiVersion: apps/v1", "    kind: Deployment",
                  f"    name: {app}", "  minReplicas: 2", "  maxReplicas: 10", "  metrics:",
                  "  - type: Resource", "    resource:", "      name: cpu", "      target:",
                  "        type: Utilization", "        averageUtilization: 70")
        else:
            # an application config that happens to have an "image" key: not a PodSpec
            w.add("# application settings", "server:", "  port: 8080", "  timeouts:",
                  "    read: 30s", "    write: 30s", "branding:", "  image: /static/logo.png",
                  "  title: Acme", "features:")
            for k in range(rng.randint(5, 25)):
                w.add(f"  flag_{k}: {rng.choice(['true', 'false'])}")
        self.write(f"apps/{rng.choice(TEAMS)}/{app}-{self.uniq()}/base/"
                   f"{rng.choice(['service', 'ingress', 'config', 'settings'])}.yaml", w)

    def kustomize(self) -> None:
        rng = self.rng
        app = self.app()
        w = Writer(self, "kustomize", "kustomize")
        overlay = rng.random() < 0.7
        w.add("apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization")
        if overlay:
            env = rng.choice(ENVS)
            w.add(f"namespace: {app}-{env}", "resources:", "  - ../../base", "  - ingress.yaml",
                  "patches:", "  - path: replicas.yaml", "    target:", "      kind: Deployment",
                  f"      name: {app}", "labels:", "  - pairs:", f"      env: {env}",
                  "    includeSelectors: false")
        else:
            w.add("resources:", "  - deployment.yaml", "  - service.yaml", "  - configmap.yaml",
                  "configMapGenerator:", f"  - name: {app}-config", "    literals:",
                  "      - LOG_LEVEL=info", "      - FEATURE_X=true")
        w.add("images:")
        lst = rng.choice(["  ", ""])
        for _ in range(rng.randint(1, 5)):
            name, tags = rng.choice(IMAGES)
            tag = rng.choice(tags)
            shape = rng.choices(["newTag", "newName+newTag", "digest", "newName+digest",
                                 "newTag+digest", "newName-only"],
                                [35, 20, 12, 8, 12, 5])[0]
            new = f"registry.example.com/mirror/{name.rsplit('/', 1)[-1]}"
            if shape == "newTag":
                w.add(f"{lst}- name: {w.m(f'{name}:{tag}', 'tag')}{name}", f"{lst}  newTag: \"{tag}\"")
            elif shape == "newName+newTag":
                w.add(f"{lst}- name: {name}", f"{lst}  newName: {w.m(f'{new}:{tag}', 'tag')}{new}",
                      f"{lst}  newTag: {tag}")
            elif shape == "digest":
                dg = _digest(name, tag)
                w.add(f"{lst}- name: {w.m(f'{name}@{dg}', 'digest')}{name}", f"{lst}  digest: {dg}")
            elif shape == "newName+digest":
                dg = _digest(new, tag)
                w.add(f"{lst}- name: {name}", f"{lst}  newName: {w.m(f'{new}@{dg}', 'digest')}{new}",
                      f"{lst}  digest: {dg}")
            elif shape == "newTag+digest":
                dg = _digest(name, tag)
                w.add(f"{lst}- name: {w.m(f'{name}:{tag}@{dg}', 'tag+digest')}{name}",
                      f"{lst}  newTag: {tag}", f"{lst}  digest: {dg}")
            else:
                w.add(f"{lst}- name: {name}", f"{lst}  newName: {w.m(new, 'no-tag')}{new}")
        if overlay and rng.random() < 0.5:
            w.add("replicas:", f"  - name: {app}", f"    count: {rng.randint(2, 8)}")
        d = f"apps/{rng.choice(TEAMS)}/{app}-{self.uniq()}"
        if overlay:
            d += f"/overlays/{rng.choice(ENVS)}"
        else:
            d += "/base"
        fname = rng.choices(["kustomization.yaml", "kustomization.yml", "Kustomization"], [90, 7, 3])[0]
        self.write(f"{d}/{fname}", w)

    def helm_chart(self, budget: int) -> int:
        """A chart of up to ``budget`` files; returns how many were written."""
        rng = self.rng
        app = self.app()
        d = f"charts/{app}-{self.uniq()}"
        n = 0
        w = Writer(self, "helm/Chart.yaml", "kubernetes")
        w.add("apiVersion: v2", f"name: {app}", f"description: A Helm chart for the {app} service",
              "type: application", f"version: 0.{rng.randint(1, 40)}.{rng.randint(0, 9)}",
              f"appVersion: \"{rng.randint(1, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}\"",
              "maintainers:", f"  - name: team-{rng.choice(TEAMS)}", "dependencies:",
              "  - name: postgresql", "    version: 15.5.x",
              "    repository: oci://registry-1.docker.io/bitnamicharts",
              "    condition: postgresql.enabled")
        self.write(f"{d}/Chart.yaml", w)
        n += 1
        values = ["values.yaml"] + rng.sample([f"values-{e}.yaml" for e in ENVS], rng.randint(0, 2))
        for vf in values:
            if n >= budget:
                return n
            self.helm_values(f"{d}/{vf}", app, full=vf == "values.yaml")
            n += 1
        for tf in ["templates/deployment.yaml", "templates/service.yaml", "templates/_helpers.tpl",
                   "templates/NOTES.txt"]:
            if n >= budget:
                return n
            self.helm_template(f"{d}/{tf}", app)
            n += 1
        return n

    def helm_image(self, w: Writer, ind: str, key: str = "image") -> None:
        rng = self.rng
        name, tags = rng.choice(IMAGES)
        tag = rng.choice(tags)
        shape = rng.choices(["string", "repo+tag", "registry+repo+tag", "split+digest",
                             "digest-only-split", "templated-string"], [25, 30, 20, 15, 5, 5])[0]
        if shape == "string":
            ref, form = self.ref("helm")
            w.add(f"{ind}{key}: {w.q(ref, form)}")
            return
        if shape == "templated-string":
            ref, form = self.ref("helm")
            while form != "templated":
                ref, form = self.ref("helm")
            w.add(f"{ind}{key}: {w.q(ref, form, style=chr(34))}")
            return
        if "/" in name and ("." in name.split("/")[0] or ":" in name.split("/")[0]):
            registry, repo = name.split("/", 1)
        else:
            registry, repo = "docker.io", name
        w.add(f"{ind}{key}:")
        i = ind + "  "
        if shape == "repo+tag":
            w.add(f"{i}repository: {w.m(f'{name}:{tag}', 'tag')}{name}", f"{i}tag: \"{tag}\"",
                  f"{i}pullPolicy: IfNotPresent")
        elif shape == "registry+repo+tag":
            full = f"{registry}/{repo}:{tag}"
            w.add(f"{i}registry: {registry}", f"{i}repository: {w.m(full, 'tag')}{repo}",
                  f"{i}tag: {tag}", f"{i}digest: \"\"", f"{i}pullPolicy: IfNotPresent")
        elif shape == "split+digest":
            dg = _digest(name, tag)
            full = f"{registry}/{repo}:{tag}@{dg}"
            w.add(f"{i}registry: {registry}", f"{i}repository: {w.m(full, 'tag+digest')}{repo}",
                  f"{i}tag: \"{tag}\"", f"{i}digest: \"{dg}\"")
        else:
            dg = _digest(name, tag)
            full = f"{registry}/{repo}@{dg}"
            w.add(f"{i}registry: {registry}", f"{i}repository: {w.m(full, 'digest')}{repo}",
                  f"{i}digest: {dg}")

    def helm_values(self, rel: str, app: str, full: bool) -> None:
        rng = self.rng
        w = Writer(self, "helm/values", "helm-values")
        w.add(f"# Default values for {app}.", "# This is a YAML-formatted file.",
              "# Declare variables to be passed into your templates.", "",
              f"replicaCount: {rng.randint(1, 5)}", "")
        self.helm_image(w, "")
        w.add("", "imagePullSecrets: []", "nameOverride: \"\"", "fullnameOverride: \"\"", "",
              "serviceAccount:", "  create: true", "  annotations: {}", "  name: \"\"", "",
              "podAnnotations: {}", "podSecurityContext:", "  fsGroup: 2000", "",
              "service:", "  type: ClusterIP", "  port: 80", "")
        if full:
            w.add("ingress:", "  enabled: false", "  className: nginx", "  hosts:",
                  f"    - host: {app}.local", "      paths:", "        - path: /",
                  "          pathType: ImplementationSpecific", "",
                  "resources:", "  limits:", "    cpu: 500m", "    memory: 512Mi", "  requests:",
                  "    cpu: 100m", "    memory: 128Mi", "", "autoscaling:", "  enabled: false",
                  "  minReplicas: 1", "  maxReplicas: 100", "  targetCPUUtilizationPercentage: 80", "")
        for sub in rng.sample(["metrics", "volumePermissions", "migrations", "sidecar", "proxy"],
                              rng.randint(0, 3)):
            w.add(f"{sub}:", "  enabled: true")
            self.helm_image(w, "  ")
            w.add("  resources: {}", "")
        if rng.random() < 0.5:
            w.add("postgresql:", "  enabled: true", "  auth:", "    database: app", "  primary:",
                  "    persistence:", "      size: 8Gi")
            self.helm_image(w, "  ")
        w.add("", "nodeSelector: {}", "", "tolerations: []", "", "affinity: {}")
        self.write(rel, w)

    def helm_template(self, rel: str, app: str) -> None:
        w = Writer(self, "helm/templates", "kubernetes")
        if rel.endswith("deployment.yaml"):
            w.add("apiVersion: apps/v1", "kind: Deployment", "metadata:",
                  f"  name: {{{{ include \"{app}.fullname\" . }}}}", "  labels:",
                  f"    {{{{- include \"{app}.labels\" . | nindent 4 }}}}", "spec:",
                  "  {{- if not .Values.autoscaling.enabled }}",
                  "  replicas: {{ .Values.replicaCount }}", "  {{- end }}", "  selector:",
                  "    matchLabels:", f"      {{{{- include \"{app}.selectorLabels\" . | nindent 6 }}}}",
                  "  template:", "    metadata:", "      {{- with .Values.podAnnotations }}",
                  "      annotations:", "        {{- toYaml . | nindent 8 }}", "      {{- end }}",
                  "    spec:", "      containers:", "        - name: {{ .Chart.Name }}",
                  "          image: \"{{ .Values.image.repository }}:"
                  "{{ .Values.image.tag | default .Chart.AppVersion }}\"",
                  "          imagePullPolicy: {{ .Values.image.pullPolicy }}", "          ports:",
                  "            - name: http", "              containerPort: {{ .Values.service.port }}",
                  "          resources:", "            {{- toYaml .Values.resources | nindent 12 }}",
                  "      {{- with .Values.nodeSelector }}", "      nodeSelector:",
                  "        {{- toYaml . | nindent 8 }}", "      {{- end }}")
        elif rel.endswith("service.yaml"):
            w.add("apiVersion: v1", "kind: Service", "metadata:",
                  f"  name: {{{{ include \"{app}.fullname\" . }}}}", "spec:",
                  "  type: {{ .Values.service.type }}", "  ports:",
                  "    - port: {{ .Values.service.port }}", "      targetPort: http",
                  "  selector:", f"    {{{{- include \"{app}.selectorLabels\" . | nindent 4 }}}}")
        elif rel.endswith(".tpl"):
            w.add(f"{{{{- define \"{app}.name\" -}}}}",
                  "{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix \"-\" }}",
                  "{{- end }}", "", f"{{{{- define \"{app}.fullname\" -}}}}",
                  "{{- printf \"%s-%s\" .Release.Name .Chart.Name | trunc 63 }}", "{{- end }}", "",
                  f"{{{{- define \"{app}.selectorLabels\" -}}}}",
                  f"app.kubernetes.io/name: {{{{ include \"{app}.name\" . }}}}",
                  "app.kubernetes.io/instance: {{ .Release.Name }}", "{{- end }}")
        else:
            w.add("1. Get the application URL by running these commands:",
                  "{{- if .Values.ingress.enabled }}", "  http://{{ .Values.ingress.host }}/",
                  "{{- end }}")
        self.write(rel, w)

    def compose(self) -> None:
        rng = self.rng
        w = Writer(self, "compose", "compose")
        w.add("# Local development stack", "name: acme-dev", "", "services:")
        for k in range(rng.randint(2, 6)):
            svc = self.app() + (f"-{k}" if k else "")
            w.add(f"  {svc}:")
            if rng.random() < 0.2:
                w.add("    build:", "      context: .", "      dockerfile: Dockerfile",
                      "      args:", "        GO_VERSION: \"1.22\"")
            else:
                ref, form = self.ref("compose")
                w.add(f"    image: {w.q(ref, form)}")
            w.add("    restart: unless-stopped", "    environment:")
            for e in range(rng.randint(1, 6)):
                w.add(f"      VAR_{e}: value-{e}")
            w.add("    ports:", f"      - \"{rng.randint(3000, 9000)}:8080\"", "    healthcheck:",
                  "      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8080/healthz\"]",
                  "      interval: 10s", "      retries: 5")
            if rng.random() < 0.5:
                w.add("    depends_on:", "      db:", "        condition: service_healthy")
            w.add("    volumes:", f"      - ./data/{svc}:/var/lib/{svc}")
        w.add("", "volumes:", "  db-data: {}", "", "networks:", "  default:", "    name: acme")
        name = rng.choice(["docker-compose.yml", "docker-compose.yaml", "compose.yaml",
                           "docker-compose.override.yml", "compose.dev.yml"])
        self.write(f"services/{self.app()}-{self.uniq()}/{name}", w)

    def dockerfile(self) -> None:
        rng = self.rng
        w = Writer(self, "dockerfile", "dockerfile")
        if rng.random() < 0.4:
            w.add(f"# syntax={w.m('docker/dockerfile:1.7', 'tag')}docker/dockerfile:1.7")
        w.add("# Build the service image", "")
        stack = rng.choice(["go", "python", "node", "dotnet"])
        base, btags = {"go": ("golang", ["1.22.5", "1.23.0"]),
                       "python": ("python", ["3.12", "3.11"]),
                       "node": ("node", ["20.14.0", "22.3.0"]),
                       "dotnet": ("mcr.microsoft.com/dotnet/sdk", ["8.0", "8.0.302"])}[stack]
        ver = rng.choice(btags)
        # first stage: ARG-substituted FROM
        use_arg_version = rng.random() < 0.6
        if use_arg_version:
            w.add(f"ARG VERSION={ver}")
        final_mode = rng.choices(["arg-default", "arg-nodefault", "literal", "scratch"], [30, 8, 47, 15])[0]
        final_ref, final_form = self.ref("k8s", allow_placeholder=False)
        while final_form in ("templated",):
            final_ref, final_form = self.ref("k8s", allow_placeholder=False)
        if final_mode == "arg-default":
            w.add(f"ARG RUNTIME_IMAGE={final_ref}")
        elif final_mode == "arg-nodefault":
            w.add("ARG RUNTIME_IMAGE")
        w.add("")
        plat = "--platform=$BUILDPLATFORM " if rng.random() < 0.4 else ""
        if use_arg_version:
            tok = f"{base}:${{VERSION}}-bookworm"
            ref = f"{base}:{ver}-bookworm"
            w.add(f"FROM {plat}{w.m(ref, 'tag')}{tok} AS build")
        else:
            r, f = self.ref("k8s", allow_placeholder=False)
            while f == "templated":
                r, f = self.ref("k8s", allow_placeholder=False)
            w.add(f"FROM {plat}{w.m(r, f)}{r} AS build")
        w.add("WORKDIR /src")
        w.add(*{"go": ["COPY go.mod go.sum ./", "RUN --mount=type=cache,target=/go/pkg/mod go mod download",
                       "COPY . .", "RUN CGO_ENABLED=0 go build -trimpath -o /out/app ./cmd/app"],
                "python": ["COPY requirements.txt .", "RUN pip install --no-cache-dir -r requirements.txt",
                           "COPY . .", "RUN python -m compileall -q /src"],
                "node": ["COPY package.json package-lock.json ./", "RUN npm ci", "COPY . .",
                         "RUN npm run build"],
                "dotnet": ["COPY *.csproj .", "RUN dotnet restore", "COPY . .",
                           "RUN dotnet publish -c Release -o /out"]}[stack])
        if rng.random() < 0.3:
            r, f = self.ref("k8s", allow_placeholder=False)
            while f == "templated":
                r, f = self.ref("k8s", allow_placeholder=False)
            w.add(f"RUN --mount=type=bind,from={w.m(r, f)}{r},source=/usr/bin,target=/tools \\",
                  "    /tools/lint --strict /src")
        w.add("", "FROM build AS test", "RUN echo running tests", "")
        if final_mode == "arg-default":
            w.add(f"FROM {w.m(final_ref, final_form)}${{RUNTIME_IMAGE}}")
        elif final_mode == "arg-nodefault":
            w.add(f"FROM {w.m('${RUNTIME_IMAGE}', 'templated')}${{RUNTIME_IMAGE}}")
        elif final_mode == "literal":
            w.add(f"FROM {w.m(final_ref, final_form)}{final_ref} AS runtime")
        else:
            w.add("FROM scratch")
        w.add("LABEL org.opencontainers.image.source=https://github.com/acme/monorepo")
        w.add("COPY --from=build /out/ /app/")
        if rng.random() < 0.4:
            r, f = self.ref("k8s", allow_placeholder=False)
            while f == "templated":
                r, f = self.ref("k8s", allow_placeholder=False)
            w.add(f"COPY --from={w.m(r, f)}{r} /bin/grpc_health_probe /bin/grpc_health_probe")
        w.add("USER 65532:65532", "EXPOSE 8080",
              "HEALTHCHECK --interval=30s CMD [\"/bin/grpc_health_probe\", \"-addr=:8080\"]",
              "ENTRYPOINT [\"/app/app\"]")
        name = rng.choices(["Dockerfile", "Dockerfile.dev", "api.Dockerfile", "Containerfile"],
                           [70, 10, 12, 8])[0]
        self.write(f"services/{self.app()}-{self.uniq()}/{name}", w)

    def github_actions(self) -> None:
        rng = self.rng
        w = Writer(self, "github-actions", "github-actions")
        name = f"{self.app()}-{self.uniq()}"
        w.add(f"name: {name}", "", "on:", "  push:", "    branches: [main]", "  pull_request:",
              "    paths:", f"      - 'services/{name}/**'", "", "permissions:", "  contents: read",
              "  packages: write", "", "jobs:")
        for j in range(rng.randint(1, 4)):
            w.add(f"  job-{j}:", "    runs-on: ubuntu-latest")
            c = rng.random()
            if c < 0.3:
                ref, form = self.ref("gha", allow_placeholder=False)
                w.add(f"    container: {w.q(ref, form)}")
            elif c < 0.6:
                ref, form = self.ref("gha", allow_placeholder=False)
                w.add("    container:", f"      image: {w.q(ref, form)}", "      options: --user 1001",
                      "      env:", "        CI: \"true\"")
            if rng.random() < 0.4:
                w.add("    services:")
                for s in rng.sample(["postgres", "redis", "kafka"], rng.randint(1, 2)):
                    ref, form = self.ref("gha", allow_placeholder=False)
                    w.add(f"      {s}:", f"        image: {w.q(ref, form)}", "        ports:",
                          "          - 5432:5432", "        options: >-",
                          "          --health-cmd pg_isready --health-interval 10s")
            w.add("    steps:", "      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1",
                  "      - name: Set up Go", "        uses: actions/setup-go@v5",
                  "        with:", "          go-version: '1.22'")
            if rng.random() < 0.5:
                ref, form = self.ref("gha", allow_placeholder=False)
                while form == "templated":
                    ref, form = self.ref("gha", allow_placeholder=False)
                w.add("      - name: Lint", f"        uses: docker://{w.m(ref, form)}{ref}",
                      "        with:", "          args: --strict")
            w.add("      - name: Test", "        run: |", "          make test",
                  "          make build")
        self.write(f".github/workflows/{name}.yml", w)

    def gitlab_ci(self, root: bool = False) -> None:
        rng = self.rng
        w = Writer(self, "gitlab-ci", "gitlab-ci")
        if root:
            w.add("# Root pipeline: the per-service pipelines are local includes", "stages:",
                  "  - build", "  - test", "  - deploy", "", "workflow:", "  rules:",
                  "    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"", "")
            ref, form = self.ref("gitlab", allow_placeholder=False)
            w.add(f"image: {w.q(ref, form)}", "services:")
            ref, form = self.ref("gitlab", allow_placeholder=False)
            w.add(f"  - {w.q(ref, form)}")
            ref, form = self.ref("gitlab", allow_placeholder=False)
            w.add(f"  - name: {w.q(ref, form)}", "    alias: db", "", "default:")
            ref, form = self.ref("gitlab", allow_placeholder=False)
            w.add(f"  image: {w.q(ref, form)}", "  interruptible: true", "", "include:")
            for inc in self.gitlab_includes:
                w.add(f"  - local: {inc}")
            self.write(".gitlab-ci.yml", w)
            return
        w.add("variables:", "  DOCKER_DRIVER: overlay2", "")
        for j in range(rng.randint(1, 4)):
            hidden = "." if rng.random() < 0.15 else ""  # hidden jobs are templates for `extends:`
            job = f"{hidden}{self.app()}-{rng.choice(['build', 'test', 'deploy', 'scan'])}-{j}"
            w.add(f"{job}:", f"  stage: {rng.choice(['build', 'test', 'deploy'])}")
            c = rng.random()
            if c < 0.5:
                ref, form = self.ref("gitlab", allow_placeholder=False)
                w.add(f"  image: {w.q(ref, form)}")
            elif c < 0.8:
                ref, form = self.ref("gitlab", allow_placeholder=False)
                w.add("  image:", f"    name: {w.q(ref, form)}", "    entrypoint: [\"\"]")
            if rng.random() < 0.4:
                w.add("  services:")
                ref, form = self.ref("gitlab", allow_placeholder=False)
                if rng.random() < 0.5:
                    w.add(f"    - {w.q(ref, form)}")
                else:
                    w.add(f"    - name: {w.q(ref, form)}", "      alias: svc")
            w.add("  script:", "    - make ci", "    - echo done", "  rules:",
                  "    - changes:", "        - services/**/*", "")
        if rng.random() < 0.5:
            rel = f".gitlab/ci/{self.app()}-{self.uniq()}.yml"
        else:
            rel = f"services/{self.app()}-{self.uniq()}/.gitlab-ci.yml"
        self.gitlab_includes.append(rel)
        self.write(rel, w)

    def azure(self) -> None:
        rng = self.rng
        w = Writer(self, "azure-pipelines", "azure-pipelines")
        w.add("trigger:", "  branches:", "    include: [main]", "", "pool:",
              "  vmImage: ubuntu-latest", "", "variables:", "  imageTag: $(Build.BuildId)",
              "  containerRegistry: acmecr.azurecr.io", "")
        aliases = []
        if rng.random() < 0.7:
            w.add("resources:", "  containers:")
            for k in range(rng.randint(1, 3)):
                alias = f"c{k}"
                aliases.append(alias)
                ref, form = self.ref("azure", allow_placeholder=False)
                w.add(f"    - container: {alias}", f"      image: {w.q(ref, form)}",
                      "      options: --user 0:0")
            w.add("")
        w.add("jobs:")
        for j in range(rng.randint(1, 3)):
            w.add(f"  - job: job_{j}", f"    displayName: Job {j}")
            c = rng.random()
            if aliases and c < 0.5:
                w.add(f"    container: {rng.choice(aliases)}")
            elif c < 0.8:
                ref, form = self.ref("azure", allow_placeholder=False)
                while form in ("no-tag",):  # a bare word would read as a resource alias
                    ref, form = self.ref("azure", allow_placeholder=False)
                w.add(f"    container: {w.q(ref, form)}")
            w.add("    steps:", "      - checkout: self", "      - script: make build",
                  "        displayName: Build", "      - task: Docker@2", "        inputs:",
                  "          command: buildAndPush", "          repository: acme/app",
                  "          tags: $(imageTag)")
        rel = rng.choice([f"services/{self.app()}-{self.uniq()}/azure-pipelines.yml",
                          f"pipelines/{self.app()}-{self.uniq()}.yml",
                          f"azure-pipelines-{self.app()}-{self.uniq()}.yaml"])
        self.write(rel, w)

    def argocd(self) -> None:
        rng = self.rng
        w = Writer(self, "argocd", "argocd")
        app = self.app()
        env = rng.choice(ENVS)
        appset = rng.random() < 0.2
        multi = rng.random() < 0.3
        if appset:
            w.add("apiVersion: argoproj.io/v1alpha1", "kind: ApplicationSet", "metadata:",
                  f"  name: {app}", "  namespace: argocd", "spec:", "  generators:",
                  "  - list:", "      elements:", f"      - cluster: {env}",
                  "        url: https://kubernetes.default.svc", "  template:", "    metadata:",
                  f"      name: '{{{{cluster}}}}-{app}'", "    spec:", "      project: default")
            s = "      "
        else:
            w.add("apiVersion: argoproj.io/v1alpha1", "kind: Application", "metadata:",
                  f"  name: {app}-{env}", "  namespace: argocd", "  finalizers:",
                  "    - resources-finalizer.argocd.argoproj.io", "spec:", "  project: default")
            s = "  "
        src_key = "sources:" if multi else "source:"
        w.add(f"{s}{src_key}")
        item = f"{s}  - " if multi else f"{s}  "
        cont = f"{s}    " if multi else f"{s}  "
        w.add(f"{item}repoURL: https://github.com/acme/gitops.git",
              f"{cont}targetRevision: main", f"{cont}path: apps/{app}/overlays/{env}",
              f"{cont}kustomize:", f"{cont}  namePrefix: {env}-", f"{cont}  images:")
        for _ in range(rng.randint(1, 3)):
            ref, form = self.ref("k8s")
            while form == "templated":
                ref, form = self.ref("k8s")
            if rng.random() < 0.3:
                old = self.last_name.rsplit("/", 1)[-1]
                w.add(f"{cont}  - \"{old}={w.m(ref, form)}{ref}\"")
            else:
                w.add(f"{cont}  - {w.q(ref, form)}")
        w.add(f"{s}destination:", f"{s}  server: https://kubernetes.default.svc",
              f"{s}  namespace: {app}-{env}", f"{s}syncPolicy:", f"{s}  automated:",
              f"{s}    prune: true", f"{s}    selfHeal: true", f"{s}  syncOptions:",
              f"{s}    - CreateNamespace=true")
        self.write(f"clusters/{env}/apps/{app}-{self.uniq()}.yaml", w)

    def argo_workflow(self) -> None:
        rng = self.rng
        w = Writer(self, "argo-workflows", "kubernetes")
        kind = rng.choices(["Workflow", "WorkflowTemplate", "CronWorkflow"], [3, 5, 2])[0]
        name = f"{self.app()}-{self.uniq()}"
        w.add("apiVersion: argoproj.io/v1alpha1", f"kind: {kind}", "metadata:",
              f"  name: {name}" if kind != "Workflow" else f"  generateName: {name}-", "spec:")
        s = "  "
        if kind == "CronWorkflow":
            w.add("  schedule: \"0 3 * * *\"", "  concurrencyPolicy: Replace", "  workflowSpec:")
            s = "    "
        w.add(f"{s}entrypoint: main", f"{s}arguments:", f"{s}  parameters:",
              f"{s}  - name: builder-image", f"{s}    value: golang:1.22", f"{s}templates:",
              f"{s}- name: main", f"{s}  dag:", f"{s}    tasks:")
        steps = [f"step-{k}" for k in range(rng.randint(2, 5))]
        prev = None
        for st in steps:
            w.add(f"{s}    - name: {st}", f"{s}      template: {st}")
            if prev:
                w.add(f"{s}      dependencies: [{prev}]")
            prev = st
        for st in steps:
            w.add(f"{s}- name: {st}", f"{s}  inputs:", f"{s}    parameters:",
                  f"{s}    - name: image", f"{s}      value: alpine:3.20")
            ref, form = self.ref("argo", allow_placeholder=False)
            if rng.random() < 0.6:
                w.add(f"{s}  container:", f"{s}    image: {w.q(ref, form)}",
                      f"{s}    command: [sh, -c]", f"{s}    args: [\"echo {st}\"]",
                      f"{s}    resources:", f"{s}      limits:", f"{s}        memory: 256Mi")
            else:
                w.add(f"{s}  script:", f"{s}    image: {w.q(ref, form)}", f"{s}    command: [python]",
                      f"{s}    source: |", f"{s}      import json", f"{s}      print(json.dumps({{'step': '{st}'}}))")
        self.write(f"workflows/argo/{name}.yaml", w)

    def tekton(self) -> None:
        rng = self.rng
        w = Writer(self, "tekton", "kubernetes")
        name = f"{self.app()}-{self.uniq()}"
        if rng.random() < 0.15:
            # a Pipeline without inline images
            w.add("apiVersion: tekton.dev/v1", "kind: Pipeline", "metadata:", f"  name: {name}",
                  "spec:", "  params:", "    - name: revision", "      type: string", "  tasks:",
                  "    - name: fetch", "      taskRef:", "        name: git-clone",
                  "    - name: build", "      runAfter: [fetch]", "      taskRef:",
                  "        name: kaniko")
            self.write(f"tekton/pipelines/{name}.yaml", w)
            return
        w.add("apiVersion: tekton.dev/v1", "kind: Task", "metadata:", f"  name: {name}",
              "  labels:", "    app.kubernetes.io/version: \"0.6\"", "spec:",
              "  description: >-", "    Build and push an image.", "  params:",
              "    - name: builder-image", "      default: gcr.io/kaniko-project/executor:v1.23.0",
              "    - name: version", "      default: latest", "  workspaces:",
              "    - name: source", "  steps:")
        for k in range(rng.randint(1, 4)):
            ref, form = self.ref("tekton", allow_placeholder=False)
            w.add(f"    - name: step-{k}", f"      image: {w.q(ref, form)}",
                  "      workingDir: $(workspaces.source.path)", "      script: |",
                  "        #!/bin/sh", "        set -eu", f"        echo step {k}",
                  "      env:", "        - name: HOME", "          value: /tekton/home")
        if rng.random() < 0.3:
            ref, form = self.ref("tekton", allow_placeholder=False)
            w.add("  sidecars:", "    - name: dind", f"      image: {w.q(ref, form)}",
                  "      securityContext:", "        privileged: true")
        self.write(f"tekton/tasks/{name}.yaml", w)


# weights are per file written
FORMATS = [
    ("k8s_workload", 34), ("k8s_noimage", 8), ("kustomize", 9), ("helm_chart", 2.2),
    ("compose", 4), ("dockerfile", 9), ("github_actions", 3), ("gitlab_ci", 3), ("azure", 3),
    ("argocd", 4), ("argo_workflow", 3), ("tekton", 3),
]


def generate(root: Path, n: int = 10_000, seed: int = 1) -> Result:
    """Write ``n`` files under ``root`` (created if needed) and return what was written."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    g = Gen(root, seed)
    names = [f for f, _ in FORMATS]
    weights = [wt for _, wt in FORMATS]
    remaining = n - 1  # the root .gitlab-ci.yml is written last
    while remaining > 0:
        fmt = g.rng.choices(names, weights)[0]
        if fmt == "helm_chart":
            remaining -= g.helm_chart(remaining)
        else:
            getattr(g, fmt)()
            remaining -= 1
    if n > 0:
        g.gitlab_ci(root=True)
    assert g.result.files == n, (g.result.files, n)
    return g.result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="directory to write the tree into")
    ap.add_argument("--files", type=int, default=10_000, help="number of files (default 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--expected", type=Path,
                    help="write the expected references (path, line, column, kind, ref) as JSON here")
    args = ap.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        print(f"error: {args.out} exists and is not empty", file=sys.stderr)
        return 2
    result = generate(args.out, args.files, args.seed)
    print(result.summary())
    if args.expected:
        args.expected.write_text(json.dumps(result.refs, indent=1) + "\n")
        print(f"expected references written to {args.expected}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
