// Live arrival on the events page: new events from /api/events/stream (server-sent events) are
// added at the top. Rows are built with textContent only: event text comes from feeds.
"use strict";
(function () {
  const live = document.getElementById("live");
  const body = document.getElementById("events");
  if (!live || !body || !window.EventSource) return;
  let count = 0;
  const query = live.dataset.query ? live.dataset.query + "&" : "";
  const source = new EventSource("/api/events/stream?" + query + "after=" + encodeURIComponent(live.dataset.after || "0"));
  live.hidden = false;

  function cell(text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  source.addEventListener("event", function (message) {
    const e = JSON.parse(message.data);
    const tr = document.createElement("tr");
    tr.className = "event new";
    tr.dataset.seq = String(e.seq);
    tr.appendChild(cell((e.detected_at || "").slice(0, 16).replace("T", " "), "when"));
    const type = document.createElement("td");
    const badge = document.createElement("span");
    badge.className = "badge t-" + String(e.type).replace(/[^a-z_]/g, "");
    badge.textContent = String(e.type).replace(/_/g, " ");
    type.appendChild(badge);
    tr.appendChild(type);
    tr.appendChild(cell(e.publisher || "", "publisher"));
    const what = document.createElement("td");
    what.className = "what";
    const link = document.createElement("a");
    link.className = "title";
    link.href = "/article/" + encodeURIComponent(e.article_id) + "?v=" + encodeURIComponent(e.version);
    link.textContent = e.title;
    what.appendChild(link);
    if (e.notice_text) {
      const notice = document.createElement("div");
      notice.className = "notice-text";
      notice.textContent = e.notice_text;
      what.appendChild(notice);
    }
    tr.appendChild(what);
    const empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    body.insertBefore(tr, body.firstChild);
    count += 1;
    document.getElementById("live-count").textContent = String(count);
  });
})();
