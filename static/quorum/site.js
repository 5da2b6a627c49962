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
