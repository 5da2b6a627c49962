// Announce htmx updates to screen readers: a swapped element (or its nearest ancestor) with
// data-announce="..." has that sentence read out through the page's live region.
document.addEventListener("htmx:afterSettle", function (event) {
  var el = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("[data-announce]") : null;
  var live = document.getElementById("live-region");
  if (el && live) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = el.getAttribute("data-announce"); }, 50);
  }
});
// Buttons with data-confirm ask before their form is submitted or their htmx request is sent.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (button && !window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); event.stopPropagation(); }
}, true);
// Copy buttons: data-copy="#selector" copies that element's value or text.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-copy]") : null;
  if (!button) { return; }
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.value || source.textContent.trim());
    var live = document.getElementById("live-region");
    if (live) { live.textContent = button.getAttribute("data-copied") || "OK"; }
  }
});
// Join buttons (meetings/_join.html) open 15 minutes before the start and close at the end,
// on a page left open: data-join-from / data-join-until hold the ISO times; a timer set for the
// next of those moments (checked again at least every 30 s, as timers sleep with the laptop)
// shows the link or the disabled button. htmx swaps of a card are picked up too.
(function () {
  var timer = null;
  function update() {
    window.clearTimeout(timer);
    var now = Date.now(), next = Infinity;
    document.querySelectorAll(".join-slot[data-join-from]").forEach(function (slot) {
      var from = Date.parse(slot.getAttribute("data-join-from"));
      var until = Date.parse(slot.getAttribute("data-join-until"));
      if (isNaN(from) || isNaN(until)) { return; }
      var open = from <= now && now < until;
      var link = slot.querySelector("a.join"), wait = slot.querySelector("button.join-wait");
      var hint = slot.querySelector(".join-hint");
      if (link) { link.hidden = !open; }
      if (wait) { wait.hidden = open; }
      if (hint) {
        hint.hidden = open;
        if (now >= until && hint.getAttribute("data-ended")) { hint.textContent = hint.getAttribute("data-ended"); }
      }
      if (now < from) { next = Math.min(next, from); } else if (now < until) { next = Math.min(next, until); }
    });
    if (next !== Infinity) { timer = window.setTimeout(update, Math.max(0, Math.min(next - now, 30000))); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", update); } else { update(); }
  document.addEventListener("htmx:afterSettle", update);
})();
