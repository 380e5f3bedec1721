/**
 * `npm run up` prints the outputs the engine reported for the stack resource (deploy/cli.ts), not a
 * read-back through `pulumi stack output`: the engine's secret envelope must stay a secret wherever it
 * sits, and nothing else may be taken for one. The envelope below is what the engine (CLI 3.259.0)
 * sent for `pulumi.secret(...)` outputs of an Automation API program; test/deploy/cli.test.ts checks the
 * real stack's printed outputs.
 */
import { describe, expect, it } from "vitest";
import { formatOutputs, outputsFromEvent } from "../deploy/format";

const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "[secret]" };

describe("outputs from the engine's stack event", () => {
  it("GIVEN the engine's secret envelope WHEN read THEN the output is secret and carries no value", () => {
    const outputs = outputsFromEvent({ grafanaAdminPassword: SECRET, grafanaUrl: "http://grafana.ddev.site", otlpPorts: 4317 });
    expect(outputs).toEqual({
      grafanaAdminPassword: { value: undefined, secret: true },
      grafanaUrl: { value: "http://grafana.ddev.site", secret: false },
      otlpPorts: { value: 4317, secret: false },
    });
    expect(formatOutputs(outputs).split("\n")).toEqual([
      "grafanaAdminPassword  [secret]",
      "grafanaUrl            http://grafana.ddev.site",
      "otlpPorts             4317",
    ]);
  });

  it("GIVEN a secret inside a plain output WHEN printed THEN it shows as [secret] where it sits", () => {
    const outputs = outputsFromEvent({ endpoints: { user: "admin", password: SECRET, ports: [4317, SECRET] } });
    expect(outputs.endpoints).toEqual({ value: { user: "admin", password: "[secret]", ports: [4317, "[secret]"] }, secret: false });
    expect(formatOutputs(outputs)).toBe('endpoints  {"user":"admin","password":"[secret]","ports":[4317,"[secret]"]}');
  });

  it("GIVEN plain values that look like the placeholder WHEN read THEN they are not taken for secrets", () => {
    expect(outputsFromEvent({ a: "[secret]", b: { ciphertext: "[secret]" } })).toEqual({
      a: { value: "[secret]", secret: false },
      b: { value: { ciphertext: "[secret]" }, secret: false },
    });
  });
});
