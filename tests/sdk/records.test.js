// Record CRUD through pb.collection(name): create (200, the SDK returns the record), getOne, getList
// paging/sort/skipTotal, the fields picker, getFullList past 1000 records, update and delete (204).
// Filters are not supported yet, so getFirstListItem and `filter` are left out on purpose.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { startCairn, superuserClient, uniqueName, expectError, SUPERUSER } from "./server.js";

const DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let server, pb, tags, posts;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
  tags = await pb.collections.create({ name: uniqueName("tags"), fields: [{ name: "label", type: "text" }] });
  posts = await pb.collections.create({
    name: uniqueName("posts"),
    fields: [
      { name: "title", type: "text", max: 100 },
      { name: "body", type: "editor" },
      { name: "n", type: "number" },
      { name: "flag", type: "bool" },
      { name: "mail", type: "email" },
      { name: "link", type: "url" },
      { name: "due", type: "date" },
      { name: "status", type: "select", values: ["draft", "published"] },
      { name: "labels", type: "select", values: ["a", "b", "c"], maxSelect: 3 },
      { name: "meta", type: "json" },
      { name: "main", type: "relation", collectionId: tags.id },
      { name: "related", type: "relation", collectionId: tags.id, maxSelect: 10 },
      { name: "where", type: "geoPoint" },
      { name: "pin", type: "password" },
    ],
  });
});
after(async () => { await server.stop(); });

/** A collection of `count` records with a number `n` = 0..count-1, made through batches of 50. */
async function numbered(count) {
  const c = await pb.collections.create({ name: uniqueName("numbered"), fields: [{ name: "n", type: "number" }, { name: "g", type: "text" }] });
  for (let start = 0; start < count; start += 50) {
    const batch = pb.createBatch();
    for (let i = start; i < Math.min(count, start + 50); i++) batch.collection(c.name).create({ n: i, g: i % 2 ? "odd" : "even" });
    await batch.send();
  }
  return c;
}

test("create returns the stored record with every field type normalized", async () => {
  const tag1 = await pb.collection(tags.name).create({ label: "one" });
  const tag2 = await pb.collection(tags.name).create({ label: "two" });
  const record = await pb.collection(posts.name).create({
    title: "Hello",
    body: "<p>Hi <b>there</b></p>",
    n: 12.5,
    flag: true,
    mail: "a@example.com",
    link: "https://example.com/x",
    due: "2024-05-06T07:08:09.123Z",
    status: "published",
    labels: ["b", "a", "b"],
    meta: { nested: [1, 2, { x: null }] },
    main: tag1.id,
    related: [tag2.id, tag1.id],
    where: { lon: 12.5, lat: -45.25 },
    pin: "s3cret-pin",
  });

  assert.match(record.id, /^[a-z0-9]{15}$/);
  assert.equal(record.collectionId, posts.id);
  assert.equal(record.collectionName, posts.name);
  assert.match(record.created, DATE);
  assert.equal(record.created, record.updated);
  assert.equal(record.title, "Hello");
  assert.equal(record.body, "<p>Hi <b>there</b></p>");
  assert.equal(record.n, 12.5);
  assert.equal(record.flag, true);
  assert.equal(record.mail, "a@example.com");
  assert.equal(record.link, "https://example.com/x");
  assert.equal(record.due, "2024-05-06 07:08:09.123Z", "dates come back in PocketBase's layout");
  assert.equal(record.status, "published");
  assert.deepEqual(record.labels, ["b", "a"], "multiple select keeps order and drops duplicates");
  assert.deepEqual(record.meta, { nested: [1, 2, { x: null }] });
  assert.equal(record.main, tag1.id);
  assert.deepEqual(record.related, [tag2.id, tag1.id]);
  assert.deepEqual(record.where, { lon: 12.5, lat: -45.25 });
  assert.equal(record.pin, undefined, "password values are never output");

  assert.deepEqual(await pb.collection(posts.name).getOne(record.id), record);
});

test("an empty create gives every field its zero value", async () => {
  const record = await pb.collection(posts.name).create({});
  assert.equal(record.title, "");
  assert.equal(record.body, "");
  assert.equal(record.n, 0);
  assert.equal(record.flag, false);
  assert.equal(record.mail, "");
  assert.equal(record.due, "");
  assert.equal(record.status, "");
  assert.deepEqual(record.labels, []);
  assert.equal(record.meta, null);
  assert.equal(record.main, "");
  assert.deepEqual(record.related, []);
  assert.deepEqual(record.where, { lon: 0, lat: 0 });
});

test("create answers 200, not 201 (raw fetch)", async () => {
  const res = await fetch(`${server.url}/api/collections/${posts.name}/records`, {
    method: "POST",
    headers: { Authorization: pb.authStore.token, "Content-Type": "application/json" },
    body: JSON.stringify({ title: "raw" }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.title, "raw");
  assert.equal(body.collectionName, posts.name);
});

test("lenient casts: numbers and booleans sent as strings, a number sent to a text field", async () => {
  const record = await pb.collection(posts.name).create({ title: 42, n: "7", flag: "true", status: ["draft", "published"] });
  assert.equal(record.title, "42");
  assert.equal(record.n, 7);
  assert.equal(record.flag, true);
  assert.equal(record.status, "published", "a single select keeps the last value given");
});

test("a client-chosen id is kept; a malformed or taken one is rejected", async () => {
  const id = "abcdefghij12345";
  const record = await pb.collection(posts.name).create({ id, title: "custom id" });
  assert.equal(record.id, id);
  assert.equal((await pb.collection(posts.name).getOne(id)).title, "custom id");

  const taken = await expectError(pb.collection(posts.name).create({ id }), 400);
  assert.equal(taken.data.id.code, "validation_not_unique");

  const short = await expectError(pb.collection(posts.name).create({ id: "abc" }), 400);
  assert.equal(short.data.id.code, "validation_min_text_constraint");

  const upper = await expectError(pb.collection(posts.name).create({ id: "ABCDEFGHIJ12345" }), 400);
  assert.equal(upper.data.id.code, "validation_invalid_format");
});

test("the id cannot be changed by an update", async () => {
  const record = await pb.collection(posts.name).create({ title: "fixed" });
  const response = await expectError(pb.collection(posts.name).update(record.id, { id: "zzzzzzzzzzzzzzz" }), 400);
  assert.equal(response.data.id.code, "validation_pk_change");
});

test("getOne of an unknown id is 404", async () => {
  const response = await expectError(pb.collection(posts.name).getOne("doesnotexist123"), 404);
  assert.deepEqual(response.data, {});
});

test("getList pages through records and reports totals", async () => {
  const c = await numbered(25);
  const list = pb.collection(c.name);
  const first = await list.getList(1, 10);
  assert.equal(first.page, 1);
  assert.equal(first.perPage, 10);
  assert.equal(first.totalItems, 25);
  assert.equal(first.totalPages, 3);
  assert.deepEqual(first.items.map((r) => r.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "default order is insertion (rowid)");
  const third = await list.getList(3, 10);
  assert.equal(third.page, 3);
  assert.deepEqual(third.items.map((r) => r.n), [20, 21, 22, 23, 24]);
  const beyond = await list.getList(4, 10);
  assert.deepEqual(beyond.items, []);
  assert.equal(beyond.totalItems, 25);
});

test("perPage defaults to 30, is clamped to 1000 and echoed; page 0 becomes 1", async () => {
  const c = await numbered(40);
  const list = pb.collection(c.name);
  const defaults = await list.getList();
  assert.equal(defaults.perPage, 30);
  assert.equal(defaults.items.length, 30);
  const huge = await list.getList(1, 5000);
  assert.equal(huge.perPage, 1000, "clamped value is echoed");
  assert.equal(huge.items.length, 40);
  const zero = await list.getList(0, 0);
  assert.equal(zero.page, 1);
  assert.equal(zero.perPage, 30);
  const negative = await list.getList(-3, -1);
  assert.equal(negative.page, 1);
  assert.equal(negative.perPage, 30);
});

test("a non-integer page or perPage is a 400", async () => {
  await expectError(pb.collection(posts.name).getList(1, 10, { query: { page: "abc" } }), 400);
  await expectError(pb.collection(posts.name).getList(1, 10, { query: { perPage: "1.5" } }), 400);
});

test("skipTotal gives totalItems and totalPages of -1", async () => {
  const c = await numbered(5);
  const list = await pb.collection(c.name).getList(1, 2, { skipTotal: true });
  assert.equal(list.totalItems, -1);
  assert.equal(list.totalPages, -1);
  assert.equal(list.items.length, 2);
  const withTotal = await pb.collection(c.name).getList(1, 2, { skipTotal: false });
  assert.equal(withTotal.totalItems, 5);
});

test("sort: -field, several terms, @rowid and -@rowid", async () => {
  const c = await numbered(10);
  const list = pb.collection(c.name);
  const desc = await list.getList(1, 10, { sort: "-n" });
  assert.deepEqual(desc.items.map((r) => r.n), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  const asc = await list.getList(1, 10, { sort: "+n" });
  assert.deepEqual(asc.items.map((r) => r.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const multi = await list.getList(1, 10, { sort: "g,-n" });
  assert.deepEqual(multi.items.map((r) => r.n), [8, 6, 4, 2, 0, 9, 7, 5, 3, 1]);
  const multi2 = await list.getList(1, 10, { sort: "-g, n" });
  assert.deepEqual(multi2.items.map((r) => r.n), [1, 3, 5, 7, 9, 0, 2, 4, 6, 8]);
  const rowid = await list.getList(1, 10, { sort: "@rowid" });
  assert.deepEqual(rowid.items.map((r) => r.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const rowidDesc = await list.getList(1, 10, { sort: "-@rowid" });
  assert.deepEqual(rowidDesc.items.map((r) => r.n), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  const random = await list.getList(1, 10, { sort: "@random" });
  assert.deepEqual(random.items.map((r) => r.n).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const byCreated = await list.getList(1, 10, { sort: "-created,-@rowid" });
  assert.equal(byCreated.items.length, 10);
});

test("an unknown sort field or more than 8 sort terms is a 400", async () => {
  await expectError(pb.collection(posts.name).getList(1, 10, { sort: "-nope" }), 400);
  await expectError(pb.collection(posts.name).getList(1, 10, { sort: "title,n,flag,mail,link,due,status,created,updated" }), 400);
});

test("fields picks keys on list items, keeps the envelope, and excerpts HTML", async () => {
  const c = await pb.collections.create({ name: uniqueName("articles"), fields: [{ name: "title", type: "text" }, { name: "body", type: "editor" }] });
  const created = await pb.collection(c.name).create(
    { title: "T", body: "<p>Hello <strong>wide</strong> world of HTML</p>" },
    { fields: "id,title" },
  );
  assert.deepEqual(Object.keys(created).sort(), ["id", "title"], "create honors fields");

  const list = await pb.collection(c.name).getList(1, 10, { fields: "id,body:excerpt(12,true)" });
  assert.deepEqual(Object.keys(list).sort(), ["items", "page", "perPage", "totalItems", "totalPages"]);
  assert.deepEqual(Object.keys(list.items[0]).sort(), ["body", "id"]);
  assert.equal(list.items[0].body, "Hello wide w...");

  const plain = await pb.collection(c.name).getOne(created.id, { fields: "body:excerpt(100)" });
  assert.deepEqual(plain, { body: "Hello wide world of HTML" });
  const noEllipsis = await pb.collection(c.name).getOne(created.id, { fields: "body:excerpt(5,false)" });
  assert.deepEqual(noEllipsis, { body: "Hello" });

  const star = await pb.collection(c.name).getOne(created.id, { fields: "*" });
  assert.equal(star.title, "T");
  assert.equal(star.collectionName, c.name);

  const updated = await pb.collection(c.name).update(created.id, { title: "U" }, { fields: "title" });
  assert.deepEqual(updated, { title: "U" });
});

test("getFullList pages with perPage=1000 past 1000 records", async () => {
  const c = await numbered(1203);
  const all = await pb.collection(c.name).getFullList({ sort: "n" });
  assert.equal(all.length, 1203);
  assert.deepEqual(all.map((r) => r.n), Array.from({ length: 1203 }, (_, i) => i));
  assert.equal(new Set(all.map((r) => r.id)).size, 1203);

  const batched = await pb.collection(c.name).getFullList({ batch: 500, fields: "id" });
  assert.equal(batched.length, 1203);
  assert.deepEqual(Object.keys(batched[0]), ["id"]);

  const lastPage = await pb.collection(c.name).getList(2, 1000, { skipTotal: true });
  assert.equal(lastPage.items.length, 203);
  assert.equal(lastPage.perPage, 1000);
});

test("update changes the given fields, bumps updated and keeps created", async () => {
  const record = await pb.collection(posts.name).create({ title: "before", n: 1, flag: true });
  await new Promise((r) => setTimeout(r, 5));
  const updated = await pb.collection(posts.name).update(record.id, { title: "after", labels: ["c"] });
  assert.equal(updated.id, record.id);
  assert.equal(updated.title, "after");
  assert.equal(updated.n, 1, "fields not sent keep their values");
  assert.equal(updated.flag, true);
  assert.deepEqual(updated.labels, ["c"]);
  assert.equal(updated.created, record.created);
  assert.ok(updated.updated > record.updated, `${updated.updated} > ${record.updated}`);
  assert.deepEqual(await pb.collection(posts.name).getOne(record.id), updated);
});

test("created and updated are ignored on input", async () => {
  const record = await pb.collection(posts.name).create({ title: "stamps", created: "2001-01-01 00:00:00.000Z", updated: "2001-01-01 00:00:00.000Z" });
  assert.ok(record.created > "2020", record.created);
  assert.ok(record.updated > "2020", record.updated);
});

test("unknown keys in a body are ignored", async () => {
  const record = await pb.collection(posts.name).create({ title: "extra", notAField: 1, collectionName: "x" });
  assert.equal(record.notAField, undefined);
  assert.equal(record.collectionName, posts.name);
});

test("update of an unknown record is 404", async () => {
  await expectError(pb.collection(posts.name).update("doesnotexist123", { title: "x" }), 404);
});

test("delete answers 204 and the record is gone", async () => {
  const record = await pb.collection(posts.name).create({ title: "bye" });
  assert.equal(await pb.collection(posts.name).delete(record.id), true);
  await expectError(pb.collection(posts.name).getOne(record.id), 404);
  await expectError(pb.collection(posts.name).delete(record.id), 404);

  const raw = await pb.collection(posts.name).create({ title: "raw bye" });
  const res = await fetch(`${server.url}/api/collections/${posts.name}/records/${raw.id}`, {
    method: "DELETE",
    headers: { Authorization: pb.authStore.token, "Content-Type": "application/json" },
  });
  assert.equal(res.status, 204);
  assert.equal(await res.text(), "");
});

test("deleting a related record removes its id from the relations that point at it", async () => {
  const tag = await pb.collection(tags.name).create({ label: "gone" });
  const keep = await pb.collection(tags.name).create({ label: "kept" });
  const post = await pb.collection(posts.name).create({ main: tag.id, related: [tag.id, keep.id] });
  await pb.collection(tags.name).delete(tag.id);
  const reread = await pb.collection(posts.name).getOne(post.id);
  assert.equal(reread.main, "");
  assert.deepEqual(reread.related, [keep.id]);
});

test("the collection may be addressed by id as well as by name", async () => {
  const record = await pb.collection(posts.id).create({ title: "by id" });
  assert.equal(record.collectionName, posts.name);
  assert.equal((await pb.collection(posts.id).getOne(record.id)).title, "by id");
});

test("JSON fields normalize JSON-looking strings, JSON bodies included", async () => {
  const c = pb.collection(posts.name);
  assert.equal((await c.create({ meta: "123" })).meta, 123);
  assert.equal((await c.create({ meta: "true" })).meta, true);
  assert.equal((await c.create({ meta: "null" })).meta, null);
  assert.deepEqual((await c.create({ meta: '{"a":[1]}' })).meta, { a: [1] });
  assert.deepEqual((await c.create({ meta: "[1,2]" })).meta, [1, 2]);
  assert.equal((await c.create({ meta: "plain words" })).meta, "plain words");
  assert.equal((await c.create({ meta: "" })).meta, "");
  assert.equal((await c.create({ meta: "12abc" })).meta, "12abc", "invalid JSON stays a string");
  assert.equal((await c.create({ meta: 0 })).meta, 0);
  assert.deepEqual((await c.create({ meta: [] })).meta, []);
});

test("dates accept RFC 3339 and plain dates and come back in PocketBase's layout", async () => {
  const c = pb.collection(posts.name);
  assert.equal((await c.create({ due: "2024-01-02" })).due, "2024-01-02 00:00:00.000Z");
  assert.equal((await c.create({ due: "2024-01-02T03:04:05+02:00" })).due, "2024-01-02 01:04:05.000Z");
  assert.equal((await c.create({ due: "2024-01-02 03:04:05.678Z" })).due, "2024-01-02 03:04:05.678Z");
  assert.equal((await c.create({ due: "" })).due, "");
});

test("the server copes with the SDK auto-cancelling a duplicate request", async () => {
  const client = new PocketBase(server.url); // auto-cancellation on, as in apps
  await client.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  const first = client.collection(posts.name).getList(1, 5);
  const second = client.collection(posts.name).getList(1, 5);
  const [a, b] = await Promise.allSettled([first, second]);
  assert.equal(a.status, "rejected");
  assert.equal(a.reason.isAbort, true);
  assert.equal(b.status, "fulfilled");
  assert.equal(b.value.page, 1);
  assert.equal((await client.health.check()).code, 200, "the server is still healthy");
});
