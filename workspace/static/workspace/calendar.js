// Calendar: drag a meeting onto another time (or day) to open its move page with the new
// time filled in. Keyboard users have the "Dời" link on each meeting instead.
(function () {
  "use strict";
  var dragged = null;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // "2026-12-08T09:15" + minutes, computed in UTC so the browser's time zone plays no part.
  function addMinutes(localIso, minutes) {
    var d = localIso.split("T")[0].split("-"), t = localIso.split("T")[1].split(":");
    var ms = Date.UTC(+d[0], +d[1] - 1, +d[2], +t[0], +t[1]) + minutes * 60000;
    var x = new Date(ms);
    return x.getUTCFullYear() + "-" + pad(x.getUTCMonth() + 1) + "-" + pad(x.getUTCDate()) + "T" +
      pad(x.getUTCHours()) + ":" + pad(x.getUTCMinutes());
  }

  function target(event) {
    return event.target && event.target.closest ? event.target.closest("[data-drop]") : null;
  }

  // Where on a one-hour slot the meeting was dropped, to the quarter hour.
  function dropStart(slot, event) {
    var at = slot.getAttribute("data-drop");
    if (at.length === 10) { return at + "T" + dragged.getAttribute("data-start").slice(11, 16); }
    var rect = slot.getBoundingClientRect();
    var quarter = Math.max(0, Math.min(3, Math.floor((event.clientY - rect.top) / (rect.height / 4))));
    return addMinutes(at, quarter * 15);
  }

  document.addEventListener("dragstart", function (event) {
    var ev = event.target && event.target.closest ? event.target.closest(".ev[draggable]") : null;
    var link = ev ? ev.querySelector(".ev-move") : null;
    if (!link) { return; }
    dragged = ev;
    dragged.moveUrl = link.getAttribute("href");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.moveUrl);
  });
  document.addEventListener("dragover", function (event) {
    var slot = dragged ? target(event) : null;
    if (slot) { event.preventDefault(); slot.classList.add("drop-over"); }
  });
  document.addEventListener("dragleave", function (event) {
    var slot = target(event);
    if (slot) { slot.classList.remove("drop-over"); }
  });
  document.addEventListener("drop", function (event) {
    var slot = dragged ? target(event) : null;
    if (!slot) { return; }
    event.preventDefault();
    var start = dropStart(slot, event);
    var end = addMinutes(start, +dragged.getAttribute("data-minutes"));
    var url = dragged.moveUrl + "&start=" + encodeURIComponent(start) + "&end=" + encodeURIComponent(end);
    dragged = null;
    window.location.assign(url);
  });
  document.addEventListener("dragend", function () { dragged = null; });
})();
