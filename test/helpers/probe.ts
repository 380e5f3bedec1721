import * as fs from "node:fs";
import { docker } from "../../bench/lib/deploy-harness";

/** TCP ports a container listens on (IPv4 and IPv6 sockets: Go's `:port` is a dual-stack IPv6 one), from its network namespace. */
export function listeningPorts(pid: number): number[] {
  const ports = new Set<number>();
  for (const file of ["tcp", "tcp6"]) {
    const rows = fs.readFileSync(`/proc/${pid}/net/${file}`, "utf8").trim().split("\n").slice(1);
    for (const cols of rows.map((row) => row.trim().split(/\s+/))) {
      if (cols[3] === "0A") ports.add(parseInt(cols[1]!.split(":")[1]!, 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * TCP connects from a fresh container on `network` (`nodeImage` must have /usr/local/bin/node: the
 * Grafana stand-in's), each 3 s at most: "open", "timeout" or the error code. What an application
 * on that network can reach. The container carries `obs.stack=<environment>` so a purge removes it.
 */
export async function probeFrom(
  network: string,
  targets: { host: string; port: number }[],
  nodeImage: string,
  environment: string,
): Promise<string[]> {
  const script = `
const net = require("net");
const targets = ${JSON.stringify(targets)};
const probe = (t) => new Promise((resolve) => {
  const s = net.connect({ host: t.host, port: t.port });
  const timer = setTimeout(() => { s.destroy(); resolve("timeout"); }, 3000);
  s.on("connect", () => { clearTimeout(timer); s.destroy(); resolve("open"); });
  s.on("error", (e) => { clearTimeout(timer); resolve(e.code || String(e)); });
});
Promise.all(targets.map(probe)).then((r) => console.log(JSON.stringify(r)));`;
  const out = await docker(
    "run",
    "--rm",
    "--network",
    network,
    "--label",
    `obs.stack=${environment}`,
    "--entrypoint",
    "/usr/local/bin/node",
    nodeImage,
    "-e",
    script,
  );
  return JSON.parse(out.split("\n").pop()!) as string[];
}
