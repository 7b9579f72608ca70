// eID login on Sleutel's login page: get a nonce from the server, have the card sign it for this
// page's origin through the Web eID browser extension if there is one, else through Sleutel's card
// agent on this computer (sleutel agent / sleutel kiosk), then send the token. The PIN is never
// typed on this page: the extension's native app, the agent or the reader's pin pad asks for it.
"use strict";
(function () {
  const box = document.getElementById("eid");
  if (!box) return;
  const button = document.getElementById("eid-button");
  const status = document.getElementById("eid-status");
  const say = (text) => { status.textContent = text; };

  async function post(path, body) {
    const reply = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Sleutel-CSRF": box.dataset.csrf },
      body: JSON.stringify(body),
    });
    const json = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(json.message || json.error || ("HTTP " + reply.status));
    return json;
  }

  // The Web eID extension answers window messages: an -ack within a short while, then -success or -failure.
  function viaExtension(nonce) {
    return new Promise((resolve, reject) => {
      let acknowledged = false;
      const listener = (event) => {
        if (event.source !== window || !event.data || typeof event.data.action !== "string") return;
        const action = event.data.action;
        if (action === "web-eid:authenticate-ack") { acknowledged = true; return; }
        if (action === "web-eid:authenticate-success") { window.removeEventListener("message", listener); resolve(event.data); }
        if (action === "web-eid:authenticate-failure") { window.removeEventListener("message", listener); reject(new Error("extension")); }
      };
      window.addEventListener("message", listener);
      window.postMessage({ action: "web-eid:authenticate", libraryVersion: "2.0.0", challengeNonce: nonce,
                           options: { lang: document.documentElement.lang } }, window.location.origin);
      setTimeout(() => { if (!acknowledged) { window.removeEventListener("message", listener); reject(new Error("no extension")); } }, 800);
    });
  }

  async function viaAgent(nonce) {
    let reply;
    try {
      reply = await fetch(box.dataset.agent + "/v1/web-eid/authenticate", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ challengeNonce: nonce, lang: document.documentElement.lang }),
      });
    } catch (e) {
      throw new Error(box.dataset.noAgent);
    }
    const json = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(json.message || box.dataset.failed);
    return json;
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    say(box.dataset.waiting);
    try {
      const challenge = await post("/login/eid/challenge", { interaction: box.dataset.interaction });
      let token;
      try { token = await viaExtension(challenge.nonce); } catch (e) { token = await viaAgent(challenge.nonce); }
      const done = await post("/login/eid", { interaction: box.dataset.interaction, transactionId: challenge.transactionId, token: token });
      window.location.assign(done.location);
    } catch (e) {
      say(box.dataset.failed + " " + e.message);
      button.disabled = false;
      button.focus();
    }
  });
})();
