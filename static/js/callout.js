// The call-out part of the incident page: its progress and one page of its recipient table.
// incident.js owns the WebSocket and calls the functions returned here: `snapshot` on every
// snapshot (which holds the counts and the rows of the page this address shows), `callout`
// and `recipient` for those events, and `incident` when the incident changes; it asks
// incident.js (`resync`) for a fresh snapshot when the call-out ends. Rows not on the
// page shown are ignored; the table is paged and filtered by the server (links reload).
//
// As in incident.js, the server says what may be done (`can_stop`, `can_ring_again`, and the
// incident's `is_open`); this script never decides from states itself.
window.incidentCallout = function (page) {
  "use strict";
  const section = document.getElementById("callout");
  if (!section) return null;
  const labels = JSON.parse(document.getElementById("callout-labels").textContent);
  const bar = document.getElementById("callout-bar");
  const rowsBody = document.getElementById("recipient-rows");
  const hasActions = Boolean(document.querySelector("#recipients thead th.actions"));
  const FINAL = ["acknowledged", "declined", "not_reached", "failed", "stopped"];
  const rows = new Map();
  let callout = null;
  let recipients = null;
  let incident = { is_open: false };

  const n = (value) => value.toLocaleString();

  function statusBadge(status) {
    const badge = document.createElement("span");
    badge.className = `badge status-${status}`;
    badge.textContent = labels.status[status] || status;
    return badge;
  }

  function inMinutes(iso) {
    const minutes = Math.round((new Date(iso).getTime() - Date.now()) / 60000);
    if (minutes < 1) return "in under a minute";
    if (minutes < 90) return `in about ${minutes} min`;
    return `in about ${Math.round(minutes / 60)} h`;
  }

  function renderEstimate() {
    const eta = document.getElementById("callout-eta");
    if (!callout) return;
    if (callout.state !== "running") {
      eta.textContent = callout.state === "finished"
        ? "Finished: everyone was tried as the policy says."
        : `${labels.stop_reason[callout.stop_reason] || "Stopped"}. Nobody else is called.`;
    } else if (callout.estimated_completion) {
      const time = document.createElement("time");
      time.dateTime = callout.estimated_completion;
      time.textContent = page.fmtTime(callout.estimated_completion);
      eta.replaceChildren("Everyone tried by ", time, ` (${inMinutes(callout.estimated_completion)}).`);
    } else {
      eta.textContent = "Everyone has been tried; the last calls are ending.";
    }
  }

  function renderProgress(c) {
    const before = callout;
    callout = c;
    const total = c.total;
    const done = FINAL.reduce((sum, status) => sum + c.counts[status], 0);
    const percent = total ? Math.floor((done / total) * 100) : 0;
    const parts = Object.keys(c.counts).filter((s) => c.counts[s]).map((s) => `${n(c.counts[s])} ${labels.status[s].toLowerCase()}`);
    const text = `${n(done)} of ${n(total)} done (${percent}%)`;
    bar.setAttribute("aria-valuemax", total);
    bar.setAttribute("aria-valuenow", done);
    bar.setAttribute("aria-valuetext", `${text}: ${parts.join(", ")}.`);
    bar.querySelectorAll("[data-status]").forEach((segment) => {
      const count = c.counts[segment.dataset.status];
      segment.style.width = total ? `${(count / total) * 100}%` : "0";
    });
    document.getElementById("callout-done").textContent = `${text}.`;
    document.querySelectorAll("#callout-counts [data-status]").forEach((li) => {
      const count = c.counts[li.dataset.status];
      li.querySelector(".n").textContent = n(count);
      li.dataset.zero = count === 0;
    });
    const state = document.getElementById("callout-state");
    state.textContent = labels.state[c.state];
    state.dataset.state = c.state;
    renderStop();
    renderEstimate();
    if (before && before.state !== c.state) {
      page.settle("callout", `Call-out ${labels.state[c.state].toLowerCase()}.`);
      document.getElementById("callout-outcome").textContent = document.getElementById("callout-eta").textContent;
    }
  }

  function renderStop() {
    const stop = document.getElementById("callout-stop");
    if (stop) stop.hidden = !(incident.is_open && callout && callout.can_stop);
  }

  function fmtAttempt(a) {
    const li = document.createElement("li");
    const outcome = a.outcome ? labels.outcome[a.outcome] : (a.started_at ? "Calling…" : "About to be called");
    const what = document.createElement("span");
    what.className = `outcome outcome-${a.outcome || "open"}`;
    what.textContent = outcome;
    li.append(`${a.number}. `, what);
    if (a.started_at) {
      const ended = a.ended_at ? `–${page.fmtTime(a.ended_at)}` : "";
      li.append(` · ${page.fmtTime(a.started_at)}${ended}`);
    }
    if (a.keys) li.append(` · keys ${a.keys}`);
    return li;
  }

  function ringAgainForm(r) {
    const template = document.getElementById("recipient-ring-again-template");
    const form = template.content.firstElementChild.cloneNode(true);
    form.setAttribute("action", form.getAttribute("action").replace("/recipients/0/", `/recipients/${r.id}/`));
    form.dataset.recipientId = r.id;
    form.querySelector("button").setAttribute("aria-label", `Ring ${r.name || r.identifier} again`);
    page.bindAction(form);
    return form;
  }

  function renderRow(r) {
    rows.set(r.id, r);
    let row = rowsBody.querySelector(`tr[data-recipient-id="${r.id}"]`);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.recipientId = r.id;
      rowsBody.appendChild(row);
    }
    const hadFocus = row.contains(document.activeElement);
    row.dataset.status = r.status;
    const status = page.cell("Status", "");
    status.appendChild(statusBadge(r.status));
    const attempts = page.cell("Attempts", r.attempts.length ? "" : "Not called yet");
    if (r.attempts.length) {
      const list = document.createElement("ol");
      list.className = "attempts";
      r.attempts.forEach((a) => list.appendChild(fmtAttempt(a)));
      attempts.appendChild(list);
    } else {
      attempts.classList.add("help");
    }
    row.replaceChildren(page.cell("#", r.position), page.cell("Name", r.name || "—"), page.cell("Number", r.identifier), status, attempts);
    if (hasActions) {
      const actions = page.cell("Actions", "");
      actions.className = "actions";
      if (incident.is_open && r.can_ring_again) actions.appendChild(ringAgainForm(r));
      row.appendChild(actions);
    }
    if (hadFocus) (row.querySelector("button") || rowsBody.closest("section")).focus();
  }

  function pageLink(number, text, rel) {
    const params = new URLSearchParams();
    if (recipients.status) params.set("status", recipients.status);
    params.set("page", number);
    const a = document.createElement("a");
    a.href = `?${params}#recipients`;
    a.textContent = text;
    if (rel) a.rel = rel;
    return a;
  }

  function renderPages() {
    const r = recipients;
    const which = r.status ? ` (${labels.status[r.status].toLowerCase()})` : "";
    document.getElementById("recipients-count").textContent = r.count
      ? `${n(r.count)} ${r.count === 1 ? "person" : "people"}${which}, in calling order; ${n(r.first)}–${n(r.last)} shown.`
      : `Nobody${which} at the moment.`;
    const notice = document.getElementById("recipients-notice");
    notice.hidden = r.asked === r.page;
    notice.textContent = `There is no page ${n(r.asked)}; showing page ${n(r.page)} of ${n(r.num_pages)}.`;
    const nav = document.getElementById("recipient-pages");
    nav.hidden = r.num_pages < 2;
    const items = [];
    if (r.page > 1) items.push(pageLink(1, "First"), pageLink(r.page - 1, "Previous", "prev"));
    const where = document.createElement("span");
    where.textContent = `Page ${n(r.page)} of ${n(r.num_pages)}`;
    where.setAttribute("aria-current", "page");
    items.push(where);
    if (r.page < r.num_pages) items.push(pageLink(r.page + 1, "Next", "next"), pageLink(r.num_pages, "Last"));
    const list = document.createElement("ul");
    items.forEach((item) => { const li = document.createElement("li"); li.appendChild(item); list.appendChild(li); });
    nav.replaceChildren(list);
  }

  setInterval(renderEstimate, 15000);
  return {
    snapshot(s) {
      incident = s.incident;
      if (!s.callout) return;
      renderProgress(s.callout);
      recipients = s.recipients;
      rows.clear();
      rowsBody.replaceChildren();
      recipients.rows.forEach(renderRow);
      renderPages();
    },
    callout(c) {
      const ended = callout && callout.state !== c.state;
      renderProgress(c);
      // Stopping settles everyone still waiting at once, without an event per row: the rows
      // shown come again with the next snapshot.
      if (ended) page.resync();
    },
    recipient(r) {
      const before = rows.get(r.id);
      if (!before) return; // Not on the page shown.
      renderRow(r);
      if (before.status !== r.status) page.settle(`recipient:${r.id}`, `${r.name || r.identifier}: ${labels.status[r.status].toLowerCase()}.`);
    },
    incident(i) {
      incident = i;
      renderStop();
      for (const r of rows.values()) renderRow(r);
    },
  };
};
