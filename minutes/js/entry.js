// Everything the minutes editor needs from Yjs, re-exported from one file.
export { Doc, Text, applyUpdate, encodeStateAsUpdate, encodeStateVector, mergeUpdates } from "yjs";
