// One-time codes and MFA through the real SDK (POCKETBASE_API.md 1.3): requestOTP + authWithOTP with the code
// read from the mail the server wrote into its data folder (no SMTP configured), an unknown email answered the
// same way, and the MFA flow: a password sign-in rejected with 401 {mfaId}, completed by an OTP sign-in that
// passes that mfaId (the SDK sends it as a query parameter).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { startCairn, superuserClient, guestClient, uniqueName, expectError } from "./server.js";

let server, pb;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
});
after(async () => { await server.stop(); });

let seq = 0;
async function authCollection(options) {
  const collection = await pb.collections.create({ name: uniqueName("otp_users"), type: "auth", ...options });
  seq += 1;
  const email = `otp${seq}@example.com`;
  await pb.collection(collection.name).create({ email, password: "user-pass-123", passwordConfirm: "user-pass-123", verified: true });
  return { name: collection.name, email };
}

/** Waits for the mail to `email` that the server writes in the background and returns the code in it. */
async function codeMailedTo(email, seen = new Set()) {
  const folder = join(server.dir, "mails");
  const deadline = Date.now() + 10000;
  for (;;) {
    for (const file of existsSync(folder) ? readdirSync(folder).sort() : []) {
      if (seen.has(file)) continue;
      const text = readFileSync(join(folder, file), "utf8");
      if (!text.includes(`To: ${email}\r\n`)) continue;
      seen.add(file);
      const code = /<strong>(\d+)<\/strong>/.exec(text);
      assert.ok(code, `the mail holds a code: ${text}`);
      return code[1];
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${email} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("requestOTP mails a code that authWithOTP exchanges for a token, once", async () => {
  const { name, email } = await authCollection({ otp: { enabled: true } });
  const client = guestClient(server.url);
  const methods = await client.collection(name).listAuthMethods();
  assert.deepEqual(methods.otp, { enabled: true, duration: 180 });

  const { otpId } = await client.collection(name).requestOTP(email);
  const code = await codeMailedTo(email);
  assert.match(code, /^\d{8}$/);
  const auth = await client.collection(name).authWithOTP(otpId, code);

  assert.equal(auth.record.email, email);
  assert.equal(client.authStore.isValid, true);
  assert.equal(client.authStore.record.id, auth.record.id);
  const again = await expectError(guestClient(server.url).collection(name).authWithOTP(otpId, code), 400);
  assert.equal(again.message, "Invalid or expired OTP.");
});

test("an unknown email gets an otpId too, and that id signs nobody in", async () => {
  const { name } = await authCollection({ otp: { enabled: true } });
  const client = guestClient(server.url);
  const { otpId } = await client.collection(name).requestOTP("nobody@example.com");
  assert.match(otpId, /^[a-z0-9]{15}$/);
  await expectError(client.collection(name).authWithOTP(otpId, "12345678"), 400);
});

test("OTP dies after 5 wrong tries: the 6th is 429 even with the right code", async () => {
  const { name, email } = await authCollection({ otp: { enabled: true } });
  const client = guestClient(server.url);
  const { otpId } = await client.collection(name).requestOTP(email);
  const code = await codeMailedTo(email);
  const wrong = code === "00000000" ? "11111111" : "00000000";
  for (let i = 0; i < 5; i++) await expectError(client.collection(name).authWithOTP(otpId, wrong), 400);
  const blocked = await expectError(client.collection(name).authWithOTP(otpId, code), 429);
  assert.equal(blocked.message, "Too many attempts, please try again later with a new OTP.");
});

test("OTP disabled: requestOTP is 403", async () => {
  const { name, email } = await authCollection({});
  await expectError(guestClient(server.url).collection(name).requestOTP(email), 403);
});

test("MFA: password answers 401 {mfaId}; OTP with that mfaId completes the sign-in", async () => {
  const { name, email } = await authCollection({ otp: { enabled: true }, mfa: { enabled: true } });
  const client = guestClient(server.url);
  assert.deepEqual((await client.collection(name).listAuthMethods()).mfa, { enabled: true, duration: 600 });

  let challenge;
  try {
    await client.collection(name).authWithPassword(email, "user-pass-123");
  } catch (e) {
    challenge = e;
  }
  assert.ok(challenge, "the first factor alone gives no token");
  assert.equal(challenge.status, 401);
  assert.deepEqual(Object.keys(challenge.response), ["mfaId"]);
  const mfaId = challenge.response.mfaId;
  assert.equal(client.authStore.isValid, false);

  const { otpId } = await client.collection(name).requestOTP(email);
  const code = await codeMailedTo(email);
  // The same method twice is refused...
  const same = await expectError(client.collection(name).authWithPassword(email, "user-pass-123", { mfaId }), 400);
  assert.equal(same.message, "A different authentication method is required.");
  // ...a different one with the mfaId signs in.
  const auth = await client.collection(name).authWithOTP(otpId, code, { mfaId });
  assert.equal(auth.record.email, email);
  assert.equal(client.authStore.isValid, true);

  // The session is used up, and auth-refresh needs no second factor.
  const refreshed = await client.collection(name).authRefresh();
  assert.equal(refreshed.record.id, auth.record.id);
  const reuse = await expectError(guestClient(server.url).collection(name).authWithPassword(email, "user-pass-123", { mfaId }), 400);
  assert.equal(reuse.message, "Invalid or expired MFA session.");
});
