/**
 * The service worker entry point. It only imports modules and registers every listener synchronously at the
 * top level (Chrome delivers the event that woke the worker only to listeners registered during the first
 * turn), then calls `start()`, which is safe on every wake-up.
 */

import { registerAgentTabListeners } from "./agent_tabs.js";
import { onAlarm, start, uiActions } from "./connection.js";
import { installDebugHook } from "./debug.js";
import { registerNetListeners } from "./net_hook.js";
import { createUiMessageListener } from "./router.js";
import { onContextMenuClick, registerContextMenu } from "./context_menu.js";
import { onPanelConnect } from "./panel_ports.js";
import { registerPageHookListeners } from "./page_hooks.js";
import { onDaemonEventKind } from "./handlers/run_event.js";
import {
  configurePolicy,
  onApprovalEvent,
  onNotificationButton,
  onPanelOpened,
  onPolicyChanged,
  onSessionState,
  policyUiActions,
} from "./policy_sync.js";
import { onStateChanged } from "./state.js";
import { configurePanel, onCommand, runUiActions } from "./sidepanel.js";

chrome.runtime.onStartup.addListener(() => void start());
chrome.runtime.onInstalled.addListener(() => void start());
chrome.runtime.onInstalled.addListener(() => void registerContextMenu());
chrome.contextMenus.onClicked.addListener((info, tab) => void onContextMenuClick(info, tab));
chrome.commands.onCommand.addListener(onCommand);
chrome.runtime.onConnect.addListener(onPanelConnect);
chrome.runtime.onConnect.addListener(onPanelOpened);
chrome.runtime.onMessage.addListener(createUiMessageListener({ ...uiActions, ...runUiActions, ...policyUiActions }));
chrome.notifications.onButtonClicked.addListener(onNotificationButton);
onStateChanged(() => void onSessionState());
onDaemonEventKind("approval.event", onApprovalEvent);
onDaemonEventKind("policy.changed", onPolicyChanged);
chrome.alarms.onAlarm.addListener(onAlarm);
registerAgentTabListeners();
registerNetListeners();
registerPageHookListeners();

installDebugHook();
configurePolicy();
void onSessionState();
void configurePanel();
void start();
