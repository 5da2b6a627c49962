// The composer's small behaviours (no inline scripts: CSP). Everything else is htmx.
(function () {
  "use strict";
  function form() { return document.getElementById("composer-form"); }

  // data-show-if="name:value1,value2" shows an element only while that control has one of the values.
  function valueOf(f, name) {
    var checked = f.querySelector('[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var el = f.querySelector('select[name="' + name + '"], input[name="' + name + '"]:not([type=radio]):not([type=checkbox])');
    return el ? el.value : "";
  }
  function toggle() {
    var f = form();
    if (!f) { return; }
    f.querySelectorAll("[data-show-if]").forEach(function (el) {
      var spec = el.getAttribute("data-show-if").split(":");
      var wanted = spec[1].split(",");
      el.hidden = wanted.indexOf(valueOf(f, spec[0])) === -1;
    });
  }

  // Start, end and duration stay consistent, as in a desktop calendar.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fmt(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  var lastStart = null;
  function onTime(event) {
    var f = form();
    var start = f.querySelector("[name=start]"), end = f.querySelector("[name=end]"), dur = f.querySelector("[name=duration]");
    if (!start || !end) { return; }
    var s = start.value ? new Date(start.value) : null;
    if (event.target === dur && s && dur.value) {
      end.value = fmt(new Date(s.getTime() + parseInt(dur.value, 10) * 60000));
    } else if (event.target === start && s && lastStart && end.value) {
      var e = new Date(end.value);
      end.value = fmt(new Date(e.getTime() + (s.getTime() - lastStart.getTime())));
    } else if (event.target === end && dur) {
      dur.value = "";
    }
    lastStart = s;
  }

  function countAttendees() {
    var out = document.getElementById("attendee-count");
    if (out) {
      var n = document.querySelectorAll("#attendee-rows tr").length;
      out.textContent = (out.getAttribute("data-template") || "{n} người trong danh sách").replace("{n}", n);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var f = form();
    if (!f) { return; }
    var start = f.querySelector("[name=start]");
    lastStart = start && start.value ? new Date(start.value) : null;
    toggle();
    countAttendees();
    f.addEventListener("change", function (event) {
      toggle();
      if (event.target.name === "start" || event.target.name === "end" || event.target.name === "duration") { onTime(event); }
    });
    f.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-remove-row]") : null;
      if (!button) { return; }
      var row = button.closest("tr");
      if (row) { row.remove(); }
      countAttendees();
      document.body.dispatchEvent(new CustomEvent("attendees-changed", { bubbles: true }));
    });
    // Enter in a text box never sends the invitations by accident: in the outside e-mail box it
    // adds the guest, elsewhere it does nothing (the buttons submit).
    f.addEventListener("keydown", function (event) {
      var t = event.target;
      if (event.key !== "Enter" || t.tagName !== "INPUT" || t.type === "submit" || t.type === "button") { return; }
      event.preventDefault();
      if (t.id === "external-email") { document.getElementById("add-email").click(); }
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    countAttendees();
    var box = document.getElementById("urgent-box");
    var result = document.querySelector("#checks [data-urgent-needed]");
    if (box && result && event.detail.elt && event.detail.elt.id === "checks") {
      var errors = box.querySelector(".errorlist");
      box.hidden = result.getAttribute("data-urgent-needed") !== "1" && !errors;
    }
    if (event.detail.elt && event.detail.elt.id === "attendee-rows") {
      var email = document.getElementById("external-email");
      var err = document.getElementById("email-error");
      if (email) { email.value = ""; }
      if (err) { err.textContent = ""; }
    }
  });
})();
