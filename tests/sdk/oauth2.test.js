// OAuth2 through the SDK: listAuthMethods' provider entries, authWithOAuth2Code against a small OAuth2
// provider on loopback (a Google-shaped token + user-info endpoint that checks the PKCE verifier and the
// redirect URI), then listExternalAuths and unlinkExternalAuth on the resulting link.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import PocketBase from "pocketbase";
import { startCairn, superuserClient, expectError } from "./server.js";

const REDIRECT = "http://127.0.0.1:9/callback";
let server, provider, providerUrl;
const expected = { verifier: "" };

before(async () => {
  server = await startCairn();
  provider = http.createServer(async (req, res) => {
    const body = await new Promise((r) => { let s = ""; req.on("data", (c) => (s += c)); req.on("end", () => r(s)); });
    const json = (status, value) => { res.writeHead(status, { "content-type": "application/json" }); res.end(JSON.stringify(value)); };
    if (req.method === "POST" && req.url === "/token") {
      const form = new URLSearchParams(body);
      const ok = form.get("code") === "sdk-code" && form.get("code_verifier") === expected.verifier && form.get("redirect_uri") === REDIRECT
        && form.get("client_id") === "sdk-client" && form.get("client_secret") === "sdk-secret";
      return ok ? json(200, { access_token: "sdk-access", expires_in: 3600 }) : json(400, { error: "invalid_grant" });
    }
    if (req.method === "GET" && req.url === "/user" && req.headers.authorization === "Bearer sdk-access")
      return json(200, { sub: "g-1", name: "Sid Sdk", email: "sid@example.com", email_verified: true, picture: "" });
    json(404, {});
  });
  await new Promise((r) => provider.listen(0, "127.0.0.1", r));
  providerUrl = `http://127.0.0.1:${provider.address().port}`;
  const admin = await superuserClient(server.url);
  await admin.collections.update("users", {
    oauth2: {
      enabled: true,
      providers: [{ name: "google", clientId: "sdk-client", clientSecret: "sdk-secret",
        authURL: `${providerUrl}/authorize`, tokenURL: `${providerUrl}/token`, userInfoURL: `${providerUrl}/user` }],
    },
  });
});

after(async () => {
  await server.stop();
  await new Promise((r) => provider.close(r));
});

test("listAuthMethods lists the provider with state, PKCE and an authURL to append the redirect to", async () => {
  const pb = new PocketBase(server.url);
  const methods = await pb.collection("users").listAuthMethods();
  assert.equal(methods.oauth2.enabled, true);
  const google = methods.oauth2.providers.find((p) => p.name === "google");
  assert.equal(google.displayName, "Google");
  assert.equal(google.state.length, 30);
  assert.equal(google.codeVerifier.length, 43);
  assert.equal(google.codeChallengeMethod, "S256");
  assert.ok(google.authURL.startsWith(`${providerUrl}/authorize?`));
  assert.ok(google.authURL.endsWith("&redirect_uri="));
  assert.equal(google.clientSecret, undefined);
});

test("authWithOAuth2Code signs in a new user, then the link shows in listExternalAuths and can be unlinked", async () => {
  const pb = new PocketBase(server.url);
  const google = (await pb.collection("users").listAuthMethods()).oauth2.providers.find((p) => p.name === "google");
  expected.verifier = google.codeVerifier;

  const auth = await pb.collection("users").authWithOAuth2Code("google", "sdk-code", google.codeVerifier, REDIRECT, { name: "Sid" });
  assert.equal(auth.record.email, "sid@example.com");
  assert.equal(auth.record.verified, true);
  assert.equal(auth.record.name, "Sid");
  assert.equal(auth.meta.isNew, true);
  assert.equal(auth.meta.id, "g-1");
  assert.equal(auth.meta.accessToken, "sdk-access");
  assert.ok(pb.authStore.isValid);

  const links = await pb.collection("users").listExternalAuths(auth.record.id);
  assert.equal(links.length, 1);
  assert.equal(links[0].provider, "google");
  assert.equal(links[0].providerId, "g-1");

  assert.equal(await pb.collection("users").unlinkExternalAuth(auth.record.id, "google"), true);
  assert.equal((await pb.collection("users").listExternalAuths(auth.record.id)).length, 0);
});

test("a wrong verifier is refused with 400 and no account", async () => {
  const pb = new PocketBase(server.url);
  const google = (await pb.collection("users").listAuthMethods()).oauth2.providers.find((p) => p.name === "google");
  expected.verifier = google.codeVerifier;
  await expectError(pb.collection("users").authWithOAuth2Code("google", "sdk-code", "x".repeat(43), REDIRECT), 400);
  await expectError(pb.collection("users").authWithOAuth2Code("nope", "sdk-code", google.codeVerifier, REDIRECT), 400);
});
