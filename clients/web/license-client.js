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

const userIDStorageKey = "license-client/user-id";
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
 * @param {number} [settings.timeout] milliseconds before the check is skipped (default 5000)
 * @param {Storage} [settings.storage] where the user ID is kept (default `localStorage`)
 * @returns {Promise<string>} "valid", "invalid REASON", "forged-answer" or "skipped"
 */
export async function checkLicense({ server, keyLine, revision, answerKey, domain = location.hostname,
                                     options, product, rights, timeout = 5000, storage = localStorage }) {
    if (rights !== undefined && !(Number.isInteger(rights) && rights >= 1 && rights <= 1000000)) {
        throw new Error("rights must be a whole number from 1 to 1000000");
    }
    const verifyingKey = answerKey === undefined ? null : await importAnswerKey(answerKey);
    const lines = [keyLine, revision, userID(storage), domain];
    if (options && options.length > 0) lines.push("options=" + options.join(","));
    if (product) lines.push("product=" + product);
    if (rights !== undefined) lines.push("rights=" + rights);
    if (verifyingKey) lines.push("nonce=" + base64url(crypto.getRandomValues(new Uint8Array(16))));
    const codeBytes = new TextEncoder().encode(lines.join("\n"));

    let response, body;
    try {
        response = await fetch(server.replace(/\/+$/, "") + "/check", {
            method: "POST",
            body: new URLSearchParams({ code: base64url(codeBytes) }),
            signal: AbortSignal.timeout(timeout),
        });
        body = new Uint8Array(await response.arrayBuffer());
    } catch {
        return "skipped";
    }
    if (response.status === 400) {
        throw new Error("license server refused the check: " + new TextDecoder().decode(body).trim());
    }
    // 429 (rate limit), 503 (no database) and anything else that is not an answer.
    if (response.status !== 200) return "skipped";
    if (verifyingKey && !(await isSignedFor(verifyingKey, response.headers.get("License-Signature"), codeBytes, body))) {
        return "forged-answer";
    }
    const answer = new TextDecoder().decode(body).trim();
    // Without an answer key, a 200 that is no answer (a captive portal's page) says nothing.
    return answer === "valid" || /^invalid [a-z-]+$/.test(answer) ? answer : "skipped";
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

/** Whether `header` signs this code and body (SPEC §7), at a time near this computer's clock. */
async function isSignedFor(verifyingKey, header, codeBytes, body) {
    const fields = /^t=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ), until=([0-9TZ:-]*), sig=([A-Za-z0-9_-]{86})$/.exec(header ?? "");
    if (!fields) return false;
    const [, t, until, signature] = fields;
    if (Math.abs(Date.parse(t) - Date.now()) > clockToleranceMilliseconds) return false;
    const codeDigest = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", codeBytes)));
    const head = new TextEncoder().encode([signedMessageLabel, codeDigest, t, until, ""].join("\n"));
    const message = new Uint8Array(head.length + body.length);
    message.set(head);
    message.set(body, head.length);
    try {
        return await crypto.subtle.verify({ name: "Ed25519" }, verifyingKey, fromBase64url(signature), message);
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
