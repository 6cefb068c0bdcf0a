// Starts a live `cairn serve` on a free loopback port with a temporary data folder and a superuser,
// for one test file; `stop()` ends it and removes the folder. Also the small helpers every test file
// shares: a signed-in superuser client and an assertion on the SDK's ClientResponseError.
import { spawn, execFileSync } from "node:child_process";
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

export async function startCairn() {
  const dir = mkdtempSync(join(tmpdir(), "cairn-sdk-"));
  execFileSync("dotnet", [dll, "superuser", "upsert", SUPERUSER.email, SUPERUSER.password, "--dir", dir], { stdio: "ignore" });
  const port = await freePort();
  const child = spawn("dotnet", [dll, "serve", "--http", `127.0.0.1:${port}`, "--dir", dir, "--synchronous", "normal"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) { child.kill("SIGKILL"); throw new Error("cairn did not start in 20 s"); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
