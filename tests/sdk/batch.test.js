// POST /api/batch through pb.createBatch() (POCKETBASE_API.md 1.2): creates, updates, deletes and
// upserts in one transaction with the [{status, body}] response, and a failing sub-request rolling
// everything back with 400 and data.requests.N = {code: "batch_request_failed", response}.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCairn, superuserClient, guestClient, uniqueName, expectError } from "./server.js";

let server, pb;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
});
after(async () => { await server.stop(); });

async function newCollection(extraFields = []) {
  return pb.collections.create({
    name: uniqueName("batch"),
    listRule: "", viewRule: "",
    fields: [{ name: "title", type: "text", required: true }, { name: "n", type: "number" }, ...extraFields],
  });
}

const ids = (list) => list.map((r) => r.id).sort();

test("creates, updates, deletes and upserts succeed together with the documented response shape", async () => {
  const c = await newCollection();
  const keep = await pb.collection(c.name).create({ title: "keep", n: 1 });
  const drop = await pb.collection(c.name).create({ title: "drop" });
  const upserted = await pb.collection(c.name).create({ title: "upsert me", n: 5 });
  const newId = "batchupsert0001";

  const batch = pb.createBatch();
  batch.collection(c.name).create({ title: "created", n: 2 });
  batch.collection(c.name).update(keep.id, { title: "kept", "n+": 10 });
  batch.collection(c.name).delete(drop.id);
  batch.collection(c.name).upsert({ id: upserted.id, title: "upserted" });
  batch.collection(c.name).upsert({ id: newId, title: "inserted by upsert" });
  const result = await batch.send();

  assert.ok(Array.isArray(result));
  assert.equal(result.length, 5);
  assert.deepEqual(result.map((r) => r.status), [200, 200, 204, 200, 200]);
  assert.deepEqual(Object.keys(result[0]).sort(), ["body", "status"]);

  const created = result[0].body;
  assert.match(created.id, /^[a-z0-9]{15}$/);
  assert.equal(created.title, "created");
  assert.equal(created.n, 2);
  assert.equal(created.collectionName, c.name);
  assert.equal(result[1].body.title, "kept");
  assert.equal(result[1].body.n, 11);
  assert.equal(result[2].body, null);
  assert.equal(result[3].body.id, upserted.id);
  assert.equal(result[3].body.title, "upserted");
  assert.equal(result[3].body.n, 5, "an upsert of an existing record is a partial update");
  assert.equal(result[4].body.id, newId);

  const all = await pb.collection(c.name).getFullList();
  assert.deepEqual(ids(all), [created.id, keep.id, upserted.id, newId].sort());
  assert.equal((await pb.collection(c.name).getOne(keep.id)).n, 11);
});

test("sub-requests see the writes of earlier ones in the same batch", async () => {
  const parent = await newCollection();
  const child = await newCollection([{ name: "parent", type: "relation", collectionId: parent.id }]);
  const parentId = "batchparent0001";
  const batch = pb.createBatch();
  batch.collection(parent.name).create({ id: parentId, title: "p" });
  batch.collection(child.name).create({ title: "c", parent: parentId });
  batch.collection(parent.name).update(parentId, { "n+": 1 });
  batch.collection(parent.name).update(parentId, { "n+": 1 });
  const result = await batch.send();
  assert.equal(result[1].body.parent, parentId);
  assert.equal(result[3].body.n, 2);
});

test("a batch honors per-request fields and expand-free query options", async () => {
  const c = await newCollection();
  const batch = pb.createBatch();
  batch.collection(c.name).create({ title: "picked", n: 3 }, { fields: "id,n" });
  const [only] = await batch.send();
  assert.deepEqual(Object.keys(only.body).sort(), ["id", "n"]);
  assert.equal(only.body.n, 3);
});

test("a failing sub-request rolls back the whole batch", async () => {
  const c = await newCollection();
  const existing = await pb.collection(c.name).create({ title: "original", n: 1 });
  const victim = await pb.collection(c.name).create({ title: "victim" });

  const batch = pb.createBatch();
  batch.collection(c.name).create({ title: "would be created" });
  batch.collection(c.name).update(existing.id, { title: "would be changed", "n+": 5 });
  batch.collection(c.name).delete(victim.id);
  batch.collection(c.name).create({ n: 4 }); // title is required
  batch.collection(c.name).create({ title: "never reached" });
  const response = await expectError(batch.send(), 400);

  assert.equal(response.message, "Batch transaction failed.");
  assert.deepEqual(Object.keys(response.data), ["requests"]);
  assert.deepEqual(Object.keys(response.data.requests), ["3"], "only the failing request is reported");
  const failed = response.data.requests["3"];
  assert.equal(failed.code, "batch_request_failed");
  assert.equal(failed.message, "Batch request failed.");
  assert.equal(failed.response.status, 400);
  assert.equal(failed.response.message, "Failed to create record.");
  assert.equal(failed.response.data.title.code, "validation_required");

  const all = await pb.collection(c.name).getFullList();
  assert.deepEqual(ids(all), ids([existing, victim]), "nothing was created or deleted");
  const reread = await pb.collection(c.name).getOne(existing.id);
  assert.equal(reread.title, "original");
  assert.equal(reread.n, 1);
});

test("a sub-request on a missing record fails the batch with its 404 inside", async () => {
  const c = await newCollection();
  const batch = pb.createBatch();
  batch.collection(c.name).create({ title: "rolled back" });
  batch.collection(c.name).update("nosuchrecord123", { title: "x" });
  const response = await expectError(batch.send(), 400);
  const failed = response.data.requests["1"];
  assert.equal(failed.code, "batch_request_failed");
  assert.equal(failed.response.status, 404);
  assert.equal((await pb.collection(c.name).getList()).totalItems, 0);
});

test("a sub-request on an unknown collection fails the batch", async () => {
  const c = await newCollection();
  const batch = pb.createBatch();
  batch.collection(c.name).create({ title: "rolled back" });
  batch.collection("no_such_collection").create({ title: "x" });
  const response = await expectError(batch.send(), 400);
  assert.equal(response.data.requests["1"].code, "batch_request_failed");
  assert.equal(response.data.requests["1"].response.status, 404);
  assert.equal((await pb.collection(c.name).getList()).totalItems, 0);
});

test("a unique violation inside a batch is validation_not_unique and rolls back", async () => {
  const c = await newCollection();
  const batch = pb.createBatch();
  batch.collection(c.name).create({ id: "sameidsameid123", title: "first" });
  batch.collection(c.name).create({ id: "sameidsameid123", title: "second" });
  const response = await expectError(batch.send(), 400);
  assert.equal(response.data.requests["1"].response.data.id.code, "validation_not_unique");
  assert.equal((await pb.collection(c.name).getList()).totalItems, 0);
});

test("a guest batch on a collection whose create rule is locked fails with the 403 inside", async () => {
  const c = await newCollection();
  const batch = guestClient(server.url).createBatch();
  batch.collection(c.name).create({ title: "nope" });
  const response = await expectError(batch.send(), 400);
  assert.equal(response.data.requests["0"].code, "batch_request_failed");
  assert.equal(response.data.requests["0"].response.status, 403);
  assert.equal((await pb.collection(c.name).getList()).totalItems, 0);
});

test("an empty batch and one with too many requests are invalid batch data", async () => {
  const empty = await expectError(pb.createBatch().send(), 400);
  assert.equal(empty.message, "Invalid batch request data.");
  assert.equal(empty.data.requests.code, "validation_required");

  const c = await newCollection();
  const big = pb.createBatch();
  for (let i = 0; i < 51; i++) big.collection(c.name).create({ title: `t${i}` });
  const tooMany = await expectError(big.send(), 400);
  assert.equal(tooMany.message, "Invalid batch request data.");
  assert.ok(tooMany.data.requests, JSON.stringify(tooMany.data));
  assert.equal((await pb.collection(c.name).getList()).totalItems, 0);
});

test("50 creates, the default maximum, succeed in one batch", async () => {
  const c = await newCollection();
  const batch = pb.createBatch();
  for (let i = 0; i < 50; i++) batch.collection(c.name).create({ title: `t${i}`, n: i });
  const result = await batch.send();
  assert.equal(result.length, 50);
  assert.ok(result.every((r) => r.status === 200));
  assert.equal((await pb.collection(c.name).getList()).totalItems, 50);
});

test("a batch sub-request to a non-record route fails the whole batch (raw fetch)", async () => {
  const c = await newCollection();
  const form = new FormData();
  form.append("@jsonPayload", JSON.stringify({
    requests: [
      { method: "POST", url: `/api/collections/${c.name}/records`, body: { title: "rolled back" } },
      { method: "GET", url: "/api/health" },
    ],
  }));
  const res = await fetch(`${server.url}/api/batch`, { method: "POST", headers: { Authorization: pb.authStore.token }, body: form });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.data.requests["1"].code, "batch_request_failed");
  assert.equal((await pb.collection(c.name).getList()).totalItems, 0);
});

test("a batch can also be sent as plain JSON (raw fetch)", async () => {
  const c = await newCollection();
  const res = await fetch(`${server.url}/api/batch`, {
    method: "POST",
    headers: { Authorization: pb.authStore.token, "Content-Type": "application/json" },
    body: JSON.stringify({ requests: [{ method: "POST", url: `/api/collections/${c.name}/records`, body: { title: "json" } }] }),
  });
  assert.equal(res.status, 200);
  const [first] = await res.json();
  assert.equal(first.status, 200);
  assert.equal(first.body.title, "json");
});

test("a stale If-Match header on a batch sub-request fails the batch with 412 inside", async () => {
  const c = await newCollection();
  const record = await pb.collection(c.name).create({ title: "v1" });
  const url = `${server.url}/api/collections/${c.name}/records/${record.id}`;
  const etag = (await fetch(url, { headers: { Authorization: pb.authStore.token } })).headers.get("etag");
  await pb.collection(c.name).update(record.id, { title: "v2" });

  const batch = pb.createBatch();
  batch.collection(c.name).create({ title: "rolled back" });
  batch.collection(c.name).update(record.id, { title: "v3" }, { headers: { "If-Match": etag } });
  const response = await expectError(batch.send(), 400);
  assert.equal(response.data.requests["1"].code, "batch_request_failed");
  assert.equal(response.data.requests["1"].response.status, 412);
  assert.equal((await pb.collection(c.name).getOne(record.id)).title, "v2");
  assert.equal((await pb.collection(c.name).getList()).totalItems, 1);

  const current = (await fetch(url, { headers: { Authorization: pb.authStore.token } })).headers.get("etag");
  const ok = pb.createBatch();
  ok.collection(c.name).update(record.id, { title: "v3" }, { headers: { "If-Match": current } });
  assert.equal((await ok.send())[0].body.title, "v3");
});
