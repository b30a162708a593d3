// Live incident page: renders the server's snapshot, then applies events pushed over the
// WebSocket. The server sends a snapshot on every (re)connect; every event carries the
// incident's sequence number, and a gap (the channel layer drops messages when full) asks the
// server for a fresh snapshot.
(function () {
  "use strict";
  const script = document.currentScript;
  const incidentId = script.dataset.incidentId;
  const liveIndicator = document.getElementById("live-indicator");
  const actionMessage = document.getElementById("action-message");
  const participants = new Map();
  const timelineIds = new Set();
  let lastSeq = 0;
  let socket = null;
  let retryDelay = 500;

  function fmtTime(iso) {
    return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "";
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function renderParticipant(p) {
    participants.set(p.id, p);
    const body = document.querySelector(`[data-roster="${p.call_id}"]`);
    if (!body) return;
    let row = body.querySelector(`tr[data-participant-id="${p.id}"]`);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.participantId = p.id;
      body.appendChild(row);
    }
    row.dataset.state = p.state;
    row.replaceChildren(
      cell(p.name || "—"), cell(p.identifier), stateCell(p), cell(fmtTime(p.joined_at)),
      cell(fmtTime(p.left_at)), cell(p.keys_pressed + (p.acknowledged ? " ✓" : "")),
    );
    const template = document.querySelector(`[data-remove-template="${p.call_id}"]`);
    if (template) {
      const actions = document.createElement("td");
      if (p.state === "joined") {
        const form = template.content.firstElementChild.cloneNode(true);
        // The attribute, not the `action` property: a clone from <template> content belongs to the
        // template's inert document, where the property does not resolve to this page's URL.
        form.setAttribute("action", form.getAttribute("action").replace(/\/participants\/0\//, `/participants/${p.id}/`));
        form.setAttribute("aria-label", `Remove ${p.name || p.identifier}`);
        bindAction(form);
        actions.appendChild(form);
      }
      row.appendChild(actions);
    }
  }

  function stateCell(p) {
    const td = cell("");
    const badge = document.createElement("span");
    badge.className = `badge state-${p.state}`;
    badge.textContent = p.state_label;
    td.appendChild(badge);
    return td;
  }

  function renderCall(c) {
    const state = document.querySelector(`[data-call-state="${c.id}"]`);
    if (state) { state.textContent = c.state_label; state.dataset.state = c.state; }
    const media = document.querySelector(`[data-call-media="${c.id}"]`);
    if (media) media.textContent = c.media_state === "playing" ? "Playing a prompt" : "Silent";
    const error = document.querySelector(`[data-call-error="${c.id}"]`);
    if (error) { error.textContent = c.last_error; error.hidden = !c.last_error; }
    const section = document.querySelector(`section[data-call-id="${c.id}"]`);
    if (section) {
      section.querySelectorAll("[data-show-when]").forEach((el) => {
        el.hidden = el.dataset.showWhen !== c.state;
      });
    }
  }

  function renderIncident(i) {
    const status = document.getElementById("incident-status");
    status.textContent = i.status_label;
    status.dataset.status = i.status;
    if (i.status === "resolved" || i.status === "cancelled") {
      document.querySelectorAll(".controls").forEach((el) => { el.hidden = true; });
    }
  }

  function renderTimeline(entry) {
    if (timelineIds.has(entry.id)) return;
    timelineIds.add(entry.id);
    const li = document.createElement("li");
    li.dataset.kind = entry.kind;
    const time = document.createElement("time");
    time.dateTime = entry.at;
    time.textContent = fmtTime(entry.at);
    li.append(time, " ", entry.text);
    document.getElementById("timeline").appendChild(li);
  }

  function applySnapshot(s) {
    lastSeq = s.seq;
    renderIncident(s.incident);
    s.calls.forEach(renderCall);
    document.querySelectorAll("[data-roster]").forEach((el) => el.replaceChildren());
    s.participants.forEach(renderParticipant);
    s.timeline.forEach(renderTimeline);
  }

  const handlers = { participant: renderParticipant, call: renderCall, incident: renderIncident, timeline: renderTimeline };

  function onMessage(message) {
    if (message.type === "snapshot") { applySnapshot(message); return; }
    if (message.type !== "events") return;
    for (const event of message.events) {
      if (event.seq <= lastSeq) continue;
      if (event.seq > lastSeq + 1) {
        // Missed something: the snapshot that comes back includes this event too.
        socket.send(JSON.stringify({ type: "resync" }));
        return;
      }
      lastSeq = event.seq;
      (handlers[event.kind] || (() => {}))(event.data);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/incidents/${incidentId}/`);
    socket.onopen = () => { retryDelay = 500; liveIndicator.textContent = "Live"; liveIndicator.dataset.live = "true"; };
    socket.onmessage = (e) => onMessage(JSON.parse(e.data));
    socket.onclose = () => {
      liveIndicator.textContent = "Reconnecting…";
      liveIndicator.dataset.live = "false";
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    };
  }

  function showMessage(text, isError) {
    actionMessage.textContent = text;
    actionMessage.hidden = !text;
    actionMessage.classList.toggle("error", isError);
  }

  function bindAction(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      showMessage("Working…", false);
      try {
        const response = await fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" } });
        // Success is {"message"}; a refusal is the API's {"code", "message"} with its status; a
        // close that left calls running is done, but its message names them as an error.
        const body = await response.json().catch(() => ({ message: `The server answered ${response.status}.` }));
        showMessage(body.message, !response.ok || Boolean(body.not_hung_up && body.not_hung_up.length));
        if (response.ok && form.dataset.inviteForm !== undefined) form.reset();
      } catch (err) {
        showMessage("Could not reach the server; check your connection and try again.", true);
      } finally {
        button.disabled = false;
      }
    });
  }

  document.querySelectorAll("form.js-action").forEach(bindAction);
  applySnapshot(JSON.parse(document.getElementById("incident-snapshot").textContent));
  connect();
})();
