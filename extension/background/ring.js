/**
 * A bounded log with sequence numbers, for the per-tab console and network logs: the oldest entries are
 * dropped when it is full, and a reader that asks for entries after a sequence number learns how many of
 * those were dropped. Pure (tests/js/page_io.test.js).
 *
 * Sequence numbers start at 1 and only grow; `clear()` empties the log without resetting them, so a
 * reader's `since` stays meaningful. Entries cleared on purpose are not counted as dropped.
 */

/**
 * @template {{seq: number}} T
 */
export class Ring {
  /** @param {number} capacity  most entries kept (at least 1) */
  constructor(capacity) {
    this.capacity = Math.max(1, Math.floor(capacity));
    /** @type {T[]} */
    this.entries = [];
    this.lastSeq = 0;
    /** the highest sequence number dropped because the log was full */
    this.evictedUpTo = 0;
  }

  /** The next sequence number (for building an entry before `push`). */
  nextSeq() {
    return this.lastSeq + 1;
  }

  /**
   * Append an entry; its `seq` must be `nextSeq()`.
   * @param {T} entry
   * @returns {T}
   */
  push(entry) {
    if (entry.seq !== this.lastSeq + 1) throw new RangeError(`seq ${entry.seq} is not ${this.lastSeq + 1}`);
    this.lastSeq = entry.seq;
    this.entries.push(entry);
    if (this.entries.length > this.capacity) {
      const gone = this.entries.splice(0, this.entries.length - this.capacity);
      this.evictedUpTo = gone[gone.length - 1].seq;
    }
    return entry;
  }

  /**
   * Entries with `seq > since` that pass `keep`, oldest first, at most `limit`.
   * @param {number} since
   * @param {number} limit
   * @param {(e: T) => boolean} [keep]
   * @returns {{entries: T[], dropped: number, next: number}}  `next`: the `since` of the following read
   */
  read(since, limit, keep = () => true) {
    /** @type {T[]} */
    const out = [];
    let next = Math.max(since, 0);
    for (const e of this.entries) {
      if (e.seq <= since) continue;
      if (out.length >= limit) break;
      next = e.seq;
      if (keep(e)) out.push(e);
    }
    // Nothing more after `since` (all read or filtered out): the next read starts after the newest entry.
    if (out.length < limit) next = Math.max(next, this.lastSeq);
    return { entries: out, dropped: Math.max(0, this.evictedUpTo - Math.max(since, 0)), next };
  }

  /** Forget every entry (sequence numbers go on). */
  clear() {
    this.entries = [];
  }
}
