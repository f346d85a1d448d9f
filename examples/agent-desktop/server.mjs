// A minimal custom agent desktop and its backend, against connectfed.
//
//   connectfed serve --seed examples/seed.yaml      (in the repository root)
//   cd examples/agent-desktop && npm ci && npm start
//   open http://localhost:3000
//
// The backend does what a real one does on AWS: it assumes the role
// ConnectAgentFederation as the IAM user agent-backend, with the agent's
// Connect username as the session name, and calls GetFederationToken; the
// page embeds the CCP with amazon-connect-streams and signs the agent in
// inside the frame with those credentials. At start it approves the
// desktop's origin on the instance (AssociateApprovedOrigin).
//
// Environment: CONNECTFED_URL (default http://127.0.0.1:4577), PORT (3000;
// 0 picks a free one), INSTANCE_ID and AGENT (examples/seed.yaml's instance
// and alice), BACKEND_KEY/BACKEND_SECRET (the seed's agent-backend key),
// ROOT_KEY/ROOT_SECRET (test/test). Only for loopback development.
import { createHash, createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const env = (k, d) => process.env[k] || d;
const CONNECTFED = env("CONNECTFED_URL", "http://127.0.0.1:4577").replace(/\/$/, "");
const INSTANCE_ID = env("INSTANCE_ID", "11111111-2222-4333-8444-555555555555");
const AGENT = env("AGENT", "alice");
const REGION = env("AWS_REGION", "us-east-1");
const BACKEND = { key: env("BACKEND_KEY", "AKIASEEDAGENTBACKEND"), secret: env("BACKEND_SECRET", "seed-secret-for-agent-backend-0001") };
const ROOT = { key: env("ROOT_KEY", "test"), secret: env("ROOT_SECRET", "test") };

// --- a small SigV4 signer (what the AWS SDKs do) ---
const sha = (s) => createHash("sha256").update(s).digest("hex");
const hmac = (k, s) => createHmac("sha256", k).update(s).digest();
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

async function aws(service, method, path, { query = {}, body = "", creds, contentType } = {}) {
  const url = new URL(CONNECTFED + path);
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  const day = amzDate.slice(0, 8);
  const qs = Object.keys(query).sort().map((k) => enc(k) + "=" + enc(query[k])).join("&");
  const headers = { host: url.host, "x-amz-date": amzDate, "x-amz-content-sha256": sha(body) };
  if (creds.token) headers["x-amz-security-token"] = creds.token;
  if (contentType) headers["content-type"] = contentType;
  const names = Object.keys(headers).sort();
  const canonical = [method, url.pathname.split("/").map(enc).join("/"), qs,
    names.map((n) => n + ":" + headers[n] + "\n").join(""), names.join(";"), sha(body)].join("\n");
  const scope = `${day}/${REGION}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha(canonical)].join("\n");
  let k = hmac("AWS4" + creds.secret, day);
  for (const part of [REGION, service, "aws4_request"]) k = hmac(k, part);
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.key}/${scope}, SignedHeaders=${names.join(";")}, Signature=${hmac(k, toSign).toString("hex")}`;
  delete headers.host;
  const res = await fetch(url.origin + url.pathname + (qs ? "?" + qs : ""), { method, headers, body: body || undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`${service} ${method} ${path}: ${res.status} ${text}`);
  return text;
}

// federate: AssumeRole as the agent, then GetFederationToken.
async function federate() {
  const form = new URLSearchParams({ Action: "AssumeRole", Version: "2011-06-15",
    RoleArn: "arn:aws:iam::000000000000:role/ConnectAgentFederation", RoleSessionName: AGENT }).toString();
  const xml = await aws("sts", "POST", "/", { body: form, creds: BACKEND, contentType: "application/x-www-form-urlencoded" });
  const pick = (tag) => xml.match(new RegExp(`<${tag}>([^<]*)</${tag}>`))[1];
  const session = { key: pick("AccessKeyId"), secret: pick("SecretAccessKey"), token: pick("SessionToken") };
  return JSON.parse(await aws("connect", "GET", `/user/federate/${INSTANCE_ID}`, { creds: session }));
}

const files = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/desktop.js": ["desktop.js", "text/javascript"],
  "/streams.js": ["node_modules/amazon-connect-streams/release/connect-streams.js", "text/javascript"],
  "/task.js": ["node_modules/amazon-connect-taskjs/dist/amazon-connect-task.js", "text/javascript"],
};

const server = createServer(async (req, res) => {
  try {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/config") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ccpUrl: `${CONNECTFED}/connect/${INSTANCE_ID}/ccp-v2`,
        signInUrl: `${CONNECTFED}/connect/${INSTANCE_ID}/auth/sign-in`, instanceId: INSTANCE_ID }));
      return;
    }
    if (path === "/federate" && req.method === "POST") {
      const out = await federate();
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(out.Credentials));
      return;
    }
    const f = files[path];
    if (!f) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": f[1] });
    res.end(await readFile(join(here, f[0])));
  } catch (e) {
    console.error(e.message);
    res.writeHead(502, { "content-type": "text/plain" }).end(e.message);
  }
});

server.listen(Number(env("PORT", "3000")), "127.0.0.1", async () => {
  const origin = `http://localhost:${server.address().port}`;
  try {
    await aws("connect", "PUT", `/instance/${INSTANCE_ID}/approved-origin`, {
      body: JSON.stringify({ Origin: origin }), creds: ROOT, contentType: "application/json" });
  } catch (e) {
    console.error(`could not approve ${origin} on instance ${INSTANCE_ID} at ${CONNECTFED}: is connectfed running with --seed examples/seed.yaml?\n${e.message}`);
    process.exit(1);
  }
  console.log(`agent desktop on ${origin} (CCP from ${CONNECTFED}, instance ${INSTANCE_ID}, agent ${AGENT})`);
  console.log(`simulate a call: connectfed call --instance-id ${INSTANCE_ID} --from +15550100 --attribute reason=billing`);
});
