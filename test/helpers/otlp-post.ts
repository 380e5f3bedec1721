import * as https from "node:https";

/**
 * A raw OTLP/HTTP POST of an empty JSON export request over TLS: the status code the receiver (or
 * Traefik in front of it) answers, for the auth tests. `host` is sent as `Host` and as the TLS
 * server name when the target is reached by address (Traefik's route without DNS).
 */
export function postOtlpJson(target: { port: number; ca: string; host?: string }, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port: target.port,
        path: "/v1/metrics",
        method: "POST",
        ca: target.ca,
        ...(target.host ? { servername: target.host } : {}),
        headers: { ...(target.host ? { Host: target.host } : {}), "Content-Type": "application/json", ...headers },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end("{}");
  });
}
