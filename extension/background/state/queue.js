/**
 * The one queue that serialises the read-modify-writes of `chrome.storage.session` lists and maps kept by
 * the `state/` modules (two tabs' events may race, and the service worker handles them concurrently).
 * Every such write goes through `serialised`, across modules: `recordOpenedBy` relies on running in the
 * same queue as `addTabRun`/`removeTabRun`.
 */

/** The tail of the queue; it never rejects, so one failed write does not block the next. */
let tail = Promise.resolve();

/**
 * Run `fn` after every write queued before it.
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>} what `fn` returns or rejects with
 */
export function serialised(fn) {
  const run = tail.then(fn);
  tail = run.then(() => undefined, () => undefined);
  return run;
}
