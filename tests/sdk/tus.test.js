// Resumable uploads with the real tus client (tus-js-client, protocol 1.0.0) against /api/tus, then attached to a
// record through the PocketBase SDK as `tus:ID`. Two interruptions of a 50 MB upload: the network drops mid-upload
// (a proxy cuts the connection), and the server is killed with SIGKILL and started again. Both must end with a
// byte-identical file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import * as tus from "tus-js-client";
import { startCairn, superuserClient, uniqueName } from "./server.js";

const SIZE = 50 * 1024 * 1024;
let server, pb, vault;

before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
  vault = await pb.collections.create({
    name: uniqueName("vault"),
    listRule: "", viewRule: "", createRule: "",
    fields: [{ name: "archive", type: "file", maxSelect: 1, maxSize: SIZE }],
  });
});
after(async () => { await server?.stop(); });

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** Runs one tus upload to completion (retrying through failures) and returns its URL. */
function upload(bytes, endpoint, options = {}) {
  return new Promise((resolve, reject) => {
    const u = new tus.Upload(bytes, {
      endpoint,
      headers: { Authorization: pb.authStore.token },
      metadata: { filename: "archive.bin", collection: vault.name, field: "archive" },
      retryDelays: [0, 250, 500, 1000, 2000, 3000, 5000, 5000, 5000],
      removeFingerprintOnSuccess: true,
      ...options,
      onError: reject,
      onSuccess: () => resolve(u.url),
    });
    options.onStart?.(u);
    u.start();
  });
}

/** A TCP proxy to the server that cuts the first connection once more than `cutAfter` bytes have gone up it. */
async function flakyProxy(target, cutAfter) {
  const { port } = new URL(target);
  let cut = false, cuts = 0;
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(port), "127.0.0.1");
    let sent = 0;
    client.on("data", (chunk) => {
      sent += chunk.length;
      if (!cut && sent > cutAfter) {
        cut = true;
        cuts += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      a.on("end", () => b.end());
      a.on("error", () => b.destroy());
    }
  });
  await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${proxy.address().port}`, cuts: () => cuts, close: () => new Promise((r) => proxy.close(r)) };
}

async function attachAndRead(uploadUrl) {
  const id = uploadUrl.split("/").pop();
  const record = await pb.collection(vault.name).create({ archive: `tus:${id}` });
  assert.match(record.archive, /^archive_[a-z0-9]{10}\.bin$/);
  const response = await fetch(pb.files.getURL(record, record.archive));
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

test("OPTIONS describes the server's tus support", async () => {
  const response = await fetch(`${server.url}/api/tus`, { method: "OPTIONS" });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("tus-version"), "1.0.0");
  assert.match(response.headers.get("tus-extension"), /creation,creation-with-upload,termination,expiration,checksum/);
});

test("a 50 MB upload survives a dropped connection and resumes to a byte-identical file", async () => {
  const bytes = randomBytes(SIZE);
  const proxy = await flakyProxy(server.url, 20 * 1024 * 1024);
  try {
    const url = await upload(bytes, `${proxy.url}/api/tus`);
    assert.equal(proxy.cuts(), 1, "the connection was cut once mid-upload");
    const stored = await attachAndRead(url);
    assert.equal(stored.length, SIZE);
    assert.equal(sha256(stored), sha256(bytes));
  } finally {
    await proxy.close();
  }
});

test("a 50 MB upload survives the server being killed and restarted mid-upload", async () => {
  const bytes = randomBytes(SIZE);
  let killed = null, retries = 0;
  const url = await upload(bytes, `${server.url}/api/tus`, {
    onProgress: (sent) => {
      if (killed === null && sent > 10 * 1024 * 1024) killed = server.kill().then(() => server.restart());
    },
    onShouldRetry: () => { retries += 1; return true; },
  });
  assert.ok(killed, "the server was killed during the upload");
  await killed;
  assert.ok(retries >= 1, "the client had to resume");
  const stored = await attachAndRead(url);
  assert.equal(sha256(stored), sha256(bytes));
});

test("an upload in 1 MB chunks, one PATCH each, is used up once attached", async () => {
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  const url = await upload(bytes, `${server.url}/api/tus`, { chunkSize: 1024 * 1024 });
  const stored = await attachAndRead(url);
  assert.equal(sha256(stored), sha256(bytes));
  const head = await fetch(url, { method: "HEAD", headers: { "Tus-Resumable": "1.0.0", Authorization: pb.authStore.token } });
  assert.equal(head.status, 404);
});

test("termination with tus-js-client's abort(true)", async () => {
  const bytes = randomBytes(4 * 1024 * 1024);
  let instance;
  await new Promise((resolve, reject) => {
    instance = new tus.Upload(bytes, {
      endpoint: `${server.url}/api/tus`,
      headers: { Authorization: pb.authStore.token },
      chunkSize: 1024 * 1024,
      onError: reject,
      onChunkComplete: () => resolve(),
    });
    instance.start();
  });
  await instance.abort(true);
  const head = await fetch(instance.url, { method: "HEAD", headers: { "Tus-Resumable": "1.0.0", Authorization: pb.authStore.token } });
  assert.equal(head.status, 404);
});
