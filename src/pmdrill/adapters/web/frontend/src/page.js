// Wiring shared by the behaviours: start them on the first page and on every piece of content
// htmx swaps in, once per element, and read what the page declares (CSP nonce, targets).
import htmx from "./htmx-setup.js";

const claimed = new Map();

/** True the first time it is asked for (element, behaviour): keeps initialisation idempotent. */
export function claim(element, behaviour) {
  let seen = claimed.get(behaviour);
  if (!seen) claimed.set(behaviour, (seen = new WeakSet()));
  if (seen.has(element)) return false;
  seen.add(element);
  return true;
}

/** The root itself if it matches, then its matching descendants. */
export function within(root, selector) {
  const found = root.matches?.(selector) ? [root] : [];
  return found.concat(Array.from(root.querySelectorAll?.(selector) ?? []));
}

/** The element a data attribute names by selector, looked for in the source's form first. */
export function target(source, selector) {
  if (!selector) return null;
  try {
    return source.form?.querySelector(selector) ?? source.ownerDocument.querySelector(selector);
  } catch {
    console.error(`pmdrill: ${JSON.stringify(selector)} is not a valid selector`, source);
    return null;
  }
}

export function cspNonce() {
  return document.querySelector('meta[name="csp-nonce"]')?.content ?? "";
}

/** Call every listener for `event` on document for targets matching `selector`. */
export function delegate(event, selector, handler, options) {
  document.addEventListener(
    event,
    (e) => {
      const match = e.target instanceof Element ? e.target.closest(selector) : null;
      if (match) handler(match, e);
    },
    options,
  );
}

export const prefersReducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
export const prefersDark = window.matchMedia("(prefers-color-scheme: dark)");

function initialise(behaviours, root) {
  if (!(root instanceof Element) || !root.isConnected) return;
  for (const init of behaviours) {
    try {
      init(root);
    } catch (error) {
      console.error("pmdrill: a behaviour failed to start", error);
    }
  }
}

/** Run each `init(root)`, in order, on the page (at DOMContentLoaded) and on each htmx:load. */
export function start(behaviours) {
  const run = (root) => initialise(behaviours, root);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => run(document.body));
  } else {
    run(document.body);
  }
  htmx.onLoad(run);
}
