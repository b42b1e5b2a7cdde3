import { FieldError, type Invalid, marked } from "./invalid.tsx";
import { Results } from "./results.tsx";
import type { useRunner } from "./runner.ts";

/**
 * The prompt box of Generate and Edit: labelled "Prompt"; Ctrl+Enter (⌘+Enter) runs, as the
 * submit button does. Required, but checked by the page so an empty one gets its own sentence.
 */
export function PromptField({
  id,
  rows,
  value,
  onChange,
  onRun,
  invalid,
}: {
  id: string;
  rows: number;
  value: string;
  onChange: (prompt: string) => void;
  onRun: () => void;
  /** a refusal, marked here when it names the prompt */
  invalid: Invalid | null;
}) {
  return (
    <div class="field prompt">
      <label for={id}>Prompt</label>
      <textarea
        id={id}
        rows={rows}
        aria-required="true"
        {...marked(id, "prompt", invalid)}
        value={value}
        onInput={(e: Event) => onChange((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e: KeyboardEvent) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            onRun();
          }
        }}
      />
      <FieldError id={id} field="prompt" invalid={invalid} />
    </div>
  );
}

/**
 * What follows the options on Generate and Edit: the submit button (named `action`), Cancel while
 * it runs, the status line, the error in words (the form's own check first), then the results.
 */
export function RunControls({
  run,
  action,
  formError,
  format,
  onAgain,
  label,
}: {
  run: ReturnType<typeof useRunner>;
  action: string;
  formError: string;
  /** output format of the results, for their download names */
  format: string;
  onAgain: () => void;
  /** accessible name of the results section */
  label: string;
}) {
  const error = formError || run.error;
  return (
    <>
      <div class="row">
        <button type="submit" class="primary" disabled={run.busy}>
          {action}
        </button>
        {run.busy && (
          <button type="button" onClick={run.cancel}>
            Cancel
          </button>
        )}
        <span role="status" class="status">
          {run.status}
        </span>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <Results slots={run.slots} busy={run.busy} format={format} onAgain={onAgain} label={label} />
    </>
  );
}
