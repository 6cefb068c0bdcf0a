// Field modifiers in create and update bodies (POCKETBASE_API.md 1.1): `n+` / `n-` on numbers,
// `tags+` (append), `+tags` (prepend), `tags-` (remove) on select and relation fields, and
// `code:autogenerate` on text fields with an autogeneratePattern; and no lost increments when many
// SDK clients update the same record at once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCairn, superuserClient, uniqueName, expectError } from "./server.js";

let server, pb, items, refs;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
  refs = await pb.collections.create({ name: uniqueName("refs"), fields: [{ name: "label", type: "text" }] });
  items = await pb.collections.create({
    name: uniqueName("items"),
    fields: [
      { name: "count", type: "number" },
      { name: "capped", type: "number", max: 10 },
      { name: "tags", type: "select", values: ["a", "b", "c", "d", "e", "f"], maxSelect: 6 },
      { name: "one", type: "select", values: ["x", "y"] },
      { name: "links", type: "relation", collectionId: refs.id, maxSelect: 10 },
      { name: "code", type: "text", autogeneratePattern: "[a-z0-9]{6}" },
      { name: "note", type: "text" },
    ],
  });
});
after(async () => { await server.stop(); });

const col = () => pb.collection(items.name);

test("count+ adds and count- subtracts", async () => {
  const r = await col().create({ count: 5 });
  assert.equal((await col().update(r.id, { "count+": 3 })).count, 8);
  assert.equal((await col().update(r.id, { "count-": 10 })).count, -2);
  assert.equal((await col().update(r.id, { "count+": 0.5 })).count, -1.5);
  assert.equal((await col().update(r.id, { "count+": "4" })).count, 2.5, "a numeric string is cast");
  assert.equal((await col().getOne(r.id)).count, 2.5);
});

test("count+ on create starts from zero", async () => {
  const r = await col().create({ "count+": 7 });
  assert.equal(r.count, 7);
  const r2 = await col().create({ "count-": 2 });
  assert.equal(r2.count, -2);
});

test("a modifier result is validated like a plain value", async () => {
  const r = await col().create({ capped: 9 });
  const response = await expectError(col().update(r.id, { "capped+": 5 }), 400);
  assert.equal(response.data.capped.code, "validation_max_number_constraint");
  assert.equal((await col().getOne(r.id)).capped, 9, "nothing written");
});

test("tags+ appends, +tags prepends, tags- removes", async () => {
  const r = await col().create({ tags: ["b"] });
  assert.deepEqual((await col().update(r.id, { "tags+": "c" })).tags, ["b", "c"]);
  assert.deepEqual((await col().update(r.id, { "+tags": "a" })).tags, ["a", "b", "c"]);
  assert.deepEqual((await col().update(r.id, { "tags+": ["d", "e"] })).tags, ["a", "b", "c", "d", "e"]);
  assert.deepEqual((await col().update(r.id, { "+tags": ["f"] })).tags, ["f", "a", "b", "c", "d", "e"]);
  assert.deepEqual((await col().update(r.id, { "tags-": ["a", "e"] })).tags, ["f", "b", "c", "d"]);
  assert.deepEqual((await col().update(r.id, { "tags-": "f" })).tags, ["b", "c", "d"]);
  assert.deepEqual((await col().getOne(r.id)).tags, ["b", "c", "d"]);
});

test("appending a value already present does not duplicate it; removing a missing one is a no-op", async () => {
  const r = await col().create({ tags: ["a", "b"] });
  assert.deepEqual((await col().update(r.id, { "tags+": "a" })).tags, ["a", "b"]);
  assert.deepEqual((await col().update(r.id, { "tags-": "c" })).tags, ["a", "b"]);
});

test("a modifier value outside the select's values is validation_invalid_value", async () => {
  const r = await col().create({ tags: ["a"] });
  const response = await expectError(col().update(r.id, { "tags+": "zzz" }), 400);
  assert.equal(response.data.tags.code, "validation_invalid_value");
});

test("a plain key is applied before its modifiers", async () => {
  const r = await col().create({ tags: ["a"], "tags+": "b", count: 10, "count-": 4 });
  assert.deepEqual(r.tags, ["a", "b"]);
  assert.equal(r.count, 6);
});

test("relation modifiers append, prepend and remove ids", async () => {
  const [l1, l2, l3] = await Promise.all([1, 2, 3].map((i) => pb.collection(refs.name).create({ label: `l${i}` })));
  const r = await col().create({ links: [l1.id] });
  assert.deepEqual((await col().update(r.id, { "links+": l2.id })).links, [l1.id, l2.id]);
  assert.deepEqual((await col().update(r.id, { "+links": l3.id })).links, [l3.id, l1.id, l2.id]);
  assert.deepEqual((await col().update(r.id, { "links-": [l1.id] })).links, [l3.id, l2.id]);
  const missing = await expectError(col().update(r.id, { "links+": "nosuchrecord123" }), 400);
  assert.equal(missing.data.links.code, "validation_missing_rel_records");
});

test("modifiers on a single select keep one value", async () => {
  const r = await col().create({ one: "x" });
  assert.equal((await col().update(r.id, { "one+": "y" })).one, "y");
  assert.equal((await col().update(r.id, { "one-": "y" })).one, "");
});

test("text fields with an autogeneratePattern are filled on create and by code:autogenerate", async () => {
  const r = await col().create({});
  assert.match(r.code, /^[a-z0-9]{6}$/);
  const prefixed = await col().create({ "code:autogenerate": "pre-" });
  assert.match(prefixed.code, /^pre-[a-z0-9]{6}$/);
  const updated = await col().update(r.id, { "code:autogenerate": "x_" });
  assert.match(updated.code, /^x_[a-z0-9]{6}$/);
  const given = await col().create({ code: "chosen" });
  assert.equal(given.code, "chosen", "a given value is kept");
});

test("20 concurrent count+: 1 updates through the SDK end at exactly 20", async () => {
  const r = await col().create({ count: 0 });
  const results = await Promise.all(Array.from({ length: 20 }, () => col().update(r.id, { "count+": 1 })));
  assert.equal((await col().getOne(r.id)).count, 20);
  const seen = results.map((x) => x.count).sort((a, b) => a - b);
  assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1), "each update saw its own increment");
});

test("concurrent increments and decrements from separate clients do not lose updates", async () => {
  const r = await col().create({ count: 100 });
  const clients = await Promise.all(Array.from({ length: 4 }, () => superuserClient(server.url)));
  const jobs = [];
  for (let i = 0; i < 40; i++) {
    const client = clients[i % clients.length].collection(items.name);
    jobs.push(client.update(r.id, i % 2 ? { "count-": 1 } : { "count+": 3 }));
  }
  await Promise.all(jobs);
  assert.equal((await col().getOne(r.id)).count, 100 + 20 * 3 - 20);
});

test("concurrent tags+ appends of different values keep every value", async () => {
  const r = await col().create({ tags: [] });
  await Promise.all(["a", "b", "c", "d", "e", "f"].map((t) => col().update(r.id, { "tags+": t })));
  assert.deepEqual((await col().getOne(r.id)).tags.sort(), ["a", "b", "c", "d", "e", "f"]);
});

test("a concurrent plain update and increments on different fields both survive", async () => {
  const r = await col().create({ count: 0, note: "" });
  await Promise.all([
    ...Array.from({ length: 10 }, () => col().update(r.id, { "count+": 1 })),
    col().update(r.id, { note: "set" }),
  ]);
  const final = await col().getOne(r.id);
  assert.equal(final.count, 10);
  assert.equal(final.note, "set");
});
