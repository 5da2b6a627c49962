// The roll call (minutes/_roll_call.html) follows the minutes socket: minutes.js dispatches
// "minutes-changed" on <body> for every {"type": "changed"} message; on "attendance" the
// section is fetched again with htmx. Someone typing in it is not interrupted: the refresh
// waits until they leave the field.
(() => {
  let stale = false;
  function refresh() {
    const box = document.getElementById("roll-call");
    if (!box || !window.htmx) return;
    const active = document.activeElement;
    if (active && box.contains(active) && active.matches("input, textarea")) { stale = true; return; }
    stale = false;
    window.htmx.trigger(box, "refresh");
  }
  document.body.addEventListener("minutes-changed", (e) => {
    if (!e.detail || e.detail.what === "attendance") refresh();
  });
  document.addEventListener("focusout", () => { if (stale) setTimeout(refresh, 0); });
})();
