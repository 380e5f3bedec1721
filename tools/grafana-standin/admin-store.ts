/**
 * The stand-in's admin user: `$GF_PATHS_DATA/grafana.db`, a small JSON file (NOT Grafana's SQLite
 * database) holding the login and a salted scrypt hash. As Grafana seeds a new database, it is
 * created from GF_SECURITY_ADMIN_USER / GF_SECURITY_ADMIN_PASSWORD on the first start only; after
 * that only `cli admin reset-admin-password` changes the password. No password is ever logged.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const DB_FILE = "grafana.db";

interface StoredAdmin {
  format: string;
  login: string;
  salt: string;
  hash: string;
  updatedAt: string;
}

const FORMAT = "obs-stack grafana stand-in admin store v1 (not a Grafana database)";

function hash(password: string, salt: string): string {
  return crypto.scryptSync(password, Buffer.from(salt, "hex"), 32).toString("hex");
}

export class AdminStore {
  private readonly file: string;
  /** Authorization header values already verified against the current hash (scrypt is slow on purpose). */
  private readonly verified = new Set<string>();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, DB_FILE);
  }

  exists(): boolean {
    return fs.existsSync(this.file);
  }

  private read(): StoredAdmin {
    const stored = JSON.parse(fs.readFileSync(this.file, "utf8")) as StoredAdmin;
    if (stored.format !== FORMAT || !stored.login || !stored.salt || !stored.hash) {
      throw new Error(`${this.file} is not a stand-in admin store (format ${JSON.stringify(stored.format)})`);
    }
    return stored;
  }

  private write(login: string, password: string): void {
    const salt = crypto.randomBytes(16).toString("hex");
    const stored: StoredAdmin = { format: FORMAT, login, salt, hash: hash(password, salt), updatedAt: new Date().toISOString() };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.file);
    this.verified.clear();
  }

  /** First start: seed from the environment. Returns false when the store already existed. */
  seed(login: string, password: string): boolean {
    if (this.exists()) return false;
    this.write(login, password);
    return true;
  }

  /** `reset-admin-password`: keeps the login, replaces the hash (creates the store if missing). */
  resetPassword(password: string, loginIfNew: string): void {
    const login = this.exists() ? this.read().login : loginIfNew;
    this.write(login, password);
  }

  login(): string {
    return this.read().login;
  }

  /** Check `Authorization: Basic …`; the login on success. */
  check(authorization: string | undefined): string | undefined {
    if (!authorization || !/^basic /i.test(authorization)) return undefined;
    const stored = this.read();
    // Keyed by the stored hash too: a reset by the CLI while the server runs takes effect at once.
    const key = `${stored.hash} ${authorization}`;
    if (this.verified.has(key)) return stored.login;
    const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const expected = Buffer.from(stored.hash, "hex");
    const actual = Buffer.from(hash(password, stored.salt), "hex");
    const ok = user === stored.login && crypto.timingSafeEqual(expected, actual);
    if (!ok) return undefined;
    this.verified.add(key);
    return stored.login;
  }
}
