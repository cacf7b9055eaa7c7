/**
 * The side panel's approval cards: one per pending approval of any run, drawn only from the structured
 * request (`approval_view.js`, W10), with the buttons it allows, the irreversible mark and a countdown to the
 * timeout. A card leaves when its approval is resolved (`approval.resolved`, from this panel, another
 * bridge, a notification, the CLI, or the timeout) or its run finishes.
 *
 * Stable element ids and attributes (the end-to-end tests use them): #approvals (hidden while empty),
 * #approval-list, `li.approval-card[data-approval-id][data-run-id][data-irreversible]`, inside it `.title`,
 * `.where`, `.element`, `.irreversible-mark`, `.data-out li`, `.flows li`, `.plan`, `.countdown`, and
 * `button[data-answer="once" | "task" | "session" | "always" | "plan" | "deny"]`.
 */

import { applyApprovalEvent, cardModel, pendingFromList } from "./approval_view.js";

/**
 * @typedef {import("./approval_view.js").Pending} Pending
 * @typedef {import("./approval_view.js").Card} Card
 * @typedef {import("./approval_view.js").ApprovalEvent} ApprovalEvent
 * @typedef {(type: string, body: Record<string, unknown>) => Promise<any>} Send
 */

/**
 * @param {string} tag
 * @param {string} [cls]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function make(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class ApprovalCards {
  /**
   * @param {{section: HTMLElement, list: HTMLElement, send: Send, onError: (err: unknown) => void}} opts
   */
  constructor(opts) {
    this.section = opts.section;
    this.list = opts.list;
    this.send = opts.send;
    this.onError = opts.onError;
    /** @type {Pending[]} */
    this.pending = [];
    /** @type {ReturnType<typeof setInterval> | null} ticks the countdowns while a card is shown */
    this.ticker = null;
  }

  /** Replace the list with the daemon's (on open and after every reconnect). */
  async load() {
    const res = await this.send("approvals.list", {});
    this.pending = pendingFromList(res.approvals);
    this.render();
  }

  /** @param {ApprovalEvent} event  an approval.* or run.finished event (others change nothing) */
  apply(event) {
    const next = applyApprovalEvent(this.pending, event);
    if (next === this.pending) return;
    this.pending = next;
    this.render();
  }

  /**
   * @param {string} approvalId
   * @param {{allow: boolean, lifetime: string}} answer
   * @param {HTMLElement} card
   */
  async answer(approvalId, answer, card) {
    for (const b of card.querySelectorAll("button")) /** @type {HTMLButtonElement} */ (b).disabled = true;
    try {
      await this.send("approval.answer", { approval_id: approvalId, allow: answer.allow, lifetime: answer.lifetime, via: "sidepanel" });
      this.apply({ type: "approval.resolved", run_id: "", approval_id: approvalId });
    } catch (err) {
      this.onError(err);
      // Answered elsewhere or timed out meanwhile: the list says what is still pending.
      await this.load().catch(() => undefined);
    }
  }

  render() {
    const now = Date.now();
    this.section.hidden = this.pending.length === 0;
    this.list.replaceChildren(...this.pending.map((p) => this.card(cardModel(p, now))));
    if (this.pending.length && this.ticker === null) {
      this.ticker = setInterval(() => this.tick(), 1000);
    } else if (!this.pending.length && this.ticker !== null) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  /** Update the countdowns only (the buttons keep their focus). */
  tick() {
    const now = Date.now();
    for (const p of this.pending) {
      const node = this.list.querySelector(`li[data-approval-id="${CSS.escape(p.approval_id)}"] .countdown`);
      if (node) node.textContent = cardModel(p, now).countdown;
    }
  }

  /**
   * @param {Card} c
   * @returns {HTMLElement}
   */
  card(c) {
    const li = make("li", "approval-card");
    li.dataset.approvalId = c.approval_id;
    li.dataset.runId = c.run_id;
    li.dataset.irreversible = String(c.irreversible);
    li.append(make("div", "title", c.title));
    if (c.where) li.append(make("div", "where", c.where));
    if (c.element) li.append(make("div", "element", c.element));
    if (c.irreversible) li.append(make("div", "irreversible-mark", `Irreversible: ${c.verb} cannot be undone`));
    if (c.data.length) {
      const ul = make("ul", "data-out");
      for (const d of c.data) ul.append(make("li", "", `Would send to ${d.destination}: ${d.preview}`));
      li.append(make("div", "label", "Data that would leave"), ul);
    }
    if (c.flows.length) {
      const ul = make("ul", "flows");
      for (const f of c.flows) ul.append(make("li", "", `Read on ${f.source}, going to ${f.destination}: ${f.text}`));
      li.append(ul);
    }
    if (c.plan) {
      const plan = make("div", "plan");
      plan.append(make("div", "", `Sites: ${c.plan.sites.join(", ") || "none"}`), make("div", "", `Actions: ${c.plan.actions.join(", ") || "none"}`));
      if (c.plan.summary) plan.append(make("div", "model-words", `The agent's own summary (not checked): ${c.plan.summary}`));
      li.append(plan);
    }
    if (c.reason) li.append(make("div", "reason", c.reason));
    const buttons = make("div", "buttons");
    for (const b of c.buttons) {
      const button = /** @type {HTMLButtonElement} */ (make("button", b.allow ? "" : "danger", b.label));
      button.type = "button";
      button.dataset.answer = b.id;
      button.addEventListener("click", () => void this.answer(c.approval_id, b, li));
      buttons.append(button);
    }
    const expiry = make("div", "expiry", "No answer in ");
    expiry.append(make("span", "countdown", c.countdown), " means no.");
    li.append(buttons, expiry);
    return li;
  }
}
