// The /login page: start a QR login, show the code as it rotates, ask for the 2FA
// password when the account has one, and end with the curl line to use.
// Talks only to this server's QR login API; no external assets.
"use strict";

const API = "/api/v3/auth/qr";
const POLL_MS = 1000;
const KEY_STORE = "tgscraper-api-key";
// the key this page was served with (the server has API keys), sent with every call
const PAGE_KEY = document.documentElement.dataset.apiKey || "";
const SECTIONS = ["start-form", "qr-step", "password-form", "success"];

const $ = (id) => document.getElementById(id);
let login = null; // {token, username, shownUrl, imageUrl, timer}

function show(section) {
  for (const id of SECTIONS) $(id).hidden = id !== section;
}

function showError(text) {
  $("error").textContent = text || "";
  $("error").hidden = !text;
}

function setStatus(text) {
  $("status").textContent = text || "";
}

function apiKey() {
  return sessionStorage.getItem(KEY_STORE) || PAGE_KEY;
}

async function call(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (apiKey()) headers["X-API-Key"] = apiKey();
  const response = await fetch(path, {
    method,
    headers,
    cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  if ((response.headers.get("Content-Type") || "").startsWith("application/json")) {
    data = await response.json();
  }
  return { status: response.status, data, response };
}

function detail(result) {
  if (result.data && result.data.detail) return result.data.detail;
  return `The server answered ${result.status}.`;
}

function stop() {
  if (login && login.timer) clearTimeout(login.timer);
  if (login && login.imageUrl) URL.revokeObjectURL(login.imageUrl);
  login = null;
}

function restart(message) {
  stop();
  show("start-form");
  setStatus("");
  showError(message);
  $("start").disabled = false;
}

async function showCode(current, url, expiresIn) {
  $("countdown").textContent =
    expiresIn == null ? "" : `This code is valid for ${expiresIn} s; a new one follows.`;
  if (!url || url === current.shownUrl) return;
  current.shownUrl = url;
  $("qr-link").href = url;
  const result = await call("GET", `${API}/${current.token}/qr.svg`);
  if (result.status !== 200 || login !== current) return;
  const imageUrl = URL.createObjectURL(await result.response.blob());
  if (current.imageUrl) URL.revokeObjectURL(current.imageUrl);
  current.imageUrl = imageUrl;
  $("qr-image").src = imageUrl;
  $("qr-image").dataset.qrUrl = url;
}

function finish(current, data) {
  stop();
  show("success");
  setStatus("");
  showError("");
  $("success-message").textContent = data.message;
  const key = current.usedKey ? ' -H "X-API-Key: $TGSC_API_KEY"' : "";
  $("curl").textContent =
    `curl${key} -H "X-Telegram-Username: ${current.username}" ${location.origin}/api/v3/me`;
}

function apply(current, data) {
  switch (data.status) {
    case "pending":
      setStatus(data.qr_url ? "Waiting for the code to be scanned..." : "Scanned: logging in...");
      return showCode(current, data.qr_url, data.expires_in);
    case "password_required":
      if ($("password-form").hidden) {
        show("password-form");
        $("password-hint").textContent = data.password_hint ? `Hint: ${data.password_hint}` : "";
        $("password").focus();
      }
      setStatus(`${data.password_tries_left} tries left.`);
      return undefined;
    case "success":
      return finish(current, data);
    default: // expired, error, cancelled
      return restart(data.message);
  }
}

async function poll(current) {
  if (login !== current) return;
  try {
    const result = await call("GET", `${API}/${current.token}`);
    if (login !== current) return;
    if (result.status !== 200) return restart(detail(result));
    await apply(current, result.data);
  } catch (error) {
    if (login === current) setStatus(`Cannot reach the server (${error}); retrying...`);
  }
  if (login === current) current.timer = setTimeout(() => poll(current), POLL_MS);
}

$("start-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("");
  if (!$("api-key-row").hidden && $("api-key").value) {
    sessionStorage.setItem(KEY_STORE, $("api-key").value);
  }
  const username = $("username").value.trim();
  $("start").disabled = true;
  setStatus("Connecting to Telegram...");
  let result;
  try {
    result = await call("POST", API, { username, force: $("force").checked });
  } catch (error) {
    return restart(`Cannot reach the server (${error}).`);
  }
  $("start").disabled = false;
  setStatus("");
  if (result.status === 401 && result.data && /api_key/.test(result.data.error)) {
    $("api-key-row").hidden = false;
    sessionStorage.removeItem(KEY_STORE);
    return showError(`${detail(result)} Enter the API key this server was started with.`);
  }
  if (result.status !== 200) return showError(detail(result));
  stop();
  const current = { token: result.data.token, username, usedKey: Boolean(apiKey()) };
  login = current;
  show("qr-step");
  setStatus("Waiting for the code to be scanned...");
  await showCode(current, result.data.qr_url, result.data.expires_in);
  current.timer = setTimeout(() => poll(current), POLL_MS);
});

$("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const current = login;
  if (!current) return;
  const password = $("password").value;
  $("password").value = "";
  $("send-password").disabled = true;
  showError("");
  setStatus("Checking the password...");
  try {
    const result = await call("POST", `${API}/${current.token}/2fa`, { password });
    if (login !== current) return;
    if (result.status === 200) return finish(current, result.data);
    if (result.data && result.data.error === "password_invalid") {
      setStatus("");
      return showError(detail(result));
    }
    return restart(detail(result));
  } catch (error) {
    showError(`Cannot reach the server (${error}).`);
  } finally {
    $("send-password").disabled = false;
  }
});

$("cancel").addEventListener("click", async () => {
  const current = login;
  stop();
  if (current) await call("DELETE", `${API}/${current.token}`).catch(() => undefined);
  restart("");
});

$("again").addEventListener("click", () => {
  $("username").value = "";
  restart("");
});

if (sessionStorage.getItem(KEY_STORE)) $("api-key-row").hidden = false;
show("start-form");
