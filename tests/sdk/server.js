// Starts a live `cairn serve` on a free loopback port with a temporary data folder and a superuser,
// for one test file (`dir` is that folder); `stop()` ends it and removes the folder. With CAIRN_TEST_POSTGRES (an Npgsql
// connection string to a server we may create databases on, as scripts/test.sh sets it) the server runs
// on PostgreSQL instead, in a fresh database that `stop()` drops. Also the small helpers every test file
// shares: a signed-in superuser client and an assertion on the SDK's ClientResponseError.
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import assert from "node:assert/strict";
import PocketBase, { ClientResponseError } from "pocketbase";

export const SUPERUSER = { email: "root@example.com", password: "password123" };

const dll = process.env.CAIRN_DLL;
if (!dll) throw new Error("CAIRN_DLL must point at the built Cairn.Server.dll (scripts/test.sh sets it)");

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}

const postgresAdmin = process.env.CAIRN_TEST_POSTGRES || null;

/** Npgsql's "Key=Value;…" form as a Map with lower-case keys, e.g. host, port, username, password, database. */
function parseNpgsql(connectionString) {
  const parts = new Map();
  for (const part of connectionString.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return parts;
}

/** Runs one SQL statement with psql on CAIRN_TEST_POSTGRES's maintenance database; throws with psql's message. */
function psql(sql) {
  const admin = parseNpgsql(postgresAdmin);
  const conninfo = [
    `host=${admin.get("host") ?? admin.get("server") ?? "127.0.0.1"}`,
    `port=${admin.get("port") ?? "5432"}`,
    `user=${admin.get("username") ?? admin.get("user id") ?? admin.get("user") ?? "postgres"}`,
    `dbname=${admin.get("database") ?? "postgres"}`,
  ].join(" ");
  // The password travels in the environment, not on a command line other users can read.
  const env = { ...process.env, PGPASSWORD: admin.get("password") ?? "" };
  try {
    execFileSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql], { env, stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    throw new Error(`psql failed on ${conninfo} running ${sql}: ${e.stderr?.toString().trim() || e.message}`);
  }
}

/** A new empty database on CAIRN_TEST_POSTGRES: its name and the --db connection string, or null on SQLite. */
function createDatabase() {
  if (!postgresAdmin) return null;
  const name = `cairn_sdk_${randomBytes(8).toString("hex")}`;
  psql(`CREATE DATABASE "${name}"`);
  const parts = parseNpgsql(postgresAdmin);
  parts.set("database", name);
  return { name, connectionString: [...parts].map(([k, v]) => `${k}=${v}`).join(";") };
}

function dropDatabase(database) {
  // FORCE ends connections the server's pool may still hold after a SIGKILL.
  if (database) psql(`DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`);
}

export async function startCairn() {
  const database = createDatabase();
  const dir = mkdtempSync(join(tmpdir(), "cairn-sdk-"));
  const db = database ? ["--db", database.connectionString] : [];
  const cleanUp = () => {
    rmSync(dir, { recursive: true, force: true });
    dropDatabase(database);
  };
  let child, exited, gone = false, port;
  const url = () => `http://127.0.0.1:${port}`;
  const launch = async () => {
    gone = false;
    child = spawn("dotnet", [dll, "serve", "--http", `127.0.0.1:${port}`, "--dir", dir, "--synchronous", "normal", "--credential-rate-limit", "0", ...db], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    exited = new Promise((r) => child.once("exit", r)).then(() => { gone = true; });
    const deadline = Date.now() + 20000;
    for (;;) {
      try {
        const res = await fetch(`${url()}/api/health`);
        if (res.ok) break;
      } catch {}
      if (gone) throw new Error(`cairn exited (code ${child.exitCode}, signal ${child.signalCode}) before serving`);
      if (Date.now() > deadline) throw new Error("cairn did not start in 20 s");
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    execFileSync("dotnet", [dll, "superuser", "upsert", SUPERUSER.email, SUPERUSER.password, "--dir", dir, ...db], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    port = await freePort();
    await launch();
    return {
      url: url(),
      dir, // the data folder: without SMTP, mails are written to <dir>/mails
      /** Kills the server with SIGKILL, as a crash would: nothing is flushed or closed. */
      async kill() {
        child.kill("SIGKILL");
        await exited;
      },
      /** Starts the server again on the same port, folder and database. */
      restart: launch,
      async stop() {
        if (!gone) {
          child.kill("SIGTERM");
          await exited;
        }
        cleanUp();
      },
    };
  } catch (e) {
    if (child && !gone) {
      child.kill("SIGKILL");
      await exited;
    }
    cleanUp();
    throw e;
  }
}

/** A client signed in as the superuser. Auto-cancellation is off so tests may run requests in parallel. */
export async function superuserClient(url) {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  await pb.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  return pb;
}

/** A guest client (no token), auto-cancellation off. */
export function guestClient(url) {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  return pb;
}

let counter = 0;
/** A collection name no other test in the same file uses, so tests stay independent. */
export function uniqueName(prefix) {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}`;
}

/**
 * Awaits a promise that must fail with the SDK's ClientResponseError of the given status and returns
 * the parsed error body (`e.response`) after checking the PocketBase error shape {status, message, data}.
 */
export async function expectError(promise, status) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected a ${status} error, but the request succeeded`);
  assert.ok(error instanceof ClientResponseError, `expected ClientResponseError, got ${error}`);
  assert.equal(error.status, status, `status ${error.status}: ${JSON.stringify(error.response)}`);
  assert.equal(error.response.status, status);
  assert.equal(typeof error.response.message, "string");
  assert.ok(error.response.message.endsWith("."), `message is a sentence: ${error.response.message}`);
  assert.equal(typeof error.response.data, "object");
  assert.ok(error.response.data !== null && !Array.isArray(error.response.data), "data is always an object");
  return error.response;
}
