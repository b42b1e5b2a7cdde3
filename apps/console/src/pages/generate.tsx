import { useState } from "hono/jsx/dom";
import type { Session } from "../api.ts";
import { useRefusals } from "../invalid.tsx";
import { describeSize, Options } from "../options.tsx";
import { DEFAULT_SETTINGS, type Settings, wireFields } from "../run.ts";
import { PromptField, RunControls } from "../run-controls.tsx";
import { useRunner } from "../runner.ts";

/** Generate: a prompt and options in, streamed partial images, then results with actions. */
export function GeneratePage({ reuse }: { session: Session; reuse: Partial<Settings> | null }) {
  const [settings, setSettings] = useState<Settings>({ ...DEFAULT_SETTINGS, ...reuse });
  const run = useRunner();
  const { formError, invalid, refuse } = useRefusals("gen", run.invalid);

  const go = () => {
    const resolved = describeSize(settings.size, settings.model);
    if (!settings.prompt.trim()) return refuse("Prompt: write what the image should show.", "prompt");
    if (resolved.size === null) return refuse(`Size: ${resolved.text}`, "size");
    refuse("");
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
        invalid={invalid}
      />
      <Options prefix="gen" settings={settings} onChange={setSettings} invalid={invalid} />
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
