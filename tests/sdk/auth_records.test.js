// Records of a non-superuser auth collection (POCKETBASE_API.md 0.3, 1.1, 1.3): sign-in, email
// visibility, the fields only superusers may set (verified, email), tokenKey rotation on a password
// change, and hidden fields being invisible and read-only for everyone but superusers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCairn, superuserClient, guestClient, uniqueName, expectError } from "./server.js";

let server, pb, users, notes;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
  users = await pb.collections.create({
    name: uniqueName("users"),
    type: "auth",
    listRule: "", viewRule: "", createRule: "", updateRule: "",
    fields: [{ name: "nick", type: "text" }],
  });
  notes = await pb.collections.create({
    name: uniqueName("notes"),
    listRule: "", viewRule: "", createRule: "", updateRule: "",
    fields: [{ name: "title", type: "text" }, { name: "internal", type: "text", hidden: true }],
  });
});
after(async () => { await server.stop(); });

let seq = 0;
async function newUser(extra = {}) {
  seq += 1;
  const email = `user${seq}@example.com`;
  const record = await pb.collection(users.name).create({ email, password: "user-pass-123", passwordConfirm: "user-pass-123", ...extra });
  return { email, record };
}

test("a user signs in; the SDK sees a valid, non-superuser token", async () => {
  const { email, record } = await newUser({ nick: "ann" });
  const client = guestClient(server.url);
  const auth = await client.collection(users.name).authWithPassword(email, "user-pass-123");
  assert.equal(auth.record.id, record.id);
  assert.equal(auth.record.email, email, "the signed-in user sees its own email");
  assert.equal(auth.record.nick, "ann");
  assert.equal(auth.record.password, undefined);
  assert.equal(auth.record.tokenKey, undefined);
  assert.equal(client.authStore.isValid, true);
  assert.equal(client.authStore.isSuperuser, false);
  assert.equal(client.authStore.record.collectionName, users.name);
});

test("email is hidden from others unless emailVisibility is on", async () => {
  const hidden = await newUser();
  const shown = await newUser({ emailVisibility: true });
  const guest = guestClient(server.url);
  const a = await guest.collection(users.name).getOne(hidden.record.id);
  assert.equal(a.email, undefined);
  assert.equal(a.emailVisibility, false);
  const b = await guest.collection(users.name).getOne(shown.record.id);
  assert.equal(b.email, shown.email);
  const listed = await guest.collection(users.name).getFullList();
  assert.equal(listed.find((u) => u.id === hidden.record.id).email, undefined);
  assert.equal((await pb.collection(users.name).getOne(hidden.record.id)).email, hidden.email, "superusers see every email");
});

test("a guest may not set verified on create", async () => {
  const guest = guestClient(server.url);
  const response = await expectError(guest.collection(users.name).create({
    email: "verify-me@example.com", password: "user-pass-123", passwordConfirm: "user-pass-123", verified: true,
  }), 400);
  assert.equal(response.data.verified.code, "validation_values_mismatch");
  const made = await guest.collection(users.name).create({ email: "plain@example.com", password: "user-pass-123", passwordConfirm: "user-pass-123" });
  assert.equal(made.verified, false);
  const bySuperuser = await pb.collection(users.name).create({
    email: "su-verified@example.com", password: "user-pass-123", passwordConfirm: "user-pass-123", verified: true,
  });
  assert.equal(bySuperuser.verified, true, "superusers may");
});

test("a user changing its password needs oldPassword, and its old tokens stop working", async () => {
  const { email, record } = await newUser();
  const client = guestClient(server.url);
  await client.collection(users.name).authWithPassword(email, "user-pass-123");
  const oldToken = client.authStore.token;

  const noOld = await expectError(client.collection(users.name).update(record.id, { password: "new-pass-456", passwordConfirm: "new-pass-456" }), 400);
  assert.equal(noOld.data.oldPassword.code, "validation_required");
  const wrongOld = await expectError(client.collection(users.name).update(record.id, {
    password: "new-pass-456", passwordConfirm: "new-pass-456", oldPassword: "wrong-pass-000",
  }), 400);
  assert.equal(wrongOld.data.oldPassword.code, "validation_invalid_old_password");

  await client.collection(users.name).update(record.id, { password: "new-pass-456", passwordConfirm: "new-pass-456", oldPassword: "user-pass-123" });
  const stale = guestClient(server.url);
  stale.authStore.save(oldToken, record);
  await expectError(stale.collection(users.name).authRefresh(), 401);
  await expectError(guestClient(server.url).collection(users.name).authWithPassword(email, "user-pass-123"), 400);
  const fresh = await guestClient(server.url).collection(users.name).authWithPassword(email, "new-pass-456");
  assert.equal(fresh.record.id, record.id);
});

test("a superuser may reset a user's password without oldPassword", async () => {
  const { email, record } = await newUser();
  await pb.collection(users.name).update(record.id, { password: "reset-pass-789", passwordConfirm: "reset-pass-789" });
  const auth = await guestClient(server.url).collection(users.name).authWithPassword(email, "reset-pass-789");
  assert.equal(auth.record.id, record.id);
});

test("hidden fields are invisible to and not writable by non-superusers", async () => {
  const guest = guestClient(server.url);
  const created = await guest.collection(notes.name).create({ title: "t", internal: "guest tried" });
  assert.equal(created.internal, undefined);
  assert.equal((await pb.collection(notes.name).getOne(created.id)).internal, "", "the hidden value was dropped");

  await pb.collection(notes.name).update(created.id, { internal: "set by superuser" });
  assert.equal((await pb.collection(notes.name).getOne(created.id)).internal, "set by superuser");
  const seen = await guest.collection(notes.name).getOne(created.id);
  assert.equal(seen.internal, undefined);
  assert.equal(seen.title, "t");
  await expectError(guest.collection(notes.name).getList(1, 10, { sort: "internal" }), 400);
  assert.ok((await pb.collection(notes.name).getList(1, 10, { sort: "-internal" })).items.length > 0, "superusers may sort by it");
});
