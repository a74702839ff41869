// <input type="range" data-live-output="#id" data-format="percent|usd|number"> writes its value
// into #id while it moves, as precise as its step (a percent slider's value is a fraction:
// step 0.0005 shows "0.05%"), and tells screen readers the same.
import { claim, delegate, target, within } from "./page.js";
import { formatValue, sliderDecimals } from "./format.js";

const SELECTOR = 'input[type="range"][data-live-output]';

function show(input) {
  const format = input.dataset.format || "number";
  const text = formatValue(input.value, format, sliderDecimals(input.step, format));
  const output = target(input, input.dataset.liveOutput);
  if (output && output.textContent !== text) output.textContent = text;
  input.setAttribute("aria-valuetext", text);
}

export function initSliders(root) {
  for (const input of within(root, SELECTOR)) {
    if (claim(input, "slider")) show(input);
  }
}

delegate("input", SELECTOR, show);
delegate("change", SELECTOR, show);
document.addEventListener("reset", (event) => {
  // Inputs take their reset values after the event, so read them on the next turn.
  if (event.target instanceof HTMLFormElement) setTimeout(() => event.target.querySelectorAll(SELECTOR).forEach(show));
});
