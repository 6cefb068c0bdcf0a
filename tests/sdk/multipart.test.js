// Multipart and url-encoded bodies (POCKETBASE_API.md 0.1, 1.8): plain string parts are type-inferred
// ("true" → true, "12" → 12, "007" stays a string), repeated keys become arrays, and @jsonPayload parts
// are merged last, without inference, so they win. The FormData objects here hold only strings (files are in
// files.test.js); the SDK sends a user-built FormData as it is.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCairn, superuserClient, uniqueName } from "./server.js";

let server, pb, things, others;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
  others = await pb.collections.create({ name: uniqueName("others"), fields: [{ name: "label", type: "text" }] });
  things = await pb.collections.create({
    name: uniqueName("things"),
    fields: [
      { name: "title", type: "text" },
      { name: "code", type: "text" },
      { name: "zero", type: "text" },
      { name: "sci", type: "text" },
      { name: "empty", type: "text" },
      { name: "n", type: "number" },
      { name: "flag", type: "bool" },
      { name: "off", type: "bool" },
      { name: "tags", type: "select", values: ["a", "b", "c"], maxSelect: 3 },
      { name: "refs", type: "relation", collectionId: others.id, maxSelect: 5 },
      { name: "meta", type: "json" },
      { name: "loc", type: "geoPoint" },
    ],
  });
});
after(async () => { await server.stop(); });

function form(entries) {
  const data = new FormData();
  for (const [key, value] of entries) data.append(key, value);
  return data;
}

test("plain parts are type-inferred: booleans and lossless numbers convert, the rest stays text", async () => {
  const record = await pb.collection(things.name).create(form([
    ["title", "hello"],
    ["code", "007"],
    ["zero", "0.0"],
    ["sci", "1e3"],
    ["empty", ""],
    ["n", "12"],
    ["flag", "true"],
    ["off", "false"],
  ]));
  assert.equal(record.title, "hello");
  assert.equal(record.code, "007", '"007" is not a lossless number and stays a string');
  assert.equal(record.zero, "0.0");
  assert.equal(record.sci, "1e3");
  assert.equal(record.empty, "");
  assert.equal(record.n, 12);
  assert.equal(record.flag, true);
  assert.equal(record.off, false);
});

test("negative and decimal numbers arrive as numbers", async () => {
  const record = await pb.collection(things.name).create(form([["n", "-3.25"]]));
  assert.equal(record.n, -3.25);
  const record2 = await pb.collection(things.name).create(form([["n", "1000000"]]));
  assert.equal(record2.n, 1000000);
});

test("a repeated key becomes an array", async () => {
  const o1 = await pb.collection(others.name).create({ label: "1" });
  const o2 = await pb.collection(others.name).create({ label: "2" });
  const record = await pb.collection(things.name).create(form([
    ["tags", "c"], ["tags", "a"],
    ["refs", o2.id], ["refs", o1.id],
  ]));
  assert.deepEqual(record.tags, ["c", "a"]);
  assert.deepEqual(record.refs, [o2.id, o1.id]);
});

test("@jsonPayload parts are merged in and win over a plain part of the same name", async () => {
  const record = await pb.collection(things.name).create(form([
    ["@jsonPayload", JSON.stringify({ title: "from json", meta: { deep: [1, "x", null] } })],
    ["title", "from plain part"],
    ["n", "5"],
  ]));
  assert.equal(record.title, "from json", "@jsonPayload is applied after the plain parts");
  assert.deepEqual(record.meta, { deep: [1, "x", null] });
  assert.equal(record.n, 5);
});

test("several @jsonPayload parts are all merged, in order", async () => {
  const record = await pb.collection(things.name).create(form([
    ["@jsonPayload", JSON.stringify({ tags: ["a", "b"] })],
    ["@jsonPayload", JSON.stringify({ loc: { lon: 10, lat: 20 }, n: 1 })],
    ["@jsonPayload", JSON.stringify({ n: 2, meta: null })],
  ]));
  assert.deepEqual(record.tags, ["a", "b"]);
  assert.deepEqual(record.loc, { lon: 10, lat: 20 });
  assert.equal(record.n, 2, "a later part overrides an earlier one");
  assert.equal(record.meta, null);
});

test("@jsonPayload values are taken as they are, without inference", async () => {
  const record = await pb.collection(things.name).create(form([
    ["@jsonPayload", JSON.stringify({ code: "12", flag: false })],
    ["flag", "true"],
  ]));
  assert.equal(record.code, "12");
  assert.equal(record.flag, false);
});

test("a FormData update works the same way and modifiers apply to inferred values", async () => {
  const record = await pb.collection(things.name).create({ n: 10, tags: ["a"], title: "t" });
  const updated = await pb.collection(things.name).update(record.id, form([
    ["n+", "5"],
    ["tags+", "b"], ["tags+", "c"],
    ["title", "true"],
  ]));
  assert.equal(updated.n, 15);
  assert.deepEqual(updated.tags, ["a", "b", "c"]);
  assert.equal(updated.title, "true", "a boolean sent to a text field reads back as its text");
  assert.equal((await pb.collection(things.name).getOne(record.id)).n, 15);
});

test("a JSON field given a plain part parses JSON-looking text", async () => {
  const record = await pb.collection(things.name).create(form([["meta", '{"a":[1,2]}']]));
  assert.deepEqual(record.meta, { a: [1, 2] });
  const text = await pb.collection(things.name).create(form([["meta", "just text"]]));
  assert.equal(text.meta, "just text");
});

test("url-encoded bodies follow the same inference rules and also read the query (raw fetch)", async () => {
  const body = new URLSearchParams([["n", "42"], ["code", "007"], ["flag", "true"], ["tags", "a"], ["tags", "b"]]);
  const res = await fetch(`${server.url}/api/collections/${things.name}/records?title=from-query`, {
    method: "POST",
    headers: { Authorization: pb.authStore.token },
    body,
  });
  assert.equal(res.status, 200);
  const record = await res.json();
  assert.equal(record.n, 42);
  assert.equal(record.code, "007");
  assert.equal(record.flag, true);
  assert.deepEqual(record.tags, ["a", "b"]);
  assert.equal(record.title, "from-query", "with url-encoded bodies a query parameter named like a field sets it");
});

test("a multipart request with a raw fetch answers like the SDK's", async () => {
  const res = await fetch(`${server.url}/api/collections/${things.name}/records`, {
    method: "POST",
    headers: { Authorization: pb.authStore.token },
    body: form([["n", "3"], ["@jsonPayload", JSON.stringify({ title: "raw" })]]),
  });
  assert.equal(res.status, 200);
  const record = await res.json();
  assert.equal(record.n, 3);
  assert.equal(record.title, "raw");
});

test("a malformed @jsonPayload part is a 400", async () => {
  const res = await fetch(`${server.url}/api/collections/${things.name}/records`, {
    method: "POST",
    headers: { Authorization: pb.authStore.token },
    body: form([["@jsonPayload", "{not json"]]),
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.status, 400);
  assert.deepEqual(body.data, {});
});
