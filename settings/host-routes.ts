import * as fs from "node:fs";

/**
 * The Docker host's own IPv4 routes, read only when a config is about to be deployed: a stack
 * subnet that overlaps one of them makes the host send that traffic to the new bridge instead
 * (a LAN, a VPN or a route Docker itself added for another host network become unreachable).
 * An offline parse (render, diff, tests) never reads the host.
 */
export interface HostRoute {
  /** The route's destination as a CIDR, e.g. `192.168.1.0/24`. */
  cidr: string;
  /** The interface it leaves through (`eth0`, `wg0`). */
  iface: string;
}

/**
 * Interfaces Docker makes for its own bridge networks and container links: their routes are the
 * stack's and other stacks' networks, which Docker refuses to overlap itself ("Pool overlaps").
 */
const DOCKER_IFACES = /^(docker\d*|br-[0-9a-f]+|veth[0-9a-f]+)$/;

/** `/proc/net/route` as routes: hex little-endian destination and mask; the default route (mask 0) and Docker's own bridges left out. */
export function parseProcNetRoute(text: string): HostRoute[] {
  const hexIp = (hex: string) => [0, 1, 2, 3].map((i) => parseInt(hex.slice(6 - 2 * i, 8 - 2 * i), 16)).join(".");
  const routes: HostRoute[] = [];
  for (const line of text.split("\n").slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (!iface || !destination || !mask || !/^[0-9A-Fa-f]{8}$/.test(destination) || !/^[0-9A-Fa-f]{8}$/.test(mask)) continue;
    if (DOCKER_IFACES.test(iface)) continue;
    const bits = hexIp(mask)
      .split(".")
      .reduce((n, octet) => n + Number(octet).toString(2).replace(/0/g, "").length, 0);
    if (bits === 0) continue;
    routes.push({ cidr: `${hexIp(destination)}/${bits}`, iface });
  }
  return routes;
}

/**
 * This machine's routes, when this machine is the Docker host: a `DOCKER_HOST` that is not a local
 * socket points at another machine, whose routes are not these (then none are checked).
 */
export function readHostRoutes(env: NodeJS.ProcessEnv = process.env): HostRoute[] {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost && !dockerHost.startsWith("unix://")) return [];
  try {
    return parseProcNetRoute(fs.readFileSync("/proc/net/route", "utf8"));
  } catch {
    return [];
  }
}
