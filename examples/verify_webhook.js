#!/usr/bin/env node
// Receive Weiquan (维权) webhooks and verify them, with Node's standard library only.
//
// Weiquan signs every webhook as the Standard Webhooks specification says
// (https://www.standardwebhooks.com/): three headers
//
//   webhook-id          msg_<32 hex>, the same on every retry of one message
//   webhook-timestamp   Unix seconds when this attempt was signed
//   webhook-signature   "v1,<base64 HMAC-SHA256>" (several, space-separated, during a
//                       secret rotation)
//
// and the HMAC key is the base64 part of your endpoint's secret "whsec_<base64>".
// The signed content is `${webhook-id}.${webhook-timestamp}.${raw body}`.
//
// Run it as a small receiver (Node 18 or newer):
//
//   WEIQUAN_WEBHOOK_SECRET=whsec_... PORT=8080 node verify_webhook.js
//
// or take `verifyWebhook` into your own server: `require("./verify_webhook.js")`.

"use strict";

const crypto = require("node:crypto");
const http = require("node:http");

// Refuse messages signed more than 5 minutes before or after our clock: a captured
// request cannot be replayed later. Keep the server's clock synchronised (NTP).
const TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 1024 * 1024;

class WebhookVerificationError extends Error {}

function headerOf(headers, name) {
  // Node lower-cases incoming header names; accept any case from other callers.
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

function signingKey(secret) {
  const encoded = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  return Buffer.from(encoded, "base64");
}

/**
 * Verify one webhook and return its parsed JSON body; throw WebhookVerificationError.
 *
 * `rawBody` must be the bytes exactly as received (a Buffer): parsing the JSON and
 * serialising it again changes the bytes and breaks the signature.
 */
function verifyWebhook(secret, headers, rawBody, options = {}) {
  const tolerance = options.toleranceSeconds ?? TOLERANCE_SECONDS;
  const now = options.now ?? Math.floor(Date.now() / 1000);

  const id = headerOf(headers, "webhook-id");
  const timestamp = headerOf(headers, "webhook-timestamp");
  const signatures = headerOf(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature");
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new WebhookVerificationError("webhook-timestamp is not Unix seconds");
  }
  if (Math.abs(now - Number(timestamp)) > tolerance) {
    throw new WebhookVerificationError("webhook-timestamp is too old or too far ahead");
  }

  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, "utf8");
  const expected = crypto
    .createHmac("sha256", signingKey(secret))
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest();

  for (const entry of signatures.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue; // other schemes: not ours
    const given = Buffer.from(entry.slice(comma + 1), "base64");
    // timingSafeEqual compares in constant time but throws on different lengths.
    if (given.length === expected.length && crypto.timingSafeEqual(given, expected)) {
      return JSON.parse(body.toString("utf8"));
    }
  }
  throw new WebhookVerificationError("no valid signature");
}

/**
 * A minimal receiver: verify, answer 204 at once, deduplicate by webhook-id, then work.
 *
 * Weiquan waits at most 10 seconds for an answer and counts anything but 2xx as a
 * failure to retry, so answer first and do slow work afterwards (a queue in real life).
 */
function createReceiver({ secret, onEvent }) {
  // Delivery is at least once: the same webhook-id can arrive again (a retry after a
  // timeout, a worker restart). In production keep the ids in your database with a
  // unique constraint, for longer than the 24 hours of retries.
  const seen = new Set();

  return http.createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405, { Allow: "POST" }).end();
      return;
    }
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.writableEnded) return;
      let event;
      try {
        event = verifyWebhook(secret, req.headers, Buffer.concat(chunks));
      } catch (err) {
        if (!(err instanceof WebhookVerificationError) && !(err instanceof SyntaxError)) throw err;
        res.writeHead(400, { "Content-Type": "text/plain" }).end(`rejected: ${err.message}\n`);
        return;
      }
      res.writeHead(204).end();

      const id = headerOf(req.headers, "webhook-id");
      if (seen.has(id)) return; // already handled: a 2xx is all the sender needs
      seen.add(id);
      setImmediate(() => onEvent(event, id));
    });
  });
}

module.exports = { verifyWebhook, createReceiver, WebhookVerificationError, TOLERANCE_SECONDS };

if (require.main === module) {
  const secret = process.env.WEIQUAN_WEBHOOK_SECRET;
  if (!secret) {
    console.error("Set WEIQUAN_WEBHOOK_SECRET to the whsec_... secret of your endpoint.");
    process.exit(2);
  }
  const host = process.env.HOST || "127.0.0.1";
  const receiver = createReceiver({
    secret,
    onEvent(event, id) {
      // event.type: complaint.forwarded, complaint.closed, message.created, ...
      // event.data: reference, status, outcome, from_status, event, event_id, platform.
      // Fetch GET /api/v1/complaints/{reference}/ for the full, current complaint.
      const { reference, status } = event.data;
      console.log(JSON.stringify({ id, type: event.type, reference, status }));
    },
  });
  receiver.listen(Number(process.env.PORT || 8080), host, () => {
    console.log(`listening on http://${host}:${receiver.address().port}/`);
  });
  process.on("SIGTERM", () => receiver.close(() => process.exit(0)));
}
