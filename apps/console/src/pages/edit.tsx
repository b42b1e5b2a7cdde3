import { formatIssue, MODEL_RULE_OVERRIDE, validateEditOptions } from "@gptimg/core";
import { useEffect, useRef, useState } from "hono/jsx/dom";
import type { Session } from "../api.ts";
import { FieldError, marked, useRefusals } from "../invalid.tsx";
import { type MaskHandle, MaskPainter } from "../mask.tsx";
import { describeSize, Options } from "../options.tsx";
import { DEFAULT_SETTINGS, type Settings, wireFields } from "../run.ts";
import { PromptField, RunControls } from "../run-controls.tsx";
import { useRunner } from "../runner.ts";

const MAX_IMAGES = 16;
const TYPES = ["image/png", "image/jpeg", "image/webp"];

/**
 * What core's edit rules say of the images and the mask before anything is uploaded: each image a
 * whole PNG, JPEG or WebP by its content, 50 MB in all, the mask a PNG with alpha of the first
 * image's size and under 4 MB. Each problem names the file and the rule, the first one's field
 * beside; empty when there is none. gptimg's own model-table rules are left to the Worker: a deployment may let the provider
 * decide those.
 */
async function inputProblems(
  files: File[],
  mask: Blob | null,
  model: string,
): Promise<{ text: string; field: string }> {
  const issues = await validateEditOptions(
    {
      prompt: "-",
      images: files.map((f) => ({ data: f, name: f.name })),
      ...(mask ? { mask: { data: mask, name: "the painted mask" } } : {}),
    },
    model || undefined,
  );
  const ours = issues.filter((i) => /^(image|mask)/.test(i.field) && !ownRule(i.rule));
  return { text: ours.map(formatIssue).join("; "), field: ours[0]?.field ?? "" };
}

/** gptimg's own model-table rules: left to the Worker, which a deployment may let skip them. */
const ownRule = (rule: string) => rule.includes(MODEL_RULE_OVERRIDE);

/**
 * Why a file cannot be an edit input, by the same rules on its content alone (a .txt, a GIF, a
 * PNG cut short), or null when it can. Checked as it is added, so a file that is not a whole
 * image never reaches the list or the mask painter.
 */
async function refusal(file: File, model: string): Promise<string | null> {
  const issues = await validateEditOptions(
    { prompt: "-", images: [{ data: file, name: file.name }] },
    model || undefined,
  );
  const issue = issues.find((i) => i.field === "image[0]" && !ownRule(i.rule));
  return issue ? `${file.name}: not added, ${issue.rule}` : null;
}

/** Edit: up to 16 images dropped, pasted or picked; a mask over the first; streamed results. */
export function EditPage({ reuse }: { session: Session; reuse: Partial<Settings> | null }) {
  const [settings, setSettings] = useState<Settings>({ ...DEFAULT_SETTINGS, ...reuse });
  const [files, setFiles] = useState<{ file: File; url: string }[]>([]);
  const [dragging, setDragging] = useState(false);
  const mask = useRef<MaskHandle | null>(null);
  const dropZone = useRef<HTMLDivElement | null>(null);
  const run = useRunner();
  const { formError, invalid, refuse } = useRefusals("edit", run.invalid);

  const add = async (list: Iterable<File>) => {
    const incoming = [...list];
    const refused = await Promise.all(incoming.map((f) => refusal(f, settings.model)));
    const images = incoming.filter((_, i) => refused[i] === null);
    const room = MAX_IMAGES - files.length;
    const taken = images.slice(0, Math.max(0, room));
    const notes = refused.filter((r) => r !== null).map((r) => `${r}.`);
    if (images.length > taken.length)
      notes.push(`At most ${MAX_IMAGES} images: ${images.length - taken.length} left out.`);
    refuse(notes.join(" "), "image");
    if (taken.length) setFiles([...files, ...taken.map((file) => ({ file, url: URL.createObjectURL(file) }))]);
  };

  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const pasted = [...(e.clipboardData?.files ?? [])];
      if (pasted.length) {
        e.preventDefault();
        void add(pasted);
      }
    };
    addEventListener("paste", onPaste);
    return () => removeEventListener("paste", onPaste);
  }, [files]);

  // the drop zone takes dragged files; the file input inside it is the keyboard's way in
  useEffect(() => {
    const zone = dropZone.current;
    if (!zone) return;
    const over = (e: DragEvent) => {
      e.preventDefault();
      setDragging(true);
    };
    const leave = () => setDragging(false);
    const drop = (e: DragEvent) => {
      e.preventDefault();
      setDragging(false);
      void add(e.dataTransfer?.files ?? []);
    };
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", leave);
    zone.addEventListener("drop", drop);
    return () => {
      zone.removeEventListener("dragover", over);
      zone.removeEventListener("dragleave", leave);
      zone.removeEventListener("drop", drop);
    };
  }, [files]);

  const remove = (i: number) => {
    const f = files[i];
    if (f) URL.revokeObjectURL(f.url);
    setFiles(files.filter((_, j) => j !== i));
  };

  const go = async () => {
    const resolved = describeSize(settings.size, settings.model);
    if (!files.length) return refuse("Images: add at least one image to edit (drop, paste or pick).", "image");
    if (!settings.prompt.trim()) return refuse("Prompt: say what to change.", "prompt");
    if (resolved.size === null) return refuse(`Size: ${resolved.text}`, "size");
    refuse("");
    const maskBlob = (await mask.current?.toBlob()) ?? null;
    const problems = await inputProblems(
      files.map((f) => f.file),
      maskBlob,
      settings.model,
    );
    if (problems.text) return refuse(`${problems.text}. Remove or replace that image and try again.`, problems.field);
    void run.start(
      wireFields(settings, resolved.size),
      files.map((f) => f.file),
      maskBlob,
    );
  };

  return (
    <form
      class="make"
      onSubmit={(e: Event) => {
        e.preventDefault();
        void go();
      }}
    >
      <div class={`drop${dragging ? " over" : ""}`} ref={dropZone}>
        <label for="edit-images">Images</label>
        <input
          id="edit-images"
          type="file"
          accept={TYPES.join(",")}
          multiple
          {...marked("edit-images", "image", invalid, "edit-images-hint")}
          onChange={(e: Event) => {
            const input = e.target as HTMLInputElement;
            void add([...(input.files ?? [])]);
            input.value = "";
          }}
        />
        <FieldError id="edit-images" field="image" invalid={invalid} />
        <p class="hint" id="edit-images-hint">
          Drop, paste or pick up to {MAX_IMAGES} images ({files.length} added). The mask applies to the first.
        </p>
        {files.length > 0 && (
          <ul class="inputs">
            {files.map((f, i) => (
              <li>
                <img src={f.url} alt={`Input ${i + 1}: ${f.file.name}`} />
                <button type="button" class="ghost" onClick={() => remove(i)} aria-label={`Remove ${f.file.name}`}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      {files[0] && (
        <MaskPainter
          src={files[0].url}
          handle={(h) => {
            mask.current = h;
          }}
          invalid={invalid}
        />
      )}
      <PromptField
        id="edit-prompt"
        rows={3}
        value={settings.prompt}
        onChange={(prompt) => setSettings({ ...settings, prompt })}
        onRun={() => void go()}
        invalid={invalid}
      />
      <Options prefix="edit" settings={settings} onChange={setSettings} invalid={invalid} />
      <RunControls
        run={run}
        action="Edit"
        formError={formError}
        format={settings.output_format}
        onAgain={() => void go()}
        label="Edited images"
      />
    </form>
  );
}
