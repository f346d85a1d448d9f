// connectfed's CCP: the page side of amazon-connect-streams' iframe
// protocol. The embedding page (connect.core.initCCP) posts {event, data}
// messages to this window; this script answers from the server's state,
// which it reaches with the session cookie, and relays what the server
// pushes. It decides nothing itself.
(function () {
  "use strict";
  var root = document.getElementById("ccp");
  if (!root) return;
  var base = root.dataset.base;
  var csrf = root.dataset.csrf;
  var approved = JSON.parse(root.dataset.origins || "[]") || [];
  approved.push(location.origin);
  var portId = "connectfed-ccp-" + Math.random().toString(36).slice(2);
  var embedded = window.parent && window.parent !== window;
  var parentOrigin = null; // learnt from the first message the parent sends
  var ended = false;
  var agentData = null;

  // up sends an event to the embedding page. Until the parent has spoken,
  // the message goes to each approved origin: the browser delivers it only
  // to the one the parent really has, so no other origin can read it.
  function up(event, data) {
    if (!embedded) return;
    var msg = { event: event, data: data };
    if (parentOrigin) {
      window.parent.postMessage(msg, parentOrigin);
      return;
    }
    approved.forEach(function (o) {
      try { window.parent.postMessage(msg, o); } catch (e) { /* not a valid origin */ }
    });
  }

  function status(text) { document.getElementById("link-status").textContent = text; }

  function call(method, params) {
    return fetch(base + "/api", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Connectfed-CSRF": csrf },
      body: JSON.stringify({ method: method, params: params === undefined ? null : params })
    }).then(function (r) { return r.json(); }).catch(function (e) {
      return { err: { type: "NetworkError", message: String(e) } };
    });
  }

  // Timestamps travel as milliseconds in fields named …timestamp; the
  // library calls getTime() on them, so they become Dates here.
  function revive(key, value) {
    if (typeof value === "number" && /timestamp$/i.test(key)) return new Date(value);
    return value;
  }

  // aliases adds the fields the library's own worker adds before it sends
  // agent::update (worker.js ClientEngine.updateAgent).
  function aliases(d) {
    d.snapshot.status = d.snapshot.state;
    d.snapshot.contacts.forEach(function (c) {
      c.status = c.state;
      c.connections.forEach(function (conn) { conn.address = conn.endpoint; });
    });
    return d;
  }

  function onMessage(ev) {
    if (ev.source !== window.parent || approved.indexOf(ev.origin) < 0) return;
    var msg = ev.data;
    if (!msg || typeof msg.event !== "string") return;
    if (!parentOrigin) parentOrigin = ev.origin;
    var data = msg.data;
    switch (msg.event) {
      case "synchronize":
        up("acknowledge", { id: portId });
        break;
      case "api_request":
        if (!data || !data.requestId) return;
        call(data.method, data.params).then(function (res) {
          up("api_response", { event: "api_response", requestId: data.requestId, data: res.data === undefined ? null : res.data, err: res.err || null });
          if (res.err && (res.err.type === "auth_fail" || res.err.type === "terminated")) finish(res.err.type);
        });
        break;
      case "master_request":
        if (!data || !data.requestId) return;
        var topic = data.params && data.params.topic;
        up("master_response", { event: "master_response", requestId: data.requestId, err: null,
          data: { masterId: portId, isMaster: true, takeOver: true, topic: topic } });
        break;
      case "broadcast":
        if (data && typeof data.event === "string") up(data.event, data.data);
        break;
      default:
        // configure, outer_context_info, iframe_style, log, …: nothing to do.
    }
  }
  window.addEventListener("message", onMessage);

  // finish ends the CCP when the session is gone: auth_fail (expired or
  // revoked) or terminated (signed out).
  function finish(kind) {
    if (ended) return;
    ended = true;
    if (source) source.close();
    up(kind, {});
    status(kind === "terminated" ? "signed out" : "session expired or revoked");
    root.classList.add("ended");
  }

  var source;
  function openStream() {
    source = new EventSource(base + "/events");
    source.addEventListener("agent", function (ev) {
      agentData = aliases(JSON.parse(ev.data, revive));
      status("connected");
      up("agent::update", agentData);
      render(agentData);
    });
    source.addEventListener("auth_fail", function () { finish("auth_fail"); });
    source.addEventListener("terminated", function () { finish("terminated"); });
    source.onerror = function () {
      if (ended) return;
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream: the session is gone, or the
        // server has too many streams open (429) and the session is fine,
        // then try again shortly.
        call("getAgentSnapshot").then(function (res) {
          if (res.err && (res.err.type === "terminated" || res.err.type === "auth_fail")) {
            finish(res.err.type);
          } else {
            status("reconnecting…");
            setTimeout(function () { if (!ended) openStream(); }, 5000);
          }
        });
      } else {
        status("reconnecting…");
      }
    };
  }
  openStream();

  // The first acknowledge tells the library the CCP is up (onInitialized).
  up("acknowledge", { id: portId });

  // --- the page of its own ---

  var select = document.getElementById("state-select");
  select.addEventListener("change", function () {
    var arn = select.value;
    call("putAgentState", { state: { agentStateARN: arn }, enqueueNextState: false });
  });
  document.getElementById("sign-out").addEventListener("click", function () {
    fetch(base + "/sign-out", { method: "POST", credentials: "same-origin", headers: { "X-Connectfed-CSRF": csrf } })
      .then(function () { finish("terminated"); });
  });

  function text(el, s) { el.textContent = s == null ? "" : String(s); }

  function render(d) {
    var cfg = d.configuration, snap = d.snapshot;
    text(document.getElementById("agent-name"), cfg.name);
    text(document.getElementById("routing-profile"), cfg.routingProfile.name);
    text(document.getElementById("agent-state"), snap.state.name + (snap.nextState ? " (next: " + snap.nextState.name + ")" : ""));
    var current = snap.state.agentStateARN;
    select.textContent = "";
    cfg.agentStates.forEach(function (s) {
      var o = document.createElement("option");
      o.value = s.agentStateARN;
      o.textContent = s.name;
      if (s.agentStateARN === current) o.selected = true;
      select.appendChild(o);
    });
    if (!current) {
      var o = document.createElement("option");
      o.textContent = snap.state.name;
      o.selected = true;
      o.disabled = true;
      select.insertBefore(o, select.firstChild);
    }
    var list = document.getElementById("contacts");
    list.textContent = "";
    document.getElementById("no-contacts").hidden = snap.contacts.length > 0;
    var tpl = document.getElementById("contact-row");
    snap.contacts.forEach(function (c) {
      var li = tpl.content.firstElementChild.cloneNode(true);
      li.dataset.contactId = c.contactId;
      text(li.querySelector(".c-type"), c.type);
      text(li.querySelector(".c-state"), c.state.type);
      var customer = c.connections.filter(function (x) { return x.type === "inbound"; })[0];
      text(li.querySelector(".c-from"), customer && (customer.endpoint.phoneNumber || customer.endpoint.name) || c.name || "");
      var dl = li.querySelector(".c-attrs");
      Object.keys(c.attributes).sort().forEach(function (k) {
        var dt = document.createElement("dt"), dd = document.createElement("dd");
        text(dt, k);
        text(dd, c.attributes[k].value);
        dl.appendChild(dt);
        dl.appendChild(dd);
      });
      var offered = c.state.type === "incoming" || c.state.type === "connecting";
      li.querySelector(".accept").hidden = !offered;
      li.querySelector(".reject").hidden = !offered;
      li.querySelector(".end").hidden = c.state.type !== "connected";
      li.querySelector(".clear").hidden = c.state.type !== "ended" && c.state.type !== "error";
      li.querySelector(".accept").onclick = function () { call("acceptContact", { contactId: c.contactId }); };
      li.querySelector(".reject").onclick = function () { call("rejectContact", { contactId: c.contactId }); };
      li.querySelector(".end").onclick = function () { call("destroyContact", { contactId: c.contactId }); };
      li.querySelector(".clear").onclick = function () { call("clearContact", { contactId: c.contactId }); };
      list.appendChild(li);
    });
  }
})();
