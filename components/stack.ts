import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ChosenBackend } from "../configs/backends";
import { htpasswdSha1Line, otlpHeadersEnv } from "../configs/credentials";
import type { StackPlan } from "../configs/stack";
import type { GeneratedSecret, SecretSource } from "../configs/types";
import { Secret } from "../settings";
import { Backend } from "./backend";
import { Grafana } from "./grafana";
import { OtelCollector } from "./otel-collector";
import { DockerEngine, Engine } from "./engine";
import { SwarmEngine } from "./engine-swarm";
import { ServiceCommon } from "./service";
import { Traefik } from "./traefik";

/** Keys the names of the Swarm Secrets (components/engine-swarm.ts): generated once per stack, kept in its state. */
const SWARM_SECRET_NAME_KEY: GeneratedSecret = { generate: { name: "swarm-secret-name-key", length: 32 } };

export interface ObservabilityStackArgs {
  /** The whole stack as data (configs/stack.ts `planStack`): every decision is already in it. */
  plan: StackPlan;
}

/**
 * The whole stack on its networks (configs/stack.ts planNetworks): collector, backends, Grafana and
 * (optionally) Traefik.
 * It walks the plan and creates what it says (as pulumi-eks hands its constructor off to functions).
 */
export class ObservabilityStack extends pulumi.ComponentResource {
  readonly plan: StackPlan;
  /**
   * The stack outputs. A key is present only when it has a value (no logs backend: no `logsUrl`;
   * no basic auth: no `basicAuthPassword`), so `pulumi up` never warns about undefined outputs.
   */
  readonly outputs: StackOutputs;

  constructor(name: string, args: ObservabilityStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("obs:stack:ObservabilityStack", name, {}, opts);
    const { plan } = args;
    this.plan = plan;
    const child = { parent: this };

    // One RandomPassword per generated secret name, however many files or outputs use it.
    const generated = new Map<string, random.RandomPassword>();
    const password = ({ generate }: GeneratedSecret) => {
      let created = generated.get(generate.name);
      if (!created) {
        created = new random.RandomPassword(`${name}-${generate.name}`, { length: generate.length, special: false }, child);
        generated.set(generate.name, created);
      }
      return created;
    };
    const reveal = (source: SecretSource): pulumi.Output<string> => {
      if (source instanceof Secret) return pulumi.secret(pulumi.output(source.reveal()));
      if ("basicAuthUsers" in source) {
        const { user, password: generated, hash } = source.basicAuthUsers;
        if (hash === "sha1") return pulumi.secret(password(generated).result.apply((value) => htpasswdSha1Line(user, value)));
        return pulumi.secret(pulumi.interpolate`${user}:${password(generated).bcryptHash}`);
      }
      if ("otlpHeaders" in source) {
        const { user, password: generated } = source.otlpHeaders;
        return pulumi.secret(password(generated).result.apply((value) => otlpHeadersEnv(user, value)));
      }
      return pulumi.secret(password(source).result);
    };

    // The one place the engine is chosen: the plan says whether it is a Swarm's (configs/swarm.ts).
    const engine: Engine = plan.swarm ? new SwarmEngine(this, plan.swarm, password(SWARM_SECRET_NAME_KEY).result) : new DockerEngine(this);

    // Every network the plan lists: the stack's own are created; an external Traefik's is only joined by name.
    const networks: Record<string, pulumi.Input<string>> = {};
    let ingest: pulumi.Output<string> | undefined;
    for (const planned of plan.networks) {
      if (!planned.create) {
        networks[planned.name] = planned.name;
        continue;
      }
      const created = engine.createNetwork(`${name}-${planned.purpose === "ingest" ? "network" : `${planned.purpose}-network`}`, planned);
      networks[planned.name] = created;
      if (planned.purpose === "ingest") ingest = created;
    }
    if (!ingest) throw new pulumi.ResourceError("the plan has no ingest network (the one applications join)", this);
    const initImageId = engine.helperImage(`${name}-init-image`, plan.initImage);
    const basicAuth = plan.basicAuth ? password(plan.basicAuth.password) : undefined;
    const common: ServiceCommon = { ...plan.common, networks, initImageId, reveal, engine };

    const backend = (signal: string, chosen: ChosenBackend) =>
      new Backend(`${name}-${signal}`, { chosen, wiring: plan.wiring[chosen.plan.service.role]!, common }, child);
    const backends = [
      backend("metrics", plan.backends.metrics),
      backend("traces", plan.backends.traces),
      ...(plan.backends.logs ? [backend("logs", plan.backends.logs)] : []),
    ];
    const afterBackends = { ...child, dependsOn: backends };
    new OtelCollector(
      `${name}-collector`,
      {
        plan: plan.collector,
        wiring: plan.wiring[plan.collector.role]!,
        probe: { plan: plan.collectorProbe, wiring: plan.wiring[plan.collectorProbe.role]! },
        agent: plan.swarm ? { plan: plan.swarm.agent, wiring: plan.wiring[plan.swarm.agent.role]! } : undefined,
        common,
      },
      afterBackends,
    );
    new Grafana(`${name}-grafana`, { plan: plan.grafana, wiring: plan.wiring[plan.grafana.role]!, common }, afterBackends);
    if (plan.traefik) new Traefik(`${name}-traefik`, { plan: plan.traefik, wiring: plan.wiring[plan.traefik.role]!, common }, child);

    this.outputs = definedOutputs({
      // The network applications join: the ingest network, where only the collector's OTLP ports answer.
      networkName: ingest,
      grafanaUrl: plan.urls.grafana,
      tracesUrl: plan.urls.traces,
      metricsUrl: plan.urls.metrics,
      logsUrl: plan.urls.logs,
      otlpGrpcEndpoint: plan.outputs.otlpGrpcEndpoint,
      otlpHttpEndpoint: plan.outputs.otlpHttpEndpoint,
      otlpHeaders: plan.outputs.otlpHeaders ? reveal(plan.outputs.otlpHeaders) : undefined,
      otlpCaCertificate: plan.outputs.otlpCaCertificate,
      grafanaAdminUser: plan.outputs.grafanaAdminUser,
      grafanaAdminPassword: reveal(plan.outputs.grafanaAdminPassword),
      basicAuthPassword: basicAuth ? pulumi.secret(basicAuth.result) : undefined,
    });
    this.registerOutputs(this.outputs);
  }
}

/** What the stack exports; optional keys are left out when they have no value. */
export interface StackOutputs {
  networkName: pulumi.Output<string>;
  grafanaUrl?: pulumi.Output<string>;
  tracesUrl?: pulumi.Output<string>;
  metricsUrl?: pulumi.Output<string>;
  logsUrl?: pulumi.Output<string>;
  otlpGrpcEndpoint?: pulumi.Output<string>;
  otlpHttpEndpoint?: pulumi.Output<string>;
  /** OTEL_EXPORTER_OTLP_HEADERS for clients (a secret), when the receivers require credentials. */
  otlpHeaders?: pulumi.Output<string>;
  otlpCaCertificate?: pulumi.Output<string>;
  grafanaAdminUser: pulumi.Output<string>;
  grafanaAdminPassword: pulumi.Output<string>;
  basicAuthPassword?: pulumi.Output<string>;
}

type OutputInputs = Record<keyof StackOutputs, pulumi.Input<string> | undefined>;

function definedOutputs(values: OutputInputs): StackOutputs {
  const outputs: Record<string, pulumi.Output<string>> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) outputs[key] = pulumi.output(value);
  return outputs as unknown as StackOutputs;
}
