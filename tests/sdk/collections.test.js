// The collections API through pb.collections: create/update/getOne/getList/getFullList/delete/
// truncate/import/getScaffolds, every field type with its options, and validation errors as the SDK
// surfaces them (ClientResponseError with status and response.data).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCairn, superuserClient, uniqueName, expectError } from "./server.js";

let server, pb;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
});
after(async () => { await server.stop(); });

const byName = (collection, name) => collection.fields.find((f) => f.name === name);

/** One field of every type, each with non-default options, so a lost option shows up. */
function everyFieldType(targetId) {
  return [
    { name: "title", type: "text", required: true, presentable: true, min: 2, max: 50, pattern: "^[A-Za-z ]+$", help: "a title" },
    { name: "code", type: "text", autogeneratePattern: "[a-z]{8}", hidden: true },
    { name: "body", type: "editor", maxSize: 2048, convertURLs: true },
    { name: "count", type: "number", min: 0, max: 100, onlyInt: true },
    { name: "active", type: "bool", required: true },
    { name: "contact", type: "email", onlyDomains: ["example.com"] },
    { name: "site", type: "url", exceptDomains: ["bad.example"] },
    { name: "due", type: "date", min: "2020-01-01 00:00:00.000Z", max: "2030-12-31 00:00:00.000Z" },
    { name: "touched", type: "autodate", onCreate: true, onUpdate: true },
    { name: "status", type: "select", values: ["draft", "published"], maxSelect: 1 },
    { name: "tags", type: "select", values: ["a", "b", "c"], maxSelect: 3 },
    { name: "meta", type: "json", maxSize: 4096 },
    { name: "owner", type: "relation", collectionId: targetId, maxSelect: 1, cascadeDelete: true },
    { name: "refs", type: "relation", collectionId: targetId, minSelect: 1, maxSelect: 5 },
    { name: "loc", type: "geoPoint" },
    { name: "doc", type: "file", maxSelect: 2, maxSize: 1024, mimeTypes: ["image/png"], thumbs: ["100x100", "50x0t"], protected: true },
    { name: "secret", type: "password", min: 6, max: 20, cost: 4, pattern: "^\\S+$" },
  ];
}

function assertEveryFieldType(collection, targetId) {
  const expected = everyFieldType(targetId);
  for (const want of expected) {
    const got = byName(collection, want.name);
    assert.ok(got, `field ${want.name} exists`);
    for (const [key, value] of Object.entries(want)) assert.deepEqual(got[key], value, `${want.name}.${key}`);
    assert.match(got.id, new RegExp(`^${want.type}\\d+$`), `${want.name} id is <type><crc32>`);
    assert.equal(got.system, false);
    assert.equal(typeof got.hidden, "boolean");
    assert.equal(typeof got.presentable, "boolean");
  }
  // options that were not sent come back with their defaults
  assert.equal(byName(collection, "title").autogeneratePattern, "");
  assert.equal(byName(collection, "title").primaryKey, false);
  assert.equal(byName(collection, "count").required, false);
  assert.equal(byName(collection, "touched").required, undefined, "autodate has no required option");
  assert.equal(byName(collection, "owner").minSelect, 0);
  assert.equal(byName(collection, "refs").cascadeDelete, false);
  assert.equal(byName(collection, "code").hidden, true);
}

async function createTarget() {
  return pb.collections.create({ name: uniqueName("target"), type: "base", fields: [{ name: "name", type: "text" }] });
}

test("create with every field type returns the collection with all options and system fields", async () => {
  const target = await createTarget();
  const name = uniqueName("everything");
  const created = await pb.collections.create({ name, type: "base", listRule: "", viewRule: null, fields: everyFieldType(target.id) });

  assert.equal(created.name, name);
  assert.equal(created.type, "base");
  assert.equal(created.system, false);
  assert.match(created.id, /^pbc_\d+$/);
  assert.equal(created.listRule, "");
  assert.equal(created.viewRule, null);
  assert.equal(created.createRule, null, "rules default to null (superusers only)");
  assert.match(created.created, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.ok(Array.isArray(created.indexes));

  const id = byName(created, "id");
  assert.equal(id.type, "text");
  assert.equal(id.primaryKey, true);
  assert.equal(id.system, true);
  assert.equal(id.required, true);
  assert.equal(id.min, 15);
  assert.equal(id.max, 15);
  assert.equal(id.pattern, "^[a-z0-9]+$");
  assert.equal(id.autogeneratePattern, "[a-z0-9]{15}");
  assert.equal(id.id, "text3208210256");
  assert.equal(created.fields[0].name, "id", "the id field comes first");
  // a collection that already has an autodate field gets no extra created/updated pair
  assert.equal(byName(created, "created"), undefined);
  assertEveryFieldType(created, target.id);

  const fetched = await pb.collections.getOne(name);
  assert.deepEqual(fetched, created);
  assert.deepEqual(await pb.collections.getOne(created.id), created);
});

test("a collection without autodate fields gets created and updated", async () => {
  const created = await pb.collections.create({ name: uniqueName("plain"), fields: [{ name: "title", type: "text" }] });
  assert.equal(created.type, "base", "type defaults to base");
  const createdField = byName(created, "created");
  const updatedField = byName(created, "updated");
  assert.equal(createdField.type, "autodate");
  assert.equal(createdField.onCreate, true);
  assert.equal(createdField.onUpdate, false);
  assert.equal(updatedField.onCreate, true);
  assert.equal(updatedField.onUpdate, true);
});

test("an auth collection gets the auth system fields, options and indexes, without secrets", async () => {
  const created = await pb.collections.create({ name: uniqueName("members"), type: "auth", fields: [{ name: "nick", type: "text" }] });
  assert.equal(created.type, "auth");
  for (const f of ["password", "tokenKey", "email", "emailVisibility", "verified"]) assert.ok(byName(created, f), f);
  assert.equal(byName(created, "password").hidden, true);
  assert.equal(byName(created, "tokenKey").hidden, true);
  assert.equal(created.authRule, "");
  assert.equal(created.manageRule, null);
  assert.deepEqual(created.passwordAuth, { enabled: true, identityFields: ["email"] });
  assert.equal(created.authToken.duration, 432000);
  assert.equal(created.authToken.secret, undefined, "token secrets are never output");
  assert.equal(created.fileToken.duration, 180);
  assert.ok(created.indexes.some((i) => /UNIQUE/i.test(i) && /`email`/.test(i)));
  assert.ok(created.indexes.some((i) => /UNIQUE/i.test(i) && /`tokenKey`/.test(i)));
});

test("update adds, renames and reconfigures fields and keeps field ids", async () => {
  const name = uniqueName("evolving");
  const created = await pb.collections.create({
    name,
    fields: [{ name: "title", type: "text", max: 10 }, { name: "level", type: "select", values: ["x", "y"] }],
  });
  const titleId = byName(created, "title").id;
  const fields = created.fields.map((f) => (f.name === "title" ? { ...f, name: "headline", max: 99 } : f));
  fields.push({ name: "score", type: "number", onlyInt: true });
  const renamed = uniqueName("evolved");
  const updated = await pb.collections.update(created.id, { name: renamed, listRule: "", fields });

  assert.equal(updated.id, created.id);
  assert.equal(updated.name, renamed);
  assert.equal(updated.listRule, "");
  const headline = byName(updated, "headline");
  assert.equal(headline.id, titleId, "a renamed field keeps its id");
  assert.equal(headline.max, 99);
  assert.equal(byName(updated, "title"), undefined);
  assert.equal(byName(updated, "score").onlyInt, true);
  assert.equal(byName(updated, "level").values.length, 2);
  assert.ok(updated.updated >= created.updated);

  await expectError(pb.collections.getOne(name), 404);
  assert.equal((await pb.collections.getOne(renamed)).id, created.id);
});

test("a partial update leaves the other keys alone", async () => {
  const created = await pb.collections.create({ name: uniqueName("partial"), listRule: "", fields: [{ name: "a", type: "bool" }] });
  const updated = await pb.collections.update(created.name, { viewRule: "" });
  assert.equal(updated.viewRule, "");
  assert.equal(updated.listRule, "");
  assert.deepEqual(updated.fields, created.fields);
});

test("records keep their data across a field rename", async () => {
  const created = await pb.collections.create({ name: uniqueName("keep"), fields: [{ name: "before", type: "text" }] });
  const record = await pb.collection(created.name).create({ before: "kept" });
  const fields = created.fields.map((f) => (f.name === "before" ? { ...f, name: "after" } : f));
  await pb.collections.update(created.id, { fields });
  const reread = await pb.collection(created.name).getOne(record.id);
  assert.equal(reread.after, "kept");
  assert.equal(reread.before, undefined);
});

test("getList pages, sorts and echoes the envelope; getFullList returns everything", async () => {
  const names = [uniqueName("list_b"), uniqueName("list_a"), uniqueName("list_c")];
  for (const name of names) await pb.collections.create({ name });

  const page = await pb.collections.getList(1, 2, { sort: "-created" });
  assert.equal(page.page, 1);
  assert.equal(page.perPage, 2);
  assert.equal(page.items.length, 2);
  assert.ok(page.totalItems >= 4, "the three new ones plus _superusers");
  assert.equal(page.totalPages, Math.ceil(page.totalItems / 2));
  assert.equal(page.items[0].name, names[2], "newest first");

  const byNameAsc = await pb.collections.getFullList({ sort: "name" });
  assert.equal(byNameAsc.length, page.totalItems);
  const sorted = byNameAsc.map((c) => c.name);
  assert.deepEqual(sorted, [...sorted].sort());
  assert.ok(sorted.includes("_superusers"));

  const skipped = await pb.collections.getList(1, 1, { skipTotal: true });
  assert.equal(skipped.totalItems, -1);
  assert.equal(skipped.totalPages, -1);

  const picked = await pb.collections.getList(1, 1, { fields: "id,name" });
  assert.deepEqual(Object.keys(picked.items[0]).sort(), ["id", "name"]);
  assert.ok("totalItems" in picked, "the envelope keys stay");
});

test("delete returns 204 and the collection is gone", async () => {
  const created = await pb.collections.create({ name: uniqueName("doomed") });
  assert.equal(await pb.collections.delete(created.id), true);
  const response = await expectError(pb.collections.getOne(created.id), 404);
  assert.deepEqual(response.data, {});
  await expectError(pb.collection(created.name).getList(), 404);
});

test("a collection referenced by a relation cannot be deleted", async () => {
  const target = await createTarget();
  await pb.collections.create({ name: uniqueName("referrer"), fields: [{ name: "t", type: "relation", collectionId: target.id }] });
  await expectError(pb.collections.delete(target.id), 400);
  assert.equal((await pb.collections.getOne(target.id)).id, target.id);
});

test("system collections cannot be deleted", async () => {
  await expectError(pb.collections.delete("_superusers"), 400);
});

test("truncate deletes every record and keeps the collection", async () => {
  const created = await pb.collections.create({ name: uniqueName("truncated"), fields: [{ name: "n", type: "number" }] });
  for (let i = 0; i < 5; i++) await pb.collection(created.name).create({ n: i });
  assert.equal((await pb.collection(created.name).getList()).totalItems, 5);
  assert.equal(await pb.collections.truncate(created.name), true);
  const after = await pb.collection(created.name).getList();
  assert.equal(after.totalItems, 0);
  assert.equal((await pb.collections.getOne(created.id)).name, created.name);
});

test("truncate cascades to records that point at the truncated ones", async () => {
  const target = await createTarget();
  const child = await pb.collections.create({
    name: uniqueName("children"),
    fields: [{ name: "parent", type: "relation", collectionId: target.id, cascadeDelete: true, required: true }],
  });
  const parent = await pb.collection(target.name).create({ name: "p" });
  await pb.collection(child.name).create({ parent: parent.id });
  await pb.collections.truncate(target.id);
  assert.equal((await pb.collection(child.name).getList()).totalItems, 0);
});

test("import creates related collections in one call and updates existing ones", async () => {
  const authors = uniqueName("imp_authors");
  const posts = uniqueName("imp_posts");
  const authorsId = "pbc_imp" + process.pid;
  const result = await pb.collections.import([
    { id: authorsId, name: authors, type: "base", fields: [{ name: "name", type: "text", required: true }] },
    { name: posts, type: "base", fields: [{ name: "title", type: "text" }, { name: "author", type: "relation", collectionId: authorsId, maxSelect: 1 }] },
  ], false);
  assert.equal(result, true);

  const importedAuthors = await pb.collections.getOne(authors);
  assert.equal(importedAuthors.id, authorsId);
  assert.equal(byName(importedAuthors, "name").required, true);
  const importedPosts = await pb.collections.getOne(posts);
  assert.equal(byName(importedPosts, "author").collectionId, authorsId);

  // a second import changes an existing collection matched by id
  await pb.collections.import([{ ...importedAuthors, listRule: "" }], false);
  assert.equal((await pb.collections.getOne(authorsId)).listRule, "");
  assert.equal((await pb.collections.getOne(posts)).id, importedPosts.id, "deleteMissing=false keeps the others");

  // the imported collections hold records
  const author = await pb.collection(authors).create({ name: "Ann" });
  const post = await pb.collection(posts).create({ title: "t", author: author.id });
  assert.equal(post.author, author.id);
});

test("import with deleteMissing removes collections that are not listed (but not system ones)", async () => {
  const keep = await pb.collections.create({ name: uniqueName("imp_keep") });
  const all = await pb.collections.getFullList();
  const drop = await pb.collections.create({ name: uniqueName("imp_drop") });
  await pb.collections.import(all, true);
  await expectError(pb.collections.getOne(drop.id), 404);
  assert.equal((await pb.collections.getOne(keep.id)).id, keep.id);
  assert.equal((await pb.collections.getOne("_superusers")).id, "pbc_3142635823");
});

test("import creates a minimal auth collection with its unique email and tokenKey indexes", async () => {
  const name = uniqueName("imp_users");
  await pb.collections.import([{ name, type: "auth", fields: [{ name: "nick", type: "text" }] }], false);
  const imported = await pb.collections.getOne(name);
  assert.ok(imported.indexes.some((i) => /UNIQUE/i.test(i) && /`email`/.test(i)), imported.indexes.join("; "));
  assert.ok(imported.indexes.some((i) => /UNIQUE/i.test(i) && /`tokenKey`/.test(i)));
  const user = await pb.collection(name).create({ email: "u@example.com", password: "imported-1", passwordConfirm: "imported-1", nick: "u" });
  const dup = await expectError(pb.collection(name).create({ email: "u@example.com", password: "imported-1", passwordConfirm: "imported-1" }), 400);
  assert.equal(dup.data.email.code, "validation_not_unique");
  assert.equal(user.nick, "u");
});

test("import errors are reported under data.collections and nothing is written", async () => {
  const good = uniqueName("imp_good");
  const response = await expectError(pb.collections.import([
    { name: good },
    { name: "bad name!" },
  ], false), 400);
  assert.ok(response.data.collections, JSON.stringify(response.data));
  assert.ok(response.data.collections["1"], JSON.stringify(response.data));
  await expectError(pb.collections.getOne(good), 404);
});

test("getScaffolds returns base, auth and view models with empty id and name", async () => {
  const scaffolds = await pb.collections.getScaffolds();
  assert.deepEqual(Object.keys(scaffolds).sort(), ["auth", "base", "view"]);
  for (const [type, model] of Object.entries(scaffolds)) {
    assert.equal(model.id, "", type);
    assert.equal(model.name, "", type);
    assert.equal(model.type, type);
    assert.ok(Array.isArray(model.fields));
    assert.ok(Array.isArray(model.indexes));
  }
  assert.equal(scaffolds.base.fields[0].name, "id");
  assert.equal(scaffolds.base.fields[0].primaryKey, true);
  const authFields = scaffolds.auth.fields.map((f) => f.name);
  for (const f of ["id", "password", "tokenKey", "email", "emailVisibility", "verified"]) assert.ok(authFields.includes(f), f);
  assert.deepEqual(scaffolds.auth.passwordAuth, { enabled: true, identityFields: ["email"] });
  assert.equal(scaffolds.auth.authToken.secret, undefined);
  assert.equal(typeof scaffolds.view.viewQuery, "string");
});

test("a duplicate collection name is validation_collection_name_exists, case-insensitively", async () => {
  const name = uniqueName("dup");
  await pb.collections.create({ name });
  const response = await expectError(pb.collections.create({ name: name.toUpperCase() }), 400);
  assert.equal(response.message, "Failed to create collection.");
  assert.equal(response.data.name.code, "validation_collection_name_exists");
  assert.equal(typeof response.data.name.message, "string");
});

test("a blank or malformed collection name is reported under data.name", async () => {
  const blank = await expectError(pb.collections.create({ name: "" }), 400);
  assert.equal(blank.data.name.code, "validation_required");
  const bad = await expectError(pb.collections.create({ name: "has space" }), 400);
  assert.match(bad.data.name.code, /^validation_/);
});

test("a bad field name is reported under data.fields.<index>.name", async () => {
  const response = await expectError(pb.collections.create({
    name: uniqueName("badfield"),
    fields: [{ name: "ok", type: "text" }, { name: "not-ok", type: "text" }],
  }), 400);
  // the id field is prepended, so "not-ok" is fields[2]
  const errors = response.data.fields;
  assert.ok(errors, JSON.stringify(response.data));
  const index = Object.keys(errors).find((k) => errors[k].name);
  assert.ok(index !== undefined, JSON.stringify(errors));
  assert.match(errors[index].name.code, /^validation_/);
  assert.equal(typeof errors[index].name.message, "string");
  assert.equal(Object.keys(errors).length, 1, "only the bad field is reported");
});

/** Creates a collection with the given fields and returns the error of the one field that must be bad. */
async function fieldError(fields) {
  const response = await expectError(pb.collections.create({ name: uniqueName("badopts"), fields }), 400);
  assert.equal(response.message, "Failed to create collection.");
  const errors = response.data.fields ?? {};
  const indexes = Object.keys(errors);
  assert.equal(indexes.length, 1, JSON.stringify(response.data));
  return errors[indexes[0]];
}

test("a duplicate field name is a field error", async () => {
  const error = await fieldError([{ name: "twice", type: "text" }, { name: "TWICE", type: "bool" }]);
  assert.match(error.name.code, /^validation_/);
});

test("an unknown field type is validation_invalid_value on data.fields.<index>.type", async () => {
  const error = await fieldError([{ name: "weird", type: "no_such_type" }]);
  assert.equal(error.type.code, "validation_invalid_value");
});

test("a select field without values is validation_required on values", async () => {
  const error = await fieldError([{ name: "choice", type: "select", values: [] }]);
  assert.equal(error.values.code, "validation_required");
});

test("a relation to a missing collection is an error on collectionId", async () => {
  const error = await fieldError([{ name: "link", type: "relation", collectionId: "pbc_missing" }]);
  assert.match(error.collectionId.code, /^validation_/);
});

test("an option of the wrong JSON type is an error on that option", async () => {
  const error = await fieldError([{ name: "n", type: "number", onlyInt: "yes" }]);
  assert.match(error.onlyInt.code, /^validation_/);
});

test("a field type cannot be changed", async () => {
  const created = await pb.collections.create({ name: uniqueName("typechange"), fields: [{ name: "x", type: "text" }] });
  const fields = created.fields.map((f) => (f.name === "x" ? { ...f, type: "number" } : f));
  const response = await expectError(pb.collections.update(created.id, { fields }), 400);
  assert.ok(response.data.fields, JSON.stringify(response.data));
});

test("getOne and update of an unknown collection are 404", async () => {
  await expectError(pb.collections.getOne("no_such_collection"), 404);
  await expectError(pb.collections.update("no_such_collection", { listRule: "" }), 404);
  await expectError(pb.collections.delete("no_such_collection"), 404);
});
