// Checks what kubeconform cannot in the chart's rendered manifests (scripts/helm-check.sh):
//   - the custom resources (ServiceMonitor, PrometheusRule, ScaledObject) against the validators of
//     the operators' types (npm @kubernetes-models/*, fetched by scripts/services/k8s-tools.sh);
//   - that the chart agrees with the code: every SOMA_* variable it sets is a setting the processes
//     read, the probe paths are the ones the processes serve, the PrometheusRule carries
//     deploy/prometheus/alerts.yml unchanged, the executor gets exactly the capabilities
//     docker-compose.yml gives it and is privileged only with a reason, the gateway's grace period
//     covers its preStop sleep and its shutdown grace.
// Usage: npx tsx scripts/helm-check.ts <validators dir> <rendered.yaml>...
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import YAML from "yaml";
import { loadConfig } from "../lib/config";
import { KAFKA_SASL_PASSWORD_ENV } from "../lib/server/kafka-connection";

interface Probe {
  httpGet?: { path?: string };
}
interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command?: string[] } } };
  securityContext?: {
    privileged?: boolean;
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    procMount?: string;
    seccompProfile?: { type?: string };
    capabilities?: { add?: string[]; drop?: string[] };
  };
}
interface PodSpec {
  hostUsers?: boolean;
  terminationGracePeriodSeconds?: number;
  containers: Container[];
}
interface Doc {
  kind: string;
  metadata: { name: string };
  spec?: {
    groups?: unknown;
    template?: { metadata?: { annotations?: Record<string, string> }; spec: PodSpec };
  };
}
type Validator = new (data: unknown) => { validate(): void };

const ROOT = path.resolve(import.meta.dirname, "..");
const [modelsDir, ...files] = process.argv.slice(2);
if (!modelsDir || files.length === 0) {
  process.stderr.write("usage: npx tsx scripts/helm-check.ts <validators dir> <rendered.yaml>...\n");
  process.exit(2);
}

async function validators(): Promise<Record<string, Validator>> {
  const from = (p: string) => import(pathToFileURL(path.join(modelsDir!, "node_modules", p)).href);
  const po = (await from(
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/index.js",
  )) as Record<string, Validator>;
  const keda = (await from("@kubernetes-models/keda/keda.sh/v1alpha1/index.js")) as Record<string, Validator>;
  return {
    ServiceMonitor: po.ServiceMonitor!,
    PrometheusRule: po.PrometheusRule!,
    ScaledObject: keda.ScaledObject!,
  };
}

// Variables the processes read that are not settings.
const NOT_SETTINGS = new Set([
  "NODE_ENV",
  "NPM_CONFIG_CACHE",
  "SOMA_CONF_DIR",
  "SOMA_SETTINGS_FILE",
  "OTEL_EXPORTER_OTLP_ENDPOINT", // tracing.otlpEndpoint: read by lib/config/env.ts and the SDK
  KAFKA_SASL_PASSWORD_ENV,
]);
const settingNames = new Set(Object.values(loadConfig({ root: ROOT, env: {} }).envNames).flat());
const httpHandler = fs.readFileSync(path.join(ROOT, "server/http-handler.ts"), "utf8");
const alerts = YAML.parse(fs.readFileSync(path.join(ROOT, "deploy/prometheus/alerts.yml"), "utf8")) as {
  groups: unknown;
};
const compose = YAML.parse(fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8")) as {
  services: Record<string, { cap_add?: string[] }>;
};

const problems: string[] = [];
const crs = await validators();
let checked = 0;
for (const file of files) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
  const at = (d: Doc) => `${path.basename(file)}: ${d.kind} ${d.metadata.name}`;
  for (const doc of docs) {
    const Model = crs[doc.kind];
    if (Model) {
      try {
        new Model(doc).validate();
      } catch (err) {
        problems.push(`${at(doc)}: ${(err as Error).message}`);
      }
      checked++;
    }
    if (doc.kind === "PrometheusRule" && !isDeepStrictEqual(doc.spec?.groups, alerts.groups))
      problems.push(`${at(doc)}: its groups differ from deploy/prometheus/alerts.yml`);
    const pod = doc.spec?.template?.spec;
    if (!pod) continue;
    for (const c of pod.containers) {
      for (const { name } of c.env ?? [])
        if (!settingNames.has(name) && !NOT_SETTINGS.has(name))
          problems.push(`${at(doc)}: ${name} is no setting the processes read (lib/config/schema.ts)`);
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        const probed = probe?.httpGet?.path;
        if (probe && (probed === undefined || !["/healthz", "/readyz"].includes(probed)))
          problems.push(`${at(doc)}: probe path ${probed} is not /healthz or /readyz`);
      }
      if (c.name === "gateway") {
        for (const p of ["/healthz", "/readyz"])
          if (!httpHandler.includes(`url.pathname === "${p}"`))
            problems.push(`server/http-handler.ts serves no ${p}`);
        const sleep = Number(c.lifecycle?.preStop?.exec?.command?.[1]);
        const grace = Number(c.env?.find((e) => e.name === "SOMA_SERVER_SHUTDOWN_GRACE_MS")?.value) / 1000;
        if (!((pod.terminationGracePeriodSeconds ?? 30) > sleep + grace))
          problems.push(
            `${at(doc)}: terminationGracePeriodSeconds does not cover preStop ${sleep}s + grace ${grace}s`,
          );
      }
      if (c.name === "executor") {
        const sc = c.securityContext ?? {};
        if (sc.privileged) {
          if (!doc.spec?.template?.metadata?.annotations?.["somaagent.io/privileged-reason"])
            problems.push(`${at(doc)}: privileged without a reason`);
        } else {
          const want = [...(compose.services["tool-executor"]?.cap_add ?? [])].sort();
          const got = [...(sc.capabilities?.add ?? [])].sort();
          if (!isDeepStrictEqual(got, want))
            problems.push(
              `${at(doc)}: capabilities ${got.join(",")} differ from docker-compose.yml's ${want.join(",")}`,
            );
          if (sc.capabilities?.drop?.[0] !== "ALL" || sc.allowPrivilegeEscalation !== false)
            problems.push(`${at(doc)}: must drop ALL capabilities and disallow privilege escalation`);
          if (
            pod.hostUsers !== false ||
            sc.procMount !== "Unmasked" ||
            sc.seccompProfile?.type !== "Unconfined"
          )
            problems.push(
              `${at(doc)}: the userns sandbox needs hostUsers false, procMount Unmasked, seccomp Unconfined`,
            );
        }
      } else if (c.securityContext?.runAsNonRoot !== true || c.securityContext?.privileged)
        problems.push(`${at(doc)}: ${c.name} must run as non-root and unprivileged`);
    }
  }
}
if (problems.length > 0) {
  process.stderr.write(`✘ chart checks failed:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(`chart checks passed: ${files.length} renders, ${checked} custom resources valid\n`);
