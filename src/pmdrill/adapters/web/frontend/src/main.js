// pmdrill's one browser bundle: htmx plus the behaviours that data attributes ask for, started on
// the page and on every piece of content htmx swaps in. Drafts run before the SQL editors so an
// editor opens on the restored draft.
import { start } from "./page.js";
import { initDrafts } from "./drafts.js";
import { initSqlEditors } from "./sql-editor.js";
import { initTimers } from "./timers.js";
import { initCharts } from "./charts.js";
import { initSliders } from "./sliders.js";
import "./submit-shortcut.js";

const BEHAVIOURS = [initDrafts, initSqlEditors, initTimers, initCharts, initSliders];

start(BEHAVIOURS);
