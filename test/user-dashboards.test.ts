import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readUserDashboards } from "../dashboards/custom";
import { GRAFANA_DASHBOARDS_DIR } from "../configs/grafana";
import { planStack } from "../configs/stack";
import { parseSettings } from "../settings";

describe("user dashboards (dashboards/custom)", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "custom-"));
  fs.mkdirSync(path.join(root, "team-a"));
  fs.writeFileSync(path.join(root, "team-a", "orders.json"), JSON.stringify({ title: "Orders", uid: "orders" }));
  fs.writeFileSync(path.join(root, "top.json"), JSON.stringify({ title: "Top" }));
  fs.writeFileSync(path.join(root, "notes.md"), "not a dashboard");

  it("GIVEN JSON files in folders WHEN read THEN each is found with its relative path, other files ignored", () => {
    expect(readUserDashboards(root).map((d) => d.path)).toEqual(["team-a/orders.json", "top.json"]);
  });

  it("GIVEN user dashboards WHEN the stack is planned THEN Grafana uploads them under custom/", () => {
    const plan = planStack(parseSettings({ environment: "dev" }), { userDashboards: readUserDashboards(root) });
    const files = Object.fromEntries(plan.grafana.files.map((f) => [f.path, f.content]));
    expect(JSON.parse(files[`${GRAFANA_DASHBOARDS_DIR}/custom/team-a/orders.json`]!).uid).toBe("orders");
    expect(files[`${GRAFANA_DASHBOARDS_DIR}/custom/top.json`]).toBeDefined();
  });

  it("GIVEN a broken JSON file WHEN read THEN it must fail naming the file", () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), "custom-bad-"));
    fs.writeFileSync(path.join(bad, "broken.json"), "{ nope");
    expect(() => readUserDashboards(bad)).toThrow(/broken.json is not valid JSON/);
  });

  it("GIVEN no folder WHEN read THEN there are none", () => {
    expect(readUserDashboards(path.join(root, "missing"))).toEqual([]);
  });
});
