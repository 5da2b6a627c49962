// Live minutes editor: one Y.Doc per section bound to a <textarea>, presence list, and
// "saved" only once the server acknowledged every update (it stores before it acks).
// Updates not yet acknowledged are also kept in localStorage, so closing the tab (or the
// browser dying) loses nothing: the next page load replays them (Yjs makes that idempotent).
import * as Y from "./yjs.bundle.js";

// Texts come from Django's JavaScript catalogue (/jsi18n/, loaded by the page before this module;
// the djangojs domain of locale/): Vietnamese by default, English for English-speaking users.
const gettext = window.gettext || ((s) => s);
const interpolate = window.interpolate || ((fmt, obj) => fmt.replace(/%\((\w+)\)s/g, (_m, k) => obj[k]));
const fmt = (text, values) => interpolate(text, values, true);
const STATUS_LABELS = {
  draft: gettext("Đang soạn"), submitted: gettext("Chờ chủ trì duyệt"),
  approved: gettext("Đã duyệt, chờ ban hành"), issued: gettext("Đã ban hành"),
};

const data = JSON.parse(document.getElementById("minutes-data").textContent);
const $ = (sel) => document.querySelector(sel);
const saveState = $("#save-state");
// The CSRF cookie is HttpOnly (settings.CSRF_COOKIE_HTTPONLY): take the token base.html puts
// on <body hx-headers> for htmx.
const csrf = (() => {
  try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch { return ""; }
})();

const toB64 = (u8) => { let s = ""; for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000)); return btoa(s); };
const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

const sections = new Map();  // id → {id, doc, text, area, preview}
let ws = null, ready = false, canEdit = false, status = data.status, me = null, heartbeat = 15;
let nextId = 1, backoff = 500, reloadWhenSaved = false, everConnected = false, revisions = data.revisions;
// Per section, every local update the server has not acknowledged: {update, id}; id is the
// message that carried it, null while not yet sent. The list is mirrored in localStorage.
const local = new Map();
const people = new Map();    // conn → presence info
const versions = new Map();  // section id → last stored version seen (a gap means a lost relay)

// --- pending edits kept on this machine ------------------------------------------------
// Key: quorum:minutes:<minutes>:<section>:<user>:<tab>. Per user, so a shared computer never
// replays one person's text as another's; per tab, so two tabs do not erase each other's.
const TAB = Math.random().toString(36).slice(2, 10);
const PREFIX = `quorum:minutes:${data.id}:`;
let storageOk = true;
const keyOf = (sid) => `${PREFIX}${sid}:${me.uid}:${TAB}`;

function persist(sid) {
  if (!me) return;
  const entries = local.get(sid) || [];
  // Compact what is not yet sent into one update, so the list stays short while offline.
  const unsent = entries.filter((e) => e.id === null);
  if (unsent.length > 1) local.set(sid, [...entries.filter((e) => e.id !== null), { update: Y.mergeUpdates(unsent.map((e) => e.update)), id: null }]);
  try {
    const now = local.get(sid);
    if (now.length) localStorage.setItem(keyOf(sid), toB64(Y.mergeUpdates(now.map((e) => e.update))));
    else localStorage.removeItem(keyOf(sid));
    storageOk = true;
  } catch (err) {  // storage full or disabled: the beforeunload warning is the fallback
    storageOk = false;
  }
}

// Take over what earlier tabs of this user left for a section (they closed before the ack).
function claimStored(sid) {
  const mine = `${PREFIX}${sid}:${me.uid}:`, found = [];
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k && k.startsWith(mine) && k !== keyOf(sid)) { found.push(fromB64(localStorage.getItem(k))); localStorage.removeItem(k); }
    }
  } catch (err) { storageOk = false; }
  return found;
}

function forgetUnknownSections(known) {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k && k.startsWith(PREFIX) && !known.has(Number(k.slice(PREFIX.length).split(":")[0]))) localStorage.removeItem(k);
    }
  } catch (err) { /* nothing to clean */ }
}

const hasUnsaved = () => [...local.values()].some((l) => l.length);

// --- save state ------------------------------------------------------------------------

// Viewers (and everyone once issued) have no save state: nothing of theirs is being saved.
function setState(kind, label) { if (!saveState) return; saveState.className = kind; saveState.textContent = label; }
function refreshSaveState() {
  if (!ws || ws.readyState !== WebSocket.OPEN || !ready) {
    return setState("offline", hasUnsaved()
      ? gettext("Mất kết nối — phần đang gõ được giữ trên máy này và sẽ gửi khi kết nối lại")
      : (everConnected ? gettext("Mất kết nối — đang kết nối lại…") : gettext("Đang kết nối…")));
  }
  if (hasUnsaved()) return setState("pending", gettext("Đang lưu…"));
  setState("saved", gettext("Đã lưu"));
  if (reloadWhenSaved) location.reload();
}

function showError(message) { const el = $("#conn-error"); el.textContent = message; el.hidden = false; }

// --- sections ----------------------------------------------------------------------------

function section(id) {
  let s = sections.get(id);
  if (s) return s;
  const area = document.querySelector(`textarea[data-section="${id}"]`);
  const preview = document.querySelector(`[data-preview="${id}"]`);
  s = { id, doc: null, text: null, area, preview };
  sections.set(id, s);
  local.set(id, []);
  attach(s, new Y.Doc());
  if (area) {
    area.addEventListener("input", () => {
      const { doc, text } = s, before = text.toString(), after = area.value;
      let p = 0; while (p < before.length && p < after.length && before[p] === after[p]) p++;
      let q = 0; while (q < before.length - p && q < after.length - p && before[before.length - 1 - q] === after[after.length - 1 - q]) q++;
      doc.transact(() => {
        if (before.length - p - q > 0) text.delete(p, before.length - p - q);
        if (after.length - p - q > 0) text.insert(p, after.slice(p, after.length - q));
      }, "local");
      schedulePreview(s, 300);
    });
    area.addEventListener("focus", () => send({ type: "focus", section: id, editing: canEdit && status === "draft" }));
    area.addEventListener("blur", () => send({ type: "focus", section: null, editing: false }));
  }
  return s;
}

// Bind a Y.Doc to the section: local changes are queued (and kept), remote ones shown.
function attach(s, doc) {
  if (s.doc) s.doc.destroy();
  s.doc = doc;
  s.text = doc.getText("text");
  const { id, area } = s;
  doc.on("update", (update, origin) => {
    if (origin !== "local") return;  // remote, or replayed at connect (handled there)
    local.get(id).push({ update, id: null });
    persist(id);
    scheduleFlush();
  });
  s.text.observe((event) => {
    if (event.transaction.origin === "local") return;
    if (!area) { schedulePreview(s, 300); return; }  // read-only layout: the rendered text only
    // Keep the caret where it was relative to the surrounding text.
    let [start, end] = [area.selectionStart, area.selectionEnd], pos = 0;
    for (const op of event.delta) {
      if (op.retain) pos += op.retain;
      else if (op.insert) { const n = op.insert.length; if (pos < start) start += n; if (pos < end) end += n; pos += n; }
      else if (op.delete) { const n = op.delete; if (pos < start) start -= Math.min(n, start - pos); if (pos < end) end -= Math.min(n, end - pos); }
    }
    area.value = s.text.toString();
    if (document.activeElement === area) area.setSelectionRange(start, end);
    schedulePreview(s, 800);
  });
}

// After a refusal the local document holds text the server will never take: start the
// section again from the server's state, so the page shows what is really stored.
const rebasing = new Set();
function rebase(sid) {
  rebasing.add(sid);
  send({ type: "sync", section: sid, sv: "" });
}

let flushTimer = null;
function scheduleFlush() { if (!flushTimer) flushTimer = setTimeout(flush, 40); refreshSaveState(); }
function flush() {
  flushTimer = null;
  if (!ready || !ws || ws.readyState !== WebSocket.OPEN) return refreshSaveState();
  for (const [sid, entries] of local) {
    const unsent = entries.filter((e) => e.id === null);
    if (!unsent.length) continue;
    const id = nextId++;
    unsent.forEach((e) => { e.id = id; });
    send({ type: "update", id, section: sid, update: toB64(Y.mergeUpdates(unsent.map((e) => e.update))) });
  }
  refreshSaveState();
}

// Settle the entries a message carried: acknowledged (stored) or refused for good.
function settle(msgId, refused = false) {
  for (const [sid, entries] of local) {
    if (!entries.some((e) => e.id === msgId)) continue;
    local.set(sid, entries.filter((e) => e.id !== msgId));
    persist(sid);
    if (refused) rebase(sid);
  }
}

// The server renders Markdown (sanitised with nh3); only the latest answer is shown.
const previewTimers = new Map(), previewSeq = new Map();
function schedulePreview(s, delay) {
  clearTimeout(previewTimers.get(s.id));
  previewTimers.set(s.id, setTimeout(async () => {
    const seq = (previewSeq.get(s.id) || 0) + 1;
    previewSeq.set(s.id, seq);
    const r = await api("/minutes/preview/", { text: s.text.toString() }, { quiet: true });
    if (previewSeq.get(s.id) === seq && r.html !== undefined && s.preview) s.preview.innerHTML = r.html;
  }, delay));
}

function send(msg) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); }

// --- presence ------------------------------------------------------------------------------

function renderPresence() {
  const byUser = new Map();
  for (const p of people.values()) {
    const prev = byUser.get(p.uid);
    byUser.set(p.uid, prev ? { ...prev, editing: prev.editing || p.editing, section: p.section ?? prev.section } : p);
  }
  const list = $("#presence");
  const everyone = [...byUser.values()].sort((a, b) => (b.uid === me?.uid) - (a.uid === me?.uid) || a.name.localeCompare(b.name, "vi"));
  list.replaceChildren(...everyone.map((p) => {
    const li = document.createElement("li");
    const title = p.section ? (data.sections.find((s) => s.id === p.section) || {}).title : "";
    const name = document.createElement("strong");
    name.textContent = p.name;
    const you = document.createElement("span");
    you.className = "muted"; you.textContent = p.uid === me?.uid ? ` ${gettext("(bạn)")}` : "";
    const doing = document.createElement("div");
    doing.className = "doing";
    doing.textContent = [p.unit, (p.editing ? gettext("đang soạn") : gettext("đang xem")) + (title ? `: ${title}` : "")].filter(Boolean).join(" · ");
    li.append(name, you, doing);
    li.dataset.uid = p.uid;
    if (p.editing) li.className = "editing";
    return li;
  }));
  $("#presence-count").textContent = everyone.length ? `(${everyone.length})` : "";
  document.querySelectorAll(".who-here").forEach((b) => {
    const sid = Number(b.dataset.for);
    b.textContent = everyone.filter((p) => p.section === sid && p.editing && p.uid !== me?.uid).map((p) => p.name).join(", ");
  });
}

function applyEditable() {
  const editable = canEdit && status === "draft";
  document.querySelectorAll("textarea[data-section]").forEach((a) => {
    a.disabled = !editable;
    a.placeholder = editable ? gettext("Ghi nội dung thảo luận (Markdown)…") : gettext("Chưa có nội dung.");
  });
  document.querySelectorAll(".editor-only").forEach((el) => { el.hidden = !editable; });
  $("#status-label").textContent = STATUS_LABELS[status] || status;
  $("#status-label").className = `status ${status}`;
  $("#read-only-note").hidden = editable;
  $("#read-only-note").textContent = status === "issued"
    ? gettext("Biên bản đã ban hành: chỉ xem, không sửa được nữa.")
    : (status !== "draft" && canEdit)
      ? gettext("Biên bản đã trình chủ trì: không sửa được, trừ khi chủ trì trả lại.")
      : gettext("Bạn đang xem biên bản; chỉ thư ký, chủ trì và người được giao ghi biên bản mới sửa được.");
  renderRevisions();
}

// --- the socket --------------------------------------------------------------------------

function onInit(msg) {
  everConnected = true; ready = true; backoff = 500;
  me = msg.me; canEdit = msg.can_edit; status = msg.status; heartbeat = msg.heartbeat;
  $("#conn-error").hidden = true;
  forgetUnknownSections(new Set(msg.sections.map((s) => s.id)));
  let refused = false;
  for (const s of msg.sections) {
    const sec = section(s.id);
    const server = new Y.Doc();
    if (s.state) Y.applyUpdate(server, fromB64(s.state));
    if (s.state) Y.applyUpdate(sec.doc, fromB64(s.state), "remote");
    for (const stored of claimStored(s.id)) Y.applyUpdate(sec.doc, stored, "replay");
    // Whatever we have that the server lacks: typed offline, sent but never acknowledged,
    // or left by a closed tab. Sent again as one update (the server merges it idempotently).
    const missing = Y.encodeStateAsUpdate(sec.doc, Y.encodeStateVector(server));
    const unsaved = missing.length > 2;
    if (unsaved && !(canEdit && status === "draft")) { refused = true; rebasing.add(s.id); }
    local.set(s.id, unsaved && canEdit && status === "draft" ? [{ update: missing, id: null }] : []);
    persist(s.id);
    versions.set(s.id, s.version);
    if (sec.area && sec.area.value !== sec.text.toString()) sec.area.value = sec.text.toString();
  }
  people.clear();
  for (const p of msg.presence) people.set(p.conn, p);
  renderPresence(); applyEditable(); flush();
  for (const sid of rebasing) send({ type: "sync", section: sid, sv: "" });
  if (refused) showError(gettext("Biên bản đã ban hành hoặc bạn không còn quyền sửa: phần gõ khi mất kết nối không được lưu."));
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${proto}://${location.host}/ws/minutes/${data.occurrence}/`);
  ready = false;
  let beat = null;
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "init") {
      beat = setInterval(() => send({ type: "heartbeat" }), msg.heartbeat * 1000);
      onInit(msg);
    } else if (msg.type === "sync" && rebasing.has(msg.section)) {
      rebasing.delete(msg.section);
      const sec = section(msg.section), fresh = new Y.Doc();
      Y.applyUpdate(fresh, fromB64(msg.update), "remote");
      attach(sec, fresh);
      local.set(msg.section, []); persist(msg.section);
      versions.set(msg.section, msg.version);
      if (sec.area) sec.area.value = sec.text.toString();
      schedulePreview(sec, 0); refreshSaveState();
    } else if (msg.type === "update" || msg.type === "sync") {
      const sec = section(msg.section);
      Y.applyUpdate(sec.doc, fromB64(msg.update), "remote");
      const last = versions.get(msg.section) || 0;
      if (msg.type === "update" && msg.version > last + 1) {
        send({ type: "sync", section: msg.section, sv: toB64(Y.encodeStateVector(sec.doc)) });
      }
      versions.set(msg.section, Math.max(last, msg.version || 0));
    } else if (msg.type === "ack") {
      settle(msg.id);
      // Our own stored version: the next relayed one continues from here.
      if ((versions.get(msg.section) || 0) + 1 === msg.version) versions.set(msg.section, msg.version);
      refreshSaveState();
    } else if (msg.type === "error") {
      // Refusals are final (read-only, issued, not this meeting's section): say so, drop them.
      if (msg.id !== null && msg.id !== undefined) settle(msg.id, true);
      showError(msg.message); refreshSaveState();
    } else if (msg.type === "presence") {
      if (msg.event === "leave") msg.conns.forEach((c) => people.delete(c)); else people.set(msg.who.conn, msg.who);
      renderPresence();
    } else if (msg.type === "status") {
      status = msg.status; applyEditable(); reloadStructure();
      if (status === "issued") { reloadWhenSaved = true; refreshSaveState(); if (!saveState) location.reload(); }
    } else if (msg.type === "changed" && msg.what !== "scribes") {
      document.body.dispatchEvent(new CustomEvent("minutes-changed", { detail: msg }));  // roll call: rollcall.js
      reloadStructure();
    } else if (msg.type === "changed" && msg.what === "scribes") {
      reloadStructure();
      // Given or taken the right to write: the page is rebuilt with the right layout.
      if (me && msg.user === me.uid) { reloadWhenSaved = true; refreshSaveState(); if (!saveState) location.reload(); }
    } else if (msg.type === "section_added" || msg.type === "sections_changed") {
      // A new agenda item: rebuild the page once nothing is waiting for the server
      // (unsaved text would survive a reload anyway, through localStorage).
      reloadWhenSaved = true; refreshSaveState();
    }
  };
  ws.onclose = (ev) => {
    clearInterval(beat); ready = false; refreshSaveState();
    if ([4401, 4403, 4404].includes(ev.code)) {  // refused: retrying cannot help
      showError(ev.reason || gettext("Không mở được biên bản.")); return;
    }
    setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000);
  };
}

// --- the rest of the page (plain HTTP) ----------------------------------------------------------

async function api(url, body, { quiet = false } = {}) {
  let r;
  try {
    r = await fetch(url, { method: body === undefined ? "GET" : "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    if (!quiet) showError(gettext("Không gửi được tới máy chủ, hãy thử lại."));
    return {};
  }
  const json = await r.json().catch(() => ({}));
  if (!r.ok && !quiet) showError(json.message || fmt(gettext("Lỗi %(code)s"), { code: r.status }));
  return r.ok ? json : { ...json, failed: true };
}

const decisionTag = gettext("Quyết định");
const unassignLabel = gettext("Bỏ giao");
const compareLabel = gettext("So với #%(n)s");
const restoreLabel = gettext("Khôi phục");
const esc = (t) => String(t ?? "").replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[ch]));
const vnDate = (iso) => (iso ? iso.split("-").reverse().join("/") : "");

async function reloadStructure() {
  const d = await api(`/minutes/${data.occurrence}/data/`);
  if (!d.conclusions) return;
  $("#conclusions").innerHTML = d.conclusions.map((c) => `<li>${c.is_decision ? `<span class="tag">${esc(decisionTag)}</span> ` : ""}${c.html}</li>`).join("")
    || `<li class="empty">${esc(gettext("Chưa có kết luận."))}</li>`;
  $("#action-items").innerHTML = d.action_items.map((a) => `<tr><td>${a.number}</td><td>${esc(a.what)}</td><td>${esc(a.owner_user ? a.owner_user.name : a.owner_unit.name)}</td><td>${esc(vnDate(a.due_date))}</td><td><span class="st ${esc(a.status)}">${esc(a.status_label)}</span></td></tr>`).join("")
    || `<tr class="empty"><td colspan="5">${esc(gettext("Chưa giao việc nào."))}</td></tr>`;
  if ($("#attendance")) $("#attendance").innerHTML = d.attendance.map((r) => `<tr><td>${esc(r.unit) || "—"}</td><td>${esc(r.name)}</td><td><span class="st ${esc(r.status)}">${esc(r.status_label)}</span></td><td>${esc(r.reason)}${r.reason && r.substitute_name ? "; " : ""}${esc(r.substitute_name)}</td></tr>`).join("");
  revisions = d.revisions; renderRevisions();
  if (d.scribes) renderScribes(d.scribes);
}

function renderScribes(list) {
  $("#scribes").innerHTML = list.map((p) => `<li>${esc(p.name)}${data.can_assign ? ` <button type="button" class="link" data-unassign="${p.id}">${esc(unassignLabel)}<span class="visually-hidden">: ${esc(p.name)}</span></button>` : ""}</li>`).join("")
    || `<li class="empty">${esc(gettext("Chưa giao ai; thư ký và chủ trì luôn được ghi."))}</li>`;
  announce(list.length ? fmt(gettext("Người ghi biên bản: %(names)s"), { names: list.map((p) => p.name).join(", ") })
    : gettext("Chưa giao ai ghi biên bản."));
}

// Screen readers hear structural changes made by others through the page's live region.
function announce(text) { const live = document.getElementById("live-region"); if (live) { live.textContent = ""; setTimeout(() => { live.textContent = text; }, 50); } }

function renderRevisions() {
  const list = $("#revisions");
  list.innerHTML = revisions.map((r, i) => `<li data-number="${r.number}"><strong>#${r.number}</strong> · ${esc(r.at)}<br><span class="muted">${esc(r.reason_label)}${r.authors.length ? " · " + esc(r.authors.join(", ")) : ""}</span>`
    + (i + 1 < revisions.length ? ` <button type="button" class="link diff" data-a="${revisions[i + 1].number}" data-b="${r.number}">${esc(fmt(compareLabel, { n: revisions[i + 1].number }))}</button>` : "")
    + (canEdit && status === "draft" ? ` <button type="button" class="link restore" data-number="${r.number}">${esc(restoreLabel)}</button>` : "")
    + "</li>").join("") || `<li class="empty">${esc(gettext("Chưa có phiên bản nào."))}</li>`;
}

$("#revisions").addEventListener("click", async (e) => {
  const b = e.target.closest("button");
  if (!b) return;
  if (b.classList.contains("diff")) {
    const d = await api(`/minutes/${data.occurrence}/revisions/${b.dataset.a}/diff/${b.dataset.b}/`);
    if (!d.sections) return;
    const changed = d.sections.filter((s) => s.changed);
    $("#diff").textContent = changed.length ? changed.map((s) => `## ${s.title}\n${s.diff}`).join("\n\n") : fmt(gettext("#%(a)s và #%(b)s giống nhau."), { a: d.from, b: d.to });
    $("#diff").hidden = false;
  } else if (b.classList.contains("restore")) {
    if (!confirm(fmt(gettext("Khôi phục nội dung phiên bản #%(n)s? Nội dung hiện tại được lưu thành một phiên bản trước khi khôi phục."), { n: b.dataset.number }))) return;
    await api(`/minutes/${data.occurrence}/revisions/${b.dataset.number}/restore/`, {});
    reloadStructure();
  }
});

$("#add-conclusion")?.addEventListener("submit", async (e) => {
  e.preventDefault(); const f = e.target;
  const r = await api(`/minutes/${data.occurrence}/conclusions/`, { text: f.text.value, is_decision: f.is_decision.checked });
  if (!r.failed) f.reset();
  reloadStructure();
});
$("#add-action")?.addEventListener("submit", async (e) => {
  e.preventDefault(); const f = e.target;
  const r = await api(`/minutes/${data.occurrence}/actions/`, { what: f.what.value, owner_user: f.owner_user.value || null,
    owner_unit: f.owner_unit.value || null, due_date: f.due_date.value || null });
  if (!r.failed) f.reset();
  reloadStructure();
});
$("#add-section")?.addEventListener("submit", async (e) => {
  e.preventDefault(); const f = e.target;
  const r = await api(`/minutes/${data.occurrence}/sections/`, { title: f.title.value });
  if (!r.failed) { f.reset(); reloadWhenSaved = true; refreshSaveState(); }
});
$("#sections").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-move], button[data-remove]");
  if (!b) return;
  if (b.dataset.remove) {
    if (!confirm(fmt(gettext("Xóa mục “%(title)s”? Nội dung của mục được giữ trong phiên bản trước khi xóa."), { title: b.dataset.title }))) return;
    const r = await api(`/minutes/${data.occurrence}/sections/${b.dataset.remove}/remove/`, {});
    if (!r.failed) { reloadWhenSaved = true; refreshSaveState(); }
  } else {
    const r = await api(`/minutes/${data.occurrence}/sections/${b.dataset.id}/move/`, { direction: b.dataset.move });
    if (!r.failed) { sessionStorage.setItem("quorum:focus", `[data-move="${b.dataset.move}"][data-id="${b.dataset.id}"]`); reloadWhenSaved = true; refreshSaveState(); }
  }
});
$("#assign-scribe")?.addEventListener("submit", async (e) => {
  e.preventDefault(); const f = e.target;
  const r = await api(`/minutes/${data.occurrence}/scribes/`, { user: f.user.value, action: "add" });
  if (!r.failed) { f.reset(); renderScribes(r.scribes); }
});
$("#scribes").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-unassign]");
  if (!b) return;
  const r = await api(`/minutes/${data.occurrence}/scribes/`, { user: b.dataset.unassign, action: "remove" });
  if (!r.failed) renderScribes(r.scribes);
});
// After a reorder the page is rebuilt: keep the keyboard where it was.
{ const sel = sessionStorage.getItem("quorum:focus"); if (sel) { sessionStorage.removeItem("quorum:focus"); document.querySelector(sel)?.focus(); } }
$("#save-revision")?.addEventListener("click", async () => { await api(`/minutes/${data.occurrence}/revisions/`, {}); reloadStructure(); });
$("#issue")?.addEventListener("click", async () => {
  if (confirm(gettext("Ban hành biên bản? Sau khi ban hành không sửa được nữa."))) { await api(`/minutes/${data.occurrence}/issue/`, {}); }
});

for (const s of data.sections) section(s.id);
renderRevisions();
// Unsaved text normally survives closing the tab (localStorage); warn only if it cannot.
window.addEventListener("beforeunload", (e) => { if (hasUnsaved() && !storageOk) e.preventDefault(); });
connect();
