// <textarea data-sql-editor> becomes a CodeMirror 6 SQL editor. The textarea stays in the form,
// hidden, holding the editor's text after every change, so any form post sends the SQL.
import { minimalSetup } from "codemirror";
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, placeholder } from "@codemirror/view";
import { Annotation, Compartment, EditorState, Prec } from "@codemirror/state";
import { bracketMatching, indentOnInput, syntaxHighlighting, syntaxTree } from "@codemirror/language";
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { sql, MySQL, PostgreSQL, StandardSQL } from "@codemirror/lang-sql";
import { classHighlighter } from "@lezer/highlight";
import { claim, cspNonce, prefersDark, target, within } from "./page.js";
import { columnOptions, dialectKey } from "./sql-schema.js";
import { clickSubmit } from "./submit-shortcut.js";

const SELECTOR = "textarea[data-sql-editor]";
const CODEMIRROR_DIALECTS = { postgres: PostgreSQL, mysql: MySQL, standard: StandardSQL };
const NOT_CODE = new Set(["String", "QuotedIdentifier", "LineComment", "BlockComment"]);

/** Marks a change that came from the textarea, so it is not echoed back as an input event. */
const fromTextarea = Annotation.define();
const editors = new Map(); // textarea -> {view, language, darkMode, tables}
const schemas = new Map(); // url -> Promise<{table: [column]}>

const theme = EditorView.theme({
  "&": {
    color: "var(--cm-text)",
    backgroundColor: "var(--cm-bg)",
    border: "1px solid var(--border-strong)",
    borderRadius: "var(--radius)",
    fontSize: "0.95rem",
  },
  "&.cm-focused": { outline: "3px solid var(--focus)", outlineOffset: "1px" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.5", maxHeight: "70vh" },
  ".cm-content, .cm-gutter": { minHeight: "calc(var(--sql-editor-rows, 8) * 1.5em + 0.5rem)" },
  ".cm-content": { caretColor: "var(--cm-text)", padding: "0.25rem 0" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--cm-text)", borderLeftWidth: "2px" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
    { backgroundColor: "var(--cm-selection)" },
  ".cm-activeLine": { backgroundColor: "var(--cm-active-line)" },
  ".cm-gutters": {
    backgroundColor: "var(--cm-gutter-bg)",
    color: "var(--cm-gutter-text)",
    borderRight: "1px solid var(--border)",
    borderRadius: "var(--radius) 0 0 var(--radius)",
  },
  ".cm-activeLineGutter": { backgroundColor: "var(--cm-active-line)", color: "var(--cm-text)" },
  "&.cm-focused .cm-matchingBracket": { backgroundColor: "var(--cm-bracket)", outline: "1px solid var(--cm-bracket-border)" },
  "&.cm-focused .cm-nonmatchingBracket": { backgroundColor: "var(--cm-bad-bracket)" },
  ".cm-placeholder": { color: "var(--muted)" },
  ".cm-tooltip": {
    backgroundColor: "var(--surface)",
    color: "var(--text)",
    border: "1px solid var(--border-strong)",
    borderRadius: "var(--radius-small)",
  },
  ".cm-tooltip.cm-tooltip-autocomplete > ul": { fontFamily: "var(--font-mono)", maxHeight: "14em" },
  ".cm-tooltip.cm-tooltip-autocomplete > ul > li[aria-selected]": {
    backgroundColor: "var(--accent)",
    color: "var(--on-accent)",
  },
  ".cm-completionDetail": { color: "inherit", opacity: "0.85", marginLeft: "1em" },
  ".cm-completionMatchedText": { textDecoration: "underline", fontWeight: "600" },
});

function labelOf(textarea) {
  const named = textarea.getAttribute("aria-label");
  if (named) return named;
  const byIds = (textarea.getAttribute("aria-labelledby") ?? "")
    .split(/\s+/)
    .map((id) => id && document.getElementById(id)?.textContent.trim())
    .filter(Boolean)
    .join(" ");
  if (byIds) return byIds;
  const labels = Array.from(textarea.labels ?? [], (label) => label.textContent.trim()).filter(Boolean);
  return labels.join(" ") || textarea.placeholder || "SQL query";
}

function fetchSchema(url) {
  if (!schemas.has(url)) {
    schemas.set(
      url,
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error(`${url} answered ${response.status}`);
          return response.json();
        })
        .then((body) => body?.tables ?? {})
        .catch((error) => {
          console.warn("pmdrill: no table and column completion:", error.message);
          return {};
        }),
    );
  }
  return schemas.get(url);
}

/** Unqualified column names from every table (lang-sql completes them only after "table."). */
function columnCompletion(tables) {
  return (context) => {
    const word = context.matchBefore(/[\w$]+/);
    if (!word && !context.explicit) return null;
    const from = word ? word.from : context.pos;
    if (context.state.sliceDoc(from - 1, from) === ".") return null;
    if (NOT_CODE.has(syntaxTree(context.state).resolveInner(context.pos, -1).name)) return null;
    return { from, options: columnOptions(tables, context.state.doc.toString()), validFor: /^[\w$]*$/ };
  };
}

function languageFor(dialectName, tables) {
  const dialect = CODEMIRROR_DIALECTS[dialectKey(dialectName)];
  // Built once: the autocompleter tells sources apart by identity, so a new function per call
  // would restart this source on every keystroke and it would never answer.
  const columns = [{ autocomplete: columnCompletion(tables) }];
  return [sql({ dialect, schema: tables, upperCaseKeywords: true }), EditorState.languageData.of(() => columns)];
}

function dialectOf(textarea) {
  const select = target(textarea, textarea.dataset.dialectSelect);
  return select?.value ?? textarea.dataset.dialect ?? "standard";
}

/** Keep the textarea in step, firing input on each edit and change on blur, as a textarea does. */
function copyToTextarea(textarea) {
  let edited = false;
  return [
    EditorView.updateListener.of((update) => {
      if (!update.docChanged) return;
      textarea.value = update.state.doc.toString();
      if (!update.transactions.some((tr) => tr.annotation(fromTextarea))) {
        edited = true;
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }),
    EditorView.domEventHandlers({
      blur: () => {
        if (edited) textarea.dispatchEvent(new Event("change", { bubbles: true }));
        edited = false;
      },
    }),
  ];
}

function submitKeys(textarea) {
  const run = () => clickSubmit(textarea);
  return Prec.highest(keymap.of([{ key: "Mod-Enter", run }, { key: "Ctrl-Enter", run }]));
}

/** Re-read the textarea (after a draft restore, a draft clear or a form reset). */
export function reloadFromTextarea(textarea) {
  const editor = editors.get(textarea);
  if (!editor) return;
  const doc = editor.view.state.doc;
  if (doc.toString() === textarea.value) return;
  editor.view.dispatch({ changes: { from: 0, to: doc.length, insert: textarea.value }, annotations: fromTextarea.of(true) });
}

function build(textarea) {
  // A page restored from a snapshot may still hold a dead editor after the textarea.
  const stale = textarea.nextElementSibling;
  if (stale?.matches('[data-testid="sql-editor"]')) stale.remove();

  const language = new Compartment();
  const darkMode = new Compartment();
  const readOnly = textarea.readOnly || textarea.disabled;
  const contentAttributes = { "aria-label": labelOf(textarea) };
  for (const name of ["aria-describedby", "aria-invalid", "aria-errormessage"]) {
    const value = textarea.getAttribute(name);
    if (value) contentAttributes[name] = value;
  }
  if (textarea.required) {
    // A hidden required field blocks submission with an error nobody can see.
    textarea.required = false;
    contentAttributes["aria-required"] = "true";
  }

  const state = EditorState.create({
    doc: textarea.value,
    extensions: [
      submitKeys(textarea),
      minimalSetup,
      lineNumbers(),
      highlightActiveLine(),
      highlightActiveLineGutter(),
      bracketMatching(),
      closeBrackets(),
      indentOnInput(),
      autocompletion({ icons: false }), // its icons are emoji and symbols many fonts lack
      keymap.of([...closeBracketsKeymap, ...completionKeymap]),
      syntaxHighlighting(classHighlighter),
      language.of(languageFor(dialectOf(textarea), {})),
      darkMode.of(EditorView.darkTheme.of(prefersDark.matches)),
      theme,
      placeholder(textarea.placeholder || ""),
      EditorView.lineWrapping,
      EditorView.cspNonce.of(cspNonce()),
      EditorView.editorAttributes.of({ "data-testid": "sql-editor", class: "sql-editor" }),
      EditorView.contentAttributes.of(contentAttributes),
      EditorState.readOnly.of(readOnly),
      EditorView.editable.of(!readOnly),
      copyToTextarea(textarea),
    ],
  });
  const view = new EditorView({ state });
  view.dom.style.setProperty("--sql-editor-rows", String(textarea.rows || 8));
  textarea.hidden = true;
  textarea.after(view.dom);
  editors.set(textarea, { view, language, darkMode });

  for (const label of textarea.labels ?? []) {
    if (claim(label, "sql-editor-label")) label.addEventListener("click", () => editors.get(textarea)?.view.focus());
  }
  textarea.form?.addEventListener("reset", () => setTimeout(() => reloadFromTextarea(textarea)));
  textarea.addEventListener("pmdrill:value", () => reloadFromTextarea(textarea));
  if (textarea.autofocus) view.focus();

  const url = textarea.dataset.schemaUrl;
  if (url) fetchSchema(url).then((tables) => reconfigureLanguage(textarea, tables));
}

function reconfigureLanguage(textarea, tables) {
  const editor = editors.get(textarea);
  if (!editor) return;
  if (tables) editor.tables = tables;
  editor.view.dispatch({ effects: editor.language.reconfigure(languageFor(dialectOf(textarea), editor.tables ?? {})) });
}

export function initSqlEditors(root) {
  for (const textarea of within(root, SELECTOR)) {
    if (claim(textarea, "sql-editor")) build(textarea);
  }
}

document.addEventListener("change", (event) => {
  for (const textarea of editors.keys()) {
    const selector = textarea.dataset.dialectSelect;
    if (selector && event.target instanceof Element && event.target.matches(selector)) reconfigureLanguage(textarea);
  }
});

document.addEventListener("htmx:beforeCleanupElement", (event) => {
  const editor = editors.get(event.target);
  if (!editor) return;
  editor.view.destroy();
  editors.delete(event.target);
});

prefersDark.addEventListener("change", () => {
  for (const { view, darkMode } of editors.values()) {
    view.dispatch({ effects: darkMode.reconfigure(EditorView.darkTheme.of(prefersDark.matches)) });
  }
});
