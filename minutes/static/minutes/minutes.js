// Live minutes editor: one Y.Doc per section bound to a <textarea>, presence list, and
// "saved" only once the server acknowledged every update (it stores before it acks).
import * as Y from "./yjs.bundle.js";

const data = JSON.parse(document.getElementById("minutes-data").textContent);
const $ = (sel) => document.querySelector(sel);
const saveState = $("#save-state");
const csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";

const toB64 = (u8) => { let s = ""; for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000)); return btoa(s); };
const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

const sections = new Map();  // id → {doc, text, area, preview}
let ws = null, canEdit = false, status = data.status, me = null, heartbeat = 15;
let nextId = 1, backoff = 500, everConnected = false;
const pending = new Map();   // msg id → section id (sent, not yet acknowledged)
const outbox = new Map();    // section id → [updates not yet sent]
const people = new Map();    // conn → presence info
const versions = new Map();  // section id → last stored version seen (a gap means a lost relay)

function setState(kind, label) { saveState.className = kind; saveState.textContent = label; }
function refreshSaveState() {
  if (!ws || ws.readyState !== WebSocket.OPEN) return setState("offline", "Mất kết nối — nội dung đang gõ được giữ lại và sẽ gửi khi kết nối lại");
  if (pending.size || [...outbox.values()].some((q) => q.length)) return setState("pending", "Đang lưu…");
  setState("saved", "Đã lưu");
}

function section(id) {
  let s = sections.get(id);
  if (s) return s;
  const doc = new Y.Doc();
  const text = doc.getText("text");
  const area = document.querySelector(`textarea[data-section="${id}"]`);
  const preview = document.querySelector(`[data-preview="${id}"]`);
  s = { id, doc, text, area, preview };
  sections.set(id, s);
  doc.on("update", (update, origin) => {
    if (origin === "remote") return;
    (outbox.get(id) || outbox.set(id, []).get(id)).push(update);
    scheduleFlush();
  });
  text.observe((event) => {
    if (event.transaction.origin !== "remote" || !area) return;
    // Keep the caret where it was relative to the surrounding text.
    let [start, end] = [area.selectionStart, area.selectionEnd], pos = 0;
    for (const op of event.delta) {
      if (op.retain) pos += op.retain;
      else if (op.insert) { const n = op.insert.length; if (pos < start) start += n; if (pos < end) end += n; pos += n; }
      else if (op.delete) { const n = op.delete; if (pos < start) start -= Math.min(n, start - pos); if (pos < end) end -= Math.min(n, end - pos); }
    }
    area.value = text.toString();
    if (document.activeElement === area) area.setSelectionRange(start, end);
    schedulePreview(s);
  });
  if (area) {
    area.addEventListener("input", () => {
      const before = text.toString(), after = area.value;
      let p = 0; while (p < before.length && p < after.length && before[p] === after[p]) p++;
      let q = 0; while (q < before.length - p && q < after.length - p && before[before.length - 1 - q] === after[after.length - 1 - q]) q++;
      doc.transact(() => {
        if (before.length - p - q > 0) text.delete(p, before.length - p - q);
        if (after.length - p - q > 0) text.insert(p, after.slice(p, after.length - q));
      }, "local");
      schedulePreview(s);
    });
    area.addEventListener("focus", () => send({ type: "focus", section: id, editing: canEdit }));
    area.addEventListener("blur", () => send({ type: "focus", section: null, editing: false }));
  }
  return s;
}

let flushTimer = null;
function scheduleFlush() { if (!flushTimer) flushTimer = setTimeout(flush, 40); refreshSaveState(); }
function flush() {
  flushTimer = null;
  if (!ws || ws.readyState !== WebSocket.OPEN) return refreshSaveState();
  for (const [sid, queue] of outbox) {
    if (!queue.length) continue;
    const id = nextId++;
    pending.set(id, sid);
    send({ type: "update", id, section: sid, update: toB64(Y.mergeUpdates(queue.splice(0))) });
  }
  refreshSaveState();
}

const previewTimers = new Map();
function schedulePreview(s) {
  clearTimeout(previewTimers.get(s.id));
  previewTimers.set(s.id, setTimeout(async () => {
    const r = await api("/minutes/preview/", { text: s.text.toString() });
    if (r.html !== undefined && s.preview) s.preview.innerHTML = r.html;  // sanitised by the server (nh3)
  }, 300));
}

function send(msg) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); }

function renderPresence() {
  const byUser = new Map();
  for (const p of people.values()) {
    const prev = byUser.get(p.uid);
    byUser.set(p.uid, prev ? { ...prev, editing: prev.editing || p.editing, section: p.section ?? prev.section } : p);
  }
  const list = $("#presence");
  list.replaceChildren(...[...byUser.values()].map((p) => {
    const li = document.createElement("li");
    const title = p.section ? (data.sections.find((s) => s.id === p.section) || {}).title : "";
    li.textContent = `${p.name}${p.unit ? " (" + p.unit + ")" : ""}${p.editing ? " — đang soạn" : " — đang xem"}${title ? ": " + title : ""}`;
    li.dataset.uid = p.uid;
    if (p.editing) li.className = "editing";
    return li;
  }));
  document.querySelectorAll(".who-here").forEach((b) => {
    const sid = Number(b.dataset.for);
    b.textContent = [...byUser.values()].filter((p) => p.section === sid && p.editing).map((p) => p.name).join(", ");
  });
}

function applyEditable() {
  const editable = canEdit && status === "draft";
  document.querySelectorAll("textarea[data-section]").forEach((a) => { a.disabled = !editable; });
  document.querySelectorAll(".editor-only").forEach((el) => { el.hidden = !editable; });
  $("#status-label").textContent = status === "issued" ? "Đã ban hành" : "Đang soạn";
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${proto}://${location.host}/ws/minutes/${data.occurrence}/`);
  let beat = null;
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "init") {
      everConnected = true; backoff = 500; me = msg.me; canEdit = msg.can_edit; status = msg.status;
      heartbeat = msg.heartbeat; beat = setInterval(() => send({ type: "heartbeat" }), heartbeat * 1000);
      $("#conn-error").hidden = true;
      for (const s of msg.sections) {
        const sec = section(s.id);
        const fresh = new Y.Doc();
        if (s.state) Y.applyUpdate(fresh, fromB64(s.state));
        // Whatever we have that the server lacks (typed offline, or sent but never acknowledged).
        const missing = Y.encodeStateAsUpdate(sec.doc, Y.encodeStateVector(fresh));
        if (s.state) Y.applyUpdate(sec.doc, fromB64(s.state), "remote");
        outbox.set(s.id, missing.length > 2 ? [missing] : []);
        versions.set(s.id, s.version);
        if (sec.area && sec.area.value !== sec.text.toString()) sec.area.value = sec.text.toString();
      }
      pending.clear();
      people.clear();
      for (const p of msg.presence) people.set(p.conn, p);
      renderPresence(); applyEditable(); flush();
    } else if (msg.type === "update" || msg.type === "sync") {
      const sec = section(msg.section);
      Y.applyUpdate(sec.doc, fromB64(msg.update), "remote");
      const last = versions.get(msg.section) || 0;
      if (msg.type === "update" && msg.version > last + 1) {
        send({ type: "sync", section: msg.section, sv: toB64(Y.encodeStateVector(sec.doc)) });
      }
      versions.set(msg.section, Math.max(last, msg.version || 0));
    } else if (msg.type === "ack") {
      pending.delete(msg.id);
      // Our own stored version: the next relayed one continues from here.
      if ((versions.get(msg.section) || 0) + 1 === msg.version) versions.set(msg.section, msg.version);
      refreshSaveState();
    } else if (msg.type === "error") {
      if (msg.id !== null && msg.id !== undefined) pending.delete(msg.id);
      $("#conn-error").textContent = msg.message; $("#conn-error").hidden = false; refreshSaveState();
    } else if (msg.type === "presence") {
      if (msg.event === "leave") msg.conns.forEach((c) => people.delete(c)); else people.set(msg.who.conn, msg.who);
      renderPresence();
    } else if (msg.type === "status") {
      status = msg.status; applyEditable();
    } else if (msg.type === "changed" || msg.type === "section_added") {
      reloadStructure(msg.type === "section_added");
    }
  };
  ws.onclose = (ev) => {
    clearInterval(beat); refreshSaveState();
    if (ev.code >= 4400 && ev.code < 4410 && ev.code !== 4400) {  // refused: do not retry
      $("#conn-error").textContent = ev.reason || "Không mở được biên bản."; $("#conn-error").hidden = false; return;
    }
    setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000);
  };
}

async function api(url, body) {
  const r = await fetch(url, { method: body === undefined ? "GET" : "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await r.json().catch(() => ({}));
  if (!r.ok) { $("#conn-error").textContent = json.message || `Lỗi ${r.status}`; $("#conn-error").hidden = false; }
  return json;
}

async function reloadStructure(reloadPage) {
  if (reloadPage) return location.reload();
  const d = await api(`/minutes/${data.occurrence}/data/`);
  if (!d.conclusions) return;
  $("#conclusions").innerHTML = d.conclusions.map((c) => `<li>${c.html}</li>`).join("");
  const esc = (t) => String(t ?? "").replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[ch]));
  $("#action-items").innerHTML = d.action_items.map((a) => `<tr><td>${a.number}</td><td>${esc(a.what)}</td><td>${esc(a.owner_user ? a.owner_user.name : a.owner_unit.name)}</td><td>${esc(a.due_date)}</td><td>${esc(a.status_label)}</td></tr>`).join("");
  $("#attendance").innerHTML = d.attendance.map((r) => `<tr><td>${esc(r.unit)}</td><td>${esc(r.name)}</td><td>${esc(r.status_label)}</td><td>${esc(r.reason)}${esc(r.substitute_name)}</td></tr>`).join("");
  $("#revisions").innerHTML = d.revisions.map((r) => `<li>#${r.number} · ${esc(r.at)} · ${esc(r.reason_label)}</li>`).join("");
}

$("#add-conclusion")?.addEventListener("submit", async (e) => {
  e.preventDefault(); const f = e.target;
  await api(`/minutes/${data.occurrence}/conclusions/`, { text: f.text.value, is_decision: f.is_decision.checked });
  f.reset(); reloadStructure();
});
$("#add-action")?.addEventListener("submit", async (e) => {
  e.preventDefault(); const f = e.target;
  await api(`/minutes/${data.occurrence}/actions/`, { what: f.what.value, owner_user: f.owner_user.value || null,
    owner_unit: f.owner_unit.value || null, due_date: f.due_date.value || null });
  f.reset(); reloadStructure();
});
$("#save-revision")?.addEventListener("click", async () => { await api(`/minutes/${data.occurrence}/revisions/`, {}); reloadStructure(); });
$("#issue")?.addEventListener("click", async () => {
  if (confirm("Ban hành biên bản? Sau khi ban hành không sửa được nữa.")) { await api(`/minutes/${data.occurrence}/issue/`, {}); }
});

for (const s of data.sections) section(s.id);
window.addEventListener("beforeunload", (e) => { if (pending.size || [...outbox.values()].some((q) => q.length)) e.preventDefault(); });
connect();
