/**
 * Actions, part 0 — who an element is, read from the live element (never from a snapshot or the model):
 *
 * - `identity(el)` → `{role, name}` exactly as the snapshot prints the element (snapshot_walk.js: the ARIA
 *   role, a contenteditable as `textbox`, a clickable non-semantic element as `generic` named by
 *   `aria-label`/`title`, a label standing in for a hidden control as that control);
 * - `requireIdentity(el, ref, expect)`: W6 — an action carries the role and name the snapshot gave the ref
 *   (what the policy decided on); when the live element has another role or name, or is no longer in the
 *   document (replaced under the pointer), it throws 6008 `target_changed` and nothing is done;
 * - op `describe {ref}` (`page.describe`): role, name, the document's URL, the element's form (action URL,
 *   method, whether activating the element submits it, the values of its fields) and a link's href, so
 *   that the daemon's policy knows where data would really go before it decides.
 *
 * Adds to `ns.actions`: `identity`, `requireIdentity`; registers the content op `describe`.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("actions_identity")) return;
  ns.loaded.add("actions_identity");
  /** @type {Record<string, any>} */
  const A = (ns.actions ??= {});

  /** Inputs whose value is data a form sends (not buttons, files or the like). */
  const VALUE_TYPES = new Set(["", "text", "search", "email", "url", "tel", "password", "number", "hidden", "date", "datetime-local", "month", "week", "time"]);
  /** Inputs where Enter submits the form (HTML implicit submission). */
  const ENTER_SUBMITS = new Set(["", "text", "search", "email", "url", "tel", "password", "number", "date", "datetime-local", "month", "week", "time"]);
  const MAX_FIELDS = 64;
  const MAX_FIELD_CHARS = 8000;

  /**
   * The role and accessible name the snapshot prints for `el`.
   * @param {Element} el
   * @returns {{role: string, name: string}}
   */
  function identity(el) {
    const { roles, names } = ns;
    names.beginWalk();
    const tag = el.localName;
    let role = roles.roleOf(el, tag);
    if (role !== null && roles.INTERACTIVE.has(role)) return { role, name: names.nameOf(el, role, tag) };
    if (el.hasAttribute("contenteditable") && /** @type {HTMLElement} */ (el).isContentEditable && !el.parentElement?.isContentEditable) {
      return { role: "textbox", name: names.nameOf(el, "textbox", tag) };
    }
    if ((role === null || role === "generic") && (el.hasAttribute("onclick") || (el.hasAttribute("tabindex") && /** @type {HTMLElement} */ (el).tabIndex >= 0))) {
      return { role: "generic", name: names.normalize(el.getAttribute("aria-label") || el.getAttribute("title") || "") };
    }
    if (tag === "label") {
      const control = /** @type {HTMLLabelElement} */ (el).control;
      const cr = control ? roles.roleOf(control) : null;
      if (control && cr && roles.INTERACTIVE.has(cr)) return { role: cr, name: names.nameOf(control, cr) };
    }
    role = role ?? "generic";
    return { role, name: names.nameOf(el, role, tag) };
  }

  /**
   * Whether the live name is the expected one (a snapshot may have cut a long name with an ellipsis).
   * @param {string} live
   * @param {string} expected
   */
  function sameName(live, expected) {
    if (live === expected) return true;
    return expected.endsWith("…") && live.startsWith(expected.slice(0, -1).trimEnd());
  }

  /**
   * Throw 6008 unless `el` is still in the document with the expected role and name. `expect` fields left
   * out are not checked.
   * @param {Element} el
   * @param {string} ref
   * @param {{expect_role?: string | null, expect_name?: string | null}} expect
   */
  function requireIdentity(el, ref, expect) {
    const role = expect.expect_role ?? null;
    const name = expect.expect_name ?? null;
    if (role === null && name === null) return;
    if (!el.isConnected) {
      throw ns.error(6008, `the element ${ref} was replaced while the pointer reached it (the page swapped it); nothing was done; take a new snapshot`);
    }
    const live = identity(el);
    if ((role !== null && live.role !== role) || (name !== null && !sameName(live.name, name))) {
      const was = `${role ?? live.role} ${JSON.stringify((name ?? "").slice(0, 80))}`;
      const now = `${live.role} ${JSON.stringify(live.name.slice(0, 80))}`;
      throw ns.error(6008, `the element ${ref} is now ${now}, not ${was} as in the snapshot; nothing was done; take a new snapshot`);
    }
  }

  /**
   * @param {string | null | undefined} url
   * @returns {string | null}
   */
  function absolute(url) {
    if (!url) return null;
    try {
      return new URL(url, document.baseURI).href.slice(0, 8192);
    } catch {
      return null;
    }
  }

  /**
   * The form `el` belongs to (its form owner, else the nearest form around it).
   * @param {Element} el
   * @returns {HTMLFormElement | null}
   */
  function formOf(el) {
    const owner = /** @type {{form?: HTMLFormElement | null}} */ (/** @type {unknown} */ (el)).form;
    if (owner instanceof HTMLFormElement) return owner;
    return el.closest("form");
  }

  /**
   * Whether activating `el` submits `form`: a submit button, or a field where Enter submits.
   * @param {Element} el
   * @param {HTMLFormElement} form
   */
  function submits(el, form) {
    if (el instanceof HTMLButtonElement) return el.type === "submit";
    if (el instanceof HTMLInputElement) {
      if (el.type === "submit" || el.type === "image") return true;
      return ENTER_SUBMITS.has(el.type);
    }
    // a click on something inside a submit button (its icon or text)
    const button = el.closest("button");
    return button !== null && button.form === form && button.type === "submit";
  }

  /**
   * The values a form would send from its data fields (enabled ones; bounded).
   * @param {HTMLFormElement} form
   * @returns {string[]}
   */
  function fieldValues(form) {
    /** @type {string[]} */
    const out = [];
    let total = 0;
    for (const f of Array.from(form.elements)) {
      if (out.length >= MAX_FIELDS || total >= MAX_FIELD_CHARS) break;
      if (/** @type {HTMLInputElement} */ (f).disabled) continue; // a disabled field is not sent
      let value = null;
      if (f instanceof HTMLInputElement && VALUE_TYPES.has(f.type)) value = f.value;
      else if (f instanceof HTMLTextAreaElement) value = f.value;
      else if (f instanceof HTMLSelectElement) value = Array.from(f.selectedOptions, (o) => o.value).join("\n");
      if (!value) continue;
      value = value.slice(0, MAX_FIELD_CHARS - total);
      total += value.length;
      out.push(value);
    }
    return out;
  }

  /**
   * Op `describe {ref}`.
   * @param {{ref: string}} args
   */
  function describeRef(args) {
    const ref = String(args.ref ?? "");
    const el = ns.refs.elementFor(ref);
    if (!el) throw ns.error(6001, `stale ref ${ref}: the element is gone (removed or re-rendered); take a new snapshot`);
    const { role, name } = identity(el);
    /** @type {Record<string, unknown>} */
    const out = { role: role.slice(0, 256), name: name.slice(0, 8192), frame_url: location.href.slice(0, 8192), submits: false, fields: [] };
    const form = formOf(el);
    if (form) {
      const submitter = el.closest("button, input");
      const own = submitter instanceof HTMLButtonElement || submitter instanceof HTMLInputElement ? submitter : null;
      const actionAttr = own && own.hasAttribute("formaction") ? own.getAttribute("formaction") : form.getAttribute("action");
      out.form_action = absolute(actionAttr) ?? absolute(location.href);
      out.form_method = ((own && own.getAttribute("formmethod")) || form.method || "get").toLowerCase().slice(0, 16);
      out.submits = submits(el, form);
      out.fields = fieldValues(form);
    }
    const link = el.closest("a[href], area[href]");
    if (link) out.href = absolute(link.getAttribute("href"));
    return out;
  }

  Object.assign(A, { identity, requireIdentity });
  ns.ops.describe = describeRef;
})();
