// Number formatting shared by sliders and charts, as the server formats: "percent" values are
// fractions (0.125 -> "12.5%"), "usd" is dollars, "number" is a plain grouped number.

const cache = new Map();

function formatter(options) {
  const key = JSON.stringify(options);
  let found = cache.get(key);
  if (!found) cache.set(key, (found = new Intl.NumberFormat("en-US", options)));
  return found;
}

/** Decimal places of an <input type=range> step ("0.5" -> 1, "1" or "any" -> 0). */
export function decimalsOf(step) {
  const text = String(step ?? "").trim().toLowerCase();
  if (!text || text === "any" || !Number.isFinite(Number(text))) return 0;
  const exponent = text.match(/e-(\d+)$/);
  if (exponent) return Number(exponent[1]);
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Decimal places to show for a slider's value: a percent shows two fewer than its step has. */
export function sliderDecimals(step, format) {
  const places = decimalsOf(step);
  return format === "percent" ? Math.max(0, places - 2) : places;
}

/**
 * Format `value` as percent, usd or number; `decimals` fixes the places, otherwise up to 2.
 * formatValue(0.125, "percent") === "12.5%"; formatValue(-1200, "usd") === "-$1,200"
 */
export function formatValue(value, format = "number", decimals) {
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value ?? "");
  const places =
    decimals === undefined
      ? { minimumFractionDigits: 0, maximumFractionDigits: 2 }
      : { minimumFractionDigits: decimals, maximumFractionDigits: decimals };
  switch (format) {
    case "percent":
      return formatter({ style: "percent", ...places }).format(number);
    case "usd":
      return formatter({ style: "currency", currency: "USD", ...places }).format(number);
    default:
      return formatter(places).format(number);
  }
}
