import { useState } from "hono/jsx/dom";
import type { Session } from "../api.ts";
import { describeSize, Options } from "../options.tsx";
import { DEFAULT_SETTINGS, type Settings, wireFields } from "../run.ts";
import { PromptField, RunControls } from "../run-controls.tsx";
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
      <PromptField
        id="gen-prompt"
        rows={4}
        value={settings.prompt}
        onChange={(prompt) => setSettings({ ...settings, prompt })}
        onRun={go}
      />
      <Options prefix="gen" settings={settings} onChange={setSettings} />
      <RunControls
        run={run}
        action="Generate"
        formError={formError}
        format={settings.output_format}
        onAgain={go}
        label="Generated images"
      />
    </form>
  );
}
