// htmx, configured for the page's Content-Security-Policy before it reads the htmx-config meta
// tag at DOMContentLoaded (the meta tag, when present, is merged over these).
import htmx from "htmx.org";

Object.assign(htmx.config, {
  includeIndicatorStyles: false, // pmdrill.css styles .htmx-indicator; no <style> injection
  allowEval: false, // no hx-on, js: or eval-based filters under script-src 'self'
  allowScriptTags: false,
  selfRequestsOnly: true,
  // A snapshot of the page would hold live editor and chart DOM (with style attributes the CSP
  // rejects when re-parsed): going back reloads the page from the local server instead.
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
  inlineStyleNonce: document.querySelector('meta[name="csp-nonce"]')?.content ?? "",
});

window.htmx = htmx;

export default htmx;
