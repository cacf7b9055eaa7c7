/**
 * The native-messaging port to the relay (`webbridge-host`), with back-off reconnection.
 *
 * Chrome frames the messages itself (4-byte native-endian length + JSON) and hands us parsed objects; we
 * never see bytes here. When the port drops, `onDisconnect` gets `chrome.runtime.lastError.message`
 * ("Specified native messaging host not found.", "Access to the specified native messaging host is
 * forbidden.", "Native host has exited.", ...), which the owner turns into something the user can act on.
 *
 * Back-off: the first retry comes after 50 ms (a fresh relay starts in about as long), then 100, 200, … up to
 * 5 s; `resetBackoff()` once a session opens. A port we close ourselves (`close()`) reports nothing.
 */

export const HOST_NAME = "com.webbridge.host";
export const FIRST_RETRY_MS = 50;
export const MAX_RETRY_MS = 5_000;

/**
 * @typedef {{
 *   onFrame: (frame: unknown) => void,
 *   onDisconnect: (message: string) => void,
 * }} LinkHandlers
 */

/** One native port. A closed link stays closed: make a new one to reconnect. */
export class NativeLink {
  /** @param {LinkHandlers} handlers */
  constructor(handlers) {
    this._handlers = handlers;
    this.closed = false;
    /** @type {chrome.runtime.Port | null} */
    this._port = null;
  }

  /**
   * Open the port. A host that cannot be started shows up as an immediate `onDisconnect`.
   */
  open() {
    const port = chrome.runtime.connectNative(HOST_NAME);
    this._port = port;
    port.onMessage.addListener((msg) => {
      if (!this.closed) this._handlers.onFrame(msg);
    });
    port.onDisconnect.addListener(() => {
      // Reading lastError here also keeps Chrome from logging it as unchecked.
      const message = chrome.runtime.lastError?.message ?? "the native host closed the connection";
      if (this.closed) return;
      this.closed = true;
      this._port = null;
      this._handlers.onDisconnect(message);
    });
  }

  /**
   * Send one frame. Returns false (and closes the link, reporting the reason) when the port is gone or the
   * browser refuses the message (over 64 MiB).
   * @param {unknown} frame
   * @returns {boolean}
   */
  post(frame) {
    if (this.closed || !this._port) return false;
    try {
      this._port.postMessage(frame);
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.close();
      this._handlers.onDisconnect(`could not send to the native host: ${message}`);
      return false;
    }
  }

  /** Close the port without reporting a disconnect. Idempotent. */
  close() {
    if (this.closed) return;
    this.closed = true;
    const port = this._port;
    this._port = null;
    try {
      port?.disconnect();
    } catch {
      // already gone
    }
  }
}

/** Delays between reconnection attempts: 50 ms doubling to 5 s. */
export class Backoff {
  constructor(first = FIRST_RETRY_MS, max = MAX_RETRY_MS) {
    this.first = first;
    this.max = max;
    this.next = first;
  }

  /** @returns {number} the delay to wait now; the following one doubles */
  take() {
    const delay = this.next;
    this.next = Math.min(this.next * 2, this.max);
    return delay;
  }

  reset() {
    this.next = this.first;
  }
}
