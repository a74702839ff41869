// <span data-countdown data-seconds="2700"> counts down mm:ss from when it loaded (or from
// data-started-at), going "-mm:ss" with class "over" past zero; <button data-stopwatch-toggle="#sw">
// starts and stops <span id="sw" data-stopwatch>. One shared tick reads the wall clock, so a
// throttled background tab still shows the right time.
import { claim, delegate, target, within } from "./page.js";
import { formatClock, remainingSeconds, startMillis } from "./clock.js";

const TICK_MS = 250;
const clocks = new Set(); // {element, render()}
const stopwatches = new WeakMap(); // element -> {elapsedMs, runningSince}
let ticker = null;

function tick() {
  for (const clock of clocks) {
    if (clock.element.isConnected) clock.render();
    else clocks.delete(clock);
  }
  if (clocks.size === 0) {
    clearInterval(ticker);
    ticker = null;
  }
}

function track(element, render) {
  // A timer read aloud every second drowns everything else out: readers ask for it instead.
  if (!element.hasAttribute("role")) element.setAttribute("role", "timer");
  element.setAttribute("aria-live", "off");
  render();
  clocks.add({ element, render });
  ticker ??= setInterval(tick, TICK_MS);
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function startCountdown(element) {
  const total = Number(element.dataset.seconds);
  if (!Number.isFinite(total)) {
    console.error("pmdrill: data-countdown needs data-seconds", element);
    return;
  }
  const start = startMillis(element.dataset.startedAt, Date.now());
  let announced = false;
  track(element, () => {
    const left = remainingSeconds(total, start, Date.now());
    setText(element, formatClock(left));
    element.classList.toggle("over", left < 0);
    if (left <= 0 && !announced) {
      announced = true;
      element.dispatchEvent(new CustomEvent("pmdrill:timeup", { bubbles: true }));
    }
  });
}

function elapsedMs(state) {
  return state.elapsedMs + (state.runningSince === null ? 0 : Date.now() - state.runningSince);
}

function startStopwatch(element) {
  const state = { elapsedMs: 0, runningSince: null };
  stopwatches.set(element, state);
  track(element, () => setText(element, formatClock(Math.floor(elapsedMs(state) / 1000))));
}

function toggleStopwatch(button) {
  const element = target(button, button.dataset.stopwatchToggle);
  const state = element && stopwatches.get(element);
  if (!state) return;
  if (state.runningSince === null) {
    state.runningSince = Date.now();
  } else {
    state.elapsedMs = elapsedMs(state);
    state.runningSince = null;
  }
  const running = state.runningSince !== null;
  element.classList.toggle("running", running);
  for (const toggle of document.querySelectorAll("[data-stopwatch-toggle]")) {
    if (target(toggle, toggle.dataset.stopwatchToggle) === element) toggle.setAttribute("aria-pressed", String(running));
  }
}

export function initTimers(root) {
  for (const element of within(root, "[data-countdown]")) {
    if (claim(element, "countdown")) startCountdown(element);
  }
  for (const element of within(root, "[data-stopwatch]")) {
    if (claim(element, "stopwatch")) startStopwatch(element);
  }
  for (const button of within(root, "[data-stopwatch-toggle]")) {
    if (!claim(button, "stopwatch-toggle")) continue;
    if (!button.hasAttribute("type")) button.type = "button";
    const element = target(button, button.dataset.stopwatchToggle);
    if (element?.id) button.setAttribute("aria-controls", element.id);
    const running = element ? stopwatches.get(element)?.runningSince != null : false;
    button.setAttribute("aria-pressed", String(running));
  }
}

delegate("click", "[data-stopwatch-toggle]", toggleStopwatch);
