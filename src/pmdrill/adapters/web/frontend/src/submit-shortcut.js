// Ctrl+Enter (Cmd+Enter on macOS) in a textarea[data-submit] clicks the button it names.
import { delegate, target } from "./page.js";

/** Click the enabled button named by the source's data-submit; true if one was clicked. */
export function clickSubmit(source) {
  const button = target(source, source.dataset.submit);
  if (!button || button.disabled) return false;
  button.click();
  return true;
}

delegate("keydown", "textarea[data-submit]", (textarea, event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.isComposing) return;
  if (clickSubmit(textarea)) event.preventDefault();
});
