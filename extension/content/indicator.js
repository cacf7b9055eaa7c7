/**
 * The in-page "agent is acting" indicator with a Stop button (top frame only).
 *
 * A small fixed pill in the bottom-right corner, in a *closed* shadow root hung on `<html>` (so page
 * scripts cannot restyle it, read into it or click its button, and a framework re-rendering `<body>` does
 * not remove it). The host is a plain `<div data-webbridge-indicator>` with inline `!important` styles: a
 * custom element name could be defined by the page first and run page code on our node.
 *
 * Stop: only a trusted click (a real user, `isTrusted`) counts. It sends `{wbe: 1, event: "indicator.stop"}`
 * to the background (`agent_tabs.js`), which stops every run controlling the tab (`run.stop`) and then hides
 * the pill; meanwhile it says "Stopping…". The label names the run's task ("WebBridge: <first words>").
 *
 * Op `indicator` `{show: boolean, label?: string}` → `{shown: boolean}`. Idempotent.
 */
(() => {
  const ns = __webbridgeContent;
  if (ns.loaded.has("indicator")) return;
  ns.loaded.add("indicator");

  const HOST_STYLE = [
    "all: initial", "position: fixed", "right: 12px", "bottom: 12px", "z-index: 2147483647", "display: block",
    "pointer-events: auto", "contain: layout style",
  ].map((d) => `${d} !important`).join("; ");

  const CSS = `
    .pill { font: 13px/1.2 system-ui, sans-serif; display: flex; align-items: center; gap: 8px;
      padding: 6px 8px 6px 10px; border-radius: 16px; background: #1f2937; color: #f9fafb;
      box-shadow: 0 2px 8px rgba(0,0,0,.3); }
    .dot { width: 8px; height: 8px; border-radius: 50%; background: #34d399; }
    button { font: inherit; border: 0; border-radius: 12px; padding: 3px 10px; background: #ef4444;
      color: #fff; cursor: pointer; }
    button:disabled { background: #6b7280; cursor: default; }`;

  /** @type {{host: HTMLElement, label: HTMLElement, stop: HTMLButtonElement} | null} */
  let ui = null;

  function build() {
    const host = document.createElement("div");
    host.setAttribute("data-webbridge-indicator", "");
    host.setAttribute("style", HOST_STYLE);
    const root = host.attachShadow({ mode: "closed" });
    const style = document.createElement("style");
    style.textContent = CSS;
    const pill = document.createElement("div");
    pill.className = "pill";
    pill.setAttribute("role", "status");
    const dot = document.createElement("span");
    dot.className = "dot";
    const label = document.createElement("span");
    const stop = document.createElement("button");
    stop.type = "button";
    stop.textContent = "Stop";
    stop.title = "Stop the WebBridge agent in this tab";
    stop.addEventListener("click", (e) => {
      if (!e.isTrusted) return; // only the user can stop the agent from here
      stop.disabled = true;
      label.textContent = "Stopping…";
      void chrome.runtime.sendMessage({ wbe: 1, event: "indicator.stop" }).catch(() => undefined);
    });
    pill.append(dot, label, stop);
    root.append(style, pill);
    return { host, label, stop };
  }

  /** @param {{show?: boolean, label?: string}} args */
  ns.ops.indicator = (args) => {
    if (window !== window.top) return { shown: false };
    if (!args.show) {
      ui?.host.remove();
      ui = null;
      return { shown: false };
    }
    ui ??= build();
    ui.label.textContent = String(args.label ?? "WebBridge agent is working").slice(0, 80);
    ui.stop.disabled = false;
    if (!ui.host.isConnected) document.documentElement.append(ui.host);
    return { shown: true };
  };
})();
