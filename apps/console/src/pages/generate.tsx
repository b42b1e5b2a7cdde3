import { useState } from "hono/jsx/dom";
import type { Session } from "../api.ts";
import { describeSize, Options } from "../options.tsx";
import { Results } from "../results.tsx";
import { DEFAULT_SETTINGS, type Settings, wireFields } from "../run.ts";
import { useRunner } from "../runner.ts";

/** Generate: a prompt and options in, streamed partial images, then results with actions. */
export function GeneratePage({ reuse }: { session: Session; reuse: Partial<Settings> | null }) {
  const [settings, setSettings] = useState<Settings>({ ...DEFAULT_SETTINGS, ...reuse });
  const [formError, setFormError] = useState("");
  const run = useRunner();

  const go = () => {
    const resolved = describeSize(settings.size, settings.model);
    if (!settings.prompt.trim()) return setFormError("Prompt: write what the image should show.");
    if (resolved.size === null) return setFormError(`Size: ${resolved.text}`);
    setFormError("");
    void run.start(wireFields(settings, resolved.size), null, null);
  };
  const submit = (e: Event) => {
    e.preventDefault();
    go();
  };

  return (
    <form class="make" onSubmit={submit}>
      <div class="field prompt">
        <label for="gen-prompt">Prompt</label>
        <textarea
          id="gen-prompt"
          rows={4}
          required
          value={settings.prompt}
          onInput={(e: Event) => setSettings({ ...settings, prompt: (e.target as HTMLTextAreaElement).value })}
          onKeyDown={(e: KeyboardEvent) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              go();
            }
          }}
        />
      </div>
      <Options prefix="gen" settings={settings} onChange={setSettings} />
      <div class="row">
        <button type="submit" class="primary" disabled={run.busy}>
          Generate
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
      {(formError || run.error) && (
        <p role="alert" class="error">
          {formError || run.error}
        </p>
      )}
      <Results slots={run.slots} format={settings.output_format} onAgain={go} label="Generated images" />
    </form>
  );
}
