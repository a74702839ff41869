// textarea[data-draft-key] keeps its text in localStorage ("pmdrill:draft:<key>") so a reload,
// a crash or a closed tab loses nothing; an empty textarea gets its draft back on load.
import { claim, delegate, within } from "./page.js";

const PREFIX = "pmdrill:draft:";
const SAVE_AFTER_MS = 300;
const pending = new Map(); // key -> {textarea, timer}

function read(key) {
  try {
    return localStorage.getItem(PREFIX + key);
  } catch {
    return null; // storage disabled: drafts are a convenience, never an error
  }
}

function write(key, text) {
  try {
    if (text) localStorage.setItem(PREFIX + key, text);
    else localStorage.removeItem(PREFIX + key);
    return true;
  } catch {
    return false;
  }
}

function showStatus(key, text) {
  for (const status of document.querySelectorAll("[data-draft-status]")) {
    if (status.dataset.draftStatus === key) status.textContent = text;
  }
}

function save(key, textarea) {
  pending.delete(key);
  if (write(key, textarea.value)) showStatus(key, textarea.value ? "draft saved" : "");
}

function flushAll() {
  for (const [key, { textarea, timer }] of pending) {
    clearTimeout(timer);
    save(key, textarea);
  }
}

/** Tell an editor built on the textarea that its text changed underneath it. */
function announceValue(textarea) {
  textarea.dispatchEvent(new Event("pmdrill:value"));
}

/** Forget the stored draft for `key`; with `reset`, put its textareas back to the page's text. */
export function clearDraft(key, { reset = false } = {}) {
  clearTimeout(pending.get(key)?.timer);
  pending.delete(key);
  write(key, "");
  if (reset) {
    for (const textarea of document.querySelectorAll("textarea[data-draft-key]")) {
      if (textarea.dataset.draftKey !== key) continue;
      textarea.value = textarea.defaultValue;
      announceValue(textarea);
    }
  }
  showStatus(key, "draft cleared");
}

/** Restore drafts into empty textareas under root; run before the SQL editors read them. */
export function initDrafts(root) {
  for (const textarea of within(root, "textarea[data-draft-key]")) {
    if (!claim(textarea, "draft")) continue;
    const key = textarea.dataset.draftKey;
    const stored = read(key);
    if (stored && textarea.value === "") {
      textarea.value = stored;
      announceValue(textarea);
      showStatus(key, "draft restored");
    }
  }
  for (const button of within(root, "button[data-draft-clear]")) {
    // Inside a form a button defaults to submit; clearing a draft must not post the form.
    if (claim(button, "draft-clear") && !button.hasAttribute("type")) button.type = "button";
  }
}

delegate("input", "textarea[data-draft-key]", (textarea) => {
  const key = textarea.dataset.draftKey;
  clearTimeout(pending.get(key)?.timer);
  pending.set(key, { textarea, timer: setTimeout(() => save(key, textarea), SAVE_AFTER_MS) });
});

delegate("click", "button[data-draft-clear]", (button) => clearDraft(button.dataset.draftClear, { reset: true }));

// A server can drop a draft once the answer is recorded: HX-Trigger: {"pmdrill:draft-clear": {"key": "q1"}}
document.addEventListener("pmdrill:draft-clear", (event) => {
  const key = event.detail?.key ?? event.detail?.value;
  if (key) clearDraft(String(key));
});

document.addEventListener("htmx:beforeCleanupElement", (event) => {
  const key = event.target instanceof HTMLTextAreaElement ? event.target.dataset.draftKey : undefined;
  const entry = key && pending.get(key);
  if (entry && entry.textarea === event.target) {
    clearTimeout(entry.timer);
    save(key, entry.textarea);
  }
});

window.addEventListener("beforeunload", flushAll);
window.addEventListener("pagehide", flushAll);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") flushAll();
});
