import { resolveSize, SIZE_ALIASES, SIZE_PRESETS } from "@gptimg/core";
import { useEffect, useState } from "hono/jsx/dom";
import { api } from "./api.ts";
import { controlId, FieldError, type Invalid, marked } from "./invalid.tsx";
import type { Settings } from "./run.ts";

const RATIOS = ["1:1", "3:2", "2:3", "4:3", "3:4", "16:9", "9:16", "21:9"];

/** What a typed size resolves to, by core's own rules: the size to send, or why not. */
export function describeSize(input: string, model: string): { size: string | null; text: string } {
  const v = input.trim() || "auto";
  try {
    const r = resolveSize(v, model || undefined);
    if (r.size === "auto") return { size: "auto", text: "auto: the model picks the size" };
    return { size: r.size, text: `${r.size} (${r.source})` };
  } catch (e) {
    return { size: null, text: e instanceof Error ? e.message : String(e) };
  }
}

let modelsCache: Promise<string[]> | null = null;
function models(): Promise<string[]> {
  modelsCache ??= api<{ data: { id: string }[] }>("/v1/models").then(
    (r) => r.data.map((m) => m.id),
    () => [],
  );
  return modelsCache;
}

/** The option fields shared by Generate and Edit. `prefix` keeps ids unique per page. */
export function Options({
  prefix,
  settings,
  onChange,
  invalid,
}: {
  prefix: string;
  settings: Settings;
  onChange: (s: Settings) => void;
  /** a refusal, marked at the control it names */
  invalid: Invalid | null;
}) {
  const [list, setList] = useState<string[]>([]);
  useEffect(() => {
    void models().then(setList);
  }, []);
  const set = <K extends keyof Settings>(k: K, v: Settings[K]) => onChange({ ...settings, [k]: v });
  const id = (s: string) => `${prefix}-${s}`;
  const resolved = describeSize(settings.size, settings.model);
  const compressible = settings.output_format !== "png";
  // a size that does not resolve is already said beside it, by the same rules
  const sizeInvalid = resolved.size === null ? null : invalid;
  /** the aria attributes of the control for wire field `field`, and the message beside it */
  const mark = (field: keyof Settings) => marked(controlId(prefix, field), field, invalid);
  const error = (field: keyof Settings) => <FieldError id={controlId(prefix, field)} field={field} invalid={invalid} />;
  return (
    <fieldset class="options">
      <legend>Options</legend>
      <div class="field">
        <label for={id("model")}>Model</label>
        <select
          id={id("model")}
          {...mark("model")}
          value={settings.model}
          onChange={(e: Event) => set("model", value(e))}
        >
          <option value="">Default</option>
          {list.map((m) => (
            <option value={m} selected={m === settings.model}>
              {m}
            </option>
          ))}
        </select>
        {error("model")}
      </div>
      <div class="field size">
        <label for={id("size")}>Size</label>
        <input
          id={id("size")}
          list={id("sizes")}
          value={settings.size}
          autocomplete="off"
          {...marked(id("size"), "size", sizeInvalid, id("size-resolved"))}
          aria-invalid={resolved.size === null || sizeInvalid?.field === "size" ? "true" : undefined}
          onInput={(e: Event) => set("size", value(e))}
        />
        <datalist id={id("sizes")}>
          <option value="auto" />
          {SIZE_PRESETS.map((s) => (
            <option value={s} />
          ))}
          {Object.keys(SIZE_ALIASES).map((s) => (
            <option value={s} />
          ))}
          {RATIOS.map((s) => (
            <option value={s} />
          ))}
        </datalist>
        <output id={id("size-resolved")} for={id("size")} class={resolved.size === null ? "bad" : "ok"}>
          {resolved.size === null ? resolved.text : `Sends ${resolved.text}`}
        </output>
        <FieldError id={id("size")} field="size" invalid={sizeInvalid} />
      </div>
      <div class="field">
        <label for={id("quality")}>Quality</label>
        <select id={id("quality")} {...mark("quality")} onChange={(e: Event) => set("quality", value(e))}>
          {["auto", "low", "medium", "high"].map((q) => (
            <option value={q} selected={q === settings.quality}>
              {q}
            </option>
          ))}
        </select>
        {error("quality")}
      </div>
      <div class="field">
        <label for={id("format")}>Format</label>
        <select id={id("format")} {...mark("output_format")} onChange={(e: Event) => set("output_format", value(e))}>
          {["png", "jpeg", "webp"].map((f) => (
            <option value={f} selected={f === settings.output_format}>
              {f}
            </option>
          ))}
        </select>
        {error("output_format")}
      </div>
      <div class="field">
        <label for={id("compression")}>Compression</label>
        <input
          id={id("compression")}
          {...mark("output_compression")}
          type="number"
          min={0}
          max={100}
          placeholder={compressible ? "100" : "PNG is lossless"}
          disabled={!compressible}
          value={settings.output_compression ?? ""}
          onInput={(e: Event) => {
            const v = value(e);
            set("output_compression", v === "" ? null : Number(v));
          }}
        />
        {error("output_compression")}
      </div>
      <div class="field">
        <label for={id("background")}>Background</label>
        <select id={id("background")} {...mark("background")} onChange={(e: Event) => set("background", value(e))}>
          {["auto", "opaque", "transparent"].map((b) => (
            <option value={b} selected={b === settings.background}>
              {b}
            </option>
          ))}
        </select>
        {error("background")}
      </div>
      <div class="field">
        <label for={id("n")}>Number of images</label>
        <input
          id={id("n")}
          {...mark("n")}
          type="number"
          min={1}
          max={10}
          value={settings.n}
          onInput={(e: Event) => set("n", Number(value(e)) || 1)}
        />
        {error("n")}
      </div>
    </fieldset>
  );
}

const value = (e: Event) => (e.target as HTMLInputElement).value;
