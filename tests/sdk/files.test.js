// Files through the SDK (POCKETBASE_API.md 1.5): uploads in FormData (single, multiple, `+` and `-`), the stored
// names in the record, reading them back through pb.files.getURL, and protected files with pb.files.getToken.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { crc32, deflateSync } from "node:zlib";
import PocketBase from "pocketbase";
import { startCairn, superuserClient, uniqueName } from "./server.js";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]);
let server, pb, docs;

before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
  docs = await pb.collections.create({
    name: uniqueName("docs"),
    listRule: "", viewRule: "", createRule: "", updateRule: "",
    fields: [
      { name: "title", type: "text" },
      { name: "cover", type: "file", maxSelect: 1, mimeTypes: ["image/png"] },
      { name: "attachments", type: "file", maxSelect: 5 },
      { name: "secret", type: "file", maxSelect: 1, protected: true },
    ],
  });
});
after(async () => { await server.stop(); });

const text = (s, name) => new File([s], name, { type: "text/plain" });
const fetchText = async (url) => { const r = await fetch(url); return { status: r.status, body: await r.text(), type: r.headers.get("content-type") }; };

test("create with a single and a multiple file field stores every file under a generated name", async () => {
  const guest = new PocketBase(server.url);
  const record = await guest.collection(docs.name).create({
    title: "with files",
    cover: new File([PNG], "My Cover.png", { type: "image/png" }),
    attachments: [text("one", "one.txt"), text("two", "two.txt")],
  });
  assert.match(record.cover, /^my_cover_[a-z0-9]{10}\.png$/);
  assert.equal(record.attachments.length, 2);
  const cover = await fetch(guest.files.getURL(record, record.cover));
  assert.equal(cover.status, 200);
  assert.deepEqual(new Uint8Array(await cover.arrayBuffer()), PNG);
  assert.equal((await fetchText(guest.files.getURL(record, record.attachments[1]))).body, "two");
});

test("`+` appends, `-` removes, and a plain value replaces", async () => {
  const guest = new PocketBase(server.url);
  const created = await guest.collection(docs.name).create({ attachments: [text("a", "a.txt")] });
  const appended = await guest.collection(docs.name).update(created.id, { "attachments+": [text("b", "b.txt")] });
  assert.equal(appended.attachments.length, 2);
  const removed = await guest.collection(docs.name).update(created.id, { "attachments-": [appended.attachments[0]] });
  assert.deepEqual(removed.attachments, [appended.attachments[1]]);
  const replaced = await guest.collection(docs.name).update(created.id, { attachments: [text("c", "c.txt")] });
  assert.equal(replaced.attachments.length, 1);
  assert.notEqual(replaced.attachments[0], appended.attachments[1]);
  assert.equal((await fetchText(guest.files.getURL(replaced, replaced.attachments[0]))).body, "c");
});

test("the type is sniffed: a text file named .png is refused by an images-only field", async () => {
  const guest = new PocketBase(server.url);
  await assert.rejects(
    guest.collection(docs.name).create({ cover: new File(["<html><script>alert(1)</script>"], "x.png", { type: "image/png" }) }),
    (e) => e.status === 400 && e.response.data.cover.code === "validation_invalid_mime_type",
  );
});

test("a protected file needs a file token from pb.files.getToken()", async () => {
  const users = await pb.collections.getOne("users").catch(() => null)
    ?? await pb.collections.create({ name: "users", type: "auth", listRule: "", viewRule: "", createRule: "" });
  await pb.collections.update(docs.name, { viewRule: "@request.auth.id != ''" });
  const user = new PocketBase(server.url);
  await pb.collection(users.name).create({ email: "files@example.com", password: "password123", passwordConfirm: "password123" });
  await user.collection(users.name).authWithPassword("files@example.com", "password123");
  const record = await user.collection(docs.name).create({ secret: text("top secret", "s.txt") });

  assert.equal((await fetchText(user.files.getURL(record, record.secret))).status, 404);
  const token = await user.files.getToken();
  const withToken = await fetchText(user.files.getURL(record, record.secret, { token }));
  assert.equal(withToken.status, 200);
  assert.equal(withToken.body, "top secret");
  await pb.collections.update(docs.name, { viewRule: "" });
});

test("a batch sends each item's files (pb.createBatch)", async () => {
  const batch = pb.createBatch();
  batch.collection(docs.name).create({ title: "b1", attachments: [text("first", "1.txt"), text("second", "2.txt")] });
  batch.collection(docs.name).create({ title: "b2", cover: new File([PNG], "batch cover.png", { type: "image/png" }) });
  const [one, two] = await batch.send();
  assert.equal(one.status, 200);
  assert.equal(one.body.attachments.length, 2);
  assert.equal((await fetchText(pb.files.getURL(one.body, one.body.attachments[1]))).body, "second");
  assert.match(two.body.cover, /^batch_cover_[a-z0-9]{10}\.png$/);
});

/** A real, decodable PNG of width × height green pixels (8-bit RGB). */
function png(width, height) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const length = Buffer.alloc(4); length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0); header.writeUInt32BE(height, 4); header[8] = 8; header[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, Buffer.from([0, 160, 0]))]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

test("thumbs: pb.files.getURL(record, name, {thumb}) gives the resized image, an unlisted size the original", async () => {
  const guest = new PocketBase(server.url);
  const record = await guest.collection(docs.name).create({ cover: new File([png(400, 300)], "photo.png", { type: "image/png" }) });
  const size = async (options) => {
    const response = await fetch(guest.files.getURL(record, record.cover, options));
    assert.equal(response.status, 200);
    const bytes = Buffer.from(await response.arrayBuffer());
    return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  };
  assert.deepEqual(await size({ thumb: "100x100" }), [100, 100]);
  assert.deepEqual(await size({ thumb: "50x50" }), [400, 300]);
  assert.deepEqual(await size({}), [400, 300]);
});
