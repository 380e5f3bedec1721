import { describe, expect, it } from "vitest";
import { GRAFANA_ADMIN_PASSWORD_FILE } from "../configs/grafana";
import { planStack } from "../configs/stack";
import { parseSettings } from "../settings";

describe("Grafana's admin password follows the config, not only on a new database", () => {
  const plan = planStack(parseSettings({ environment: "dev", grafana: { adminPassword: "a-password-of-twenty-chars" } }));

  it("GIVEN an existing database WHEN the container starts THEN the password is reset from the secret file before the image's entrypoint runs", () => {
    const [shell, flag, script, name] = plan.grafana.entrypoint!;
    expect([shell, flag, name]).toEqual(["/bin/sh", "-c", "grafana-entrypoint"]);
    expect(script).toContain('if [ -f "$GF_PATHS_DATA/grafana.db" ]; then');
    expect(script).toContain(`admin reset-admin-password --password-from-stdin < ${GRAFANA_ADMIN_PASSWORD_FILE}`);
    expect(script.trim().split("\n").at(-1)).toBe('exec /run.sh "$@"');
    expect(script.split("\n")[0]).toBe("set -e");
  });

  it("GIVEN a password in config WHEN planned THEN it travels only as the secret file, never in the entrypoint, env or a rendered file", () => {
    expect(plan.grafana.secretFiles.find((f) => f.path === GRAFANA_ADMIN_PASSWORD_FILE)).toBeDefined();
    const plain = JSON.stringify({ entrypoint: plan.grafana.entrypoint, env: plan.grafana.env, files: plan.grafana.files });
    expect(plain).not.toContain("a-password-of-twenty-chars");
  });

  it("GIVEN any stack WHEN Grafana's env is planned THEN sign-up and anonymous access are off, and cookies are secure behind TLS", () => {
    expect(plan.grafana.env).toMatchObject({ GF_USERS_ALLOW_SIGN_UP: "false", GF_AUTH_ANONYMOUS_ENABLED: "false" });
    const tls = planStack(
      parseSettings({
        environment: "dev",
        traefik: { tls: { mode: "acme", email: "ops@example.com" } },
        exposure: { ports: { otlpGrpc: 4317, http: 80, https: 443 } },
      }),
    );
    expect(tls.grafana.env.GF_SECURITY_COOKIE_SECURE).toBe("true");
  });
});
