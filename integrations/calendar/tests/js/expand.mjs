// Parse an .ics with ical.js (Mozilla's parser) and print JSON: per UID, the master's
// properties and the expanded occurrence starts (UTC ISO), overrides related, EXDATEs applied.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const text = readFileSync(process.argv[2], "utf8");
const vcal = new ICAL.Component(ICAL.parse(text)); // throws on syntax errors
for (const tz of vcal.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(tz);
const limit = Number(process.argv[3] || 1000);
const out = { method: vcal.getFirstPropertyValue("method"), events: [] };
const byUid = new Map();
for (const v of vcal.getAllSubcomponents("vevent")) {
  const uid = v.getFirstPropertyValue("uid");
  if (!byUid.has(uid)) byUid.set(uid, []);
  byUid.get(uid).push(v);
}
for (const [uid, vevents] of byUid) {
  const masterComp = vevents.find((v) => !v.hasProperty("recurrence-id"));
  const info = { uid, components: vevents.length, starts: [], zones: [] };
  for (const v of vevents) {
    const start = v.getFirstPropertyValue("dtstart");
    if (start) info.zones.push(start.zone ? start.zone.tzid : "floating");
  }
  if (masterComp) {
    const master = new ICAL.Event(masterComp);
    for (const v of vevents.filter((v) => v.hasProperty("recurrence-id"))) master.relateException(v);
    info.sequence = master.sequence;
    info.tzid = master.startDate.zone ? master.startDate.zone.tzid : "floating";
    info.start = master.startDate.toJSDate().toISOString();
    info.local = master.startDate.toString();
    if (master.isRecurring()) {
      const it = master.iterator();
      for (let t = it.next(), n = 0; t && n < limit; t = it.next(), n++) {
        const d = master.getOccurrenceDetails(t);
        info.starts.push(d.startDate.toJSDate().toISOString());
      }
    } else {
      info.starts.push(master.startDate.toJSDate().toISOString());
    }
  } else {
    info.overrides = vevents.map((v) => {
      const e = new ICAL.Event(v);
      return { recurrenceId: e.recurrenceId.toJSDate().toISOString(), start: e.startDate.toJSDate().toISOString(), sequence: e.sequence };
    });
  }
  out.events.push(info);
}
console.log(JSON.stringify(out));
