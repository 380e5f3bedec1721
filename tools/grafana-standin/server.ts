/**
 * The stand-in's HTTP API: the subset of Grafana's API this project's tests and `verify` use, with
 * Grafana's response shapes. Basic auth with the admin user where Grafana requires a login.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { AdminStore } from "./admin-store";
import { checkHealth, datasourceHeaders, joinUrl } from "./datasource-client";
import { buildReport } from "./report";
import { slugify, type Dashboard, type Datasource, type Provisioning } from "./provisioning";

export interface ServerContext {
  prov: Provisioning;
  admin: AdminStore;
  version: string;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, params: string[], url: URL) => void | Promise<void>;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

const LOGIN_PAGE = (version: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Grafana stand-in</title></head>
<body>
<h1>Grafana stand-in</h1>
<p>This is <strong>not Grafana</strong>: it is the obs-stack test stand-in (${version}) that serves the
provisioning and HTTP API subset the project's tests use. Users of the program get the real
grafana/grafana image.</p>
<form method="post" action="/login"><input name="user" placeholder="user"> <input name="password" type="password" placeholder="password"> <button>Log in (stand-in)</button></form>
</body></html>
`;

function datasourceListItem(d: Datasource) {
  return {
    id: d.id,
    uid: d.uid,
    orgId: d.orgId,
    name: d.name,
    type: d.type,
    typeName: d.type,
    typeLogoUrl: "",
    access: d.access,
    url: d.url,
    user: d.user,
    database: d.database,
    basicAuth: d.basicAuth,
    isDefault: d.isDefault,
    jsonData: d.jsonData,
    readOnly: !d.editable,
  };
}

function datasourceDetail(d: Datasource) {
  return {
    ...datasourceListItem(d),
    basicAuthUser: d.basicAuthUser,
    withCredentials: d.withCredentials,
    // Grafana serves which secure fields are set, never their values.
    secureJsonFields: Object.fromEntries(Object.keys(d.secureJsonData).map((k) => [k, true])),
    version: d.version,
    apiVersion: "",
  };
}

function dashboardUrl(d: Dashboard): string {
  return `/d/${d.uid}/${slugify(d.title)}`;
}

function searchHit(d: Dashboard) {
  return {
    id: d.id,
    uid: d.uid,
    title: d.title,
    uri: `db/${slugify(d.title)}`,
    url: dashboardUrl(d),
    slug: "",
    type: "dash-db",
    tags: d.tags,
    isStarred: false,
    ...(d.folder
      ? { folderId: d.folder.id, folderUid: d.folder.uid, folderTitle: d.folder.title, folderUrl: `/dashboards/f/${d.folder.uid}/` }
      : {}),
  };
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the caller's credentials never reach the datasource. */
const DROP_REQUEST_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "authorization",
  "cookie",
]);
const DROP_RESPONSE_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "set-cookie"]);

function proxy(
  ds: Datasource,
  rest: string,
  search: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  ctx: ServerContext,
): void {
  let target: URL;
  try {
    target = joinUrl(ds.url, `${rest}${search}`);
  } catch {
    json(res, 502, { message: `datasource ${ds.uid} has no valid URL` });
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined && !DROP_REQUEST_HEADERS.has(name)) headers[name] = value;
  Object.assign(headers, datasourceHeaders(ds));
  const client = target.protocol === "https:" ? https : http;
  const upstream = client.request(target, { method: req.method, headers, timeout: 60_000 }, (answer) => {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined && !DROP_RESPONSE_HEADERS.has(name)) out[name] = value;
    res.writeHead(answer.statusCode ?? 502, out);
    answer.pipe(res);
  });
  upstream.on("timeout", () => upstream.destroy(new Error("timed out")));
  upstream.on("error", (error) => {
    ctx.log("datasource proxy request failed", { uid: ds.uid, error: error.message });
    if (!res.headersSent) json(res, 502, { message: `Bad Gateway (stand-in proxy to datasource ${ds.uid}: ${error.message})` });
    else res.destroy();
  });
  req.pipe(upstream);
}

export function createServer(ctx: ServerContext): http.Server {
  const { prov } = ctx;
  const datasource = (uid: string) => prov.datasources.find((d) => d.uid === uid);

  // [method or *, path pattern, needs auth, handler]
  const routes: [string, RegExp, boolean, Handler][] = [
    ["GET", /^\/api\/health$/, false, (_req, res) => json(res, 200, { database: "ok", version: ctx.version, commit: "stand-in" })],
    [
      "GET",
      /^\/login$/,
      false,
      (_req, res) => {
        const page = LOGIN_PAGE(ctx.version);
        res.writeHead(200, { "content-type": "text/html; charset=UTF-8", "content-length": Buffer.byteLength(page) });
        res.end(page);
      },
    ],
    [
      "GET",
      /^\/$/,
      false,
      (_req, res) => {
        res.writeHead(302, { location: "/login" });
        res.end();
      },
    ],
    [
      "GET",
      /^\/api\/user$/,
      true,
      (_req, res) => {
        const login = ctx.admin.login();
        json(res, 200, {
          id: 1,
          uid: "standin-admin",
          email: "admin@localhost",
          name: "",
          login,
          orgId: 1,
          isGrafanaAdmin: true,
          isDisabled: false,
          isExternal: false,
          authLabels: [],
        });
      },
    ],
    ["GET", /^\/api\/datasources$/, true, (_req, res) => json(res, 200, prov.datasources.map(datasourceListItem))],
    [
      "GET",
      /^\/api\/datasources\/uid\/([^/]+)$/,
      true,
      (_req, res, [uid]) => {
        const d = datasource(uid!);
        if (!d) json(res, 404, { message: "Data source not found" });
        else json(res, 200, datasourceDetail(d));
      },
    ],
    [
      "GET",
      /^\/api\/datasources\/name\/([^/]+)$/,
      true,
      (_req, res, [name]) => {
        const d = prov.datasources.find((x) => x.name === name);
        if (!d) json(res, 404, { message: "Data source not found" });
        else json(res, 200, datasourceDetail(d));
      },
    ],
    [
      "GET",
      /^\/api\/datasources\/uid\/([^/]+)\/health$/,
      true,
      async (_req, res, [uid]) => {
        const d = datasource(uid!);
        if (!d) return json(res, 404, { message: "Data source not found" });
        const result = await checkHealth(d);
        if (result.body.status !== "OK")
          ctx.log("datasource health check failed", { uid: d.uid, type: d.type, message: result.body.message });
        json(res, result.httpStatus, result.body);
      },
    ],
    [
      "*",
      /^\/api\/datasources\/proxy\/uid\/([^/]+)(\/.*)?$/,
      true,
      (req, res, [uid, rest], url) => {
        const d = datasource(uid!);
        if (!d) return json(res, 404, { message: "Unable to find datasource" });
        proxy(d, rest ?? "/", url.search, req, res, ctx);
      },
    ],
    [
      "GET",
      /^\/api\/search$/,
      true,
      (_req, res, _p, url) => {
        const type = url.searchParams.get("type");
        const query = (url.searchParams.get("query") ?? "").toLowerCase();
        const tags = url.searchParams.getAll("tag");
        const uids = url.searchParams.getAll("dashboardUIDs").flatMap((u) => u.split(","));
        const folderUids = url.searchParams.getAll("folderUIDs").flatMap((u) => u.split(","));
        const folders =
          type === null || type === "dash-folder"
            ? prov.folders
                .filter((f) => f.title.toLowerCase().includes(query) && tags.length === 0 && uids.length === 0)
                .map((f) => ({
                  id: f.id,
                  uid: f.uid,
                  title: f.title,
                  uri: `db/${slugify(f.title)}`,
                  url: `/dashboards/f/${f.uid}/`,
                  slug: "",
                  type: "dash-folder",
                  tags: [],
                  isStarred: false,
                }))
            : [];
        const dashboards =
          type === null || type === "dash-db"
            ? prov.dashboards
                .filter((d) => d.title.toLowerCase().includes(query))
                .filter((d) => tags.every((t) => d.tags.includes(t)))
                .filter((d) => uids.length === 0 || uids.includes(d.uid))
                .filter((d) => folderUids.length === 0 || folderUids.includes(d.folder?.uid ?? "general"))
                .map(searchHit)
            : [];
        json(res, 200, [...folders, ...dashboards]);
      },
    ],
    [
      "GET",
      /^\/api\/dashboards\/uid\/([^/]+)$/,
      true,
      (_req, res, [uid]) => {
        const d = prov.dashboards.find((x) => x.uid === uid);
        if (!d) return json(res, 404, { message: "Dashboard not found" });
        json(res, 200, {
          dashboard: { ...d.json, id: d.id, uid: d.uid, version: d.json.version ?? 1 },
          meta: {
            type: "db",
            canSave: false,
            canEdit: false,
            canAdmin: true,
            canStar: false,
            canDelete: false,
            slug: slugify(d.title),
            url: dashboardUrl(d),
            expires: "0001-01-01T00:00:00Z",
            created: "",
            updated: "",
            version: d.json.version ?? 1,
            hasAcl: false,
            isFolder: false,
            folderId: d.folder?.id ?? 0,
            folderUid: d.folder?.uid ?? "",
            folderTitle: d.folder?.title ?? "General",
            folderUrl: d.folder ? `/dashboards/f/${d.folder.uid}/` : "",
            provisioned: true,
            provisionedExternalId: d.externalId,
          },
        });
      },
    ],
    [
      "GET",
      /^\/api\/folders$/,
      true,
      (_req, res) =>
        json(
          res,
          200,
          prov.folders.map((f) => ({ id: f.id, uid: f.uid, title: f.title })),
        ),
    ],
    [
      "GET",
      /^\/api\/folders\/([^/]+)$/,
      true,
      (_req, res, [uid]) => {
        const f = prov.folders.find((x) => x.uid === uid);
        if (!f) json(res, 404, { message: "folder not found" });
        else
          json(res, 200, {
            id: f.id,
            uid: f.uid,
            title: f.title,
            url: `/dashboards/f/${f.uid}/`,
            canSave: false,
            canEdit: false,
            canAdmin: true,
          });
      },
    ],
    ["GET", /^\/api\/v1\/provisioning\/alert-rules$/, true, (_req, res) => json(res, 200, prov.rules)],
    [
      "GET",
      /^\/api\/v1\/provisioning\/alert-rules\/([^/]+)$/,
      true,
      (_req, res, [uid]) => {
        const rule = prov.rules.find((r) => r.uid === uid);
        if (!rule) json(res, 404, { message: "alert rule not found" });
        else json(res, 200, rule);
      },
    ],
    [
      "GET",
      /^\/api\/v1\/provisioning\/contact-points$/,
      true,
      // Grafana redacts secure settings; a webhook/Slack URL is one.
      (_req, res) =>
        json(
          res,
          200,
          prov.contactPoints.map((c) => ({
            ...c,
            settings: Object.fromEntries(
              Object.entries(c.settings).map(([k, v]) => [k, /url|token|password|secret/i.test(k) ? "[REDACTED]" : v]),
            ),
            provenance: "file",
          })),
        ),
    ],
    [
      "GET",
      /^\/api\/v1\/provisioning\/policies$/,
      true,
      (_req, res) => {
        if (!prov.policies) return json(res, 200, { receiver: "grafana-default-email", group_by: ["grafana_folder", "alertname"] });
        const { orgId: _orgId, ...tree } = prov.policies;
        json(res, 200, { ...tree, provenance: "file" });
      },
    ],
    [
      "GET",
      /^\/api\/standin\/report$/,
      true,
      async (_req, res) => {
        const report = await buildReport(prov, ctx.version);
        ctx.log("report", {
          queries: report.counts.queries,
          ok: report.counts.ok,
          failed: report.counts.failed,
          skipped: report.counts.skipped,
        });
        json(res, 200, report);
      },
    ],
  ];

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://stand-in.local");
    const method = req.method ?? "GET";
    const run = async () => {
      for (const [m, pattern, auth, handler] of routes) {
        const match = pattern.exec(url.pathname);
        if (!match || (m !== "*" && m !== method && !(m === "GET" && method === "HEAD"))) continue;
        if (auth && !ctx.admin.check(req.headers.authorization)) {
          req.resume();
          return json(res, 401, { message: "Unauthorized" });
        }
        const params = match.slice(1).map((p) => (p === undefined || p.startsWith("/") ? p : decodeURIComponent(p))) as string[];
        return handler(req, res, params, url);
      }
      req.resume();
      if (url.pathname.startsWith("/api/") && !ctx.admin.check(req.headers.authorization))
        return json(res, 401, { message: "Unauthorized" });
      json(res, 404, { message: "Not found (this path is not served by the Grafana stand-in)" });
    };
    run().catch((error: Error) => {
      ctx.log("request failed", { method, path: url.pathname, error: error.message });
      if (!res.headersSent) json(res, 500, { message: `stand-in internal error: ${error.message}` });
      else res.destroy();
    });
  });
}
