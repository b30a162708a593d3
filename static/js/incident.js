// Live incident page: renders the server's snapshot, then applies events pushed over the
// WebSocket. The server sends a snapshot on every (re)connect; every event carries the
// incident's sequence number, and a gap (the channel layer drops messages when full) asks the
// server for a fresh snapshot.
//
// What may be done is the server's to say: calls and people carry flags (can_retry,
// can_remove...) and the incident says whether it is open. This script shows a control only
// when its flag is set and the incident is open (and, for "Ring again" on a person, when their
// call's `can_ring_people_again` is set too); it never decides from states itself.
//
// An incident with a call-out (static/js/callout.js draws it) shows its progress and a page
// of its recipient table instead of the calls of its attempts, one per person and attempt:
// the snapshot leaves those out, and their "call" and "participant" events are ignored here.
(function () {
  "use strict";
  const script = document.currentScript;
  const incidentId = script.dataset.incidentId;
  const liveIndicator = document.getElementById("live-indicator");
  const actionMessage = document.getElementById("action-message");
  const callTemplate = document.getElementById("call-template");
  const calls = new Map();
  const participants = new Map();
  const timelineIds = new Set();
  const attemptCalls = new Set(); // A call-out's calls seen in events: ignored.
  let callout = null; // static/js/callout.js's part of the page, on a call-out's incident.
  let hasCallout = false;
  let incident = { is_open: false };
  let lastSeq = 0;
  let socket = null;
  let retryDelay = 500;

  // One format for every time on the page: the time of day, with the date unless it is today.
  function fmtTime(iso) {
    if (!iso) return "";
    const at = new Date(iso);
    const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    if (at.toDateString() === new Date().toDateString()) return time;
    return `${at.toLocaleDateString([], { day: "numeric", month: "short" })} ${time}`;
  }

  function fmtAgo(iso) {
    let s = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 1000));
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    if (d) return `${d} d ${h} h ago`;
    if (h) return `${h} h ${m} min ago`;
    if (m) return `${m} min ${s} s ago`;
    return `${s} s ago`;
  }

  // The escalation panel: its step, a countdown to the next, and why it stopped.
  let escalation = null;
  function renderEscalation(e) {
    escalation = e;
    const panel = document.getElementById("escalation");
    if (!panel || !e) return;
    const field = (name) => panel.querySelector(`[data-field="${name}"]`);
    field("policy").textContent = `(${e.policy})`;
    field("state").textContent = e.state_label;
    field("state").dataset.state = e.state;
    field("step").textContent = `Step ${e.current_step} of ${e.steps} has run.`;
    field("why").hidden = !e.stop_reason;
    field("why").textContent = e.stop_reason ? `${e.state_label}: ${e.stop_reason_label.toLowerCase()}.` : "";
    const form = panel.querySelector("[data-when-escalating]");
    if (form) form.hidden = !e.can_escalate || !incident.is_open;
    countdown();
  }
  function countdown() {
    const panel = document.getElementById("escalation");
    if (!panel || !escalation) return;
    const next = panel.querySelector('[data-field="next"]');
    if (!escalation.next_step_at) { next.textContent = ""; return; }
    const s = Math.max(0, Math.ceil((new Date(escalation.next_step_at).getTime() - Date.now()) / 1000));
    const m = Math.floor(s / 60);
    next.textContent = `Step ${escalation.current_step + 1} in ${m ? `${m} min ` : ""}${s % 60} s (at ${fmtTime(escalation.next_step_at)}), unless enough people acknowledge.`;
  }

  function tick() {
    countdown();
    const declared = document.getElementById("declared-at");
    declared.textContent = fmtTime(declared.dateTime);
    document.getElementById("declared-ago").textContent = `(${fmtAgo(declared.dateTime)})`;
  }

  function cell(label, text) {
    const td = document.createElement("td");
    td.dataset.label = label;
    td.textContent = text;
    return td;
  }

  // People are counted once, by their latest attempt (ringing someone again makes a new row).
  function latestByPerson() {
    const latest = new Map();
    for (const p of participants.values()) {
      const seen = latest.get(p.identifier);
      if (!seen || p.id > seen.id) latest.set(p.identifier, p);
    }
    return latest;
  }

  function isLatest(p) {
    return latestByPerson().get(p.identifier).id === p.id;
  }

  function renderCounts() {
    const counts = {};
    for (const p of latestByPerson().values()) {
      for (const key of p.tally) counts[key] = (counts[key] || 0) + 1;
    }
    document.querySelectorAll("#counts [data-count]").forEach((li) => {
      const n = counts[li.dataset.count] || 0;
      li.querySelector(".n").textContent = n;
      li.dataset.zero = n === 0;
    });
  }

  function actionForm(templateId, p, label) {
    const template = document.getElementById(templateId);
    if (!template) return null;
    const form = template.content.firstElementChild.cloneNode(true);
    // The attribute, not the `action` property: a clone from <template> content belongs to the
    // template's inert document, where the property does not resolve to this page's URL.
    form.setAttribute("action", form.getAttribute("action")
      .replace("/calls/0/", `/calls/${p.call_id}/`)
      .replace("/participants/0/", `/participants/${p.id}/`));
    const who = p.name || p.identifier;
    form.querySelector("button").setAttribute("aria-label", `${label} ${who}`);
    if (form.dataset.confirm) form.dataset.confirm = `Remove ${who} from the call?`;
    form.dataset.identifier = p.identifier;
    bindAction(form);
    return form;
  }

  function renderParticipant(p) {
    participants.set(p.id, p);
    const section = document.querySelector(`section[data-call-id="${p.call_id}"]`);
    if (!section) return; // Its call is not drawn yet: renderCall draws it with its people.
    const body = section.querySelector("[data-roster]");
    let row = body.querySelector(`tr[data-participant-id="${p.id}"]`);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.participantId = p.id;
      body.appendChild(row);
    }
    row.dataset.state = p.state;
    row.dataset.acknowledged = p.acknowledged;
    row.replaceChildren(
      cell("Name", p.name || "—"), cell("Number", p.identifier), stateCell(p),
      cell("Joined", fmtTime(p.joined_at) || "—"), cell("Left", fmtTime(p.left_at) || "—"), keysCell(p),
    );
    if (section.querySelector("thead th:nth-child(7)")) row.appendChild(actionsCell(p));
  }

  function stateCell(p) {
    const td = cell("State", "");
    const badge = document.createElement("span");
    badge.className = `badge state-${p.state}`;
    badge.textContent = p.state_label;
    td.appendChild(badge);
    if (p.uninvited) {
      // Someone the provider's roster showed whom the app never invited.
      const flag = document.createElement("span");
      flag.className = "badge uninvited";
      flag.textContent = "not invited";
      flag.title = "The app did not invite them: they joined by other means.";
      td.append(" ", flag);
    }
    return td;
  }

  function keysCell(p) {
    const call = calls.get(p.call_id);
    // Only someone who was on a bridge call can have pressed unreported keys.
    const unreported = !p.keys_pressed && p.joined_at && call && !call.names_who_pressed;
    const td = cell("Keys", p.keys_pressed || (unreported ? "not reported" : "—"));
    if (unreported) td.classList.add("help");
    if (p.acknowledged) {
      const ack = document.createElement("span");
      ack.className = "ack";
      ack.textContent = " ✓ acknowledged";
      td.appendChild(ack);
    }
    return td;
  }

  function actionsCell(p) {
    const td = cell("Actions", "");
    td.className = "actions";
    if (!incident.is_open) return td;
    if (p.can_remove) td.appendChild(actionForm("remove-template", p, "Remove"));
    // Only on the person's latest row: an older attempt's row would ring them twice.
    const call = calls.get(p.call_id);
    if (p.can_ring_again && call && call.can_ring_people_again && isLatest(p)) td.appendChild(actionForm("ring-again-template", p, "Ring again"));
    return td;
  }

  function callSection(c) {
    let section = document.querySelector(`section[data-call-id="${c.id}"]`);
    if (section) return section;
    section = callTemplate.content.firstElementChild.cloneNode(true);
    section.dataset.callId = c.id;
    const title = section.querySelector("[data-call-title]");
    title.id = `call-${c.id}-title`;
    section.setAttribute("aria-labelledby", title.id);
    section.querySelectorAll("form").forEach((form) => {
      form.setAttribute("action", form.getAttribute("action").replace("/calls/0/", `/calls/${c.id}/`));
      bindAction(form);
    });
    document.getElementById("calls").appendChild(section);
    return section;
  }

  function renderCall(c) {
    const before = calls.get(c.id);
    calls.set(c.id, c);
    const section = callSection(c);
    section.querySelector('[data-field="mode"]').textContent = `Call ${c.id} · ${c.mode_label}`;
    const state = section.querySelector('[data-field="state"]');
    state.textContent = c.state_label;
    state.dataset.state = c.state;
    section.querySelector('[data-field="media"]').textContent = c.media_label;
    const error = section.querySelector('[data-field="error"]');
    error.textContent = c.last_error;
    error.hidden = !c.last_error;
    section.querySelector('[data-field="keys-note"]').hidden = c.names_who_pressed;
    renderControls(section, c);
    if (!before) {
      for (const p of participants.values()) if (p.call_id === c.id) renderParticipant(p);
    } else if (before.state !== c.state || before.media_state !== c.media_state) {
      settle(`call:${c.id}`, `Call ${c.id}: ${c.state_label.toLowerCase()}, ${c.media_label.toLowerCase()}.`);
    }
  }

  function renderControls(section, c) {
    const superseded = ![...participants.values()].some((p) => p.call_id === c.id && isLatest(p));
    section.querySelectorAll("[data-when]").forEach((el) => {
      const latestOnly = el.dataset.latestOnly !== undefined;
      // Hang up stays offered on a closed incident: resolve may have failed to end this call.
      const open = incident.is_open || el.dataset.evenWhenClosed !== undefined;
      el.hidden = !(open && c[el.dataset.when] && !(latestOnly && superseded));
    });
  }

  function renderAllControls() {
    for (const c of calls.values()) renderControls(callSection(c), c);
    for (const p of participants.values()) renderParticipant(p);
  }

  function renderIncident(i) {
    incident = i;
    const status = document.getElementById("incident-status");
    status.textContent = i.status_label;
    status.dataset.status = i.status;
    const controls = document.getElementById("incident-controls");
    if (controls) controls.hidden = !i.is_open;
    renderAllControls();
    if (callout) callout.incident(i);
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
    incident = s.incident;
    participants.clear();
    calls.clear();
    // Sections stay (an open invite form, a message, focus); their rosters are drawn afresh.
    document.querySelectorAll("[data-roster]").forEach((el) => el.replaceChildren());
    s.participants.forEach((p) => participants.set(p.id, p));
    s.calls.forEach(renderCall);
    renderIncident(s.incident);
    s.timeline.forEach(renderTimeline);
    renderCounts();
    hasCallout = Boolean(s.callout);
    if (callout) callout.snapshot(s);
    renderEscalation(s.escalation);
  }

  // On a call-out's incident every broadcast call is one of its attempts (its bridge, if
  // someone joins one, is a bridge call).
  function isAttempt(c) {
    return hasCallout && c.mode === "broadcast";
  }

  function forgetAttempt(c) {
    attemptCalls.add(c.id);
    for (const p of participants.values()) if (p.call_id === c.id) participants.delete(p.id);
  }

  const handlers = {
    participant: (p) => {
      if (attemptCalls.has(p.call_id)) return;
      const before = participants.get(p.id);
      renderParticipant(p);
      renderCounts();
      refreshCallOf(p);
      if (!before || before.state !== p.state) {
        settle(`person:${p.identifier}`, `${p.name || p.identifier}: ${p.state_label.toLowerCase()}.`);
      }
    },
    call: (c) => {
      if (isAttempt(c)) { forgetAttempt(c); return; }
      renderCall(c);
      renderAllControls();
    },
    incident: renderIncident,
    timeline: renderTimeline,
    // A call-out an escalation step started after the page loaded: draw the page afresh.
    callout: (c) => { if (callout) callout.callout(c); else window.location.reload(); },
    recipient: (r) => { if (callout) callout.recipient(r); },
    escalation: renderEscalation,
  };

  function refreshCallOf(p) {
    // A new attempt can supersede an older call's "Ring everyone again" and rows.
    for (const c of calls.values()) renderControls(callSection(c), c);
    for (const other of participants.values()) {
      if (other.identifier === p.identifier && other.id !== p.id) renderParticipant(other);
    }
  }

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
    // The address's ?status=&page= ask the server's snapshots for the recipients shown.
    socket = new WebSocket(`${scheme}://${location.host}/ws/incidents/${incidentId}/${location.search}`);
    socket.onopen = () => { retryDelay = 500; liveIndicator.textContent = "Live"; liveIndicator.dataset.live = "true"; };
    socket.onmessage = (e) => onMessage(JSON.parse(e.data));
    socket.onclose = () => {
      liveIndicator.textContent = "Reconnecting…";
      liveIndicator.dataset.live = "false";
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    };
  }

  // Feedback goes next to its cause: the form's own message line, else its section's (a
  // call's, the call-out's, its table's), else the page's. A message that waits for an
  // outcome ("Hanging up.") is replaced when it arrives.
  function messageFor(form) {
    return form.querySelector("[data-message]")
      || form.closest("section.call, section.callout, section.recipients, section.escalation")?.querySelector(":scope > [data-message]")
      || actionMessage;
  }

  function showMessage(el, text, isError, awaiting) {
    el.textContent = text;
    el.hidden = !text;
    el.classList.toggle("error", isError);
    if (awaiting) el.dataset.awaiting = awaiting; else delete el.dataset.awaiting;
  }

  function settle(awaiting, outcome) {
    document.querySelectorAll(`[data-awaiting="${CSS.escape(awaiting)}"]`).forEach((el) => {
      showMessage(el, outcome, false, null);
    });
  }

  // The confirmation for destructive actions: a modal <dialog> (Escape or "Go back" cancels;
  // focus starts on the safe choice and returns to the button that asked).
  function confirmed(form) {
    const dialog = document.getElementById("confirm-dialog");
    if (!form.dataset.confirm || !dialog) return Promise.resolve(true);
    document.getElementById("confirm-text").textContent = form.dataset.confirm;
    document.getElementById("confirm-ok").textContent = form.dataset.confirmButton || "Confirm";
    const opener = form.querySelector("button");
    return new Promise((resolve) => {
      dialog.returnValue = "";
      dialog.addEventListener("close", () => {
        if (opener.isConnected) opener.focus();
        resolve(dialog.returnValue === "confirm");
      }, { once: true });
      dialog.showModal();
      document.getElementById("confirm-keep").focus();
    });
  }

  function awaitingKey(form) {
    if (form.dataset.awaits === "person") return `person:${form.dataset.identifier}`;
    if (form.dataset.awaits === "call") return `call:${form.closest("section.call").dataset.callId}`;
    if (form.dataset.awaits === "recipient") return `recipient:${form.dataset.recipientId}`;
    if (form.dataset.awaits === "callout") return "callout";
    return null;
  }

  function bindAction(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!(await confirmed(form))) return;
      const button = form.querySelector("button[type=submit]");
      const message = messageFor(form);
      button.disabled = true;
      showMessage(message, "Working…", false, null);
      try {
        const response = await fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" } });
        // Success is {"message"}; a refusal is the API's {"code", "message"} with its status; a
        // close that left calls running is done, but its message names them as an error.
        const body = await response.json().catch(() => ({ message: `The server answered ${response.status}.` }));
        const failed = !response.ok || Boolean(body.not_hung_up && body.not_hung_up.length);
        showMessage(message, body.message || "", failed, failed ? null : awaitingKey(form));
        if (!failed && form.dataset.inviteForm !== undefined) form.reset();
      } catch (err) {
        showMessage(message, "Could not reach the server; check your connection and try again.", true, null);
      } finally {
        button.disabled = false;
      }
    });
  }

  document.querySelectorAll("form.js-action").forEach(bindAction);
  function resync() {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resync" }));
  }

  if (window.incidentCallout) callout = window.incidentCallout({ bindAction, cell, fmtTime, resync, settle });
  applySnapshot(JSON.parse(document.getElementById("incident-snapshot").textContent));
  tick();
  setInterval(tick, 1000);
  connect();
})();
