import { beforeAll, describe, expect, it } from "vitest";
import { CONTAINER_POLICY } from "../configs/container";
import { parseSettings, TIERS } from "../settings";
import { NOBODY_UID } from "../settings/names";
import { byType, CONTAINER, labelsOf, ProgramRun, Recorded, runProgram, stackFileConfig } from "./helpers/program";

/**
 * Every container of both committed stacks, service, volume-init job and probe alike, under mocks:
 * the bounds and privileges a reviewer would check with `docker inspect`.
 */
const runs: Partial<Record<"dev" | "prod", ProgramRun>> = {};

beforeAll(async () => {
  for (const stack of ["dev", "prod"] as const) runs[stack] = await runProgram(stackFileConfig(stack), { stack });
});

const isInit = (c: Recorded) => String(c.inputs.name).endsWith("-init");
const isCarrier = (c: Recorded) => String(c.inputs.name).endsWith("-config");
const isService = (c: Recorded) => !isInit(c) && !isCarrier(c);

describe.each(["dev", "prod"] as const)("Pulumi.%s.yaml: every container is bounded and unprivileged", (stack) => {
  const containers = () => byType(runs[stack]!, CONTAINER);

  it("registers, with at least one init job and the collector probe among the containers", () => {
    expect(runs[stack]!.error).toBeUndefined();
    expect(containers().filter(isInit).length).toBeGreaterThan(0);
    expect(containers().map((c) => c.inputs.name)).toContain(`${stack}-otel-collector-probe`);
  });

  it("GIVEN any container WHEN registered THEN it has a process limit, a memory limit without swap, no-new-privileges and drops every capability", () => {
    for (const c of containers()) {
      const what = String(c.inputs.name);
      expect(c.inputs.ulimits, what).toEqual([{ name: "nproc", soft: CONTAINER_POLICY.processLimit, hard: CONTAINER_POLICY.processLimit }]);
      expect(c.inputs.memory, what).toBeGreaterThan(0);
      expect(c.inputs.memorySwap, what).toBe(c.inputs.memory);
      expect(c.inputs.securityOpts, what).toEqual(["no-new-privileges:true"]);
      expect(c.inputs.capabilities.drops, what).toEqual(["ALL"]);
      expect(c.inputs.logOpts, what).toEqual({ "max-size": "10m", "max-file": "3" });
      expect(c.inputs.volumes ?? [], what).not.toContainEqual(expect.objectContaining({ hostPath: "/var/run/docker.sock" }));
    }
  });

  it("GIVEN a volume-init job WHEN registered THEN it runs offline on a read-only root filesystem keeping only what chown -R needs", () => {
    for (const c of containers().filter(isInit)) {
      expect(c.inputs).toMatchObject({ networkMode: "none", readOnly: true, restart: "no", memory: 32 });
      expect(c.inputs.capabilities.adds).toEqual(["CAP_CHOWN", "CAP_DAC_READ_SEARCH"]);
      expect(c.inputs.command[0]).toBe("chown");
    }
  });

  it("GIVEN the collector (FROM scratch, no probe of its own) WHEN registered THEN a read-only busybox sidecar as nobody probes its health endpoint and up waits for it", () => {
    const probe = containers().find((c) => c.inputs.name === `${stack}-otel-collector-probe`)!;
    expect(probe.inputs).toMatchObject({ readOnly: true, user: "65534:65534", wait: true, ports: [] });
    expect(probe.inputs.capabilities.adds).toEqual([]);
    // The collector's health endpoint binds to its backend-network alias: not reachable from the ingest network.
    expect(probe.inputs.healthcheck.tests).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://otel-collector-internal:13133/"]);
    expect(probe.dependsOn).toContain(`${stack}-collector-container`);
    expect(probe.inputs.networksAdvanced).toEqual([{ name: `obs-${stack}-backend`, aliases: ["otel-collector-probe"] }]);
  });

  it("GIVEN the images that run as root WHEN registered THEN Traefik runs as nobody with no capability, and no service is switched to root", () => {
    const traefik = containers().find((c) => c.inputs.name === `${stack}-traefik`)!;
    expect(traefik.inputs.user).toBe("65534:65534");
    expect(traefik.inputs.capabilities.adds).toEqual([]);
    // The image's user unless the plan overrides it; only the collector with logs.dockerLogs (not
    // in these stacks) is switched to root, to read Docker's log files.
    const root = containers().filter((c) => !isInit(c) && (c.inputs.user === "0" || c.inputs.user === "root"));
    expect(root.map((c) => c.inputs.name)).toEqual([]);
  });

  it("GIVEN VictoriaMetrics (its image runs as root) WHEN registered THEN it runs as nobody on a data volume the init job hands to nobody", () => {
    const vm = containers().find((c) => c.inputs.name === `${stack}-victoriametrics`)!;
    expect(vm.inputs.user).toBe(`${NOBODY_UID}:${NOBODY_UID}`);
    const init = containers().find((c) => isInit(c) && c.inputs.command.includes("/victoria-metrics-data"))!;
    expect(init.inputs.command).toEqual(["chown", "-R", `${NOBODY_UID}:${NOBODY_UID}`, "/victoria-metrics-data"]);
  });

  it("GIVEN every service WHEN registered THEN its root filesystem is read-only, /tmp (and what its image writes) is a bounded tmpfs, and its files come read-only from its config volume", () => {
    for (const c of containers().filter(isService)) {
      const what = String(c.inputs.name);
      expect(c.inputs.readOnly, what).toBe(true);
      expect(c.inputs.tmpfs["/tmp"], what).toBe("rw,nosuid,nodev,size=16m,mode=1777");
      expect(c.inputs.uploads ?? [], what).toEqual([]);
      for (const v of c.inputs.volumes ?? []) if (String(v.volumeName).includes("-config-")) expect(v.readOnly, what).toBe(true);
    }
    const grafana = containers().find((c) => c.inputs.name === `${stack}-grafana`)!;
    expect(grafana.inputs.tmpfs["/var/log/grafana"]).toBe("rw,nosuid,nodev,size=16m,uid=472,gid=472,mode=0755");
  });

  it("GIVEN a config carrier WHEN registered THEN it is never started, offline, keeps no capability, and its service names it (new files replace the service)", () => {
    const carriers = containers().filter(isCarrier);
    expect(carriers.length).toBeGreaterThanOrEqual(4);
    for (const c of carriers) {
      expect(c.inputs).toMatchObject({ start: false, mustRun: false, networkMode: "none", memory: 16 });
      expect(c.inputs.capabilities).toEqual({ drops: ["ALL"], adds: [] });
      const service = containers().find((s) => labelsOf(s)["obs.config-carrier"] === `${c.name}-id`);
      expect(service, String(c.inputs.name)).toBeDefined();
      expect(service!.dependsOn).toContain(c.name);
      // Carrier and service mount the same volume at the same path, read-write here (Docker extracts the upload into it) and read-only there.
      const [mount] = c.inputs.volumes;
      expect(service!.inputs.volumes).toContainEqual({ ...mount, readOnly: true });
    }
  });

  it("GIVEN the tier WHEN registered THEN every service has its CPU limit (settings/tiers.ts)", () => {
    const { cpus } = TIERS[parseSettings(stackFileConfig(stack)).tier];
    const expected: Record<string, number> = {
      "otel-collector": cpus.collector,
      "otel-collector-probe": cpus.probe,
      grafana: cpus.grafana,
      traefik: cpus.traefik,
      victoriametrics: cpus.backends,
      jaeger: cpus.backends,
    };
    const actual = Object.fromEntries(
      containers()
        .filter(isService)
        .map((c) => [String(c.inputs.name).slice(stack.length + 1), Number(c.inputs.cpus)]),
    );
    expect(actual).toEqual(expected);
  });

  it("GIVEN a secret file WHEN uploaded THEN no owner is set: the provider's owner/group switch Docker to copy-UIDGID, which resolves the container's uid on the host (Docker 20.10: 'getent unable to find entry \"472\"')", () => {
    for (const c of containers())
      for (const upload of (c.inputs.uploads ?? []) as { file: string; owner?: string; group?: string }[]) {
        expect(upload.owner, `${c.inputs.name} ${upload.file}`).toBeUndefined();
        expect(upload.group, `${c.inputs.name} ${upload.file}`).toBeUndefined();
      }
  });
});
