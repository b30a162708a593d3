// Live incident list. The server says over the WebSocket when an incident was declared or
// changed; the page then fetches its own URL again (same search, filters and page) and swaps in
// the results, so ordering, filtering and pagination stay the server's. Events carry no
// sequence number: every event and every (re)connect fetches afresh, so a missed event is made
// good by the next one or by the reconnect.
(function () {
  "use strict";
  const indicator = document.getElementById("list-live");
  const announcer = document.getElementById("list-updates");
  const REFRESH_DELAY_MS = 250; // Coalesces a burst (declared, then active) into one fetch.
  let refreshTimer = null;
  let retryDelay = 500;

  function rowIds(root) {
    return new Set(Array.from(root.querySelectorAll("tr[data-incident-id]"), (tr) => tr.dataset.incidentId));
  }

  async function refresh() {
    refreshTimer = null;
    let html;
    try {
      const response = await fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (!response.ok) return;
      html = await response.text();
    } catch (err) {
      return; // Offline: the reconnect fetches again.
    }
    const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("incident-results");
    const current = document.getElementById("incident-results");
    if (!fresh || !current) return;
    // Keep keyboard focus on the same link when the rows are replaced under it.
    const focused = current.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
    const before = rowIds(current);
    current.replaceChildren(...fresh.childNodes);
    current.querySelectorAll("tr[data-incident-id]").forEach((tr) => {
      if (!before.has(tr.dataset.incidentId)) tr.classList.add("just-changed");
    });
    if (focused) {
      const again = Array.from(current.querySelectorAll("a[href]")).find((a) => a.getAttribute("href") === focused);
      if (again) again.focus();
    }
  }

  function scheduleRefresh() {
    if (refreshTimer === null) refreshTimer = setTimeout(refresh, REFRESH_DELAY_MS);
  }

  function onMessage(message) {
    if (message.type !== "changed") return;
    const i = message.incident;
    announcer.textContent = `Incident #${i.id} ${i.title}: ${i.status_label}.`;
    scheduleRefresh();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/incidents/`);
    socket.onopen = () => {
      retryDelay = 500;
      indicator.textContent = "Live";
      indicator.dataset.live = "true";
      scheduleRefresh(); // Whatever changed between rendering (or the drop) and now.
    };
    socket.onmessage = (e) => onMessage(JSON.parse(e.data));
    socket.onclose = () => {
      indicator.textContent = "Reconnecting…";
      indicator.dataset.live = "false";
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    };
  }

  connect();
})();
