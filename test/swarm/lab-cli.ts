/**
 * Manual use of the swarm lab (test/swarm/lab.ts):
 *
 *   tsx test/swarm/lab-cli.ts up     [--name lab] [--nodes 3] [--images all|none|<role|tag>,…] [--subnet a.b.c.0/24] [--keep-ingress]
 *   tsx test/swarm/lab-cli.ts status [--name lab]      # every lab when --name is not given
 *   tsx test/swarm/lab-cli.ts down   [--name lab]      # also after a crashed or killed run
 *   npm run swarm:lab -- up|down|status …
 *
 * --images takes roles of $TOOLS_DIR/images.json (collector, init, …) or image tags; default `all`
 * (every image of images.json). The lab stays up after `up`; `down` removes everything it made.
 * Environment: TOOLS_DIR (images.json), OBS_SWARM_LAB_DIR (default /var/lib/obs-swarm-lab).
 */
import { createSwarmLab, destroySwarmLab, labStatus, listLabs, localImages } from "./lab";

const USAGE =
  "usage: tsx test/swarm/lab-cli.ts up|down|status [--name <lab>] [--nodes <n>] [--images all|none|<role|tag>,…] [--subnet a.b.c.0/24] [--keep-ingress]";

function parseArgs(argv: string[]): { command: string; flags: Map<string, string> } {
  const [command, ...rest] = argv;
  const flags = new Map<string, string>();
  const problems: string[] = [];
  const known = new Set(["--name", "--nodes", "--images", "--subnet", "--keep-ingress"]);
  for (let i = 0; i < rest.length; i++) {
    const [key, inline] = rest[i].split("=", 2) as [string, string | undefined];
    if (!known.has(key)) {
      problems.push(`unknown option "${rest[i]}"`);
      continue;
    }
    if (key === "--keep-ingress") flags.set(key, "true");
    else if (inline !== undefined) flags.set(key, inline);
    else if (i + 1 < rest.length) flags.set(key, rest[++i]);
    else problems.push(`${key} needs a value`);
  }
  if (!["up", "down", "status"].includes(command ?? "")) problems.push(`command "${command ?? ""}" is not up, down or status`);
  if (problems.length) {
    console.error(`lab-cli: ${problems.join("; ")}\n${USAGE}`);
    process.exit(2);
  }
  return { command, flags };
}

function resolveImages(spec: string): string[] {
  const known = localImages();
  if (spec === "none") return [];
  if (spec === "all") {
    const all = Object.values(known);
    if (all.length === 0) throw new Error("--images all: $TOOLS_DIR/images.json is missing or empty (build: npm run images)");
    return all;
  }
  return spec
    .split(",")
    .filter(Boolean)
    .map((x) => known[x] ?? x);
}

async function main(): Promise<void> {
  const { command, flags } = parseArgs(process.argv.slice(2));
  const name = flags.get("--name");
  switch (command) {
    case "up": {
      const nodes = Number(flags.get("--nodes") ?? "3");
      const lab = await createSwarmLab({
        name: name ?? "lab",
        nodes,
        images: resolveImages(flags.get("--images") ?? "all"),
        subnet: flags.get("--subnet"),
        keepIngress: flags.has("--keep-ingress"),
      });
      const t = lab.timings;
      console.log(`lab "${lab.name}" up on ${lab.subnet} (host ${lab.hostIp}), dir ${lab.dir}`);
      for (const n of lab.nodes) {
        console.log(
          `  ${n.name.padEnd(6)} ${n.role.padEnd(8)} ${n.ip.padEnd(15)} ${n.hostname.padEnd(16)} ${n.dockerHost}${n.isDataNode ? `  [${lab.dataNodeLabel.key}=${lab.dataNodeLabel.value}]` : ""}`,
        );
      }
      console.log(
        `timings: network ${t.networkMs} ms, daemons ${t.daemonsMs} ms, swarm ${t.swarmMs} ms, up ${t.upMs} ms` +
          (t.images
            ? `; images ${(t.images.bytes / 1e6).toFixed(1)} MB x ${lab.nodes.length} nodes in ${t.images.totalMs} ms (${Object.entries(
                t.images.perNodeMs,
              )
                .map(([k, v]) => `${k} ${v} ms`)
                .join(", ")})`
            : ""),
      );
      for (const m of lab.memory()) {
        console.log(`  ${m.node}: dockerd ${m.dockerdRssMb} MB RSS, containerd ${m.containerdRssMb ?? "?"} MB RSS`);
      }
      console.log(`use: export DOCKER_HOST=${lab.manager.dockerHost}`);
      console.log(`down: tsx test/swarm/lab-cli.ts down --name ${lab.name}`);
      return;
    }
    case "down": {
      const r = await destroySwarmLab(name ?? "lab");
      if (!r.hadState && r.removedNetns.length === 0 && r.killedTasks + r.killedLeftovers === 0) {
        console.log(`lab "${r.name}": nothing to tear down`);
        return;
      }
      console.log(
        `lab "${r.name}": ${r.hadState ? "" : "no state file; "}torn down in ${r.totalMs} ms ` +
          `(daemons stopped ${r.stoppedDaemons}, killed ${r.killedDaemons}; task processes killed ${r.killedTasks}, other processes ${r.killedLeftovers}; ` +
          `unmounted ${r.unmounted}; netns removed ${r.removedNetns.length}); nothing left`,
      );
      return;
    }
    case "status": {
      const names = name ? [name] : listLabs();
      if (names.length === 0) console.log("no swarm lab");
      for (const n of names) console.log(JSON.stringify(await labStatus(n), null, 2));
      return;
    }
  }
}

main().catch((err: Error) => {
  console.error(`lab-cli: ${err.message}`);
  process.exit(1);
});
