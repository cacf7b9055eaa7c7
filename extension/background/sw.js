/**
 * The service worker entry point. It only imports modules and registers every listener synchronously at the
 * top level (Chrome delivers the event that woke the worker only to listeners registered during the first
 * turn), then calls `start()`, which is safe on every wake-up.
 */

import { registerAgentTabListeners } from "./agent_tabs.js";
import { onAlarm, start, uiActions } from "./connection.js";
import { installDebugHook } from "./debug.js";
import { createUiMessageListener } from "./router.js";

chrome.runtime.onStartup.addListener(() => void start());
chrome.runtime.onInstalled.addListener(() => void start());
chrome.runtime.onMessage.addListener(createUiMessageListener(uiActions));
chrome.alarms.onAlarm.addListener(onAlarm);
registerAgentTabListeners();

installDebugHook();
void start();
