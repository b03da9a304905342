/**
 * A string of its own, to keep beyond the handling of the stanza it was read from. The XML parser
 * (ltx) gives attribute values and texts that are slices of the text it was given, the whole
 * socket read (less the MUC copies the copy filter drops), and @xmpp/jid and template strings
 * join such slices: in V8, any of them kept in a map keeps that whole read alive. An id kept for
 * 10,000 messages of a room would keep up to 10,000 reads. Everything the bridge keeps from a
 * stanza (ids, nicks, addresses, hashes) goes through here; what it only reads during the
 * stanza's handling does not need to (that is the hot path: one copy per kept string, no more).
 */
export function kept<T extends string | undefined>(s: T): T {
  // Joined, then cut again: V8 makes the joined string anew (flat, `s.length + 1` long) and the
  // cut is a slice of that, or a copy when short. Neither refers to what `s` was cut from.
  return (s === undefined ? s : (' ' + s).slice(1)) as T;
}
