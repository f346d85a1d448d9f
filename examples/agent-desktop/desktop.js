// The desktop: embed the CCP, sign the agent in inside its frame with the
// backend's federation credentials, and follow the agent and contacts.
(async function () {
  var out = document.getElementById("log");
  function log(s) { out.textContent += new Date().toLocaleTimeString() + "  " + s + "\n"; out.scrollTop = out.scrollHeight; }
  window.desktopLog = [];
  function event(s) { window.desktopLog.push(s); log(s); }

  var config = await (await fetch("/config")).json();
  connect.core.initCCP(document.getElementById("ccp"), {
    ccpUrl: config.ccpUrl,
    loginPopup: false, // the desktop signs in itself, below
    softphone: { allowFramedSoftphone: false }
  });

  // Sign in inside the frame once it has loaded its first page.
  var frame = document.querySelector('iframe[name="Amazon Connect CCP"]');
  frame.addEventListener("load", async function once() {
    frame.removeEventListener("load", once);
    var res = await fetch("/federate", { method: "POST" });
    if (!res.ok) { event("federation failed: " + await res.text()); return; }
    var form = document.getElementById("signin");
    form.action = config.signInUrl;
    form.credentials.value = JSON.stringify(await res.json());
    form.submit();
  });

  connect.core.onInitialized(function () { event("initialized"); });
  connect.core.onAuthFail(function () { event("auth_fail: the session expired or was revoked"); });
  connect.core.onIframeRetriesExhausted(function () { event("iframe retries exhausted: is this origin approved?"); });

  var agent, contact;
  connect.agent(function (a) {
    agent = a;
    document.getElementById("agent").textContent = a.getName() + " (" + a.getRoutingProfile().name + ")";
    event("agent " + a.getName());
    a.onStateChange(function (e) { document.getElementById("state").textContent = e.newState; event("state " + e.newState); });
  });
  connect.contact(function (c) {
    contact = c;
    var attrs = c.getAttributes();
    event("contact " + c.getType() + " " + Object.keys(attrs).map(function (k) { return k + "=" + attrs[k].value; }).join(" "));
    c.onConnected(function () { event("connected"); });
    c.onMissed(function () { event("missed"); });
    c.onACW(function () { event("after contact work"); });
    c.onEnded(function () { event("ended"); });
    c.onDestroy(function () { event("closed"); });
  });

  function setState(name) {
    var s = agent.getAgentStates().filter(function (x) { return x.name === name; })[0];
    agent.setState(s, { failure: function (e) { event("setState failed: " + e); } });
  }
  var cb = { failure: function (e) { event("failed: " + JSON.stringify(e)); } };
  document.getElementById("available").onclick = function () { setState("Available"); };
  document.getElementById("offline").onclick = function () { setState("Offline"); };
  document.getElementById("accept").onclick = function () { contact && contact.accept(cb); };
  document.getElementById("hangup").onclick = function () { contact && contact.getAgentConnection().destroy(cb); };
  document.getElementById("clear").onclick = function () { contact && contact.clear(cb); };
})();
