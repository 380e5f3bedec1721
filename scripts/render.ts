/**
 * Write every file a stack would upload into rendered/<stack>/<role>/<path>, so CI can show the
 * rendered-config diff next to `pulumi preview` (whose view of uploads is hidden when a container
 * also carries a secret file). Usage: npm run render -- dev [outDir]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { planStack } from "../configs/stack";
import { parseSettings } from "../settings";
import { PROJECT, readStackFileConfig } from "../settings/stack-file";

const [stack = "dev", outDir = path.join("rendered", stack)] = process.argv.slice(2);
const plan = planStack(parseSettings(readStackFileConfig(stack, path.join(__dirname, "..")), PROJECT));
let count = 0;
for (const service of plan.services) {
  for (const f of service.files) {
    const target = path.join(outDir, service.role, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content);
    count += 1;
  }
  fs.mkdirSync(path.join(outDir, service.role), { recursive: true });
  const meta = {
    image: service.image,
    command: service.command,
    env: service.env,
    memoryMb: service.memoryMb,
    secretFiles: service.secretFiles.map((s) => s.path),
  };
  fs.writeFileSync(path.join(outDir, service.role, "container.json"), `${JSON.stringify(meta, null, 2)}\n`);
}
console.log(`rendered ${count} files for stack ${stack} into ${outDir}`);
