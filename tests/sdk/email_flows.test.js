// The email flows through the SDK (POCKETBASE_API.md 1.3 "Email flows"): requestVerification /
// confirmVerification, requestPasswordReset / confirmPasswordReset, requestEmailChange / confirmEmailChange.
// With no SMTP server configured the server writes each mail as an .eml file into <data dir>/mails; the
// tests read the token from the link in that file, as a user would click it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startCairn, superuserClient, guestClient, uniqueName, expectError } from "./server.js";

let server, pb, users;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
  users = await pb.collections.create({ name: uniqueName("users"), type: "auth", listRule: "", viewRule: "", createRule: "" });
});
after(async () => { await server.stop(); });

let seq = 0;
async function newUser() {
  seq += 1;
  const email = `flow${seq}@example.com`;
  const record = await pb.collection(users.name).create({ email, password: "user-pass-123", passwordConfirm: "user-pass-123" });
  return { email, record };
}

/** Mails written so far to `to`, as {subject, body}; mails are sent in the background, so callers wait with waitForMail. */
function mailsTo(to) {
  const folder = join(server.dir, "mails");
  if (!existsSync(folder)) return [];
  return readdirSync(folder).sort().map((f) => readFileSync(join(folder, f), "utf8"))
    .map((text) => {
      const [head, ...body] = text.split("\r\n\r\n");
      const header = (name) => head.split("\r\n").find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      return { to: header("To"), subject: header("Subject"), body: body.join("\r\n\r\n") };
    })
    .filter((m) => m.to === to);
}

/** Waits (up to 10 s) for mail number `count` to `to` and returns the token of its confirmation link. */
async function waitForToken(to, route, count = 1) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const mails = mailsTo(to);
    if (mails.length >= count) {
      const match = mails[count - 1].body.match(new RegExp(`/${route}/([A-Za-z0-9_\\-.]+)`));
      assert.ok(match, `no ${route} link in: ${mails[count - 1].body}`);
      return match[1];
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} after 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("requestVerification mails a link; confirmVerification marks the user verified", async () => {
  const { email, record } = await newUser();
  const guest = guestClient(server.url);
  assert.equal(await guest.collection(users.name).requestVerification(email), true);
  const token = await waitForToken(email, "confirm-verification");

  assert.equal(await guest.collection(users.name).confirmVerification(token), true);

  assert.equal((await pb.collection(users.name).getOne(record.id)).verified, true);
});

test("requestVerification for an unknown address answers the same and sends nothing", async () => {
  const guest = guestClient(server.url);
  assert.equal(await guest.collection(users.name).requestVerification("nobody-here@example.com"), true);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(mailsTo("nobody-here@example.com").length, 0);
});

test("requestPasswordReset and confirmPasswordReset set a new password and end old sessions", async () => {
  const { email } = await newUser();
  const signedIn = guestClient(server.url);
  await signedIn.collection(users.name).authWithPassword(email, "user-pass-123");
  const guest = guestClient(server.url);

  assert.equal(await guest.collection(users.name).requestPasswordReset(email), true);
  const token = await waitForToken(email, "confirm-password-reset");
  assert.equal(await guest.collection(users.name).confirmPasswordReset(token, "new-pass-456", "new-pass-456"), true);

  const auth = await guest.collection(users.name).authWithPassword(email, "new-pass-456");
  assert.equal(auth.record.email, email);
  await expectError(signedIn.collection(users.name).authRefresh(), 401);
  const reused = await expectError(guest.collection(users.name).confirmPasswordReset(token, "third-pass-789", "third-pass-789"), 400);
  assert.equal(reused.data.token.code, "validation_invalid_token");
});

test("confirmPasswordReset with mismatched passwords is a field error", async () => {
  const { email } = await newUser();
  const guest = guestClient(server.url);
  await guest.collection(users.name).requestPasswordReset(email);
  const token = await waitForToken(email, "confirm-password-reset");
  const error = await expectError(guest.collection(users.name).confirmPasswordReset(token, "new-pass-456", "other-pass-456"), 400);
  assert.equal(error.data.passwordConfirm.code, "validation_values_mismatch");
});

test("requestEmailChange mails the new address; confirmEmailChange switches the email and the SDK store is cleared", async () => {
  const { email, record } = await newUser();
  const client = guestClient(server.url);
  await client.collection(users.name).authWithPassword(email, "user-pass-123");
  const newEmail = `changed-${record.id}@example.com`;

  assert.equal(await client.collection(users.name).requestEmailChange(newEmail), true);
  const token = await waitForToken(newEmail, "confirm-email-change");
  const wrong = await expectError(client.collection(users.name).confirmEmailChange(token, "wrong-password"), 400);
  assert.equal(wrong.data.password.code, "validation_invalid_password");

  assert.equal(await client.collection(users.name).confirmEmailChange(token, "user-pass-123"), true);

  assert.equal(client.authStore.isValid, false, "the SDK signs out the user whose email changed");
  const updated = await pb.collection(users.name).getOne(record.id);
  assert.equal(updated.email, newEmail);
  assert.equal(updated.verified, true);
  const auth = await guestClient(server.url).collection(users.name).authWithPassword(newEmail, "user-pass-123");
  assert.equal(auth.record.id, record.id);
});

test("requestEmailChange needs a signed-in user", async () => {
  await expectError(guestClient(server.url).collection(users.name).requestEmailChange("x@example.com"), 401);
});
