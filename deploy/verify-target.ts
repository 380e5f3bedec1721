import type { Settings } from "../settings";
import { DATASOURCE_UIDS } from "../configs/types";
import type { HttpApi, VerifyTarget } from "./verify";

/** A deployed stack's outputs as `stack.outputs()` returns them, values unwrapped. */
export type OutputValues = Partial<Record<string, unknown>>;

export interface ReachOptions {
  /** PEM bundle that signed Traefik's certificate (TLS from files signed by a private CA). */
  caPem?: string;
  /**
   * Address to connect to when `exposure.bindAddress` is 0.0.0.0 (default 127.0.0.1). With engine
   * swarm, Traefik's ports are published in host mode on the data node only (no routing mesh): the
   * data node's address, or the default when verify runs on the data node itself.
   */
  connectAddress?: string;
}

/** OTEL_EXPORTER_OTLP_HEADERS (`k=v,k2=v2`, values percent-encoded) as a header map. */
export function parseOtlpHeaders(value: string): Record<string, string> {
  return Object.fromEntries(
    value
      .split(",")
      .filter((pair) => pair.includes("="))
      .map((pair) => {
        const at = pair.indexOf("=");
        return [decodeURIComponent(pair.slice(0, at).trim()), decodeURIComponent(pair.slice(at + 1).trim())];
      }),
  );
}

/**
 * How to reach a deployed stack from the machine it runs on, without DNS for its domain: every UI
 * through Traefik's published port with the UI's host name as `Host` (and as TLS server name), OTLP
 * on its published port. Built from the validated settings and the stack outputs only.
 *
 * The same with engine swarm: Traefik (pinned to the data node, host-mode ports) routes by its file
 * provider to the services' aliases on the overlays, which Swarm's DNS answers with task addresses
 * (`endpoint_mode: dnsrr`); OTLP goes to the agent the data node publishes, as an app's would.
 */
export function verifyTargetFor(settings: Settings, outputs: OutputValues, options: ReachOptions = {}): VerifyTarget {
  const address = settings.exposure.bindAddress === "0.0.0.0" ? (options.connectAddress ?? "127.0.0.1") : settings.exposure.bindAddress;
  const tls = settings.traefik.tls.mode !== "none";
  const port = tls ? settings.exposure.ports.https : settings.exposure.ports.http;
  const otlpHttp = settings.exposure.ports.otlpHttp;
  if (settings.traefik.mode !== "managed" || port === undefined) {
    throw new Error(
      `verify needs the stack's own Traefik with a published port (traefik.mode: managed, exposure.ports.http/https); traefik.mode is ${settings.traefik.mode}${
        port === undefined ? `, exposure.ports.${tls ? "https" : "http"} is not set` : ""
      }`,
    );
  }
  if (otlpHttp === undefined && !settings.ingest.route) {
    throw new Error("verify sends OTLP over HTTP: publish exposure.ports.otlpHttp or route it (ingest.route)");
  }
  const traefik = `${tls ? "https" : "http"}://${address}:${port}`;
  const via = (outputUrl: unknown, auth?: HttpApi["basicAuth"]): HttpApi => {
    if (typeof outputUrl !== "string") throw new Error("a UI the stack routes has no URL output");
    return {
      url: traefik,
      hostHeader: new URL(outputUrl).host,
      ...(auth ? { basicAuth: auth } : {}),
      ...(options.caPem ? { caPem: options.caPem } : {}),
    };
  };
  const basicAuth = typeof outputs.basicAuthPassword === "string" ? { username: "admin", password: outputs.basicAuthPassword } : undefined;
  const grafanaAuth = { username: String(outputs.grafanaAdminUser), password: String(outputs.grafanaAdminPassword) };
  const grafana = via(outputs.grafanaUrl, grafanaAuth);
  // Backends without a route of their own (Loki, Tempo) are queried through Grafana's datasource proxy.
  const throughGrafana = (uid: string): HttpApi => ({ ...grafana, url: `${grafana.url}/api/datasources/proxy/uid/${uid}` });
  const logsKind = settings.logs.backend;
  return {
    environment: settings.environment,
    otlp: {
      // The published port when there is one, else the Traefik route (as a client off the host would).
      ...(otlpHttp !== undefined
        ? settings.ingest.tls.mode === "files"
          ? {
              endpoint: `https://${address}:${otlpHttp}`,
              caPem: typeof outputs.otlpCaCertificate === "string" ? outputs.otlpCaCertificate : options.caPem,
            }
          : { endpoint: `http://${address}:${otlpHttp}` }
        : {
            endpoint: traefik,
            hostHeader: new URL(String(outputs.otlpHttpEndpoint)).host,
            ...(options.caPem ? { caPem: options.caPem } : {}),
          }),
      ...(typeof outputs.otlpHeaders === "string" ? { headers: parseOtlpHeaders(outputs.otlpHeaders) } : {}),
    },
    metrics: {
      kind: settings.metrics.backend,
      api: outputs.metricsUrl ? via(outputs.metricsUrl, basicAuth) : throughGrafana(DATASOURCE_UIDS.metrics),
    },
    traces: {
      kind: settings.traces.backend,
      api: outputs.tracesUrl ? via(outputs.tracesUrl, basicAuth) : throughGrafana(DATASOURCE_UIDS.traces),
    },
    ...(logsKind === "none"
      ? {}
      : { logs: { kind: logsKind, api: outputs.logsUrl ? via(outputs.logsUrl, basicAuth) : throughGrafana(DATASOURCE_UIDS.logs) } }),
    grafana: {
      api: grafana,
      adminUser: grafanaAuth.username,
      adminPassword: grafanaAuth.password,
      expectDatasources: [DATASOURCE_UIDS.metrics, DATASOURCE_UIDS.traces, ...(logsKind === "none" ? [] : [DATASOURCE_UIDS.logs])],
    },
  };
}
