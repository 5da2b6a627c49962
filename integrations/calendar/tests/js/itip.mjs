// iTIP messages read by ical.js (Thunderbird's parser), for the model calendar client:
// node itip.mjs a.ics b.ics … prints one JSON object per file, in order:
// {method, components: [{uid, rid, sequence, stamp, start, end, summary, location,
//  description, status, instances}]}; times are UTC ISO, `instances` the master's expansion
// (RRULE with EXDATE applied; overrides are NOT related here, the client applies them).
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const iso = (t) => (t ? t.toJSDate().toISOString() : null);
const out = [];
for (const file of process.argv.slice(2)) {
  const vcal = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
  for (const tz of vcal.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(tz);
  const components = [];
  for (const v of vcal.getAllSubcomponents("vevent")) {
    const ev = new ICAL.Event(v);
    const rid = v.getFirstPropertyValue("recurrence-id");
    const item = {
      uid: ev.uid, rid: rid ? iso(rid) : null, sequence: ev.sequence || 0,
      stamp: iso(v.getFirstPropertyValue("dtstamp")), start: iso(ev.startDate), end: iso(ev.endDate),
      summary: ev.summary || "", location: ev.location || "", description: ev.description || "",
      status: v.getFirstPropertyValue("status") || "", instances: [],
    };
    if (!rid) {
      if (ev.isRecurring()) {
        const it = ev.iterator();
        for (let t = it.next(), n = 0; t && n < 600; t = it.next(), n++) item.instances.push(iso(t));
      } else {
        item.instances.push(item.start);
      }
    }
    components.push(item);
  }
  out.push({ method: vcal.getFirstPropertyValue("method"), components });
}
console.log(JSON.stringify(out));
