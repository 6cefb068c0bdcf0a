// Error responses as the SDK surfaces them (ClientResponseError: e.status, e.response = {status,
// message, data}): unknown collections and routes, locked (null) rules for guests and non-superusers,
// validation errors with their exact codes, and optimistic concurrency through ETag / If-Match /
// If-None-Match (raw fetch, since the SDK does not send these headers itself).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { startCairn, superuserClient, guestClient, uniqueName, expectError } from "./server.js";

let server, pb, guest, targets, checked, locked, open;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
  guest = guestClient(server.url);
  targets = await pb.collections.create({ name: uniqueName("targets"), fields: [{ name: "label", type: "text" }] });
  checked = await pb.collections.create({
    name: uniqueName("checked"),
    fields: [
      { name: "title", type: "text", required: true, min: 3, max: 10 },
      { name: "slug", type: "text", pattern: "^[a-z-]+$" },
      { name: "unique_code", type: "text" },
      { name: "count", type: "number", min: 1, max: 10 },
      { name: "whole", type: "number", onlyInt: true },
      { name: "must", type: "bool" },
      { name: "mail", type: "email", onlyDomains: ["example.com"] },
      { name: "site", type: "url", exceptDomains: ["blocked.example"] },
      { name: "status", type: "select", values: ["draft", "live"] },
      { name: "tags", type: "select", values: ["a", "b", "c"], maxSelect: 2 },
      { name: "owner", type: "relation", collectionId: targets.id },
      { name: "many", type: "relation", collectionId: targets.id, minSelect: 2, maxSelect: 3 },
      { name: "meta", type: "json", maxSize: 50 },
      { name: "loc", type: "geoPoint" },
    ],
    indexes: [],
  });
  checked = await pb.collections.update(checked.id, {
    indexes: [`CREATE UNIQUE INDEX idx_unique_code_${checked.name} ON ${checked.name} (unique_code) WHERE unique_code != ''`],
  });
  locked = await pb.collections.create({ name: uniqueName("locked"), fields: [{ name: "title", type: "text" }] });
  open = await pb.collections.create({
    name: uniqueName("open"),
    listRule: "", viewRule: "", createRule: "", updateRule: "", deleteRule: "",
    fields: [{ name: "title", type: "text" }],
  });
});
after(async () => { await server.stop(); });

const valid = { title: "Fine" };

/** Creates a record in `checked` that must fail and returns the error data after checking the message. */
async function createError(body) {
  const response = await expectError(pb.collection(checked.name).create({ ...valid, ...body }), 400);
  assert.equal(response.message, "Failed to create record.");
  return response.data;
}

// ---- unknown collections and routes ----

test("an unknown collection is a 404 with the error shape on every record route", async () => {
  const c = pb.collection("no_such_collection");
  const list = await expectError(c.getList(), 404);
  assert.equal(list.message, "Missing collection context.");
  assert.deepEqual(list.data, {});
  assert.equal((await expectError(c.getOne("abcdefghijklmno"), 404)).message, "Missing collection context.");
  assert.equal((await expectError(c.delete("abcdefghijklmno"), 404)).message, "Missing collection context.");
  assert.equal((await expectError(c.create({ a: 1 }), 404)).message, "Missing or invalid collection context.");
  assert.equal((await expectError(c.update("abcdefghijklmno", { a: 1 }), 404)).message, "Missing or invalid collection context.");
});

test("an unknown route and a trailing slash are JSON 404s", async () => {
  for (const path of ["/api/nothing-here", "/api/health/", `/api/collections/${open.name}/records/`]) {
    const res = await fetch(server.url + path);
    assert.equal(res.status, 404, path);
    const body = await res.json();
    assert.equal(body.status, 404);
    assert.equal(body.message, "The requested resource wasn't found.");
    assert.deepEqual(body.data, {});
  }
});

test("error responses are never trimmed by ?fields=", async () => {
  const response = await expectError(pb.collection(open.name).getOne("nosuchrecord123", { fields: "id" }), 404);
  assert.equal(response.message, "The requested resource wasn't found.");
});

test("every response carries the security headers", async () => {
  const res = await fetch(`${server.url}/api/health`);
  assert.equal(res.headers.get("x-xss-protection"), "1; mode=block");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("x-frame-options"), "SAMEORIGIN");
});

// ---- rules ----

test("locked (null) rules give a guest 403 on list, view, create, update and delete", async () => {
  const record = await pb.collection(locked.name).create({ title: "secret" });
  const c = guest.collection(locked.name);
  const list = await expectError(c.getList(), 403);
  assert.equal(list.message, "Only superusers can perform this action.");
  assert.deepEqual(list.data, {});
  await expectError(c.getFullList(), 403);
  await expectError(c.getOne(record.id), 403);
  await expectError(c.create({ title: "x" }), 403);
  await expectError(c.update(record.id, { title: "x" }), 403);
  await expectError(c.delete(record.id), 403);
  assert.equal((await pb.collection(locked.name).getOne(record.id)).title, "secret", "nothing changed");
});

test("public (\"\") rules let a guest list, view, create, update and delete", async () => {
  const c = guest.collection(open.name);
  const created = await c.create({ title: "guest made" });
  assert.equal(created.title, "guest made");
  assert.equal((await c.getOne(created.id)).title, "guest made");
  assert.ok((await c.getList()).items.some((r) => r.id === created.id));
  assert.equal((await c.update(created.id, { title: "guest changed" })).title, "guest changed");
  assert.equal(await c.delete(created.id), true);
});

test("a signed-in non-superuser gets 403 on locked rules and on the collections API", async () => {
  const members = await pb.collections.create({ name: uniqueName("members"), type: "auth" });
  await pb.collection(members.name).create({ email: "m@example.com", password: "member-pass-1", passwordConfirm: "member-pass-1" });
  const user = new PocketBase(server.url);
  user.autoCancellation(false);
  const auth = await user.collection(members.name).authWithPassword("m@example.com", "member-pass-1");
  assert.equal(auth.record.collectionName, members.name);
  assert.equal(user.authStore.isValid, true);
  assert.equal(user.authStore.isSuperuser, false);

  await expectError(user.collection(locked.name).getList(), 403);
  await expectError(user.collections.getList(), 403);
  await expectError(user.collection("_superusers").getList(), 403);
  const refreshed = await user.collection(members.name).authRefresh();
  assert.equal(refreshed.record.id, auth.record.id);
  await expectError(user.collection("_superusers").authRefresh(), 403);
});

// ---- validation codes ----

test("a missing required value is validation_required", async () => {
  const data = await createError({ title: "" });
  assert.deepEqual(data.title, { code: "validation_required", message: "Cannot be blank." });
});

test("text length and pattern: validation_min/max_text_constraint and validation_invalid_format", async () => {
  const long = await createError({ title: "much too long title" });
  assert.equal(long.title.code, "validation_max_text_constraint");
  assert.equal(long.title.params.max, 10);
  assert.equal((await createError({ title: "ab" })).title.code, "validation_min_text_constraint");
  assert.equal((await createError({ slug: "Not A Slug" })).slug.code, "validation_invalid_format");
});

test("a unique index violation is validation_not_unique on that field", async () => {
  await pb.collection(checked.name).create({ ...valid, unique_code: "X1" });
  const data = await createError({ unique_code: "X1" });
  assert.deepEqual(data.unique_code, { code: "validation_not_unique", message: "Value must be unique." });
  // an update into a taken value fails the same way
  const other = await pb.collection(checked.name).create({ ...valid, unique_code: "X2" });
  const response = await expectError(pb.collection(checked.name).update(other.id, { unique_code: "X1" }), 400);
  assert.equal(response.message, "Failed to update record.");
  assert.equal(response.data.unique_code.code, "validation_not_unique");
});

test("number limits: validation_min/max_number_constraint with params, validation_only_int_constraint", async () => {
  const high = await createError({ count: 11 });
  assert.equal(high.count.code, "validation_max_number_constraint");
  assert.deepEqual(high.count.params, { max: 10 });
  const low = await createError({ count: -1 });
  assert.equal(low.count.code, "validation_min_number_constraint");
  assert.deepEqual(low.count.params, { min: 1 });
  assert.equal((await createError({ whole: 1.5 })).whole.code, "validation_only_int_constraint");
});

test("an optional number left empty (0) passes even with a positive min", async () => {
  const record = await pb.collection(checked.name).create(valid);
  assert.equal(record.count, 0);
});

test("email and url checks, with domain lists", async () => {
  assert.equal((await createError({ mail: "not-an-email" })).mail.code, "validation_is_email");
  assert.equal((await createError({ mail: "a@other.com" })).mail.code, "validation_email_domain_not_allowed");
  assert.equal((await createError({ site: "not a url" })).site.code, "validation_invalid_url");
  assert.equal((await createError({ site: "https://blocked.example/x" })).site.code, "validation_url_domain_not_allowed");
});

test("a select value outside values is validation_invalid_value; too many is validation_too_many_values", async () => {
  assert.equal((await createError({ status: "archived" })).status.code, "validation_invalid_value");
  assert.equal((await createError({ tags: ["a", "nope"] })).tags.code, "validation_invalid_value");
  assert.equal((await createError({ tags: ["a", "b", "c"] })).tags.code, "validation_too_many_values");
});

test("relations: validation_missing_rel_records, validation_not_enough_values, validation_too_many_values", async () => {
  const t = await Promise.all([1, 2, 3, 4].map((i) => pb.collection(targets.name).create({ label: `t${i}` })));
  const missing = await createError({ owner: "nosuchrecord123" });
  assert.equal(missing.owner.code, "validation_missing_rel_records");
  const partlyMissing = await createError({ many: [t[0].id, "nosuchrecord123"] });
  assert.equal(partlyMissing.many.code, "validation_missing_rel_records");
  assert.equal((await createError({ many: [t[0].id] })).many.code, "validation_not_enough_values");
  assert.equal((await createError({ many: t.map((x) => x.id) })).many.code, "validation_too_many_values");
  const ok = await pb.collection(checked.name).create({ ...valid, owner: t[0].id, many: [t[1].id, t[2].id] });
  assert.deepEqual(ok.many, [t[1].id, t[2].id]);
});

test("json size and geoPoint ranges", async () => {
  assert.equal((await createError({ meta: { text: "x".repeat(100) } })).meta.code, "validation_json_size_limit");
  assert.equal((await createError({ loc: { lon: 0, lat: 91 } })).loc.code, "validation_invalid_latitude");
  assert.equal((await createError({ loc: { lon: -181, lat: 0 } })).loc.code, "validation_invalid_longitude");
});

test("several bad fields are all reported at once", async () => {
  const data = await createError({ title: "", count: 99, status: "nope" });
  assert.deepEqual(Object.keys(data).sort(), ["count", "status", "title"]);
});

test("a failed update writes nothing", async () => {
  const record = await pb.collection(checked.name).create({ ...valid, count: 5 });
  const response = await expectError(pb.collection(checked.name).update(record.id, { count: 50, title: "Changed" }), 400);
  assert.equal(response.data.count.code, "validation_max_number_constraint");
  const reread = await pb.collection(checked.name).getOne(record.id);
  assert.equal(reread.count, 5);
  assert.equal(reread.title, "Fine");
});

test("auth records need matching password and passwordConfirm; emails are unique", async () => {
  const members = await pb.collections.create({ name: uniqueName("accounts"), type: "auth" });
  const c = pb.collection(members.name);
  const noPassword = await expectError(c.create({ email: "a@example.com" }), 400);
  assert.equal(noPassword.data.password.code, "validation_required");
  const mismatch = await expectError(c.create({ email: "a@example.com", password: "password-1", passwordConfirm: "password-2" }), 400);
  assert.equal(mismatch.data.passwordConfirm.code, "validation_values_mismatch");
  const short = await expectError(c.create({ email: "a@example.com", password: "short", passwordConfirm: "short" }), 400);
  assert.equal(short.data.password.code, "validation_min_text_constraint");
  const created = await c.create({ email: "a@example.com", password: "password-1", passwordConfirm: "password-1" });
  assert.equal(created.email, "a@example.com");
  assert.equal(created.password, undefined);
  const dup = await expectError(c.create({ email: "a@example.com", password: "password-1", passwordConfirm: "password-1" }), 400);
  assert.equal(dup.data.email.code, "validation_not_unique");
});

test("deleting a record still referenced by a required relation is a 400", async () => {
  const parent = await pb.collections.create({ name: uniqueName("parents") });
  const child = await pb.collections.create({
    name: uniqueName("kids"),
    fields: [{ name: "parent", type: "relation", collectionId: parent.id, required: true }],
  });
  const p = await pb.collection(parent.name).create({});
  await pb.collection(child.name).create({ parent: p.id });
  const response = await expectError(pb.collection(parent.name).delete(p.id), 400);
  assert.equal(response.message, "Failed to delete record. Make sure that the record is not part of a required relation reference.");
  assert.equal((await pb.collection(parent.name).getOne(p.id)).id, p.id);
});

// ---- request bodies ----

test("a malformed JSON body and an unsupported content type are 400s", async () => {
  const url = `${server.url}/api/collections/${open.name}/records`;
  const malformed = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{nope" });
  assert.equal(malformed.status, 400);
  assert.deepEqual((await malformed.json()).data, {});
  const text = await fetch(url, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "title=x" });
  assert.equal(text.status, 400);
});

// ---- optimistic concurrency ----

const headers = (extra = {}) => ({ Authorization: pb.authStore.token, "Content-Type": "application/json", ...extra });

test("getOne answers with an ETag, and If-None-Match with the current one gives 304", async () => {
  const record = await pb.collection(checked.name).create(valid);
  const url = `${server.url}/api/collections/${checked.name}/records/${record.id}`;
  const first = await fetch(url, { headers: headers() });
  assert.equal(first.status, 200);
  const etag = first.headers.get("etag");
  assert.ok(etag && /^".+"$/.test(etag), `quoted ETag: ${etag}`);

  const notModified = await fetch(url, { headers: headers({ "If-None-Match": etag }) });
  assert.equal(notModified.status, 304);
  assert.equal(await notModified.text(), "");
  assert.equal(notModified.headers.get("etag"), etag);

  await pb.collection(checked.name).update(record.id, { title: "Newer" });
  const modified = await fetch(url, { headers: headers({ "If-None-Match": etag }) });
  assert.equal(modified.status, 200, "a stale If-None-Match gets the full record");
  assert.notEqual(modified.headers.get("etag"), etag);
  assert.equal((await modified.json()).title, "Newer");
});

test("If-Match with the current ETag updates; a stale one is 412 and writes nothing", async () => {
  const record = await pb.collection(checked.name).create(valid);
  const url = `${server.url}/api/collections/${checked.name}/records/${record.id}`;
  const etag = (await fetch(url, { headers: headers() })).headers.get("etag");

  const ok = await fetch(url, { method: "PATCH", headers: headers({ "If-Match": etag }), body: JSON.stringify({ title: "First" }) });
  assert.equal(ok.status, 200);
  const newEtag = ok.headers.get("etag");
  assert.ok(newEtag && newEtag !== etag, "the update returns the new ETag");
  assert.equal((await ok.json()).title, "First");

  const stale = await fetch(url, { method: "PATCH", headers: headers({ "If-Match": etag }), body: JSON.stringify({ title: "Lost" }) });
  assert.equal(stale.status, 412);
  const body = await stale.json();
  assert.equal(body.status, 412);
  assert.equal(typeof body.message, "string");
  assert.deepEqual(body.data, {});
  assert.equal((await pb.collection(checked.name).getOne(record.id)).title, "First");

  const star = await fetch(url, { method: "PATCH", headers: headers({ "If-Match": "*" }), body: JSON.stringify({ title: "Star" }) });
  assert.equal(star.status, 200, "If-Match: * matches any version");
  const list = await fetch(url, { method: "PATCH", headers: headers({ "If-Match": `"nope", ${star.headers.get("etag")}` }), body: JSON.stringify({ title: "Listed" }) });
  assert.equal(list.status, 200, "one matching tag in a list is enough");
});

test("delete with a stale If-Match is 412 and keeps the record; with the current one it is 204", async () => {
  const record = await pb.collection(checked.name).create(valid);
  const url = `${server.url}/api/collections/${checked.name}/records/${record.id}`;
  const etag = (await fetch(url, { headers: headers() })).headers.get("etag");
  await pb.collection(checked.name).update(record.id, { title: "Moved" });

  const stale = await fetch(url, { method: "DELETE", headers: headers({ "If-Match": etag }) });
  assert.equal(stale.status, 412);
  assert.equal((await pb.collection(checked.name).getOne(record.id)).title, "Moved");

  const current = (await fetch(url, { headers: headers() })).headers.get("etag");
  const done = await fetch(url, { method: "DELETE", headers: headers({ "If-Match": current }) });
  assert.equal(done.status, 204);
  await expectError(pb.collection(checked.name).getOne(record.id), 404);
});

test("create and SDK update responses carry an ETag that If-Match accepts", async () => {
  const res = await fetch(`${server.url}/api/collections/${checked.name}/records`, { method: "POST", headers: headers(), body: JSON.stringify(valid) });
  assert.equal(res.status, 200);
  const etag = res.headers.get("etag");
  const { id } = await res.json();
  const url = `${server.url}/api/collections/${checked.name}/records/${id}`;
  const patch = await fetch(url, { method: "PATCH", headers: headers({ "If-Match": etag }), body: JSON.stringify({ title: "Again" }) });
  assert.equal(patch.status, 200);
});

test("the ETag header is exposed to browsers through CORS", async () => {
  const record = await pb.collection(open.name).create({ title: "cors" });
  const res = await fetch(`${server.url}/api/collections/${open.name}/records/${record.id}`, { headers: { Origin: "http://example.com" } });
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("access-control-expose-headers") ?? "", /etag/i);
});
