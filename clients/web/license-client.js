// The license server's browser client (SPEC §2, §3, §7): one startup check from a web page.
// A plain ES module with no dependency and no build step: copy it beside your page and
//
//   import { checkLicense } from "./license-client.js";
//   const answer = await checkLicense({ server: "https://licenses.example.com", keyLine, revision: "7.1",
//                                       answerKey: REALM_PUBLIC_PEM });
//   if (answer.startsWith("invalid") || answer === "forged-answer") { /* refuse to run */ }
//
// The answer is one of "valid", "invalid REASON" (SPEC §3's reasons), "forged-answer" (an answer
// the realm's answer key did not sign for this very check: a fake or replaying server) and
// "skipped" (the server could not be reached, timed out, was busy or without its database: run,
// and check again at the next start). A request the server calls malformed (400: a key line or
// revision out of form) throws, as that is the page's mistake, not the user's.
//
// With `offline: true` (or a `borrow`) and an answer key, the last verified valid answer is kept
// in the storage, with the latest server time it verified (SPEC §14): without the server, the
// answer is then "valid (offline until UNTIL)" while the kept answer holds, or "invalid clock" when
// this computer's clock reads more than an hour before that server time (a clock set back cannot
// stretch a kept answer).

const userIDStorageKey = "license-client/user-id";
const answerStorageKey = "license-client/answer";
const serverTimeStorageKey = "license-client/server-time";
// How far behind the latest verified server time the clock may be before a kept answer is refused.
const clockSetBackMilliseconds = 60 * 60 * 1000;
const signedMessageLabel = "license-answer/1";
// How far the server's `t` may be from this computer's clock (SPEC §7).
const clockToleranceMilliseconds = 5 * 60 * 1000;

/**
 * One startup check.
 * @param {object} settings
 * @param {string} settings.server the server's base URL, https://HOST[:PORT][/PATH]
 * @param {string} settings.keyLine the license key line
 * @param {string} settings.revision the program's revision, a dotted number
 * @param {string} [settings.answerKey] the realm's public answer key (the PEM text of
 *   `licensectl keygen`'s REALM.pem): every check then carries a fresh nonce and only an answer
 *   signed for it counts; without it any answer is believed
 * @param {string} [settings.domain] the domain the page works on (default `location.hostname`;
 *   the server refuses `host` when it differs from the page's origin)
 * @param {string[]} [settings.options] the options this start needs
 * @param {string} [settings.product] the product this page is
 * @param {number} [settings.rights] the rights this start debits, 1 to 1000000 (default 1)
 * @param {string} [settings.borrow] borrow the seat for that long (`14d`, SPEC §14): it counts
 *   until then without checks, and the answer is kept for starts without the server
 * @param {boolean} [settings.offline] keep verified valid answers for starts without the server
 *   (implied by `borrow`; needs `answerKey`)
 * @param {() => number} [settings.now] this computer's clock in milliseconds (default `Date.now`)
 * @param {number} [settings.timeout] milliseconds before the check is skipped (default 5000)
 * @param {Storage} [settings.storage] where the user ID is kept (default `localStorage`)
 * @returns {Promise<string>} "valid", "invalid REASON", "forged-answer", "skipped", or without the
 *   server "valid (offline until UNTIL)" and "invalid clock"
 */
export async function checkLicense({ server, keyLine, revision, answerKey, domain = location.hostname,
                                     options, product, rights, borrow, offline = false, now = Date.now,
                                     timeout = 5000, storage = localStorage }) {
    if (rights !== undefined && !(Number.isInteger(rights) && rights >= 1 && rights <= 1000000)) {
        throw new Error("rights must be a whole number from 1 to 1000000");
    }
    if (borrow !== undefined && !/^[1-9][0-9]{0,9}[smhd]$/.test(borrow)) {
        throw new Error("borrow must be a duration: a number from 1 and a unit, 90s, 15m, 24h or 14d");
    }
    const verifyingKey = answerKey === undefined ? null : await importAnswerKey(answerKey);
    const keepsAnswers = verifyingKey !== null && (offline || borrow !== undefined);
    const lines = [keyLine, revision, userID(storage), domain];
    if (options && options.length > 0) lines.push("options=" + options.join(","));
    if (product) lines.push("product=" + product);
    if (rights !== undefined) lines.push("rights=" + rights);
    if (verifyingKey) lines.push("nonce=" + base64url(crypto.getRandomValues(new Uint8Array(16))));
    if (borrow !== undefined) lines.push("borrow=" + borrow);
    const codeBytes = new TextEncoder().encode(lines.join("\n"));
    const withoutServer = () => keepsAnswers ? keptAnswer(verifyingKey, lines, storage, now()) : "skipped";

    let response, body;
    try {
        response = await fetch(server.replace(/\/+$/, "") + "/check", {
            method: "POST",
            body: new URLSearchParams({ code: base64url(codeBytes) }),
            signal: AbortSignal.timeout(timeout),
        });
        body = new Uint8Array(await response.arrayBuffer());
    } catch {
        return withoutServer();
    }
    if (response.status === 400) {
        throw new Error("license server refused the check: " + new TextDecoder().decode(body).trim());
    }
    // 429 (rate limit), 503 (no database) and anything else that is not an answer.
    if (response.status !== 200) return withoutServer();
    const header = response.headers.get("License-Signature");
    if (verifyingKey && !(await isSignedFor(verifyingKey, header, codeBytes, body, now()))) {
        return "forged-answer";
    }
    const answer = new TextDecoder().decode(body).trim();
    if (keepsAnswers && answer === "valid") {
        storage.setItem(answerStorageKey, JSON.stringify({ code: base64url(codeBytes), header, body: base64url(body) }));
        keepServerTime(storage, Date.parse(signatureFields(header).t));
    }
    // Without an answer key, a 200 that is no answer (a captive portal's page) says nothing.
    return answer === "valid" || /^invalid [a-z-]+$/.test(answer) ? answer : "skipped";
}

/** The kept answer's worth for a start without the server (SPEC §7, §14). */
async function keptAnswer(verifyingKey, lines, storage, nowMilliseconds) {
    let kept;
    try {
        kept = JSON.parse(storage.getItem(answerStorageKey) ?? "null");
    } catch {
        kept = null;
    }
    if (!kept || typeof kept.code !== "string" || typeof kept.header !== "string" || typeof kept.body !== "string") return "skipped";
    const codeBytes = fromBase64url(kept.code);
    const body = fromBase64url(kept.body);
    const fields = signatureFields(kept.header);
    if (!fields || !fields.until || new TextDecoder().decode(body).trim() !== "valid") return "skipped";
    // The same code but its nonce and borrow: every other line must match.
    const comparable = (all) => all.filter((line, index) => index < 4 || !/^(nonce|borrow)=/.test(line)).join("\n");
    if (comparable(new TextDecoder().decode(codeBytes).split("\n")) !== comparable(lines)) return "skipped";
    // Verified as when it came, at the moment it was signed: only its age differs now.
    const signedAt = Date.parse(fields.t);
    if (!(await isSignedFor(verifyingKey, kept.header, codeBytes, body, signedAt))) return "skipped";
    const serverTime = Math.max(Number(storage.getItem(serverTimeStorageKey) ?? 0) || 0, signedAt);
    if (nowMilliseconds < serverTime - clockSetBackMilliseconds) return "invalid clock";
    return Date.parse(fields.until) > Math.max(nowMilliseconds, serverTime) ? `valid (offline until ${fields.until})` : "skipped";
}

/** Keeps the latest server time this storage verified. */
function keepServerTime(storage, milliseconds) {
    const kept = Number(storage.getItem(serverTimeStorageKey) ?? 0) || 0;
    if (milliseconds > kept) storage.setItem(serverTimeStorageKey, String(milliseconds));
}

/** The fields of a `License-Signature` header, or null when it has not that form. */
function signatureFields(header) {
    const fields = /^t=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ), until=([0-9TZ:-]*), sig=([A-Za-z0-9_-]{86})$/.exec(header ?? "");
    return fields ? { t: fields[1], until: fields[2], signature: fields[3] } : null;
}

/** The user ID this browser keeps for the page's origin: random, naming no person. */
function userID(storage) {
    let kept = storage.getItem(userIDStorageKey);
    if (!kept || !/^[A-Za-z0-9._~-]{8,128}$/.test(kept)) {
        kept = crypto.randomUUID();
        storage.setItem(userIDStorageKey, kept);
    }
    return kept;
}

/** Whether `header` signs this code and body (SPEC §7), at a time within 5 minutes of `nowMilliseconds`. */
async function isSignedFor(verifyingKey, header, codeBytes, body, nowMilliseconds) {
    const fields = signatureFields(header);
    if (!fields) return false;
    if (Math.abs(Date.parse(fields.t) - nowMilliseconds) > clockToleranceMilliseconds) return false;
    const codeDigest = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", codeBytes)));
    const head = new TextEncoder().encode([signedMessageLabel, codeDigest, fields.t, fields.until, ""].join("\n"));
    const message = new Uint8Array(head.length + body.length);
    message.set(head);
    message.set(body, head.length);
    try {
        return await crypto.subtle.verify({ name: "Ed25519" }, verifyingKey, fromBase64url(fields.signature), message);
    } catch {
        return false;
    }
}

/** The Ed25519 public key of a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo). */
async function importAnswerKey(pem) {
    const match = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(pem);
    if (!match) throw new Error("the answer key must be the PEM text of a public key");
    const der = Uint8Array.from(atob(match[1].replace(/\s+/g, "")), (character) => character.charCodeAt(0));
    return crypto.subtle.importKey("spki", der, { name: "Ed25519" }, false, ["verify"]);
}

function base64url(bytes) {
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text) {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}
